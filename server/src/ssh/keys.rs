//! Users' SSH public keys (the [`SshService`] the account page and `aicockpit user key`
//! use): checked before they are kept, so only keys worth trusting sign anyone in.

use app::auth::{Actor, Scope, SshAccess, SshKeyView};
use app::error::{AppError, Field};
use app::service::SshService;
use russh::keys::ssh_key::public::KeyData;
use russh::keys::{HashAlg, PublicKey};

use crate::auth::audit::AuditLog;
use crate::auth::{AccessChange, AccessEvents};
use crate::store::{unix_now, NewSshKey, SshKeyStore, StoreError};

/// The fewest bits an RSA key may have.
const MIN_RSA_BITS: u32 = 3072;
const MAX_NAME_CHARS: usize = 64;

/// A public key as it is kept: its one-line form without the comment, and its fingerprint.
#[derive(Debug, PartialEq)]
pub struct CheckedKey {
    pub line: String,
    pub fingerprint: String,
    /// What the line said after the key, often `user@host`.
    pub comment: String,
}

fn refused(message: impl Into<String>) -> AppError {
    AppError::invalid(Field::SshKey, message)
}

/// Reads a public key as a `.pub` file holds it, and refuses the kinds not worth trusting.
pub fn check(text: &str) -> Result<CheckedKey, AppError> {
    let line = text.trim();
    if line.is_empty() {
        return Err(refused(
            "Paste a public key: the line of a .pub file, such as ~/.ssh/id_ed25519.pub.",
        ));
    }
    if line.contains("PRIVATE KEY") {
        return Err(refused(
            "That is a private key: never share it. Paste the .pub file's line instead.",
        ));
    }
    let key = PublicKey::from_openssh(line)
        .map_err(|_| refused("That is not an OpenSSH public key. Paste one line such as `ssh-ed25519 AAAA… you@laptop`."))?;
    match key.key_data() {
        KeyData::Ed25519(_) | KeyData::Ecdsa(_) => {}
        KeyData::Rsa(rsa) if rsa.key_size() >= MIN_RSA_BITS => {}
        KeyData::Rsa(rsa) => {
            return Err(refused(format!(
                "This RSA key has {} bits; AiCockpit takes RSA keys of {MIN_RSA_BITS} bits or more. Make an ed25519 key: ssh-keygen -t ed25519",
                rsa.key_size()
            )))
        }
        _ => {
            return Err(refused(format!(
                "{} keys are not taken; use ed25519, ECDSA or RSA of {MIN_RSA_BITS} bits or more.",
                key.algorithm()
            )))
        }
    }
    let comment = key.comment().to_string();
    let mut bare = key.clone();
    bare.set_comment("");
    let line = bare
        .to_openssh()
        .map_err(|e| refused(format!("That key cannot be read back: {e}")))?;
    Ok(CheckedKey {
        line: line.trim().to_owned(),
        fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
        comment,
    })
}

/// The fingerprint by which a key offered in a sign-in is looked up.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The users' keys and what the account page shows of the SSH server.
pub struct SshKeys {
    store: SshKeyStore,
    audit: AuditLog,
    events: AccessEvents,
    access: SshAccess,
}

impl SshKeys {
    pub fn new(
        store: SshKeyStore,
        audit: AuditLog,
        events: AccessEvents,
        access: SshAccess,
    ) -> Self {
        Self {
            store,
            audit,
            events,
            access,
        }
    }
}

/// Keys are the account's to manage: a token needs the admin scope, as for tokens.
fn may_manage(actor: &Actor) -> Result<(), AppError> {
    match actor.grant.allows(Scope::Admin) {
        true => Ok(()),
        false => Err(AppError::Forbidden(
            "This token may not change SSH keys: only a signed-in browser or a token with the admin scope can.".into(),
        )),
    }
}

#[async_trait::async_trait]
impl SshService for SshKeys {
    async fn keys(&self, actor: &Actor) -> Result<Vec<SshKeyView>, AppError> {
        Ok(self.store.keys(actor.id).await?)
    }

    async fn add_key(&self, actor: &Actor, name: &str, key: &str) -> Result<SshKeyView, AppError> {
        may_manage(actor)?;
        let checked = check(key)?;
        let name = match name.trim() {
            "" if !checked.comment.is_empty() => checked.comment.clone(),
            "" => "key".to_owned(),
            name => name.to_owned(),
        };
        if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(refused(format!(
                "A key's name has at most {MAX_NAME_CHARS} characters, on one line."
            )));
        }
        let new = NewSshKey {
            user_id: actor.id,
            name: &name,
            public_key: &checked.line,
            fingerprint: &checked.fingerprint,
        };
        let id = self.store.insert(&new, unix_now()).await.map_err(|e| match e {
            StoreError::KeyTaken(_) => refused("This key is already added to an account. Each key signs in one account: make another for this one."),
            other => other.into(),
        })?;
        self.audit
            .record(
                actor,
                "ssh-key-add",
                None,
                Some(format!("{name} {}", checked.fingerprint)),
            )
            .await;
        let keys = self.store.keys(actor.id).await?;
        keys.into_iter()
            .find(|k| k.id == id)
            .ok_or_else(|| AppError::Internal("a new SSH key was not stored".into()))
    }

    async fn remove_key(&self, actor: &Actor, id: i64) -> Result<(), AppError> {
        may_manage(actor)?;
        if !self.store.delete(actor.id, id).await? {
            return Err(refused("That key does not exist (any more)."));
        }
        // SSH sessions signed in with it end.
        self.events
            .send(AccessChange::Account { user_id: actor.id });
        self.audit
            .record(actor, "ssh-key-remove", None, Some(id.to_string()))
            .await;
        Ok(())
    }

    async fn access(&self, _actor: &Actor) -> Result<SshAccess, AppError> {
        Ok(self.access.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made with ssh-keygen for these tests; public halves only.
    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILBGBadAoFr3qvNj8yYQB5fjBLuZASOUfEoeul1eSI6w ada@laptop";
    const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBAxwDAnDqQHQDkD2jPKXJTI2sCS2eK52JsdqvcKySxbcLxfL1M7YyIgMGMCxHc9nUzF7n+2tL/oIVoqOr/uAUbg= ec";
    const RSA_2048: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCnXe3bUdiqHJaDOGK2prtBHDYDCWXLs2dAKRyfZ1Ka66Pn42PLGnhjWEBb83vZBWY4b/oluEEnY/BLH1yuRRDYVyeJ4ehX/UcpoyGm4ga4VU7dzx38P/1Z1z6Bq75mSDrRjf38EXi/UTG4UipfCxHlKbflcLAh7XBR9mhlUHqhLysmwNk1zYzq0UoHkDMbWiyDPqOcgTU5BSweMR2Dr/Vly2uLHK1ZzkLhoJ6W1WJV5rFAhHx/P9yyGokU3MpKIe5XWjhhjEiHdkkiVgZ/wgkWeMCeZyU6IOEFbOQGBmfxMhe8rEMWAQyvziJXKkdq7gjIFcznmuKYkjGhk6969SJd old";

    #[test]
    fn an_ed25519_key_is_kept_without_its_comment() {
        let key = check(&format!("  {ED25519}\n")).unwrap();
        assert!(key.line.starts_with("ssh-ed25519 AAAA"), "{}", key.line);
        assert!(!key.line.contains("ada@laptop"));
        assert_eq!(key.comment, "ada@laptop");
        // As `ssh-keygen -lf` prints it.
        assert_eq!(
            key.fingerprint,
            "SHA256:G5A3TgZwk+f7FNjQIPNQ98/acjKqqsgL1Ad4XwtEL8A"
        );
        assert!(check(ECDSA).is_ok());
    }

    #[test]
    fn keys_not_worth_trusting_are_refused_with_a_reason() {
        let say = |text: &str| check(text).unwrap_err().to_string();
        assert!(say("").contains("Paste a public key"));
        assert!(say("-----BEGIN OPENSSH PRIVATE KEY-----").contains("private key"));
        assert!(say("ssh-ed25519 not-base64").contains("not an OpenSSH public key"));
        assert!(say(RSA_2048).contains("has 2048 bits"), "{}", say(RSA_2048));
    }
}
