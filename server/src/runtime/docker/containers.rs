//! Container and volume lifecycle, listing and the event stream, on Docker.

use std::collections::HashMap;
use std::time::Duration;

use app::model::Limits;
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, ContainerUpdateBody, EventMessage, HostConfig,
    Mount, MountType, MountVolumeOptions, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptions, EventsOptions, ListContainersOptions, RemoveContainerOptions,
    RemoveVolumeOptions, StopContainerOptions,
};
use futures::stream::{BoxStream, StreamExt};

use super::{conflict_means, refused, refused_as_such, unreachable_at, DockerRuntime};
use crate::runtime::{
    labels, ContainerDetails, ContainerInfo, ContainerSpec, ContainerState, LifecycleEvent,
    LifecycleKind, RuntimeError,
};

/// The lifecycle actions that change what the dashboard shows, and the kernel's OOM kill.
const LIFECYCLE_ACTIONS: [&str; 10] = [
    "create", "start", "stop", "die", "destroy", "pause", "unpause", "restart", "rename", "oom",
];

fn managed_filter() -> HashMap<String, Vec<String>> {
    HashMap::from([(
        "label".to_owned(),
        vec![format!("{}=true", labels::MANAGED)],
    )])
}

/// The settings Docker can change on an existing container: the limits (swap capped at
/// the memory limit) and a restart policy that brings a running workspace back after the
/// engine restarts, but leaves a stopped one stopped.
pub(super) fn update_body(spec: &ContainerSpec) -> ContainerUpdateBody {
    let memory = (spec.limits.memory_mib * 1024 * 1024) as i64;
    ContainerUpdateBody {
        memory: Some(memory),
        memory_swap: Some(memory),
        nano_cpus: Some((spec.limits.cpus * 1e9).round() as i64),
        pids_limit: Some(i64::from(spec.limits.processes)),
        restart_policy: Some(RestartPolicy {
            name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
            maximum_retry_count: None,
        }),
        ..Default::default()
    }
}

/// Hardened Docker settings for a workspace: all capabilities dropped but the listed ones,
/// no privilege escalation, an init process as PID 1 (so `docker stop` is immediate), the
/// changeable settings of [`update_body`], and `network`, its own. The only mount is the
/// workspace's named volume.
pub(super) fn create_body(spec: &ContainerSpec, network: &str) -> ContainerCreateBody {
    let changeable = update_body(spec);
    let mount = Mount {
        target: Some(spec.mount_path.clone()),
        source: Some(spec.volume.clone()),
        typ: Some(MountType::VOLUME),
        volume_options: Some(MountVolumeOptions {
            labels: Some(spec.labels.clone()),
            ..Default::default()
        }),
        ..Default::default()
    };
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        hostname: spec.labels.get(labels::NAME).cloned(),
        user: Some(spec.user.clone()),
        cmd: Some(spec.command.clone()),
        env: (!spec.env.is_empty()).then(|| spec.env.clone()),
        working_dir: Some(spec.mount_path.clone()),
        labels: Some(spec.labels.clone()),
        host_config: Some(HostConfig {
            init: Some(true),
            privileged: Some(false),
            cap_drop: Some(vec!["ALL".to_owned()]),
            cap_add: Some(spec.capabilities.clone()),
            security_opt: (!spec.new_privileges).then(|| vec!["no-new-privileges:true".to_owned()]),
            pids_limit: changeable.pids_limit,
            memory: changeable.memory,
            memory_swap: changeable.memory_swap,
            nano_cpus: changeable.nano_cpus,
            restart_policy: changeable.restart_policy,
            mounts: Some(vec![mount]),
            network_mode: Some(network.to_owned()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The workspace a container belongs to, which names its networks.
fn workspace_of(spec: &ContainerSpec) -> &str {
    spec.labels
        .get(labels::WORKSPACE)
        .map_or(spec.name.as_str(), String::as_str)
}

impl DockerRuntime {
    pub(super) async fn create(&self, spec: &ContainerSpec) -> Result<String, RuntimeError> {
        let network = self
            .ensure_network(workspace_of(spec), spec.network)
            .await?;
        let docker = self.client()?;
        let options = CreateContainerOptions {
            name: Some(spec.name.clone()),
            ..Default::default()
        };
        let created = self
            .call_answering(
                "create container",
                self.timeout,
                docker.create_container(Some(options), create_body(spec, &network)),
                conflict_means(RuntimeError::NameTaken),
            )
            .await?;
        Ok(created.id)
    }

    pub(super) async fn start(&self, id: &str) -> Result<(), RuntimeError> {
        let docker = self.client()?;
        self.call_answering(
            "start container",
            self.timeout,
            docker.start_container(id, None),
            already_done,
        )
        .await
    }

    pub(super) async fn stop(&self, id: &str, grace: Duration) -> Result<(), RuntimeError> {
        let docker = self.client()?;
        let options = StopContainerOptions {
            t: Some(grace.as_secs() as i32),
            ..Default::default()
        };
        // The daemon may need the whole grace period before it kills the container.
        self.call_answering(
            "stop container",
            self.timeout + grace,
            docker.stop_container(id, Some(options)),
            already_done,
        )
        .await
    }

    pub(super) async fn update(&self, id: &str, spec: &ContainerSpec) -> Result<(), RuntimeError> {
        let docker = self.client()?;
        self.call(
            "update container",
            docker.update_container(id, update_body(spec)),
        )
        .await?;
        self.attach_network(id, workspace_of(spec), spec.network)
            .await
    }

    /// Removes the container, then its workspace's networks (a container made again
    /// makes them again).
    pub(super) async fn remove(&self, id: &str) -> Result<(), RuntimeError> {
        let docker = self.client()?;
        let workspace = match self.inspect(id).await {
            Ok(details) => details.info.labels.get(labels::WORKSPACE).cloned(),
            Err(RuntimeError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let _permit = self.teardown.acquire().await;
        let options = RemoveContainerOptions {
            force: true,
            ..Default::default()
        };
        self.call(
            "remove container",
            docker.remove_container(id, Some(options)),
        )
        .await?;
        if let Some(workspace) = workspace {
            if let Err(e) = self.remove_networks(&workspace).await {
                tracing::warn!(error = %e, %workspace, "a workspace network was left behind");
            }
        }
        Ok(())
    }

    pub(super) async fn remove_volume(&self, name: &str) -> Result<(), RuntimeError> {
        let docker = self.client()?;
        let _permit = self.teardown.acquire().await;
        self.call_answering(
            "remove volume",
            self.timeout,
            docker.remove_volume(name, None::<RemoveVolumeOptions>),
            conflict_means(RuntimeError::InUse),
        )
        .await
    }

    pub(super) async fn list(&self) -> Result<Vec<ContainerInfo>, RuntimeError> {
        let docker = self.client()?;
        let options = ListContainersOptions {
            all: true,
            filters: Some(managed_filter()),
            ..Default::default()
        };
        let summaries = self
            .call("list containers", docker.list_containers(Some(options)))
            .await?;
        Ok(summaries
            .into_iter()
            .filter_map(|s| {
                Some(ContainerInfo {
                    id: s.id?,
                    state: parse_state(s.state?.as_ref())?,
                    labels: s.labels.unwrap_or_default(),
                    image: s.image.unwrap_or_default(),
                    node: None,
                })
            })
            .collect())
    }

    pub(super) async fn inspect(&self, id: &str) -> Result<ContainerDetails, RuntimeError> {
        let docker = self.client()?;
        let response = self
            .call("inspect container", docker.inspect_container(id, None))
            .await?;
        details(response).ok_or_else(|| refused(format!("incomplete inspect of {id}")))
    }

    pub(super) fn events(&self) -> BoxStream<'static, Result<LifecycleEvent, RuntimeError>> {
        let docker = match self.client() {
            Ok(docker) => docker,
            Err(e) => return futures::stream::once(async move { Err(e) }).boxed(),
        };
        let mut filters = managed_filter();
        filters.insert("type".into(), vec!["container".into()]);
        filters.insert(
            "event".into(),
            LIFECYCLE_ACTIONS.iter().map(|a| a.to_string()).collect(),
        );
        let options = EventsOptions {
            filters: Some(filters),
            ..Default::default()
        };
        let unreachable = unreachable_at(&self.address);
        docker
            .events(Some(options))
            .map(move |event| event.map(lifecycle_event).map_err(&unreachable))
            .boxed()
    }
}

/// Docker answers 304 to starting a running container or stopping a stopped one: the
/// state asked for is the state it is in.
fn already_done(status: u16, message: String) -> Result<(), RuntimeError> {
    match status {
        304 => Ok(()),
        _ => refused_as_such(status, message),
    }
}

fn lifecycle_event(message: EventMessage) -> LifecycleEvent {
    let kind = match message.action.as_deref() {
        Some("oom") => LifecycleKind::OutOfMemory,
        _ => LifecycleKind::Changed,
    };
    // Docker puts the container's labels among the event's attributes.
    let workspace = message
        .actor
        .and_then(|actor| actor.attributes)
        .and_then(|mut attributes| attributes.remove(labels::WORKSPACE));
    LifecycleEvent { workspace, kind }
}

/// Docker's state names, the same in listings and inspections.
fn parse_state(state: &str) -> Option<ContainerState> {
    Some(match state {
        "created" => ContainerState::Created,
        "running" => ContainerState::Running,
        "paused" => ContainerState::Paused,
        "restarting" => ContainerState::Restarting,
        "removing" => ContainerState::Removing,
        "exited" | "stopping" => ContainerState::Exited,
        "dead" => ContainerState::Dead,
        _ => return None,
    })
}

fn details(response: ContainerInspectResponse) -> Option<ContainerDetails> {
    let state = response.state?;
    let config = response.config.unwrap_or_default();
    let address = response
        .network_settings
        .and_then(|settings| settings.networks)
        .into_iter()
        .flat_map(|networks| networks.into_values())
        .filter_map(|endpoint| endpoint.ip_address?.parse().ok())
        .next();
    let limits = response.host_config.and_then(|host| {
        let cpus = host.nano_cpus? as f64 / 1e9;
        let memory_mib = (host.memory? / (1024 * 1024)) as u64;
        let processes = host
            .pids_limit
            .and_then(|limit| u32::try_from(limit).ok())
            .filter(|limit| *limit > 0)
            .unwrap_or(Limits::DEFAULT.processes);
        Some(Limits {
            cpus,
            memory_mib,
            processes,
        })
    });
    Some(ContainerDetails {
        info: ContainerInfo {
            id: response.id?,
            state: parse_state(state.status?.as_ref())?,
            labels: config.labels.unwrap_or_default(),
            image: config.image.unwrap_or_default(),
            node: None,
        },
        started_at: state.started_at.as_deref().and_then(parse_docker_time),
        limits,
        address,
    })
}

/// Docker reports times as RFC 3339 with nanoseconds, and "0001-01-01T00:00:00Z" for never.
fn parse_docker_time(text: &str) -> Option<i64> {
    let parsed =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    (parsed.year() > 1).then(|| parsed.unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ContainerSpec {
        ContainerSpec {
            name: "aicockpit-web".into(),
            image: "img:1".into(),
            volume: "aicockpit-web-files".into(),
            mount_path: "/workspace".into(),
            user: "1000:1000".into(),
            command: vec!["sleep".into(), "infinity".into()],
            env: vec!["A=1".into()],
            labels: HashMap::from([(labels::NAME.to_owned(), "web".to_owned())]),
            limits: Limits {
                cpus: 1.5,
                memory_mib: 512,
                processes: 256,
            },
            capabilities: vec!["CHOWN".into()],
            new_privileges: false,
            network: crate::runtime::NetworkMode::Isolated,
        }
    }

    #[test]
    fn create_body_is_hardened_and_limited() {
        let body = create_body(&spec(), "aicockpit-w1-isolated");
        assert_eq!(body.env, Some(vec!["A=1".to_owned()]));
        let host = body.host_config.unwrap();
        assert_eq!(host.init, Some(true));
        assert_eq!(host.privileged, Some(false));
        assert_eq!(host.cap_drop, Some(vec!["ALL".to_owned()]));
        assert_eq!(
            host.security_opt,
            Some(vec!["no-new-privileges:true".to_owned()])
        );
        assert_eq!(host.nano_cpus, Some(1_500_000_000));
        let sudo = create_body(
            &ContainerSpec {
                new_privileges: true,
                ..spec()
            },
            "n",
        );
        assert_eq!(sudo.host_config.unwrap().security_opt, None);
        assert_eq!(host.memory, Some(512 * 1024 * 1024));
        assert_eq!(host.pids_limit, Some(256));
        assert!(host.binds.is_none(), "no host bind mounts");
        let mounts = host.mounts.unwrap();
        assert_eq!(mounts.len(), 1);
        assert_eq!(mounts[0].typ, Some(MountType::VOLUME));
        assert_eq!(body.user.as_deref(), Some("1000:1000"));
        assert_eq!(
            host.network_mode.as_deref(),
            Some("aicockpit-w1-isolated"),
            "its own network, never the default bridge"
        );
        assert_eq!(body.hostname.as_deref(), Some("web"));
        assert_eq!(
            host.restart_policy.and_then(|p| p.name),
            Some(RestartPolicyNameEnum::UNLESS_STOPPED),
            "a running workspace comes back after the engine restarts"
        );
    }

    #[test]
    fn events_name_their_workspace_and_the_oom_kill() {
        let message = |action: &str| EventMessage {
            action: Some(action.into()),
            actor: Some(bollard::models::EventActor {
                id: Some("c1".into()),
                attributes: Some(HashMap::from([(
                    labels::WORKSPACE.to_owned(),
                    "w1".to_owned(),
                )])),
            }),
            ..Default::default()
        };
        assert_eq!(
            lifecycle_event(message("oom")),
            LifecycleEvent {
                workspace: Some("w1".into()),
                kind: LifecycleKind::OutOfMemory
            }
        );
        assert_eq!(lifecycle_event(message("die")).kind, LifecycleKind::Changed);
        assert_eq!(lifecycle_event(EventMessage::default()).workspace, None);
    }

    #[test]
    fn state_names_parse() {
        assert_eq!(parse_state("running"), Some(ContainerState::Running));
        assert_eq!(parse_state("exited"), Some(ContainerState::Exited));
        assert_eq!(parse_state(""), None);
    }

    #[test]
    fn docker_times_parse_and_zero_means_never() {
        assert_eq!(
            parse_docker_time("2024-01-02T03:04:05.123456789Z"),
            Some(1_704_164_645)
        );
        assert_eq!(parse_docker_time("0001-01-01T00:00:00Z"), None);
        assert_eq!(parse_docker_time("garbage"), None);
    }
}
