//! Server functions, one file per resource. Each takes the actor the request was
//! authenticated as and makes one call into a service taken from Leptos context; the HTTP
//! edge gives a failed call its error's status (`status_code`), in one place.

pub mod agent;
pub mod ai;
pub mod auth;
pub mod creations;
pub mod files;
pub mod previews;
pub mod ssh;
pub mod templates;
pub mod workspaces;

#[cfg(feature = "ssr")]
#[cfg(feature = "ssr")]
mod ssr {
    use crate::auth::{Actor, ClientInfo};
    use crate::error::AppError;
    use crate::service::{
        SharedAgentService, SharedAiService, SharedAuthService, SharedCreationService,
        SharedFileService, SharedPreviewService, SharedSshService, SharedTemplateService,
        SharedWorkspaceService,
    };
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;

    fn service<T: Clone + Send + Sync + 'static>(what: &str) -> Result<T, AppError> {
        use_context::<T>()
            .ok_or_else(|| AppError::Internal(format!("the {what} is not configured")))
    }

    pub fn workspaces() -> Result<SharedWorkspaceService, AppError> {
        service("workspace service")
    }

    pub fn creations() -> Result<SharedCreationService, AppError> {
        service("creation service")
    }

    pub fn files() -> Result<SharedFileService, AppError> {
        service("file service")
    }

    pub fn previews() -> Result<SharedPreviewService, AppError> {
        service("preview service")
    }

    pub fn templates() -> Result<SharedTemplateService, AppError> {
        service("template service")
    }

    pub fn ai() -> Result<SharedAiService, AppError> {
        service("AI service")
    }

    pub fn agent() -> Result<SharedAgentService, AppError> {
        service("agent service")
    }

    pub fn auth() -> Result<SharedAuthService, AppError> {
        service("account service")
    }

    pub fn ssh() -> Result<SharedSshService, AppError> {
        service("SSH service")
    }

    /// Something the authentication layer put on the request.
    fn from_request<T: Clone + Send + Sync + 'static>() -> Option<T> {
        use_context::<http::request::Parts>()?
            .extensions
            .get::<T>()
            .cloned()
    }

    /// The user this request acts for; refused with 401 when nobody signed in.
    pub fn actor() -> Result<Actor, AppError> {
        from_request::<Actor>().ok_or(AppError::Unauthenticated)
    }

    pub fn client() -> ClientInfo {
        from_request::<ClientInfo>().unwrap_or_default()
    }

    /// The session secret the request's cookie carried, if it signed in that way.
    pub fn session_secret() -> Option<String> {
        from_request::<crate::auth::SessionSecret>().map(|s| s.0)
    }

    /// Sets a response header, such as a session cookie.
    pub fn set_cookie(cookie: &str) {
        if let (Some(response), Ok(value)) = (
            use_context::<ResponseOptions>(),
            http::HeaderValue::from_str(cookie),
        ) {
            response.append_header(http::header::SET_COOKIE, value);
        }
    }
}
