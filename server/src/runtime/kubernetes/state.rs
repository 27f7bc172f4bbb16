//! What the port reports of a workspace on Kubernetes, read from its claim's record and
//! its Pod (if any): state, start time, address, and why a Pod cannot run.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};

use super::api::POLL;
use super::{spec, KubernetesRuntime};
use crate::runtime::{
    ContainerDetails, ContainerInfo, ContainerSpec, ContainerState, Engine, RuntimeError,
};

/// The Pod's state as the port names states; no Pod: stopped.
pub fn state_of(pod: Option<&Pod>) -> ContainerState {
    let Some(pod) = pod else {
        return ContainerState::Exited;
    };
    if pod.metadata.deletion_timestamp.is_some() {
        return ContainerState::Exited;
    }
    match pod.status.as_ref().and_then(|s| s.phase.as_deref()) {
        Some("Running") if started(pod) => ContainerState::Running,
        Some("Running") if waiting_for(pod) == Some("CrashLoopBackOff") => {
            ContainerState::Restarting
        }
        Some("Running") | Some("Pending") | None => ContainerState::Created,
        Some("Succeeded") | Some("Failed") => ContainerState::Exited,
        _ => ContainerState::Dead,
    }
}

/// Whether the Pod is one a start can wait for: neither being deleted nor ended (an
/// evicted Pod stays, failed, until someone deletes it).
pub fn is_current(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && !matches!(
            pod.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        )
}

fn waiting_for(pod: &Pod) -> Option<&str> {
    container_status(pod)?
        .state
        .as_ref()?
        .waiting
        .as_ref()?
        .reason
        .as_deref()
}

/// Whether the workspace container is running (not waiting to be restarted).
fn started(pod: &Pod) -> bool {
    container_status(pod)
        .and_then(|s| s.state.as_ref())
        .is_some_and(|s| s.running.is_some())
}

fn container_status(pod: &Pod) -> Option<&k8s_openapi::api::core::v1::ContainerStatus> {
    pod.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .iter()
        .find(|s| s.name == spec::CONTAINER)
}

/// Unix seconds when the workspace container last started.
fn started_at(pod: &Pod) -> Option<i64> {
    let running = container_status(pod)?.state.as_ref()?.running.as_ref()?;
    Some(running.started_at.as_ref()?.0.as_second())
}

fn info(id: &str, record: &ContainerSpec, pod: Option<&Pod>) -> ContainerInfo {
    ContainerInfo {
        id: id.to_owned(),
        state: state_of(pod),
        labels: record.labels.clone(),
        image: record.image.clone(),
        node: pod.and_then(|p| p.spec.as_ref()?.node_name.clone()),
    }
}

pub fn details(id: &str, record: &ContainerSpec, pod: Option<&Pod>) -> ContainerDetails {
    let running = pod.filter(|pod| state_of(Some(pod)) == ContainerState::Running);
    ContainerDetails {
        info: info(id, record, pod),
        started_at: running.and_then(started_at),
        limits: Some(record.limits),
        address: running.and_then(|pod| pod.status.as_ref()?.pod_ip.as_deref()?.parse().ok()),
    }
}

/// Every claim with a container record, with the state of its Pod.
pub fn listing(claims: Vec<PersistentVolumeClaim>, pods: Vec<Pod>) -> Vec<ContainerInfo> {
    let pods: HashMap<String, Pod> = pods
        .into_iter()
        .filter_map(|pod| Some((pod.metadata.name.clone()?, pod)))
        .collect();
    claims
        .iter()
        .filter_map(|claim| {
            let record = spec::record_of(claim)?;
            let id = claim.metadata.name.as_deref()?;
            Some(info(id, &record, pods.get(&record.name)))
        })
        .collect()
}

/// Why the Pod will not run without someone changing something: an image that cannot be
/// pulled, a container that cannot be made or keeps crashing, no node that fits.
pub fn cannot_run(pod: &Pod) -> Option<String> {
    let waiting = container_status(pod)
        .and_then(|s| s.state.as_ref()?.waiting.as_ref())
        .filter(|w| {
            matches!(
                w.reason.as_deref(),
                Some(
                    "ErrImagePull"
                        | "ImagePullBackOff"
                        | "InvalidImageName"
                        | "CreateContainerConfigError"
                        | "CreateContainerError"
                        | "CrashLoopBackOff"
                )
            )
        });
    if let Some(waiting) = waiting {
        let reason = waiting.reason.clone().unwrap_or_default();
        let message = waiting.message.clone().unwrap_or_default();
        return Some(match reason.as_str() {
            "ErrImagePull" | "ImagePullBackOff" | "InvalidImageName" => format!(
                "the cluster could not pull the image ({reason}: {message}). Kubernetes pulls images from a registry: push the image to one the cluster can reach, and name it in the template or the create form"
            ),
            _ => format!("{reason}: {message}"),
        });
    }
    let conditions = pod.status.as_ref()?.conditions.as_ref()?;
    conditions
        .iter()
        .find(|c| {
            c.type_ == "PodScheduled"
                && c.status == "False"
                && c.reason.as_deref() == Some("Unschedulable")
        })
        .map(|c| {
            format!(
                "no node can take it: {}",
                c.message.clone().unwrap_or_default()
            )
        })
}

impl KubernetesRuntime {
    /// Waits until the Pod of `record` runs, or says why it will not.
    pub(super) async fn until_running(&self, record: &ContainerSpec) -> Result<(), RuntimeError> {
        let within = self.settings.start_timeout;
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let pod = self.pod(&record.name).await?;
            if let Some(pod) = &pod {
                if state_of(Some(pod)) == ContainerState::Running {
                    return Ok(());
                }
                if let Some(reason) = cannot_run(pod) {
                    return Err(RuntimeError::Refused {
                        engine: Engine::Kubernetes,
                        message: reason,
                    });
                }
            }
            if tokio::time::Instant::now() > deadline {
                return Err(RuntimeError::Timeout {
                    engine: Engine::Kubernetes,
                    operation: "start pod",
                    after: within,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        ContainerState as K8sState, ContainerStateRunning, ContainerStateWaiting, ContainerStatus,
        PodCondition, PodStatus,
    };

    pub fn pod_in(phase: &str, state: K8sState) -> Pod {
        Pod {
            status: Some(PodStatus {
                phase: Some(phase.into()),
                pod_ip: Some("10.1.2.3".into()),
                container_statuses: Some(vec![ContainerStatus {
                    name: spec::CONTAINER.into(),
                    state: Some(state),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn running() -> K8sState {
        K8sState {
            running: Some(ContainerStateRunning {
                started_at: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                    "2026-12-05T10:00:00Z".parse().unwrap(),
                )),
            }),
            ..Default::default()
        }
    }

    fn waiting(reason: &str) -> K8sState {
        K8sState {
            waiting: Some(ContainerStateWaiting {
                reason: Some(reason.into()),
                message: Some("details".into()),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn states_follow_the_pod() {
        assert_eq!(state_of(None), ContainerState::Exited);
        assert_eq!(
            state_of(Some(&pod_in("Running", running()))),
            ContainerState::Running
        );
        assert_eq!(
            state_of(Some(&pod_in("Running", waiting("CrashLoopBackOff")))),
            ContainerState::Restarting
        );
        assert!(is_current(&pod_in("Running", running())));
        assert!(
            !is_current(&pod_in("Failed", K8sState::default())),
            "evicted"
        );
        assert_eq!(
            state_of(Some(&pod_in("Pending", waiting("ContainerCreating")))),
            ContainerState::Created
        );
        assert_eq!(
            state_of(Some(&pod_in("Failed", K8sState::default()))),
            ContainerState::Exited
        );
    }

    #[test]
    fn a_running_pod_has_its_start_and_address() {
        let record = spec::tests::spec();
        let details = details("claim", &record, Some(&pod_in("Running", running())));
        assert_eq!(details.started_at, Some(1_796_464_800));
        assert_eq!(details.address, Some("10.1.2.3".parse().unwrap()));
        assert_eq!(details.limits, Some(record.limits));
        let stopped = super::details("claim", &record, None);
        assert_eq!(
            (stopped.info.state, stopped.address),
            (ContainerState::Exited, None)
        );
    }

    #[test]
    fn pods_that_cannot_run_say_why() {
        let pull = cannot_run(&pod_in("Pending", waiting("ImagePullBackOff"))).unwrap();
        assert!(pull.contains("registry"), "{pull}");
        assert_eq!(
            cannot_run(&pod_in("Pending", waiting("ContainerCreating"))),
            None
        );
        let mut unschedulable = pod_in("Pending", K8sState::default());
        unschedulable.status.as_mut().unwrap().conditions = Some(vec![PodCondition {
            type_: "PodScheduled".into(),
            status: "False".into(),
            reason: Some("Unschedulable".into()),
            message: Some("0/3 nodes are available: 3 Insufficient cpu.".into()),
            ..Default::default()
        }]);
        assert!(cannot_run(&unschedulable)
            .unwrap()
            .contains("Insufficient cpu"));
    }
}
