//! Lifecycle events from a watch on the workspace Pods: every change to one is a change to
//! its workspace; a restart after the kernel killed it for memory is an OOM kill.

use std::collections::HashMap;

use futures::stream::{BoxStream, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher;
use kube::Api;

use super::api::map_error;
use super::spec;
use crate::runtime::{labels, LifecycleEvent, LifecycleKind, RuntimeError};

pub fn watch(
    pods: Api<Pod>,
    address: String,
) -> BoxStream<'static, Result<LifecycleEvent, RuntimeError>> {
    let config = watcher::Config::default().labels(&spec::managed_selector());
    // Restarts seen per Pod, so that one OOM kill is reported once.
    let mut restarts: HashMap<String, i32> = HashMap::new();
    watcher(pods, config)
        .filter_map(move |event| {
            let event = match event {
                Ok(watcher::Event::Apply(pod) | watcher::Event::InitApply(pod)) => {
                    Some(Ok(lifecycle_event(&pod, &mut restarts, false)))
                }
                Ok(watcher::Event::Delete(pod)) => {
                    Some(Ok(lifecycle_event(&pod, &mut restarts, true)))
                }
                Ok(watcher::Event::Init | watcher::Event::InitDone) => None,
                // The watch's resource version expired: the watcher lists again by itself.
                Err(watcher::Error::WatchError(status)) if status.code == 410 => None,
                Err(e) => Some(Err(map_error(&address, kube::Error::Service(Box::new(e))))),
            };
            async move { event }
        })
        .boxed()
}

fn lifecycle_event(
    pod: &Pod,
    restarts: &mut HashMap<String, i32>,
    deleted: bool,
) -> LifecycleEvent {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let status = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|s| s.iter().find(|s| s.name == spec::CONTAINER));
    let count = status.map_or(0, |s| s.restart_count);
    let before = if deleted {
        restarts.remove(&name)
    } else {
        restarts.insert(name, count)
    };
    let out_of_memory = status.and_then(|s| {
        s.last_state
            .as_ref()?
            .terminated
            .as_ref()?
            .reason
            .as_deref()
    }) == Some("OOMKilled");
    let kind = if out_of_memory && !deleted && before.is_some_and(|b| b < count) {
        LifecycleKind::OutOfMemory
    } else {
        LifecycleKind::Changed
    };
    let workspace = pod
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(labels::WORKSPACE).cloned());
    LifecycleEvent { workspace, kind }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateTerminated, ContainerStatus, PodStatus,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use std::collections::BTreeMap;

    fn pod(restart_count: i32, last: Option<&str>) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("aicockpit-ada.web".into()),
                labels: Some(BTreeMap::from([(
                    labels::WORKSPACE.to_owned(),
                    "w1".to_owned(),
                )])),
                ..Default::default()
            },
            status: Some(PodStatus {
                container_statuses: Some(vec![ContainerStatus {
                    name: spec::CONTAINER.into(),
                    restart_count,
                    last_state: last.map(|reason| ContainerState {
                        terminated: Some(ContainerStateTerminated {
                            reason: Some(reason.into()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn an_oom_kill_is_reported_once_and_names_its_workspace() {
        let mut seen = HashMap::new();
        let first = lifecycle_event(&pod(0, None), &mut seen, false);
        assert_eq!(
            first,
            LifecycleEvent {
                workspace: Some("w1".into()),
                kind: LifecycleKind::Changed
            }
        );
        let killed = lifecycle_event(&pod(1, Some("OOMKilled")), &mut seen, false);
        assert_eq!(killed.kind, LifecycleKind::OutOfMemory);
        let again = lifecycle_event(&pod(1, Some("OOMKilled")), &mut seen, false);
        assert_eq!(
            again.kind,
            LifecycleKind::Changed,
            "the same kill, seen again"
        );
        let crashed = lifecycle_event(&pod(2, Some("Error")), &mut seen, false);
        assert_eq!(crashed.kind, LifecycleKind::Changed);
        let gone = lifecycle_event(&pod(2, Some("OOMKilled")), &mut seen, true);
        assert_eq!(gone.kind, LifecycleKind::Changed);
        assert!(seen.is_empty());
    }
}
