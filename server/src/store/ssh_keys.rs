//! Users' SSH public keys, by fingerprint: what the SSH server looks a signing key up in.

use app::auth::SshKeyView;
use sqlx::Row;

use super::users::session_user;
use super::{SessionUser, StoreError};

narrow_store! {
    /// The SSH public keys of users.
    SshKeyStore, ssh_keys
}

/// A key to add, already checked.
pub struct NewSshKey<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub public_key: &'a str,
    pub fingerprint: &'a str,
}

impl SshKeyStore {
    /// Adds a key; `KeyTaken` when that key already belongs to an account (this or another).
    pub async fn insert(&self, key: &NewSshKey<'_>, now: i64) -> Result<i64, StoreError> {
        let result = sqlx::query(
            "INSERT INTO ssh_keys (user_id, name, public_key, fingerprint, created_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(key.user_id)
        .bind(key.name)
        .bind(key.public_key)
        .bind(key.fingerprint)
        .bind(now)
        .execute(&self.pool)
        .await;
        match result {
            Ok(done) => Ok(done.last_insert_rowid()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::KeyTaken(key.fingerprint.to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A user's keys, oldest first.
    pub async fn keys(&self, user_id: i64) -> Result<Vec<SshKeyView>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, public_key, fingerprint, created_at, last_used_at FROM ssh_keys
             WHERE user_id = ? ORDER BY created_at, id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let public_key: String = row.try_get("public_key")?;
                Ok(SshKeyView {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    algorithm: public_key
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                    fingerprint: row.try_get("fingerprint")?,
                    created_at: row.try_get("created_at")?,
                    last_used_at: row.try_get("last_used_at")?,
                })
            })
            .collect()
    }

    /// Removes one of a user's keys; whether it was theirs.
    pub async fn delete(&self, user_id: i64, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM ssh_keys WHERE id = ? AND user_id = ?")
            .bind(id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Who a key signs in, unless their account is disabled.
    pub async fn user_of(&self, fingerprint: &str) -> Result<Option<SessionUser>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.role FROM ssh_keys k JOIN users u ON u.id = k.user_id
             WHERE k.fingerprint = ? AND u.disabled = 0",
        )
        .bind(fingerprint)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| session_user(&row)).transpose()
    }

    /// Records that a key signed someone in.
    pub async fn touch(&self, fingerprint: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE ssh_keys SET last_used_at = ? WHERE fingerprint = ?")
            .bind(now)
            .bind(fingerprint)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::user;
    use crate::store::Store;
    use app::auth::Role;

    fn key<'a>(user_id: i64, fingerprint: &'a str) -> NewSshKey<'a> {
        NewSshKey {
            user_id,
            name: "laptop",
            public_key: "ssh-ed25519 AAAA",
            fingerprint,
        }
    }

    #[tokio::test]
    async fn a_key_signs_in_its_owner_alone_until_removed_or_disabled() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("k.db")).await.unwrap();
        let users = store.users();
        let ada = users
            .insert_user(&user("ada"), "h", Role::Admin, 0)
            .await
            .unwrap();
        let bob = users
            .insert_user(&user("bob"), "h", Role::Member, 0)
            .await
            .unwrap();
        let keys = store.ssh_keys();
        let id = keys.insert(&key(ada, "SHA256:a"), 5).await.unwrap();
        let taken = keys.insert(&key(bob, "SHA256:a"), 6).await;
        assert!(matches!(taken, Err(StoreError::KeyTaken(f)) if f == "SHA256:a"));

        let signed_in = keys.user_of("SHA256:a").await.unwrap().unwrap();
        assert_eq!(signed_in.id, ada);
        keys.touch("SHA256:a", 7).await.unwrap();
        let listed = keys.keys(ada).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].algorithm, "ssh-ed25519");
        assert_eq!(listed[0].last_used_at, Some(7));
        assert!(keys.keys(bob).await.unwrap().is_empty());
        assert!(keys.user_of("SHA256:b").await.unwrap().is_none());

        users.set_disabled(ada, true).await.unwrap();
        assert!(keys.user_of("SHA256:a").await.unwrap().is_none());
        users.set_disabled(ada, false).await.unwrap();
        assert!(!keys.delete(bob, id).await.unwrap(), "not bob's to remove");
        assert!(keys.delete(ada, id).await.unwrap());
        assert!(keys.user_of("SHA256:a").await.unwrap().is_none());
    }
}
