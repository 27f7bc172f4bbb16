//! An in-memory runtime: containers, volumes and images as records, with Docker's rules
//! (names unique, images needed, volumes kept until removed, limits within the machine)
//! but no processes. Service tests run on it to show that nothing above the port depends
//! on Docker; what it cannot do (run programs) answers as a stopped engine would not.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use tokio::sync::broadcast;

use super::{
    labels, BuildLine, ByteStream, ContainerDetails, ContainerInfo, ContainerRuntime,
    ContainerSpec, ContainerState, Engine, ExecChunk, ExecProcess, ExecSpec, HostCapacity,
    ImageBuild, ImageStore, LifecycleEvent, LifecycleKind, PullProgress, ResourceReading,
    RuntimeError,
};
use crate::sync::Unpoisoned;

/// What an exec answers: its output and exit status, from the command it was given.
pub type ExecAnswer = dyn Fn(&ExecSpec) -> (Vec<u8>, i64) + Send + Sync;

pub struct MemoryRuntime {
    state: Mutex<State>,
    up: AtomicBool,
    next_id: AtomicU64,
    events: broadcast::Sender<LifecycleEvent>,
    capacity: HostCapacity,
    answer: Box<ExecAnswer>,
}

#[derive(Default)]
struct State {
    containers: HashMap<String, Container>,
    volumes: BTreeSet<String>,
    images: BTreeSet<String>,
}

struct Container {
    spec: ContainerSpec,
    state: ContainerState,
    started_at: Option<i64>,
}

impl MemoryRuntime {
    /// A machine of 2 CPUs and 4 GiB with `images` on it, whose execs print nothing and
    /// succeed.
    pub fn new(images: &[&str]) -> Self {
        Self::answering(images, Box::new(|_| (Vec::new(), 0)))
    }

    /// Like [`MemoryRuntime::new`], with execs answered by `answer`.
    pub fn answering(images: &[&str], answer: Box<ExecAnswer>) -> Self {
        let state = State {
            images: images.iter().map(|i| i.to_string()).collect(),
            ..State::default()
        };
        Self {
            state: Mutex::new(state),
            up: AtomicBool::new(true),
            next_id: AtomicU64::new(1),
            events: broadcast::channel(64).0,
            capacity: HostCapacity {
                cpus: 2,
                memory_bytes: 4 << 30,
            },
            answer,
        }
    }

    /// Makes the engine unreachable (`false`) or reachable again.
    pub fn set_reachable(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }

    /// Ends the container `id` unasked and reports it lost, as a cluster evicting its Pod
    /// would.
    pub fn lose(&self, id: &str) {
        let workspace = {
            let mut state = self.lock();
            let Some(container) = state.containers.get_mut(id) else {
                return;
            };
            container.state = ContainerState::Exited;
            container.spec.labels.get(labels::WORKSPACE).cloned()
        };
        let _ = self.events.send(LifecycleEvent {
            workspace,
            kind: LifecycleKind::Lost,
        });
    }

    /// What the container `id` was made from.
    pub fn spec_of(&self, id: &str) -> Option<ContainerSpec> {
        self.lock().containers.get(id).map(|c| c.spec.clone())
    }

    /// The volumes that exist, by name.
    pub fn volumes(&self) -> Vec<String> {
        self.lock().volumes.iter().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.locked()
    }

    fn reachable(&self) -> Result<(), RuntimeError> {
        if self.up.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(RuntimeError::Unavailable {
                engine: Engine::Memory,
                address: self.address().into(),
                detail: "switched off".into(),
            })
        }
    }

    /// Runs `change` on the container `id` and announces it.
    fn change(&self, id: &str, change: impl FnOnce(&mut Container)) -> Option<()> {
        let workspace = {
            let mut state = self.lock();
            let container = state.containers.get_mut(id)?;
            change(container);
            container.spec.labels.get(labels::WORKSPACE).cloned()
        };
        let _ = self.events.send(LifecycleEvent {
            workspace,
            kind: LifecycleKind::Changed,
        });
        Some(())
    }

    fn changed(&self, id: &str, change: impl FnOnce(&mut Container)) -> Result<(), RuntimeError> {
        self.reachable()?;
        self.change(id, change)
            .ok_or_else(|| RuntimeError::NotFound(format!("no container {id}")))
    }

    fn within_capacity(&self, spec: &ContainerSpec) -> Result<(), RuntimeError> {
        if spec.limits.cpus > f64::from(self.capacity.cpus) {
            return Err(RuntimeError::InvalidLimits(format!(
                "this machine has {} CPUs",
                self.capacity.cpus
            )));
        }
        Ok(())
    }

    fn info(id: &str, container: &Container) -> ContainerInfo {
        ContainerInfo {
            id: id.to_owned(),
            state: container.state,
            labels: container.spec.labels.clone(),
            image: container.spec.image.clone(),
            node: None,
        }
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[async_trait::async_trait]
impl ContainerRuntime for MemoryRuntime {
    fn engine(&self) -> Engine {
        Engine::Memory
    }

    fn address(&self) -> &str {
        "memory"
    }

    async fn ping(&self) -> Result<(), RuntimeError> {
        self.reachable()
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String, RuntimeError> {
        self.reachable()?;
        self.within_capacity(spec)?;
        let id = format!("mem{}", self.next_id.fetch_add(1, Ordering::SeqCst));
        {
            let mut state = self.lock();
            if !state.images.contains(&spec.image) {
                return Err(RuntimeError::NotFound(format!("no image {}", spec.image)));
            }
            if state.containers.values().any(|c| c.spec.name == spec.name) {
                return Err(RuntimeError::NameTaken(spec.name.clone()));
            }
            state.volumes.insert(spec.volume.clone());
            let container = Container {
                spec: spec.clone(),
                state: ContainerState::Created,
                started_at: None,
            };
            state.containers.insert(id.clone(), container);
        }
        self.change(&id, |_| {});
        Ok(id)
    }

    async fn start_container(&self, id: &str) -> Result<(), RuntimeError> {
        self.changed(id, |c| {
            if c.state != ContainerState::Running {
                c.state = ContainerState::Running;
                c.started_at = Some(now());
            }
        })
    }

    async fn stop_container(&self, id: &str, _grace: Duration) -> Result<(), RuntimeError> {
        self.changed(id, |c| {
            if c.state == ContainerState::Running {
                c.state = ContainerState::Exited;
            }
        })
    }

    async fn remove_container(&self, id: &str) -> Result<(), RuntimeError> {
        self.changed(id, |_| {})?;
        self.lock().containers.remove(id);
        Ok(())
    }

    async fn remove_volume(&self, name: &str) -> Result<(), RuntimeError> {
        self.reachable()?;
        let mut state = self.lock();
        if state.containers.values().any(|c| c.spec.volume == name) {
            return Err(RuntimeError::InUse(format!("volume {name}")));
        }
        match state.volumes.remove(name) {
            true => Ok(()),
            false => Err(RuntimeError::NotFound(format!("no volume {name}"))),
        }
    }

    async fn list_managed(&self) -> Result<Vec<ContainerInfo>, RuntimeError> {
        self.reachable()?;
        let state = self.lock();
        Ok(state
            .containers
            .iter()
            .filter(|(_, c)| c.spec.labels.contains_key(labels::MANAGED))
            .map(|(id, c)| Self::info(id, c))
            .collect())
    }

    async fn inspect(&self, id: &str) -> Result<ContainerDetails, RuntimeError> {
        self.reachable()?;
        let state = self.lock();
        // By id or, as Docker does, by name.
        let (id, container) = state
            .containers
            .iter()
            .find(|(key, c)| *key == id || c.spec.name == id)
            .ok_or_else(|| RuntimeError::NotFound(format!("no container {id}")))?;
        let running = container.state == ContainerState::Running;
        Ok(ContainerDetails {
            info: Self::info(id, container),
            started_at: container.started_at,
            limits: Some(container.spec.limits),
            address: running.then_some(std::net::Ipv4Addr::LOCALHOST.into()),
        })
    }

    async fn update_container(&self, id: &str, spec: &ContainerSpec) -> Result<(), RuntimeError> {
        self.within_capacity(spec)?;
        self.changed(id, |c| {
            c.spec.limits = spec.limits;
            c.spec.network = spec.network;
        })
    }

    /// Nothing here reaches anything: every network is as good as another.
    async fn open_network_unavailable(&self) -> Option<String> {
        None
    }

    fn lifecycle_events(&self) -> BoxStream<'static, Result<LifecycleEvent, RuntimeError>> {
        if let Err(e) = self.reachable() {
            return futures::stream::once(async move { Err(e) }).boxed();
        }
        tokio_stream::wrappers::BroadcastStream::new(self.events.subscribe())
            .filter_map(|event| async move { event.ok().map(Ok) })
            .boxed()
    }

    /// Nothing runs here, so nothing is used.
    fn resource_readings(
        &self,
        _id: &str,
    ) -> BoxStream<'static, Result<ResourceReading, RuntimeError>> {
        futures::stream::empty().boxed()
    }

    async fn host_capacity(&self) -> Result<HostCapacity, RuntimeError> {
        self.reachable()?;
        Ok(self.capacity)
    }

    /// An empty folder: nothing is ever written inside.
    fn copy_out(&self, _id: &str, _path: &str) -> ByteStream {
        let empty = tar::Builder::new(Vec::new())
            .into_inner()
            .unwrap_or_default();
        futures::stream::once(async move { Ok(Bytes::from(empty)) }).boxed()
    }

    /// Taken and forgotten: nothing inside is ever read.
    async fn copy_into(&self, id: &str, _path: &str, _archive: Bytes) -> Result<(), RuntimeError> {
        self.changed(id, |_| {})
    }

    async fn exec(
        &self,
        id: &str,
        spec: &ExecSpec,
        stdin: Option<ByteStream>,
    ) -> Result<ExecProcess, RuntimeError> {
        self.reachable()?;
        match self.lock().containers.get(id).map(|c| c.state) {
            None => return Err(RuntimeError::NotFound(format!("no container {id}"))),
            Some(ContainerState::Running) => {}
            Some(_) => return Err(RuntimeError::NotRunning(id.to_owned())),
        }
        if let Some(stdin) = stdin {
            tokio::spawn(stdin.for_each(|_| async {}));
        }
        let (output, status) = (self.answer)(spec);
        Ok(ExecProcess {
            output: futures::stream::iter([Ok(ExecChunk::Stdout(output.into()))]).boxed(),
            exit: Box::pin(async move { Ok(status) }),
        })
    }
}

#[async_trait::async_trait]
impl ImageStore for MemoryRuntime {
    async fn image_exists(&self, reference: &str) -> Result<bool, RuntimeError> {
        self.reachable()?;
        Ok(self.lock().images.contains(reference))
    }

    /// An image's id here is its reference.
    async fn image_id(&self, reference: &str) -> Result<Option<String>, RuntimeError> {
        self.reachable()?;
        Ok(self
            .lock()
            .images
            .contains(reference)
            .then(|| reference.to_owned()))
    }

    async fn list_images(&self) -> Result<Vec<String>, RuntimeError> {
        self.reachable()?;
        Ok(self.lock().images.iter().cloned().collect())
    }

    async fn import_image(
        &self,
        tarball: ByteStream,
        reference: &str,
        _changes: &[String],
    ) -> Result<(), RuntimeError> {
        self.reachable()?;
        tarball.for_each(|_| async {}).await;
        self.lock().images.insert(reference.to_owned());
        Ok(())
    }

    async fn build_image(
        &self,
        _context: Bytes,
        build: &ImageBuild,
        progress: &(dyn Fn(BuildLine) + Send + Sync),
    ) -> Result<(), RuntimeError> {
        self.reachable()?;
        progress(BuildLine {
            step: Some((1, 1)),
            text: format!("Step 1/1 : {}", build.dockerfile),
        });
        self.lock().images.insert(build.reference.clone());
        Ok(())
    }

    /// No registry is reachable from memory.
    async fn pull_image(
        &self,
        reference: &str,
        _progress: &(dyn Fn(PullProgress) + Send + Sync),
    ) -> Result<(), RuntimeError> {
        self.reachable()?;
        Err(RuntimeError::NotFound(format!(
            "{reference}: no registry here"
        )))
    }
}
