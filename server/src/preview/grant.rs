//! Preview grants: signed, expiring capabilities for one port of one workspace, carried in
//! the preview's path (`/previews/<grant>/…`). A preview runs sandboxed, on an opaque origin,
//! so its own requests carry no AiCockpit cookie: the grant in the path is what authorises
//! them. The signature makes a grant unforgeable; what it names is checked again on every
//! request (the user may still use the workspace, the link is still there).

use app::auth::WorkspaceRef;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Bytes of the HMAC-SHA256 kept in a grant: 128 bits.
const MAC_BYTES: usize = 16;

/// Whom a grant speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bearer {
    /// A signed-in user who opened the preview; it lasts a working day.
    User(i64),
    /// A share link the owner made; anyone holding it, until it expires or is revoked.
    Link(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub bearer: Bearer,
    pub workspace: WorkspaceRef,
    pub workspace_id: String,
    pub port: u16,
    /// Unix seconds.
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    #[error("this preview address is not valid")]
    Invalid,
    #[error("this preview link has expired")]
    Expired,
}

/// Signs and checks grants with the server's preview key.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl Signer {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length.
        Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC accepts any key length")
    }

    /// The grant as a path segment: the payload and its signature, hex encoded.
    pub fn sign(&self, grant: &Grant) -> String {
        let bearer = match grant.bearer {
            Bearer::User(id) => format!("u{id}"),
            Bearer::Link(id) => format!("l{id}"),
        };
        let payload = format!(
            "{bearer}\n{}\n{}\n{}\n{}",
            grant.workspace, grant.workspace_id, grant.port, grant.expires_at
        );
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        let signature = mac.finalize().into_bytes();
        format!(
            "{}.{}",
            hex::encode(payload),
            hex::encode(&signature[..MAC_BYTES])
        )
    }

    /// The grant a path segment carries, if this server signed it and it has not expired.
    pub fn verify(&self, token: &str, now: i64) -> Result<Grant, GrantError> {
        let (payload, signature) = token.split_once('.').ok_or(GrantError::Invalid)?;
        let payload = hex::decode(payload).map_err(|_| GrantError::Invalid)?;
        let signature = hex::decode(signature).map_err(|_| GrantError::Invalid)?;
        if signature.len() != MAC_BYTES {
            return Err(GrantError::Invalid);
        }
        let mut mac = self.mac();
        mac.update(&payload);
        mac.verify_truncated_left(&signature)
            .map_err(|_| GrantError::Invalid)?;
        let grant = parse(&payload).ok_or(GrantError::Invalid)?;
        match grant.expires_at > now {
            true => Ok(grant),
            false => Err(GrantError::Expired),
        }
    }
}

fn parse(payload: &[u8]) -> Option<Grant> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut fields = text.split('\n');
    let bearer = fields.next()?;
    let bearer = match bearer.split_at_checked(1)? {
        ("u", id) => Bearer::User(id.parse().ok()?),
        ("l", id) => Bearer::Link(id.parse().ok()?),
        _ => return None,
    };
    let workspace = WorkspaceRef::parse(fields.next()?).ok()?;
    let workspace_id = fields.next()?.to_owned();
    let port = fields.next()?.parse().ok()?;
    let expires_at = fields.next()?.parse().ok()?;
    fields.next().is_none().then_some(Grant {
        bearer,
        workspace,
        workspace_id,
        port,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(bearer: Bearer) -> Grant {
        Grant {
            bearer,
            workspace: WorkspaceRef::parse("ada/web").unwrap(),
            workspace_id: "0f3a".into(),
            port: 8000,
            expires_at: 1_000,
        }
    }

    #[test]
    fn a_signed_grant_reads_back_until_it_expires() {
        let signer = Signer::new(b"key");
        for bearer in [Bearer::User(7), Bearer::Link(3)] {
            let token = signer.sign(&grant(bearer));
            assert!(token.chars().all(|c| c.is_ascii_hexdigit() || c == '.'));
            assert_eq!(signer.verify(&token, 999), Ok(grant(bearer)));
            assert_eq!(signer.verify(&token, 1_000), Err(GrantError::Expired));
        }
    }

    #[test]
    fn forged_altered_or_foreign_grants_are_refused() {
        let signer = Signer::new(b"key");
        let token = signer.sign(&grant(Bearer::User(7)));
        let (payload, signature) = token.split_once('.').unwrap();
        // Another server's key.
        assert_eq!(
            Signer::new(b"other").verify(&token, 0),
            Err(GrantError::Invalid)
        );
        // Another user or port with the old signature.
        let mut other = grant(Bearer::User(8));
        other.port = 8000;
        let forged = Signer::new(b"other").sign(&other);
        let (forged_payload, _) = forged.split_once('.').unwrap();
        assert_eq!(
            signer.verify(&format!("{forged_payload}.{signature}"), 0),
            Err(GrantError::Invalid)
        );
        // A shortened signature, none, or garbage.
        assert_eq!(
            signer.verify(&format!("{payload}.{}", &signature[..8]), 0),
            Err(GrantError::Invalid)
        );
        for bad in [payload, "", ".", "zz.zz", &format!("{payload}.")] {
            assert_eq!(signer.verify(bad, 0), Err(GrantError::Invalid), "{bad}");
        }
    }
}
