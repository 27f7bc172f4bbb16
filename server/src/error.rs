//! How backend errors become the [`AppError`] the browser sees. Internals are logged here
//! and summarised for the user, never leaked verbatim where they are not actionable.

use app::error::{AppError, Field};

use crate::runtime::{Engine, RuntimeError};
use crate::store::StoreError;

impl From<RuntimeError> for AppError {
    fn from(error: RuntimeError) -> Self {
        // Errors without an engine of their own come from the one the server runs on.
        let refused = |message: String| AppError::EngineRefused {
            engine: "The container engine".into(),
            message,
        };
        match error {
            RuntimeError::Unavailable {
                engine,
                address,
                detail,
            } => AppError::EngineUnavailable {
                engine: engine.name().into(),
                address,
                detail,
                hint: engine.unreachable_hint().into(),
            },
            RuntimeError::Timeout {
                engine,
                operation,
                after,
            } => AppError::EngineRefused {
                engine: engine.name().into(),
                message: format!(
                    "{operation} did not answer within {} s; it may be overloaded or stuck",
                    after.as_secs()
                ),
            },
            RuntimeError::Refused { engine, message } => AppError::EngineRefused {
                engine: engine.name().into(),
                message,
            },
            RuntimeError::InvalidLimits(message) => AppError::invalid(Field::Cpus, message),
            RuntimeError::BuildFailed(m) => refused(format!("the image build failed: {m}")),
            RuntimeError::NotFound(m)
            | RuntimeError::NameTaken(m)
            | RuntimeError::NotRunning(m)
            | RuntimeError::InUse(m) => refused(m),
        }
    }
}

/// `engine` refused with `message`, for failures that reach the service in other forms
/// (a stream's I/O error).
pub fn engine_refused(engine: Engine, message: impl Into<String>) -> AppError {
    AppError::EngineRefused {
        engine: engine.name().into(),
        message: message.into(),
    }
}

/// The error for a process that could not be started in a workspace's container.
pub fn exec_failed(workspace: &impl ToString) -> impl FnOnce(RuntimeError) -> AppError + '_ {
    move |error| match error {
        RuntimeError::NotRunning(_) => AppError::NotRunning(workspace.to_string()),
        RuntimeError::NotFound(_) => AppError::NotFound(workspace.to_string()),
        other => other.into(),
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NameTaken(name) => AppError::NameTaken(name),
            other => {
                tracing::error!(error = %other, "database failure");
                AppError::Internal("the workspace database failed; see the server log".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn an_unreachable_engine_keeps_the_address_and_says_how_to_fix_it() {
        let e: AppError = RuntimeError::Unavailable {
            engine: Engine::Docker,
            address: "unix:///x.sock".into(),
            detail: "gone".into(),
        }
        .into();
        assert_eq!(
            e,
            AppError::EngineUnavailable {
                engine: "Docker".into(),
                address: "unix:///x.sock".into(),
                detail: "gone".into(),
                hint: Engine::Docker.unreachable_hint().into(),
            }
        );
        let test: AppError = RuntimeError::Unavailable {
            engine: Engine::Memory,
            address: "memory".into(),
            detail: "off".into(),
        }
        .into();
        assert!(!test.to_string().contains("Docker"), "{test}");
    }

    #[test]
    fn limits_beyond_the_machine_belong_to_the_cpu_field() {
        let e: AppError = RuntimeError::InvalidLimits("only 2 CPUs".into()).into();
        assert_eq!(e.field(), Some(Field::Cpus));
    }

    #[test]
    fn timeouts_say_what_timed_out() {
        let e: AppError = RuntimeError::Timeout {
            engine: Engine::Docker,
            operation: "stop container",
            after: Duration::from_secs(30),
        }
        .into();
        assert!(e
            .to_string()
            .contains("stop container did not answer within 30 s"));
    }

    #[test]
    fn database_internals_are_not_leaked() {
        let e: AppError = StoreError::Corrupt("secret detail".into()).into();
        assert!(!e.to_string().contains("secret detail"));
        let taken: AppError = StoreError::NameTaken("web".into()).into();
        assert_eq!(taken, AppError::NameTaken("web".into()));
    }
}
