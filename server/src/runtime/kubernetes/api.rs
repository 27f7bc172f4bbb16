//! Calls to the API server, each under the runtime's timeout with its error in the port's
//! terms, and the waits between them (a Pod or claim gone, a Pod running: the API does not
//! announce these to a plain call, so they are looked for).

use std::future::Future;
use std::time::Duration;

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};

use super::{policy, spec, KubernetesRuntime};
use crate::runtime::{ContainerSpec, Engine, RuntimeError};

impl KubernetesRuntime {
    pub(super) fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &self.settings.namespace)
    }

    pub(super) fn claims(&self) -> Api<PersistentVolumeClaim> {
        Api::namespaced(self.client.clone(), &self.settings.namespace)
    }

    pub(super) fn policies(&self) -> Api<NetworkPolicy> {
        Api::namespaced(self.client.clone(), &self.settings.namespace)
    }

    /// Makes or replaces the workspace's NetworkPolicy (server-side apply, so one call
    /// does either).
    pub(super) async fn apply_policy(&self, record: &ContainerSpec) -> Result<(), RuntimeError> {
        let policy = policy::network_policy(record);
        let params = PatchParams::apply("aicockpit").force();
        self.call(
            "apply network policy",
            self.policies()
                .patch(&record.name, &params, &Patch::Apply(&policy)),
        )
        .await
        .map(drop)
    }

    /// Deletes the workspace's NetworkPolicy; none is fine.
    pub(super) async fn delete_policy(&self, name: &str) -> Result<(), RuntimeError> {
        match self
            .call(
                "delete network policy",
                self.policies().delete(name, &DeleteParams::default()),
            )
            .await
        {
            Ok(_) | Err(RuntimeError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Runs one API call under the regular timeout.
    pub(super) async fn call<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T, kube::Error>>,
    ) -> Result<T, RuntimeError> {
        match tokio::time::timeout(self.settings.timeout, call).await {
            Ok(result) => result.map_err(|e| self.map_error(e)),
            Err(_) => Err(RuntimeError::Timeout {
                engine: Engine::Kubernetes,
                operation,
                after: self.settings.timeout,
            }),
        }
    }

    pub(super) fn map_error(&self, error: kube::Error) -> RuntimeError {
        map_error(&self.address, error)
    }

    /// The record of the container on the claim `id`; `NotFound` without either.
    pub(super) async fn record(&self, id: &str) -> Result<ContainerSpec, RuntimeError> {
        let claim = self.call("read claim", self.claims().get(id)).await?;
        spec::record_of(&claim)
            .ok_or_else(|| RuntimeError::NotFound(format!("no container on the claim {id}")))
    }

    /// The name of the Pod of the claim `id`, read from its record once: every process
    /// (each file operation, each terminal) needs it, and it never changes for a claim.
    pub(super) async fn pod_name(&self, id: &str) -> Result<String, RuntimeError> {
        if let Some(name) = self.pod_names.get(id) {
            return Ok(name);
        }
        let name = self.record(id).await?.name;
        self.pod_names.set(id, &name);
        Ok(name)
    }

    pub(super) async fn pod(&self, name: &str) -> Result<Option<Pod>, RuntimeError> {
        self.call("read pod", self.pods().get_opt(name)).await
    }

    /// Waits until the Pod `name` is gone, for at most `within`.
    pub(super) async fn until_gone(
        &self,
        name: &str,
        within: Duration,
    ) -> Result<(), RuntimeError> {
        let deadline = tokio::time::Instant::now() + within;
        while self.pod(name).await?.is_some() {
            if tokio::time::Instant::now() > deadline {
                return Err(RuntimeError::Timeout {
                    engine: Engine::Kubernetes,
                    operation: "remove pod",
                    after: within,
                });
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(())
    }

    /// Deletes the Pod `name` (gone already is fine) and waits until it is.
    pub(super) async fn delete_pod(&self, name: &str, grace: Duration) -> Result<(), RuntimeError> {
        // 0 would remove the object at once while its processes may still run (and
        // hold the claim): the kubelet gets at least a second.
        let params = DeleteParams {
            grace_period_seconds: Some(grace.max(MIN_GRACE).as_secs() as u32),
            ..Default::default()
        };
        self.deleting.begin(name);
        match self
            .call("delete pod", self.pods().delete(name, &params))
            .await
        {
            Ok(_) => {}
            // Gone already: no deletion of ours will be announced.
            Err(RuntimeError::NotFound(_)) => {
                self.deleting.end(name);
            }
            Err(e) => {
                self.deleting.end(name);
                return Err(e);
            }
        }
        self.until_gone(name, grace + self.settings.timeout).await
    }

    pub(super) async fn create_claim(&self, spec: &ContainerSpec) -> Result<(), RuntimeError> {
        let claim = spec::claim(spec, &self.settings.storage);
        self.call(
            "create claim",
            self.claims().create(&PostParams::default(), &claim),
        )
        .await
        .map(drop)
    }

    /// Waits until the claim `name` is gone (its protection finalizer waits for the Pods
    /// that used it), for at most the start timeout.
    pub(super) async fn until_claim_gone(&self, name: &str) -> Result<(), RuntimeError> {
        let within = self.settings.start_timeout;
        let deadline = tokio::time::Instant::now() + within;
        while self
            .call("read claim", self.claims().get_opt(name))
            .await?
            .is_some()
        {
            if tokio::time::Instant::now() > deadline {
                return Err(RuntimeError::Timeout {
                    engine: Engine::Kubernetes,
                    operation: "remove claim",
                    after: within,
                });
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(())
    }

    /// Replaces the record on the claim `id` (`None` removes it).
    pub(super) async fn set_record(
        &self,
        id: &str,
        record: Option<&ContainerSpec>,
    ) -> Result<(), RuntimeError> {
        let patch = serde_json::json!({
            "metadata": { "annotations": { spec::RECORD: record.map(spec::record) } }
        });
        let params = PatchParams::default();
        self.call(
            "update claim",
            self.claims().patch(id, &params, &Patch::Merge(&patch)),
        )
        .await
        .map(drop)
    }
}

/// The shortest grace period a Pod is deleted with.
pub(super) const MIN_GRACE: Duration = Duration::from_secs(1);

/// How often a change the API does not announce (a Pod gone, a Pod running) is looked for.
pub(super) const POLL: Duration = Duration::from_millis(250);

pub(super) fn map_error(address: &str, error: kube::Error) -> RuntimeError {
    let refused = |message: String| RuntimeError::Refused {
        engine: Engine::Kubernetes,
        message,
    };
    match error {
        kube::Error::Api(status) => match status.code {
            404 => RuntimeError::NotFound(status.message),
            // Only creates are sent without a resource version: the name is in use.
            409 => RuntimeError::NameTaken(status.message),
            // RBAC's refusal ("… cannot create resource "pods" …"), not admission's.
            403 if status.message.contains(" cannot ") && status.message.contains(" resource ") => {
                refused(format!(
                    "{} (AiCockpit's service account may not do this: see deploy/kubernetes/rbac.yaml)",
                    status.message
                ))
            }
            _ => refused(status.message),
        },
        kube::Error::HyperError(_)
        | kube::Error::Service(_)
        | kube::Error::Auth(_)
        | kube::Error::RustlsTls(_)
        | kube::Error::InferConfig(_) => RuntimeError::Unavailable {
            engine: Engine::Kubernetes,
            address: address.to_owned(),
            detail: error.to_string(),
        },
        other => refused(other.to_string()),
    }
}
