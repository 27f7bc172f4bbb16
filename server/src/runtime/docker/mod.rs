//! The Docker implementation of [`ContainerRuntime`](super::ContainerRuntime): the only
//! module that imports bollard. Every call has a timeout so a wedged daemon yields a clear
//! error instead of a hang, and teardown runs under a small semaphore because Docker 20.10
//! can deadlock under bursts of concurrent removals.

mod containers;
mod exec;
pub mod guard;
mod images;
pub mod network;
mod stats;
mod tty;

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use bollard::errors::Error as BollardError;
use bollard::Docker;
use bytes::Bytes;
use tokio::sync::Semaphore;

use futures::stream::BoxStream;

use super::{
    BuildLine, ByteStream, ContainerDetails, ContainerInfo, ContainerRuntime, ContainerSpec,
    Engine, ExecProcess, ExecSpec, HostCapacity, ImageBuild, ImageStore, LifecycleEvent,
    PullProgress, ResourceReading, RuntimeError,
};
use crate::sync::Unpoisoned;
pub use network::AddressPool;
pub use tty::{TtyIo, TtySession, TtySize};

/// How many container/volume removals may run at once.
const TEARDOWN_CONCURRENCY: usize = 2;
/// Image imports and pulls move hundreds of megabytes; they get their own, longer limit.
pub const IMAGE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

pub struct DockerRuntime {
    address: String,
    timeout: Duration,
    image_timeout: Duration,
    /// Connected on first use, so AiCockpit starts (and says what is wrong) while Docker is down.
    client: Mutex<Option<Docker>>,
    teardown: Semaphore,
    /// Where workspace networks take their addresses.
    pool: AddressPool,
    /// The host's firewall is set up by its administrator (see `guard`).
    host_guarded: bool,
    /// The guard's installation, tried once.
    guard: tokio::sync::OnceCell<Result<(), String>>,
}

/// How workspaces' networks are made on Docker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DockerNetworks {
    pub pool: AddressPool,
    /// The engine's host already drops what AiCockpit's bridges send it: AiCockpit need
    /// not (and, without root, could not) install the guard itself.
    pub host_guarded: bool,
}

impl DockerRuntime {
    /// `address` is a Docker host such as `unix:///var/run/docker.sock` or `tcp://127.0.0.1:2375`.
    pub fn new(address: impl Into<String>, timeout: Duration, image_timeout: Duration) -> Self {
        Self {
            address: address.into(),
            timeout,
            image_timeout,
            client: Mutex::new(None),
            teardown: Semaphore::new(TEARDOWN_CONCURRENCY),
            pool: AddressPool::default(),
            host_guarded: false,
            guard: tokio::sync::OnceCell::new(),
        }
    }

    /// With workspace networks made as `networks` says.
    pub fn with_networks(mut self, networks: DockerNetworks) -> Self {
        self.pool = networks.pool;
        self.host_guarded = networks.host_guarded;
        self
    }

    fn client(&self) -> Result<Docker, RuntimeError> {
        let mut slot = self.client.locked();
        if let Some(docker) = slot.as_ref() {
            return Ok(docker.clone());
        }
        let timeout_secs = self.timeout.as_secs().max(1);
        let docker = if let Some(path) = self.address.strip_prefix("unix://") {
            Docker::connect_with_unix(path, timeout_secs, bollard::API_DEFAULT_VERSION)
        } else {
            let host = self.address.replacen("tcp://", "http://", 1);
            Docker::connect_with_http(&host, timeout_secs, bollard::API_DEFAULT_VERSION)
        }
        .map_err(|e| self.map_error(e))?;
        *slot = Some(docker.clone());
        Ok(docker)
    }

    /// Runs one Docker call under the regular timeout.
    async fn call<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T, BollardError>>,
    ) -> Result<T, RuntimeError> {
        self.call_within(operation, self.timeout, call).await
    }

    async fn call_within<T>(
        &self,
        operation: &'static str,
        after: Duration,
        call: impl Future<Output = Result<T, BollardError>>,
    ) -> Result<T, RuntimeError> {
        self.call_answering(operation, after, call, refused_as_such)
            .await
    }

    /// Runs one Docker call, letting `refused` say what Docker's status means for this
    /// operation (409 is a taken name for a create, a stopped container for an exec; 304
    /// is success for a start or a stop).
    async fn call_answering<T>(
        &self,
        operation: &'static str,
        after: Duration,
        call: impl Future<Output = Result<T, BollardError>>,
        refused: impl FnOnce(u16, String) -> Result<T, RuntimeError>,
    ) -> Result<T, RuntimeError> {
        answer(&self.address, operation, after, call, refused).await
    }

    pub(super) fn map_error(&self, error: BollardError) -> RuntimeError {
        map_error(&self.address, self.timeout, error)
    }
}

/// One Docker call to the engine at `address`, timed, counted, and its refusal read by
/// `refused`; see [`DockerRuntime::call_answering`].
async fn answer<T>(
    address: &str,
    operation: &'static str,
    after: Duration,
    call: impl Future<Output = Result<T, BollardError>>,
    refused: impl FnOnce(u16, String) -> Result<T, RuntimeError>,
) -> Result<T, RuntimeError> {
    let started = std::time::Instant::now();
    let result = match tokio::time::timeout(after, call).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(BollardError::DockerResponseServerError {
            status_code,
            message,
        })) => refused(status_code, message),
        Ok(Err(e)) => Err(map_error(address, after, e)),
        Err(_) => Err(timed_out(operation, after)),
    };
    crate::metrics::record_docker_call(operation, started, &result);
    result
}

fn map_error(address: &str, timeout: Duration, error: BollardError) -> RuntimeError {
    match error {
        BollardError::DockerResponseServerError {
            status_code,
            message,
        } => refusal(status_code, message),
        BollardError::DockerStreamError { error } => refused(error),
        BollardError::RequestTimeoutError => timed_out("a Docker request", timeout),
        BollardError::JsonDataError { message, .. } => refused(message),
        other => unreachable_at(address)(other),
    }
}

fn timed_out(operation: &'static str, after: Duration) -> RuntimeError {
    RuntimeError::Timeout {
        engine: Engine::Docker,
        operation,
        after,
    }
}

/// Makes the error for a lost connection to the engine at `address`, for streams that
/// outlive the call that opened them.
fn unreachable_at<E: std::fmt::Display>(
    address: &str,
) -> impl Fn(E) -> RuntimeError + Send + Sync + 'static {
    let address = address.to_owned();
    move |detail| RuntimeError::Unavailable {
        engine: Engine::Docker,
        address: address.clone(),
        detail: detail.to_string(),
    }
}

fn refused(message: impl Into<String>) -> RuntimeError {
    RuntimeError::Refused {
        engine: Engine::Docker,
        message: message.into(),
    }
}

/// A refusal read by [`refusal`], for operations that give no status a meaning of their own.
fn refused_as_such<T>(status: u16, message: String) -> Result<T, RuntimeError> {
    Err(refusal(status, message))
}

/// Reads Docker's 409 (Conflict) as `meaning` for the operation at hand.
fn conflict_means<T>(
    meaning: fn(String) -> RuntimeError,
) -> impl FnOnce(u16, String) -> Result<T, RuntimeError> {
    move |status, message| match status {
        409 => Err(meaning(message)),
        _ => refused_as_such(status, message),
    }
}

/// What Docker's refusal means when the operation gives it no meaning of its own.
fn refusal(status: u16, message: String) -> RuntimeError {
    match status {
        404 => RuntimeError::NotFound(message),
        // Checked against the machine: "Range of CPUs is from 0.01 to 2.00".
        _ if message.contains("Range of CPUs") => RuntimeError::InvalidLimits(message),
        _ => refused(message),
    }
}

#[async_trait::async_trait]
impl ContainerRuntime for DockerRuntime {
    fn engine(&self) -> Engine {
        Engine::Docker
    }

    fn address(&self) -> &str {
        &self.address
    }

    async fn ping(&self) -> Result<(), RuntimeError> {
        let docker = self.client()?;
        self.call("ping", docker.ping()).await.map(drop)
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String, RuntimeError> {
        self.create(spec).await
    }

    async fn start_container(&self, id: &str) -> Result<(), RuntimeError> {
        self.start(id).await
    }

    async fn stop_container(&self, id: &str, grace: Duration) -> Result<(), RuntimeError> {
        self.stop(id, grace).await
    }

    async fn remove_container(&self, id: &str) -> Result<(), RuntimeError> {
        self.remove(id).await
    }

    async fn remove_volume(&self, name: &str) -> Result<(), RuntimeError> {
        DockerRuntime::remove_volume(self, name).await
    }

    async fn list_managed(&self) -> Result<Vec<ContainerInfo>, RuntimeError> {
        self.list().await
    }

    async fn inspect(&self, id: &str) -> Result<ContainerDetails, RuntimeError> {
        DockerRuntime::inspect(self, id).await
    }

    async fn update_container(&self, id: &str, spec: &ContainerSpec) -> Result<(), RuntimeError> {
        self.update(id, spec).await
    }

    async fn open_network_unavailable(&self) -> Option<String> {
        self.open_refusal().await
    }

    fn lifecycle_events(&self) -> BoxStream<'static, Result<LifecycleEvent, RuntimeError>> {
        self.events()
    }

    fn resource_readings(
        &self,
        id: &str,
    ) -> BoxStream<'static, Result<ResourceReading, RuntimeError>> {
        self.readings(id)
    }

    async fn host_capacity(&self) -> Result<HostCapacity, RuntimeError> {
        self.capacity().await
    }

    fn copy_out(&self, id: &str, path: &str) -> ByteStream {
        DockerRuntime::copy_out(self, id, path)
    }

    async fn copy_into(&self, id: &str, path: &str, archive: Bytes) -> Result<(), RuntimeError> {
        DockerRuntime::copy_into(self, id, path, archive).await
    }

    async fn exec(
        &self,
        id: &str,
        spec: &ExecSpec,
        stdin: Option<ByteStream>,
    ) -> Result<ExecProcess, RuntimeError> {
        DockerRuntime::exec(self, id, spec, stdin).await
    }
}

#[async_trait::async_trait]
impl ImageStore for DockerRuntime {
    async fn image_exists(&self, reference: &str) -> Result<bool, RuntimeError> {
        DockerRuntime::image_exists(self, reference).await
    }

    async fn image_id(&self, reference: &str) -> Result<Option<String>, RuntimeError> {
        DockerRuntime::image_id(self, reference).await
    }

    async fn list_images(&self) -> Result<Vec<String>, RuntimeError> {
        self.images().await
    }

    async fn import_image(
        &self,
        tarball: ByteStream,
        reference: &str,
        changes: &[String],
    ) -> Result<(), RuntimeError> {
        self.import(tarball, reference, changes).await
    }

    async fn pull_image(
        &self,
        reference: &str,
        progress: &(dyn Fn(PullProgress) + Send + Sync),
    ) -> Result<(), RuntimeError> {
        self.pull(reference, progress).await
    }

    async fn build_image(
        &self,
        context: Bytes,
        build: &ImageBuild,
        progress: &(dyn Fn(BuildLine) + Send + Sync),
    ) -> Result<(), RuntimeError> {
        self.build(context, build, progress).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime(address: &str) -> DockerRuntime {
        DockerRuntime::new(address, Duration::from_secs(1), Duration::from_secs(1))
    }

    #[test]
    fn server_errors_map_by_status() {
        let rt = runtime("unix:///nowhere.sock");
        let server = |status_code| BollardError::DockerResponseServerError {
            status_code,
            message: "m".into(),
        };
        assert_eq!(
            rt.map_error(server(404)),
            RuntimeError::NotFound("m".into())
        );
        assert_eq!(rt.map_error(server(409)), refused("m"));
        assert_eq!(rt.map_error(server(500)), refused("m"));
        let cpus = BollardError::DockerResponseServerError {
            status_code: 400,
            message: "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"
                .into(),
        };
        assert!(matches!(rt.map_error(cpus), RuntimeError::InvalidLimits(_)));
    }

    #[test]
    fn a_missing_socket_is_unavailable_and_names_the_address() {
        let rt = runtime("unix:///nowhere/docker.sock");
        match rt.client() {
            Err(RuntimeError::Unavailable { address, .. }) => {
                assert_eq!(address, "unix:///nowhere/docker.sock")
            }
            other => panic!("expected Unavailable, got {:?}", other.map(|_| ())),
        }
    }
}
