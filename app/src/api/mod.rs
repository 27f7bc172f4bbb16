//! Server functions, one file per resource. Each makes one call into a service taken from
//! Leptos context and maps the typed error onto the HTTP status.

pub mod files;
pub mod workspaces;

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    use crate::service::{SharedFileService, SharedWorkspaceService};
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;

    pub fn workspaces() -> Result<SharedWorkspaceService, AppError> {
        use_context::<SharedWorkspaceService>()
            .ok_or_else(|| AppError::Internal("the workspace service is not configured".into()))
    }

    pub fn files() -> Result<SharedFileService, AppError> {
        use_context::<SharedFileService>()
            .ok_or_else(|| AppError::Internal("the file service is not configured".into()))
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
        }
        error
    }
}
