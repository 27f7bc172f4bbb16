//! The error every server function returns: serializable so the browser gets the typed
//! variant back, and precise enough for the UI to put a message next to the right field.

mod ai;

pub use ai::AiError;

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// The form field an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    Name,
    Image,
    Cpus,
    Memory,
    Processes,
    IdleStop,
    Repository,
    Branch,
    Port,
    Template,
    Network,
    UserName,
    Password,
    SshKey,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The engine that runs workspaces (Docker, …) cannot be reached; `hint` says how to fix
    /// that for this engine.
    #[error("{engine} is not reachable at {address} ({detail}). {hint}")]
    EngineUnavailable {
        engine: String,
        address: String,
        detail: String,
        hint: String,
    },
    #[error("{message}")]
    Invalid { field: Field, message: String },
    #[error("A workspace named “{0}” already exists. Choose another name.")]
    NameTaken(String),
    #[error("The image “{image}” is not on this machine. {hint}")]
    ImageMissing { image: String, hint: String },
    #[error("The path “{path}” is not allowed: {reason}.")]
    InvalidPath { path: String, reason: String },
    #[error("There is no workspace named “{0}”. It may have been deleted in another window.")]
    NotFound(String),
    #[error("Workspace “{0}” is not running. Start it from the dashboard, then try again.")]
    NotRunning(String),
    #[error("There is no creation “{0}”: it was dismissed, or it is not yours.")]
    NoSuchCreation(String),
    #[error("There is no preview here for this browser, or it is not yours to open. Open it from AiCockpit: the IDE's Ports panel.")]
    NoPreview,
    /// Something that was there is no more: an expired link, an archive no longer kept.
    #[error("{0}")]
    Gone(String),
    /// A server inside a workspace did not answer (a preview's).
    #[error("{0}")]
    NoAnswer(String),
    #[error("“{0}” does not exist. It may have been renamed or deleted.")]
    FileNotFound(String),
    #[error("“{0}” already exists. Choose another name.")]
    FileExists(String),
    #[error("“{path}” is {size}, larger than the {limit} the editor opens. Download it instead.")]
    FileTooLarge {
        path: String,
        size: String,
        limit: String,
    },
    #[error("“{0}” changed on disk since it was opened here. Save again to overwrite that change, or close and reopen the file to see it.")]
    FileChanged(String),
    #[error("“{0}” is not a text file. Download it instead.")]
    BinaryFile(String),
    #[error("The upload is {size}, over the limit of {limit}. Split it, or raise AICOCKPIT_UPLOAD_LIMIT.")]
    UploadTooLarge { size: String, limit: String },
    #[error("{0}")]
    FileRefused(String),
    #[error("The archive could not be unpacked: {0}.")]
    ArchiveRefused(String),
    #[error("The repository could not be cloned: {0}")]
    CloneFailed(String),
    #[error("Sign in to continue.")]
    Unauthenticated,
    #[error("Wrong user name or password.")]
    SignInFailed,
    #[error("Too many failed sign-ins. Try again in {} (or ask an admin to reset the password).", wait_text(*retry_after_secs))]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("This set-up link is not valid: it was used already, or the server restarted since it printed it. Use the newest link from the server's log, or `aicockpit user add --admin NAME`.")]
    SetupLinkInvalid,
    #[error("{0}")]
    Forbidden(String),
    /// Something else is going on that this must wait for (an agent already at work).
    #[error("{0}")]
    Busy(String),
    #[error("The request could not be read: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Ai(#[from] AiError),
    #[error("{engine} refused the request: {message}")]
    EngineRefused { engine: String, message: String },
    #[error("Something went wrong on the server: {0}")]
    Internal(String),
    #[error("The server could not be reached: {0}")]
    ServerFn(ServerFnErrorErr),
}

impl AppError {
    pub fn invalid(field: Field, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The form field this error should be shown next to, if any.
    pub fn field(&self) -> Option<Field> {
        match self {
            Self::Invalid { field, .. } => Some(*field),
            Self::NameTaken(_) => Some(Field::Name),
            Self::ImageMissing { .. } => Some(Field::Image),
            _ => None,
        }
    }

    /// True when the whole dashboard is affected, so the error belongs in the banner.
    pub fn is_outage(&self) -> bool {
        matches!(self, Self::EngineUnavailable { .. } | Self::ServerFn(_))
    }

    #[cfg(feature = "ssr")]
    pub fn status_code(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            Self::EngineUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Invalid { .. }
            | Self::InvalidPath { .. }
            | Self::ImageMissing { .. }
            | Self::ArchiveRefused(_)
            | Self::CloneFailed(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NameTaken(_)
            | Self::NotRunning(_)
            | Self::FileExists(_)
            | Self::FileChanged(_)
            | Self::Busy(_) => StatusCode::CONFLICT,
            Self::NotFound(_)
            | Self::FileNotFound(_)
            | Self::NoSuchCreation(_)
            | Self::NoPreview => StatusCode::NOT_FOUND,
            Self::Gone(_) => StatusCode::GONE,
            Self::NoAnswer(_) => StatusCode::BAD_GATEWAY,
            Self::FileTooLarge { .. } | Self::UploadTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Self::BinaryFile(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unauthenticated | Self::SignInFailed => StatusCode::UNAUTHORIZED,
            Self::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::SetupLinkInvalid | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Ai(error) => ai_status(error),
            Self::FileRefused(_) => StatusCode::FORBIDDEN,
            Self::EngineRefused { .. } => StatusCode::BAD_GATEWAY,
            Self::Internal(_) | Self::ServerFn(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The one way an error leaves the server over plain HTTP: its status, and the same JSON a
/// server function answers with, so every client decodes it the same way.
#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let mut response = (
            self.status_code(),
            [(http::header::CONTENT_TYPE, "application/json")],
            self.ser(),
        )
            .into_response();
        if let Self::TooManyAttempts { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, retry_after_secs.into());
        }
        response
    }
}

#[cfg(feature = "ssr")]
fn ai_status(error: &AiError) -> http::StatusCode {
    use http::StatusCode;
    match error {
        AiError::Off => StatusCode::SERVICE_UNAVAILABLE,
        AiError::UnknownProvider(_) => StatusCode::NOT_FOUND,
        AiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AiError::ContextTooLong { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        AiError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        AiError::Unreachable { .. }
        | AiError::KeyRefused { .. }
        | AiError::UnknownModel { .. }
        | AiError::Broken { .. }
        | AiError::Provider { .. } => StatusCode::BAD_GATEWAY,
    }
}

/// "3 minutes", "1 minute", "20 seconds".
fn wait_text(seconds: u64) -> String {
    match seconds {
        0..=59 => format!("{} seconds", seconds.max(1)),
        60..=119 => "1 minute".to_owned(),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// Arguments the server could not decode are the client's mistake (400), not an
    /// outage: on the server this runs inside the request, so the status follows.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        #[cfg(feature = "ssr")]
        if let ServerFnErrorErr::Args(detail)
        | ServerFnErrorErr::MissingArg(detail)
        | ServerFnErrorErr::Deserialization(detail) = &value
        {
            return Self::BadRequest(detail.clone());
        }
        Self::ServerFn(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_are_routed_to_their_field() {
        assert_eq!(AppError::NameTaken("x".into()).field(), Some(Field::Name));
        let missing = AppError::ImageMissing {
            image: "i".into(),
            hint: "h".into(),
        };
        assert_eq!(missing.field(), Some(Field::Image));
        assert_eq!(AppError::NotFound("x".into()).field(), None);
    }

    #[test]
    fn an_engine_down_is_an_outage_with_a_fix() {
        let e = AppError::EngineUnavailable {
            engine: "Docker".into(),
            address: "unix:///var/run/docker.sock".into(),
            detail: "socket not found".into(),
            hint: "Start it.".into(),
        };
        assert!(e.is_outage());
        assert_eq!(
            e.to_string(),
            "Docker is not reachable at unix:///var/run/docker.sock (socket not found). Start it."
        );
    }

    #[test]
    fn round_trips_through_the_wire_encoding() {
        let e = AppError::invalid(Field::Memory, "too small");
        assert_eq!(AppError::de(e.ser()), e);
    }

    #[test]
    fn lock_outs_say_how_long() {
        let wait = |s| {
            AppError::TooManyAttempts {
                retry_after_secs: s,
            }
            .to_string()
        };
        assert!(wait(20).contains("in 20 seconds"));
        assert!(wait(61).contains("in 1 minute "));
        assert!(wait(900).contains("in 15 minutes"));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn maps_to_http_status() {
        use http::StatusCode;
        let down = AppError::EngineUnavailable {
            engine: "Docker".into(),
            address: "a".into(),
            detail: "d".into(),
            hint: "h".into(),
        };
        assert_eq!(down.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            AppError::NameTaken("a".into()).status_code(),
            StatusCode::CONFLICT
        );
        assert_eq!(
            AppError::NotFound("a".into()).status_code(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            AppError::invalid(Field::Name, "x").status_code(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            AppError::Unauthenticated.status_code(),
            StatusCode::UNAUTHORIZED
        );
        // A policy refusal and a file the container will not let the user write are both
        // 403, but different errors on the wire.
        let policy = AppError::Forbidden("viewer".into());
        let file = AppError::FileRefused("permission denied".into());
        assert_eq!(policy.status_code(), file.status_code());
        assert_ne!(policy.ser(), file.ser());
    }
}
