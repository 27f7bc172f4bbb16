//! Accounts, sessions and tokens: sign-in (throttled), password changes, personal API
//! tokens and user management. Authenticating a request is in `credentials`, the first-run
//! set-up link in `setup`.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use app::auth::{
    check_new_password, Actor, ApiToken, AuditFilter, AuditRecord, ClientInfo, CurrentUser, Grant,
    NewToken, Role, Scope, SignedIn, TokenRequest, UserName, UserSummary, Via,
};
use app::error::{AppError, Field};
use app::service::AuthService;

use super::audit::AuditLog;
use super::credentials::actor;
use super::events::{AccessChange, AccessEvents};
use super::limiter::{LimiterSettings, SignInLimiter};
use super::{cookie, password, secret};
use crate::access::policy::may_manage_users;
use crate::store::{
    unix_now, AuditEntry, NewTokenRecord, SessionUser, SshKeyStore, Store, StoreError, UserStore,
};
use crate::sync::Unpoisoned;

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub session_lifetime: Duration,
    pub limiter: LimiterSettings,
    /// Served over TLS (directly, or the public URL is https): cookies are always `Secure`.
    pub always_secure: bool,
    /// Where the set-up link is also written (mode 0600) while no user exists.
    pub setup_file: Option<PathBuf>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            session_lifetime: Duration::from_secs(14 * 24 * 3600),
            limiter: LimiterSettings::default(),
            always_secure: false,
            setup_file: None,
        }
    }
}

pub struct AuthManager {
    pub(super) store: UserStore,
    /// Who an SSH key signs in.
    pub(super) keys: SshKeyStore,
    /// Finds the workspace a new token is limited to.
    resolver: crate::access::Resolver,
    pub(super) audit: AuditLog,
    pub(super) limiter: SignInLimiter,
    pub(super) settings: AuthSettings,
    /// The hash of the one-time set-up token, while no user exists.
    pub(super) setup: Mutex<Option<String>>,
    /// Sessions ended or rights changed: open connections react (the terminal WebSocket).
    pub(super) events: AccessEvents,
    /// Password checks at once: each takes ~19 MiB, so a flood of sign-ins waits here
    /// instead of exhausting memory.
    pub(super) checking: tokio::sync::Semaphore,
}

/// How many password checks may run at once.
const PARALLEL_CHECKS: usize = 4;

pub(super) fn internal(error: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %error, "account service failure");
    AppError::Internal("the account service failed; see the server log".into())
}

impl AuthManager {
    pub fn new(store: &Store, settings: AuthSettings, events: AccessEvents) -> Self {
        Self {
            audit: AuditLog::new(store.audit()),
            limiter: SignInLimiter::new(settings.limiter.clone()),
            store: store.users(),
            keys: store.ssh_keys(),
            resolver: crate::access::Resolver::new(store),
            settings,
            setup: Mutex::new(None),
            events,
            checking: tokio::sync::Semaphore::new(PARALLEL_CHECKS),
        }
    }

    /// A user made outside the web pages (the command line, tests): no actor needed.
    pub async fn add_user(
        &self,
        name: &str,
        password: &str,
        role: Role,
    ) -> Result<UserName, AppError> {
        let name = self.insert_user(name, password, role).await?;
        self.audit
            .append(AuditEntry {
                at: unix_now(),
                action: "user-create".into(),
                detail: Some(format!("{name} as {}", role.label())),
                ..AuditEntry::default()
            })
            .await;
        Ok(name)
    }

    async fn insert_user(
        &self,
        name: &str,
        password: &str,
        role: Role,
    ) -> Result<UserName, AppError> {
        let name = UserName::parse(name)?;
        check_new_password(password)?;
        let hash = password::hash_off_thread(password).await?;
        match self.store.insert_user(&name, &hash, role, unix_now()).await {
            Ok(_) => {}
            Err(StoreError::UserTaken(taken)) => {
                return Err(AppError::invalid(
                    Field::UserName,
                    format!("A user named “{taken}” already exists."),
                ))
            }
            Err(e) => return Err(e.into()),
        }
        self.forget_setup();
        Ok(name)
    }

    /// A personal API token for a user that may do all they may (the command line, tests);
    /// returns its secret.
    pub async fn issue_token(&self, user: &UserName, name: &str) -> Result<String, AppError> {
        self.issue_scoped_token(user, name, &Grant::full(), None)
            .await
    }

    /// A personal API token for a user that may do what `grant` says, until `expires_at`.
    pub async fn issue_scoped_token(
        &self,
        user: &UserName,
        name: &str,
        grant: &Grant,
        expires_at: Option<i64>,
    ) -> Result<String, AppError> {
        let record = self.store.user_by_name(user).await?.ok_or_else(|| {
            AppError::invalid(Field::UserName, format!("No user named “{user}”."))
        })?;
        if grant.scopes.is_empty() {
            return Err(AppError::invalid(
                Field::Name,
                "Choose what the token may do (its scopes).",
            ));
        }
        let secret = format!(
            "{}{}",
            secret::TOKEN_PREFIX,
            secret::random_secret().map_err(internal)?
        );
        let name = token_name(name)?;
        let hash = secret::hash(&secret);
        let token = NewTokenRecord {
            user_id: record.id,
            name: &name,
            hash: &hash,
            grant,
            expires_at,
        };
        self.store.insert_token(&token, unix_now()).await?;
        Ok(secret)
    }

    /// A new session for a user who just proved who they are.
    async fn open_session(
        &self,
        user: SessionUser,
        client: ClientInfo,
    ) -> Result<SignedIn, AppError> {
        let session = secret::random_secret().map_err(internal)?;
        let now = unix_now();
        let lifetime = self.settings.session_lifetime.as_secs();
        self.store
            .insert_session(&secret::hash(&session), user.id, now, now + lifetime as i64)
            .await?;
        let secure = self.settings.always_secure || client.https;
        let signed_in = SignedIn {
            cookie: cookie::set_session(&session, lifetime, secure),
            user: CurrentUser {
                name: user.name.clone(),
                role: user.role,
            },
        };
        let actor = actor(user, Via::Session, Grant::full(), client);
        self.audit.record(&actor, "sign-in", None, None).await;
        Ok(signed_in)
    }

    /// One password attempt, counted, or how long to wait.
    fn attempt(&self, account: &str, address: Option<std::net::IpAddr>) -> Result<(), AppError> {
        self.limiter
            .attempt(account, address, Instant::now())
            .map_err(|wait| AppError::TooManyAttempts {
                retry_after_secs: wait.as_secs().max(1),
            })
    }

    /// Checks a password (against a decoy when there is no user, to take as long).
    async fn verify(&self, password: &str, hash: Option<String>) -> bool {
        let Ok(_permit) = self.checking.acquire().await else {
            return false;
        };
        password::verify_off_thread(password, hash).await
    }

    async fn managed_user(&self, actor: &Actor, name: &UserName) -> Result<i64, AppError> {
        may_manage_users(actor)?;
        match self.store.user_by_name(name).await? {
            Some(user) => Ok(user.id),
            None => Err(AppError::invalid(
                Field::UserName,
                format!("No user named “{name}”."),
            )),
        }
    }

    fn refuse_self(actor: &Actor, name: &UserName, what: &str) -> Result<(), AppError> {
        if &actor.name == name {
            return Err(AppError::Forbidden(format!(
                "You cannot {what} your own account; another admin can."
            )));
        }
        Ok(())
    }

    /// Announces a change of the user's account to their open connections and records it.
    async fn cut(&self, actor: &Actor, user_id: i64, action: &str, name: &UserName) {
        self.events.send(AccessChange::Account { user_id });
        self.audit
            .record(actor, action, None, Some(name.to_string()))
            .await;
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.locked()
}

fn token_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(AppError::invalid(
            Field::Name,
            "Name the token (up to 64 characters), e.g. after the script that uses it.",
        ));
    }
    Ok(name.to_owned())
}

#[async_trait::async_trait]
impl AuthService for AuthManager {
    async fn sign_in(
        &self,
        name: &str,
        password: &str,
        client: ClientInfo,
        previous: Option<&str>,
    ) -> Result<SignedIn, AppError> {
        let account = name.trim().to_lowercase();
        self.attempt(&account, client.address)?;
        let user = match UserName::parse(&account) {
            Ok(name) => self.store.user_by_name(&name).await?,
            Err(_) => None,
        };
        let correct = self
            .verify(password, user.as_ref().map(|u| u.password_hash.clone()))
            .await;
        let Some(user) = user.filter(|_| correct) else {
            self.audit
                .append(AuditEntry {
                    at: unix_now(),
                    action: "sign-in-failed".into(),
                    detail: Some(account.chars().take(64).collect()),
                    address: client.address.map(|a| a.to_string()),
                    ..AuditEntry::default()
                })
                .await;
            return Err(AppError::SignInFailed);
        };
        if user.disabled {
            return Err(AppError::Forbidden(format!(
                "The account “{}” is disabled. Ask an admin to enable it.",
                user.name
            )));
        }
        self.limiter.succeeded(&account, client.address);
        if let Some(previous) = previous {
            self.store.delete_session(&secret::hash(previous)).await?;
        }
        let user = SessionUser {
            id: user.id,
            name: user.name,
            role: user.role,
        };
        self.open_session(user, client).await
    }

    async fn sign_out(&self, actor: &Actor, session: Option<&str>, client: ClientInfo) -> String {
        if let Some(session) = session {
            if let Err(e) = self.store.delete_session(&secret::hash(session)).await {
                tracing::warn!(error = %e, "could not end a session");
            }
        }
        self.events
            .send(AccessChange::Account { user_id: actor.id });
        self.audit.record(actor, "sign-out", None, None).await;
        cookie::clear_session(self.settings.always_secure || client.https)
    }

    async fn needs_setup(&self) -> Result<bool, AppError> {
        Ok(self.store.user_count().await? == 0)
    }

    async fn set_up(
        &self,
        token: &str,
        name: &str,
        password: &str,
        client: ClientInfo,
    ) -> Result<SignedIn, AppError> {
        // Taken, not read: of two requests racing with the link, one goes on.
        let Some(expected) = lock(&self.setup).take() else {
            return Err(AppError::SetupLinkInvalid);
        };
        let give_back = || *lock(&self.setup) = Some(expected.clone());
        if expected != secret::hash(token.trim()) || !self.needs_setup().await? {
            give_back();
            return Err(AppError::SetupLinkInvalid);
        }
        let name = match self.add_user(name, password, Role::Admin).await {
            Ok(name) => name,
            Err(e) => {
                give_back();
                return Err(e);
            }
        };
        let user = self
            .store
            .user_by_name(&name)
            .await?
            .ok_or_else(|| internal("the first admin vanished"))?;
        let user = SessionUser {
            id: user.id,
            name: user.name,
            role: user.role,
        };
        self.open_session(user, client).await
    }

    async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new: &str,
        revoke_tokens: bool,
    ) -> Result<(), AppError> {
        let account = actor.name.to_string();
        self.attempt(&account, actor.address)?;
        let stored = self.store.user_by_id(actor.id).await?;
        if !self.verify(current, stored.map(|u| u.password_hash)).await {
            return Err(AppError::invalid(
                Field::Password,
                "The current password is not right.",
            ));
        }
        self.limiter.succeeded(&account, actor.address);
        check_new_password(new)?;
        let hash = password::hash_off_thread(new).await?;
        self.store.set_password(actor.id, &hash).await?;
        if revoke_tokens {
            self.store.delete_tokens(actor.id).await?;
        }
        let action = match revoke_tokens {
            true => "password-change (tokens revoked)",
            false => "password-change",
        };
        self.cut(actor, actor.id, action, &actor.name).await;
        Ok(())
    }

    async fn tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>, AppError> {
        let tokens = self.store.tokens(actor.id).await?;
        Ok(tokens
            .into_iter()
            .map(|t| ApiToken {
                id: t.id,
                name: t.name,
                created_at: t.created_at,
                last_used_at: t.last_used_at,
                scopes: t.grant.scopes,
                expires_at: t.expires_at,
                workspace: t.workspace,
            })
            .collect())
    }

    async fn create_token(
        &self,
        actor: &Actor,
        request: TokenRequest,
    ) -> Result<NewToken, AppError> {
        // A token makes tokens only when it may do everything (and so never more than itself).
        if !actor.grant.allows(Scope::Admin) {
            return Err(AppError::Forbidden(
                "This token may not make tokens: only a signed-in browser or a token with the admin scope can.".into(),
            ));
        }
        // Limited to a workspace the actor may use, found as for any route.
        let workspace = match &request.workspace {
            Some(workspace) => Some(
                self.resolver
                    .peek(actor, workspace, crate::access::policy::Action::Use)
                    .await?
                    .record
                    .id,
            ),
            None => actor.grant.workspace.clone(),
        };
        let grant = Grant {
            scopes: request.scopes.clone(),
            workspace,
        };
        let expires_at = request
            .expires_in_days
            .map(|days| unix_now() + i64::from(days.clamp(1, 3650)) * 86_400);
        let secret = self
            .issue_scoped_token(&actor.name, &request.name, &grant, expires_at)
            .await?;
        let token = self
            .tokens(actor)
            .await?
            .pop()
            .ok_or_else(|| internal("a new token was not stored"))?;
        let scopes: Vec<&str> = token.scopes.iter().map(|s| s.as_str()).collect();
        let detail = format!("{} ({})", token.name, scopes.join(" "));
        let workspace = token
            .workspace
            .as_deref()
            .and_then(|w| app::auth::WorkspaceRef::parse(w).ok());
        self.audit
            .record(actor, "token-create", workspace.as_ref(), Some(detail))
            .await;
        Ok(NewToken { secret, token })
    }

    async fn revoke_token(&self, actor: &Actor, id: i64) -> Result<(), AppError> {
        if !self.store.delete_token(actor.id, id).await? {
            return Err(AppError::invalid(
                Field::Name,
                "That token does not exist (any more).",
            ));
        }
        // A connection opened with the token closes.
        self.events
            .send(AccessChange::Account { user_id: actor.id });
        self.audit
            .record(actor, "token-revoke", None, Some(id.to_string()))
            .await;
        Ok(())
    }

    async fn users(&self, actor: &Actor) -> Result<Vec<UserSummary>, AppError> {
        may_manage_users(actor)?;
        Ok(self
            .store
            .users()
            .await?
            .into_iter()
            .map(|u| UserSummary {
                name: u.name,
                role: u.role,
                disabled: u.disabled,
                created_at: u.created_at,
            })
            .collect())
    }

    async fn create_user(
        &self,
        actor: &Actor,
        name: &str,
        password: &str,
        role: Role,
    ) -> Result<(), AppError> {
        may_manage_users(actor)?;
        let name = self.insert_user(name, password, role).await?;
        self.audit
            .record(
                actor,
                "user-create",
                None,
                Some(format!("{name} as {}", role.label())),
            )
            .await;
        Ok(())
    }

    async fn set_disabled(
        &self,
        actor: &Actor,
        name: &UserName,
        disabled: bool,
    ) -> Result<(), AppError> {
        let id = self.managed_user(actor, name).await?;
        Self::refuse_self(actor, name, "disable")?;
        self.store.set_disabled(id, disabled).await?;
        let action = if disabled {
            "user-disable"
        } else {
            "user-enable"
        };
        self.cut(actor, id, action, name).await;
        Ok(())
    }

    async fn reset_password(
        &self,
        actor: &Actor,
        name: &UserName,
        password: &str,
    ) -> Result<(), AppError> {
        let id = self.managed_user(actor, name).await?;
        // Your own password needs the current one (the account page), not a reset.
        Self::refuse_self(actor, name, "reset the password of")?;
        check_new_password(password)?;
        let hash = password::hash_off_thread(password).await?;
        self.store.set_password(id, &hash).await?;
        // A reset is what an admin does when an account may be in other hands: its
        // tokens end with its sessions.
        self.store.delete_tokens(id).await?;
        self.cut(actor, id, "password-reset", name).await;
        Ok(())
    }

    async fn audit(
        &self,
        actor: &Actor,
        filter: AuditFilter,
    ) -> Result<Vec<AuditRecord>, AppError> {
        let concerning = (!actor.is_admin()).then(|| actor.name.as_str());
        let entries = self.audit.store().audit(&filter, concerning, 500).await?;
        Ok(entries
            .into_iter()
            .map(|e| AuditRecord {
                at: e.at,
                actor: e.actor,
                action: e.action,
                workspace: e.workspace,
                detail: e.detail,
                address: e.address,
            })
            .collect())
    }

    async fn set_role(&self, actor: &Actor, name: &UserName, role: Role) -> Result<(), AppError> {
        let id = self.managed_user(actor, name).await?;
        Self::refuse_self(actor, name, "change the role of")?;
        self.store.set_role(id, role).await?;
        self.cut(actor, id, "user-role", name).await;
        Ok(())
    }
}
