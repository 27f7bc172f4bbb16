//! Server functions, one file per resource. Each takes the actor the request was
//! authenticated as, makes one call into a service taken from Leptos context and maps the
//! typed error onto the HTTP status.

pub mod agent;
pub mod ai;
pub mod auth;
pub mod files;
pub mod previews;
pub mod templates;
pub mod workspaces;

#[cfg(feature = "ssr")]
pub(crate) use ssr::respond;

#[cfg(feature = "ssr")]
mod ssr {
    use crate::auth::{Actor, ClientInfo};
    use crate::error::AppError;
    use crate::service::{
        SharedAgentService, SharedAiService, SharedAuthService, SharedFileService,
        SharedPreviewService, SharedTemplateService, SharedWorkspaceService,
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

    /// Something the authentication layer put on the request.
    fn from_request<T: Clone + Send + Sync + 'static>() -> Option<T> {
        use_context::<http::request::Parts>()?
            .extensions
            .get::<T>()
            .cloned()
    }

    /// The user this request acts for; refused with 401 when nobody signed in.
    pub fn actor() -> Result<Actor, AppError> {
        from_request::<Actor>().ok_or_else(|| respond(AppError::Unauthenticated))
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

    /// Sets the response status for the error (503 for Docker down, 409 for a taken name…)
    /// when answering a server-function request. A page rendered on the server that calls
    /// the same function keeps its 200: it shows the error itself, and a proxy could
    /// replace a 5xx page with its own.
    pub fn respond(error: AppError) -> AppError {
        let is_api_call = use_context::<http::request::Parts>()
            .is_some_and(|request| request.uri.path().starts_with("/api/"));
        if let Some(response) = use_context::<ResponseOptions>().filter(|_| is_api_call) {
            response.set_status(error.status_code());
            if let AppError::TooManyAttempts { retry_after_secs } = error {
                response.insert_header(http::header::RETRY_AFTER, retry_after_secs.into());
            }
        }
        error
    }
}
