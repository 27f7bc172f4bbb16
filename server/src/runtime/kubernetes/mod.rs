//! The Kubernetes implementation of the runtime ports, with kube-rs: the only module that
//! talks to a cluster. A workspace is a PersistentVolumeClaim (its files, and the record
//! of its container) and, while it runs, a Pod made from that record (`spec`). Processes
//! run through the exec WebSocket (`exec`); lifecycle events come from a watch on the
//! Pods (`events`). Images are pulled by the cluster from a registry (`images`).

use crate::sync::Unpoisoned;

mod api;
mod events;
mod exec;
mod images;
#[cfg(test)]
mod loopback;
pub mod policy;
pub mod spec;
mod state;
#[cfg(test)]
mod tests;

use std::time::Duration;

use futures::stream::BoxStream;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::Client;

use super::{
    ByteStream, ContainerDetails, ContainerInfo, ContainerRuntime, ContainerSpec, Engine,
    ExecProcess, ExecSpec, HostCapacity, LifecycleEvent, ResourceReading, RuntimeError,
};
use api::MIN_GRACE;
pub use spec::Storage;

/// How the Kubernetes runtime reaches its cluster and makes workspaces there.
#[derive(Debug, Clone)]
pub struct KubernetesSettings {
    /// Where every claim and Pod goes.
    pub namespace: String,
    pub storage: Storage,
    /// Every API call's limit.
    pub timeout: Duration,
    /// How long a start may take, image pull and scheduling included.
    pub start_timeout: Duration,
}

#[derive(Clone)]
pub struct KubernetesRuntime {
    client: Client,
    settings: KubernetesSettings,
    /// The API server's address, for messages.
    address: String,
    /// Pods this runtime is deleting: any other Pod that goes away was lost.
    deleting: events::Deleting,
    /// Each claim's Pod name, by claim.
    pod_names: PodNames,
}

/// Pod names by claim, shared by the runtime's clones.
#[derive(Clone, Default)]
struct PodNames(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>);

impl PodNames {
    fn get(&self, claim: &str) -> Option<String> {
        self.lock().get(claim).cloned()
    }

    fn set(&self, claim: &str, pod: &str) {
        self.lock().insert(claim.to_owned(), pod.to_owned());
    }

    fn forget(&self, claim: &str) {
        self.lock().remove(claim);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, String>> {
        self.0.locked()
    }
}

impl KubernetesRuntime {
    /// Connects with the kubeconfig found the usual way (`KUBECONFIG`, `~/.kube/config`, or
    /// the service account of the Pod AiCockpit runs in).
    pub async fn connect(settings: KubernetesSettings) -> Result<Self, RuntimeError> {
        let config = kube::Config::infer()
            .await
            .map_err(|e| unusable_config("the kubeconfig", e))?;
        Self::from_config(config, settings)
    }

    /// Connects with the kubeconfig file at `path` (its current context).
    pub async fn connect_to(
        path: &std::path::Path,
        settings: KubernetesSettings,
    ) -> Result<Self, RuntimeError> {
        let place = path.display().to_string();
        let kubeconfig =
            kube::config::Kubeconfig::read_from(path).map_err(|e| unusable_config(&place, e))?;
        let options = kube::config::KubeConfigOptions::default();
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| unusable_config(&place, e))?;
        Self::from_config(config, settings)
    }

    fn from_config(
        config: kube::Config,
        settings: KubernetesSettings,
    ) -> Result<Self, RuntimeError> {
        let address = config.cluster_url.to_string();
        let client = Client::try_from(config).map_err(|e| unusable_config(&address, e))?;
        Ok(Self::with_client(client, address, settings))
    }

    /// Runs on `client` (a test's mock service, say), which reaches `address`.
    pub fn with_client(client: Client, address: String, settings: KubernetesSettings) -> Self {
        Self {
            client,
            settings,
            address,
            deleting: Default::default(),
            pod_names: Default::default(),
        }
    }
}

fn unusable_config(place: &str, error: impl std::fmt::Display) -> RuntimeError {
    RuntimeError::Unavailable {
        engine: Engine::Kubernetes,
        address: place.to_owned(),
        detail: error.to_string(),
    }
}

#[async_trait::async_trait]
impl ContainerRuntime for KubernetesRuntime {
    fn engine(&self) -> Engine {
        Engine::Kubernetes
    }

    fn address(&self) -> &str {
        &self.address
    }

    async fn ping(&self) -> Result<(), RuntimeError> {
        let params = ListParams::default().limit(1);
        self.call("list pods", self.pods().list_metadata(&params))
            .await
            .map(drop)
    }

    /// Makes the claim (or takes the one kept from an earlier workspace) and records the
    /// container on it; the Pod is made by the start.
    async fn create_container(&self, spec: &ContainerSpec) -> Result<String, RuntimeError> {
        let id = spec.volume.clone();
        if self.pod(&spec.name).await?.is_some() {
            return Err(RuntimeError::NameTaken(spec.name.clone()));
        }
        let existing = self.call("read claim", self.claims().get_opt(&id)).await?;
        match existing {
            Some(claim) if spec::record_of(&claim).is_some() => {
                return Err(RuntimeError::NameTaken(spec.name.clone()))
            }
            // A claim being deleted (files not kept) cannot be mounted: a new one is made.
            Some(claim) if claim.metadata.deletion_timestamp.is_some() => {
                self.until_claim_gone(&id).await?;
                self.create_claim(spec).await?;
            }
            Some(_) => self.set_record(&id, Some(spec)).await?,
            None => self.create_claim(spec).await?,
        }
        Ok(id)
    }

    async fn start_container(&self, id: &str) -> Result<(), RuntimeError> {
        let record = self.record(id).await?;
        match self.pod(&record.name).await? {
            Some(pod) if state::is_current(&pod) => {}
            found => {
                // Evicted, or ended: made again, as Docker restarts a container.
                if found.is_some() {
                    self.delete_pod(&record.name, MIN_GRACE).await?;
                }
                // Its network before the Pod, which never runs unfenced.
                self.apply_policy(&record).await?;
                let pod = spec::pod(&record);
                match self
                    .call(
                        "create pod",
                        self.pods().create(&PostParams::default(), &pod),
                    )
                    .await
                {
                    // Another start made it meanwhile: both wait for the same Pod.
                    Ok(_) | Err(RuntimeError::NameTaken(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        self.until_running(&record).await
    }

    async fn stop_container(&self, id: &str, grace: Duration) -> Result<(), RuntimeError> {
        let record = self.record(id).await?;
        self.delete_pod(&record.name, grace).await
    }

    async fn remove_container(&self, id: &str) -> Result<(), RuntimeError> {
        let record = self.record(id).await?;
        self.delete_pod(&record.name, MIN_GRACE).await?;
        self.pod_names.forget(id);
        self.delete_policy(&record.name).await?;
        self.set_record(id, None).await
    }

    async fn remove_volume(&self, name: &str) -> Result<(), RuntimeError> {
        let claim = self.call("read claim", self.claims().get(name)).await?;
        if spec::record_of(&claim).is_some() {
            return Err(RuntimeError::InUse(format!(
                "the claim {name} still belongs to a container"
            )));
        }
        self.call(
            "delete claim",
            self.claims().delete(name, &DeleteParams::default()),
        )
        .await?;
        self.until_claim_gone(name).await
    }

    async fn list_managed(&self) -> Result<Vec<ContainerInfo>, RuntimeError> {
        let params = ListParams::default().labels(&spec::managed_selector());
        let claims = self
            .call("list claims", self.claims().list(&params))
            .await?;
        let pods = self.call("list pods", self.pods().list(&params)).await?;
        Ok(state::listing(claims.items, pods.items))
    }

    async fn inspect(&self, id: &str) -> Result<ContainerDetails, RuntimeError> {
        let record = self.record(id).await?;
        let pod = self.pod(&record.name).await?;
        Ok(state::details(id, &record, pod.as_ref()))
    }

    /// Kept in the record: a running Pod's limits change at its next start, its network
    /// at once.
    async fn update_container(&self, id: &str, spec: &ContainerSpec) -> Result<(), RuntimeError> {
        let record = self.record(id).await?;
        let updated = ContainerSpec {
            limits: spec.limits,
            network: spec.network,
            ..record
        };
        self.set_record(id, Some(&updated)).await?;
        self.apply_policy(&updated).await
    }

    /// Any: the policy is the cluster's to enforce.
    async fn open_network_unavailable(&self) -> Option<String> {
        None
    }

    fn lifecycle_events(&self) -> BoxStream<'static, Result<LifecycleEvent, RuntimeError>> {
        events::watch(self.pods(), self.address.clone(), self.deleting.clone())
    }

    /// Not measured here: the metrics API is not among what AiCockpit's Role may read.
    fn resource_readings(
        &self,
        _id: &str,
    ) -> BoxStream<'static, Result<ResourceReading, RuntimeError>> {
        Box::pin(futures::stream::empty())
    }

    async fn host_capacity(&self) -> Result<HostCapacity, RuntimeError> {
        Err(RuntimeError::Refused {
            engine: Engine::Kubernetes,
            message: "the nodes' capacity is not among what AiCockpit's Role may read".into(),
        })
    }

    fn copy_out(&self, id: &str, path: &str) -> ByteStream {
        exec::copy_out(self, id.to_owned(), path.to_owned())
    }

    async fn copy_into(
        &self,
        id: &str,
        path: &str,
        archive: bytes::Bytes,
    ) -> Result<(), RuntimeError> {
        exec::copy_into(self, id, path, archive).await
    }

    async fn exec(
        &self,
        id: &str,
        spec: &ExecSpec,
        stdin: Option<ByteStream>,
    ) -> Result<ExecProcess, RuntimeError> {
        exec::exec(self, id, spec, stdin).await
    }
}
