//! How backend errors become the [`AppError`] the browser sees. Internals are logged here
//! and summarised for the user, never leaked verbatim where they are not actionable.

use app::error::AppError;

use crate::runtime::RuntimeError;
use crate::store::StoreError;

impl From<RuntimeError> for AppError {
    fn from(error: RuntimeError) -> Self {
        match error {
            RuntimeError::Unavailable { address, detail } => {
                AppError::DockerUnavailable { address, detail }
            }
            RuntimeError::Timeout { operation, after } => AppError::Docker(format!(
                "{operation} did not answer within {} s; the Docker engine may be overloaded or stuck",
                after.as_secs()
            )),
            RuntimeError::NotFound(m)
            | RuntimeError::Conflict(m)
            | RuntimeError::NotModified(m)
            | RuntimeError::Refused(m) => AppError::Docker(m),
            RuntimeError::BuildFailed(m) => AppError::Docker(format!("the image build failed: {m}")),
        }
    }
}

/// The error for a process that could not be started in a workspace's container.
pub fn exec_failed(workspace: &impl ToString) -> impl FnOnce(RuntimeError) -> AppError + '_ {
    move |error| match error {
        RuntimeError::Conflict(_) => AppError::NotRunning(workspace.to_string()),
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
    fn unavailable_docker_keeps_the_address() {
        let e: AppError = RuntimeError::Unavailable {
            address: "unix:///x.sock".into(),
            detail: "gone".into(),
        }
        .into();
        assert_eq!(
            e,
            AppError::DockerUnavailable {
                address: "unix:///x.sock".into(),
                detail: "gone".into()
            }
        );
    }

    #[test]
    fn timeouts_say_what_timed_out() {
        let e: AppError = RuntimeError::Timeout {
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
