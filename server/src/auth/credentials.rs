//! Who a request is: its bearer token or session cookie, looked up (hashed) into an
//! [`Actor`], and looked up again by open connections whenever the account changes.

use app::auth::{Actor, ClientInfo, Grant, SessionSecret, Via};
use app::error::AppError;

use super::cookie;
use super::events::AccessChange;
use super::secret;
use super::service::AuthManager;
use crate::store::{unix_now, SessionUser};

/// What a request proved itself with, as stored (hashed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Session(String),
    Token(String),
    /// An SSH public key, by fingerprint.
    SshKey(String),
}

/// A request's actor, the credential that made it, and the session secret (to end it
/// at sign-out).
pub struct Authenticated {
    pub actor: Actor,
    pub credential: Credential,
    pub session: Option<SessionSecret>,
}

impl AuthManager {
    /// Who a request is: a bearer token if it has one (a bad one is refused outright),
    /// else the session cookie when `cookie_allowed` (requests that change state only
    /// count a cookie when they carry an Origin the guard accepted).
    pub async fn authenticate(
        &self,
        headers: &axum::http::HeaderMap,
        cookie_allowed: bool,
        client: ClientInfo,
    ) -> Result<Option<Authenticated>, AppError> {
        if let Some(token) = cookie::bearer(headers) {
            let credential = Credential::Token(secret::hash(token));
            let Some(actor) = self.recheck(&credential, client).await? else {
                return Err(AppError::Unauthenticated);
            };
            return Ok(Some(Authenticated {
                actor,
                credential,
                session: None,
            }));
        }
        let secure = self.settings.always_secure || client.https;
        let Some(session) = cookie::session(headers, secure).filter(|_| cookie_allowed) else {
            return Ok(None);
        };
        let credential = Credential::Session(secret::hash(session));
        Ok(self
            .recheck(&credential, client)
            .await?
            .map(|actor| Authenticated {
                actor,
                credential,
                session: Some(SessionSecret(session.to_owned())),
            }))
    }

    /// Returns once `credential` (of `user_id`) stops working: signed out, revoked, the
    /// password changed, the account disabled. Checked whenever that account changes.
    pub async fn until_ended(&self, credential: &Credential, user_id: i64) {
        let mut changes = self.events.subscribe();
        loop {
            match changes.recv().await {
                Ok(AccessChange::Account { user_id: changed }) if changed == user_id => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Ok(_) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    return std::future::pending().await
                }
            }
            if !matches!(
                self.recheck(credential, ClientInfo::default()).await,
                Ok(Some(_))
            ) {
                return;
            }
        }
    }

    /// The actor a credential stands for now, if it still works: an open connection
    /// asks again when the account changes (signed out, token revoked, role, disabled).
    pub async fn recheck(
        &self,
        credential: &Credential,
        client: ClientInfo,
    ) -> Result<Option<Actor>, AppError> {
        let now = unix_now();
        Ok(match credential {
            Credential::Token(hash) => self
                .store
                .token_user(hash, now)
                .await?
                .map(|token| actor(token.user, Via::Token(token.id), token.grant, client)),
            Credential::Session(hash) => self
                .store
                .session_user(hash, now)
                .await?
                .map(|user| actor(user, Via::Session, Grant::full(), client)),
            Credential::SshKey(fingerprint) => self
                .keys
                .user_of(fingerprint)
                .await?
                .map(|user| actor(user, Via::SshKey, Grant::full(), client)),
        })
    }
}

pub(super) fn actor(user: SessionUser, via: Via, grant: Grant, client: ClientInfo) -> Actor {
    Actor {
        id: user.id,
        name: user.name,
        role: user.role,
        via,
        grant,
        address: client.address,
    }
}
