//! The container runtime ports. Services talk to these traits only: [`ContainerRuntime`]
//! for workspaces' containers and volumes, [`ImageStore`] for the images they start from.
//! `docker/` implements both with bollard, `kubernetes/` with kube-rs; `memory` is an
//! in-memory stand-in for service tests. Another backend (several Docker hosts, say) is a
//! sibling module.

pub mod channel;
pub mod docker;
pub mod kubernetes;
pub mod memory;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::model::Limits;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::BoxStream;

/// Which engine runs the workspaces: named in messages people read, so that they say what
/// to fix where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Docker,
    Kubernetes,
    /// [`memory::MemoryRuntime`], for tests.
    Memory,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Docker => "Docker",
            Engine::Kubernetes => "Kubernetes",
            Engine::Memory => "The in-memory runtime",
        }
    }

    /// What to do when the engine cannot be reached.
    pub fn unreachable_hint(self) -> &'static str {
        match self {
            Engine::Docker => "Start the Docker engine (for example `sudo systemctl start docker` or `sudo dockerd &`) or point AICOCKPIT_DOCKER_HOST at a running one.",
            Engine::Kubernetes => "Check the kubeconfig AiCockpit uses (KUBECONFIG, ~/.kube/config, or the service account of its Pod) and that the cluster's API server answers.",
            Engine::Memory => "It was switched off by a test.",
        }
    }
}

/// The runtime the server runs workspaces on: chosen once, from configuration, and handed
/// to everything that needs it.
#[derive(Clone)]
pub struct Backend {
    pub containers: Arc<dyn ContainerRuntime>,
    pub images: Arc<dyn ImageStore>,
}

impl Backend {
    /// Docker at `address` (`unix:///var/run/docker.sock`, `tcp://127.0.0.1:2375`), every
    /// call bounded by `timeout` (image transfers by [`docker::IMAGE_TIMEOUT`]), workspace
    /// networks made as `networks` says.
    pub fn docker(
        address: impl Into<String>,
        timeout: Duration,
        networks: docker::DockerNetworks,
    ) -> Self {
        Self::of(Arc::new(
            docker::DockerRuntime::new(address, timeout, docker::IMAGE_TIMEOUT)
                .with_networks(networks),
        ))
    }

    /// The cluster of the kubeconfig found the usual way, with `settings`.
    pub async fn kubernetes(
        settings: kubernetes::KubernetesSettings,
    ) -> Result<Self, RuntimeError> {
        let cluster = kubernetes::KubernetesRuntime::connect(settings).await?;
        Ok(Self::of(Arc::new(cluster)))
    }

    /// One runtime that implements both ports.
    pub fn of<R: ContainerRuntime + ImageStore>(runtime: Arc<R>) -> Self {
        Self {
            containers: runtime.clone(),
            images: runtime,
        }
    }
}

/// Labels put on every container and volume AiCockpit creates.
pub mod labels {
    pub const MANAGED: &str = "io.aicockpit.managed";
    pub const WORKSPACE: &str = "io.aicockpit.workspace";
    pub const NAME: &str = "io.aicockpit.name";
    pub const OWNER: &str = "io.aicockpit.owner";
    pub const TEMPLATE: &str = "io.aicockpit.template";
}

/// How a workspace container meets the network. Either way it reaches no other workspace
/// and no service on the engine's host; what it reaches beyond that, AiCockpit decides
/// (the egress proxy listens on its loopback, see `egress`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum NetworkMode {
    /// Its own loopback and nothing else.
    #[default]
    Isolated,
    /// The internet, directly.
    Open,
}

/// What a workspace container looks like, independent of the backend. The backend adds
/// the fixed hardening (drop all capabilities, no-new-privileges, an init process) and
/// restarts it when the engine restarts, unless it was stopped.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    pub volume: String,
    pub mount_path: String,
    pub user: String,
    pub command: Vec<String>,
    /// `NAME=value` entries for every process in it.
    pub env: Vec<String>,
    pub labels: HashMap<String, String>,
    pub limits: Limits,
    /// Capabilities added back after dropping all of them.
    pub capabilities: Vec<String>,
    /// Lets processes gain privileges (setuid programs such as `sudo` work): the one
    /// hardening option a template may turn off.
    pub new_privileges: bool,
    #[serde(default)]
    pub network: NetworkMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
}

/// A managed container as listed by the runtime.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerInfo {
    pub id: String,
    pub state: ContainerState,
    pub labels: HashMap<String, String>,
    pub image: String,
    /// The machine it runs on, where the runtime has several (a Kubernetes node).
    pub node: Option<String>,
}

/// What inspect adds to the listing.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerDetails {
    pub info: ContainerInfo,
    /// Unix seconds of the last start.
    pub started_at: Option<i64>,
    pub limits: Option<Limits>,
    /// Where the server reaches it over the engine's network, while it runs.
    pub address: Option<std::net::IpAddr>,
}

/// A lifecycle change of a managed container, as the event stream reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleEvent {
    /// The workspace id from the container's label.
    pub workspace: Option<String>,
    pub kind: LifecycleKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleKind {
    /// Created, started, stopped, removed…: what the dashboard shows changed.
    Changed,
    /// The kernel killed a process in the container for want of memory.
    OutOfMemory,
    /// The engine ended or removed the container unasked, and will not bring it back by
    /// itself (a Kubernetes eviction, a node gone); Docker's restart policy never needs this.
    Lost,
}

/// A running container's resource counters at one moment. The counters add up from the
/// container's start; rates come from the difference between two readings.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ResourceReading {
    /// When the engine read the counters, Unix milliseconds.
    pub at_ms: i64,
    /// CPU time used, nanoseconds.
    pub cpu_ns: u64,
    /// Memory in use, without the page cache the kernel can drop.
    pub memory_bytes: u64,
    /// The memory the container may use (the host's memory when unlimited).
    pub memory_limit: u64,
    pub net_rx_bytes: u64,
    pub net_tx_bytes: u64,
    pub disk_read_bytes: u64,
    pub disk_write_bytes: u64,
    /// Whether the engine accounts block I/O at all (some virtual machines give none).
    pub disk_measured: bool,
    pub processes: u64,
}

/// What the machine the runtime runs containers on has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostCapacity {
    pub cpus: u32,
    pub memory_bytes: u64,
}

/// Progress of an image pull, one line per layer update.
#[derive(Debug, Clone, PartialEq)]
pub struct PullProgress {
    pub layer: Option<String>,
    pub status: String,
    pub detail: Option<String>,
}

/// An image to build from a Dockerfile.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageBuild {
    pub reference: String,
    /// The Dockerfile's path inside the context.
    pub dockerfile: String,
    pub args: std::collections::BTreeMap<String, String>,
    /// The running container whose network the build's steps share (its isolation and
    /// network level); `None` for the engine's default, for admins' templates only.
    pub network_of: Option<String>,
}

/// One line of a build's output, with the step it belongs to (`(3, 7)`: the third of
/// seven) when the engine numbers them.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildLine {
    pub step: Option<(u32, u32)>,
    pub text: String,
}

/// What went wrong, in the port's terms: each backend maps its own replies to these.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuntimeError {
    #[error("{} at {address} is unreachable: {detail}", engine.name())]
    Unavailable {
        engine: Engine,
        address: String,
        detail: String,
    },
    #[error("{operation} did not finish within {after:?}")]
    Timeout {
        engine: Engine,
        operation: &'static str,
        after: Duration,
    },
    /// No such container, volume, image or process.
    #[error("not found: {0}")]
    NotFound(String),
    /// Another container already has the name.
    #[error("the name is taken: {0}")]
    NameTaken(String),
    /// The container exists but is not running, so nothing can run in it.
    #[error("not running: {0}")]
    NotRunning(String),
    /// The limits are more than the machine has (the engine's words).
    #[error("the limits cannot be met: {0}")]
    InvalidLimits(String),
    /// A volume is still used by a container.
    #[error("in use: {0}")]
    InUse(String),
    #[error("{} refused: {message}", engine.name())]
    Refused { engine: Engine, message: String },
    /// A build step failed; the message is the engine's (its output came as lines).
    #[error("the build failed: {0}")]
    BuildFailed(String),
}

pub type ByteStream = BoxStream<'static, std::io::Result<Bytes>>;

/// A process in a container, without a terminal of its own (terminals are held inside the
/// container, see `terminal::holder`). Its output is demultiplexed, which is safe without a
/// terminal: every chunk carries a stream header.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecSpec {
    pub command: Vec<String>,
    pub user: String,
    pub working_dir: String,
    /// `NAME=value` entries added to the process's environment.
    pub env: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExecChunk {
    Stdout(Bytes),
    Stderr(Bytes),
}

/// A started process: its output until it exits, and its exit status.
pub struct ExecProcess {
    pub output: BoxStream<'static, Result<ExecChunk, RuntimeError>>,
    /// Resolves to the exit status once the process has ended; await it after the output
    /// ends (a process whose output is not read may never end).
    pub exit: ExitStatus,
}

pub type ExitStatus = BoxFuture<'static, Result<i64, RuntimeError>>;

/// How long to wait for an exit status after the output ended: it follows at once, so
/// waiting longer means the runtime lost it.
pub const EXIT_STATUS_WAIT: Duration = Duration::from_secs(5);

#[async_trait::async_trait]
pub trait ContainerRuntime: Send + Sync + 'static {
    fn engine(&self) -> Engine;
    /// Where the engine is expected, for error messages.
    fn address(&self) -> &str;
    async fn ping(&self) -> Result<(), RuntimeError>;

    /// Creates the container and, when missing, its volume. `NameTaken` when another
    /// container has the name; `NotFound` when the image is missing.
    async fn create_container(&self, spec: &ContainerSpec) -> Result<String, RuntimeError>;
    /// Starts the container; already running is success.
    async fn start_container(&self, id: &str) -> Result<(), RuntimeError>;
    /// Stops the container, killing it after `grace`; already stopped is success.
    async fn stop_container(&self, id: &str, grace: Duration) -> Result<(), RuntimeError>;
    /// Removes the container (forcibly) but never its volumes.
    async fn remove_container(&self, id: &str) -> Result<(), RuntimeError>;
    /// `InUse` while a container still mounts it.
    async fn remove_volume(&self, name: &str) -> Result<(), RuntimeError>;
    /// All containers carrying the `io.aicockpit.managed` label, running or not.
    async fn list_managed(&self) -> Result<Vec<ContainerInfo>, RuntimeError>;
    /// The container with this id or, where the engine allows, this name.
    async fn inspect(&self, id: &str) -> Result<ContainerDetails, RuntimeError>;
    /// Brings an existing container's changeable settings (limits, restart policy, network)
    /// in line with `spec`, without recreating it; `InvalidLimits` when the machine has less.
    async fn update_container(&self, id: &str, spec: &ContainerSpec) -> Result<(), RuntimeError>;
    /// Why [`NetworkMode::Open`] cannot be given here, if it cannot (the engine's host is
    /// not guarded from its containers, say).
    async fn open_network_unavailable(&self) -> Option<String>;
    /// One item per lifecycle change of a managed container; ends or errs when the engine goes away.
    fn lifecycle_events(&self) -> BoxStream<'static, Result<LifecycleEvent, RuntimeError>>;

    /// About one reading a second while the container `id` runs; ends when it stops.
    fn resource_readings(
        &self,
        id: &str,
    ) -> BoxStream<'static, Result<ResourceReading, RuntimeError>>;
    async fn host_capacity(&self) -> Result<HostCapacity, RuntimeError>;

    /// Packs `path` of the container `id`, running or not, as a tar archive whose entries
    /// are relative to `path`.
    fn copy_out(&self, id: &str, path: &str) -> ByteStream;
    /// Unpacks the tar `archive` at `path` in the container `id`, running or not.
    async fn copy_into(&self, id: &str, path: &str, archive: Bytes) -> Result<(), RuntimeError>;
    /// Starts `spec` without a terminal in the container `id`, feeding it `stdin` (then
    /// end-of-file) when given. `NotRunning` when the container is stopped.
    async fn exec(
        &self,
        id: &str,
        spec: &ExecSpec,
        stdin: Option<ByteStream>,
    ) -> Result<ExecProcess, RuntimeError>;
}

/// The images workspaces start from: present on the machine, imported, built or pulled.
#[async_trait::async_trait]
pub trait ImageStore: Send + Sync + 'static {
    async fn image_exists(&self, reference: &str) -> Result<bool, RuntimeError>;
    /// The id of the image `reference` names (a `repo:tag`, an id or a short one, a
    /// digest), when it is on this machine: two references name the same image when their
    /// ids are equal. A runtime that keeps no images answers with the reference itself.
    async fn image_id(&self, reference: &str) -> Result<Option<String>, RuntimeError>;
    /// Tagged images present locally, `repo:tag`.
    async fn list_images(&self) -> Result<Vec<String>, RuntimeError>;
    /// Imports a root filesystem tarball as an image (`docker import`).
    async fn import_image(
        &self,
        tarball: ByteStream,
        reference: &str,
        changes: &[String],
    ) -> Result<(), RuntimeError>;
    /// Builds `build` from the tar `context`, reusing the engine's build cache; `progress`
    /// receives each line of output as it comes.
    async fn build_image(
        &self,
        context: Bytes,
        build: &ImageBuild,
        progress: &(dyn Fn(BuildLine) + Send + Sync),
    ) -> Result<(), RuntimeError>;
    async fn pull_image(
        &self,
        reference: &str,
        progress: &(dyn Fn(PullProgress) + Send + Sync),
    ) -> Result<(), RuntimeError>;
}
