//! What a workspace is made of on Kubernetes: a PersistentVolumeClaim that holds its files
//! and, on it, the record of its container (the port's [`ContainerSpec`]), and a Pod made
//! from that record while it runs. Stopping deletes the Pod; the claim and the record stay.
//! The Pod gets the same hardening as a Docker container, in Kubernetes' terms.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, Container, EmptyDirVolumeSource, EnvVar, PersistentVolumeClaim,
    PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource, Pod, PodSecurityContext, PodSpec,
    ResourceRequirements, SeccompProfile, SecurityContext, Volume, VolumeMount,
    VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::runtime::{labels, ContainerSpec};

/// The annotation on a claim that holds its container's record (JSON); no annotation: the
/// claim is a volume kept without a container.
pub const RECORD: &str = "io.aicockpit/container";
/// The one container in a workspace Pod.
pub const CONTAINER: &str = "workspace";
/// Where the terminal holder is copied: a Pod's root file system is not writable by the
/// workspace user, so it gets a small volume of its own, made again with every Pod.
pub const HOLDER_DIR: &str = "/.aicockpit";
/// Label selector for everything AiCockpit made.
pub fn managed_selector() -> String {
    format!("{}=true", labels::MANAGED)
}

/// How claims are made: the storage class (none: the cluster's default) and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    pub class: Option<String>,
    pub size: String,
}

/// The claim for `spec`'s volume, carrying its record.
pub fn claim(spec: &ContainerSpec, storage: &Storage) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some(spec.volume.clone()),
            labels: Some(label_map(spec)),
            annotations: Some(BTreeMap::from([(RECORD.to_owned(), record(spec))])),
            ..Default::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            storage_class_name: storage.class.clone(),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_owned(),
                    Quantity(storage.size.clone()),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn record(spec: &ContainerSpec) -> String {
    // Plain data: serialising it cannot fail.
    serde_json::to_string(spec).unwrap_or_default()
}

/// The record on `claim`, if it has one that reads.
pub fn record_of(claim: &PersistentVolumeClaim) -> Option<ContainerSpec> {
    let text = claim.metadata.annotations.as_ref()?.get(RECORD)?;
    serde_json::from_str(text).ok()
}

/// The Pod that runs `spec`: non-root (the spec's uid and gid), no privilege escalation
/// unless the spec allows it, every capability dropped but the spec's, the runtime's
/// default seccomp profile, no service account token, no host paths; requests and limits
/// from the spec's limits; the claim at the mount path. A shared process namespace puts
/// Kubernetes' pause process at PID 1, which reaps orphans as Docker's init does.
pub fn pod(spec: &ContainerSpec) -> Pod {
    let (uid, gid) = user_ids(&spec.user);
    let cpus = spec.limits.cpus;
    let memory = Quantity(format!("{}Mi", spec.limits.memory_mib));
    let limits = BTreeMap::from([
        ("cpu".to_owned(), millicores(cpus)),
        ("memory".to_owned(), memory.clone()),
    ]);
    // A quarter of the CPU is reserved, all of the memory: memory cannot be taken back.
    let requests = BTreeMap::from([
        ("cpu".to_owned(), millicores((cpus / 4.0).max(0.05))),
        ("memory".to_owned(), memory),
    ]);
    let container = Container {
        name: CONTAINER.into(),
        image: Some(spec.image.clone()),
        image_pull_policy: Some("IfNotPresent".into()),
        args: Some(spec.command.clone()),
        env: Some(spec.env.iter().filter_map(|e| env_var(e)).collect()),
        working_dir: Some(spec.mount_path.clone()),
        resources: Some(ResourceRequirements {
            limits: Some(limits),
            requests: Some(requests),
            ..Default::default()
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(spec.new_privileges),
            privileged: Some(false),
            run_as_non_root: Some(true),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                add: Some(spec.capabilities.clone()),
            }),
            ..Default::default()
        }),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "files".into(),
                mount_path: spec.mount_path.clone(),
                ..Default::default()
            },
            VolumeMount {
                name: "holder".into(),
                mount_path: HOLDER_DIR.into(),
                ..Default::default()
            },
        ]),
        ..Default::default()
    };
    Pod {
        metadata: ObjectMeta {
            name: Some(spec.name.clone()),
            labels: Some(label_map(spec)),
            ..Default::default()
        },
        spec: Some(PodSpec {
            containers: vec![container],
            hostname: spec
                .labels
                .get(labels::NAME)
                .filter(|n| is_label_value(n))
                .cloned(),
            automount_service_account_token: Some(false),
            enable_service_links: Some(false),
            share_process_namespace: Some(true),
            restart_policy: Some("Always".into()),
            security_context: Some(PodSecurityContext {
                run_as_non_root: Some(true),
                run_as_user: Some(uid),
                run_as_group: Some(gid),
                fs_group: Some(gid),
                // Not the whole volume re-owned at every start (slow, and it would make
                // private keys group-readable): only when its root is not the group's.
                fs_group_change_policy: Some("OnRootMismatch".into()),
                seccomp_profile: Some(SeccompProfile {
                    type_: "RuntimeDefault".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            volumes: Some(vec![
                Volume {
                    name: "files".into(),
                    persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                        claim_name: spec.volume.clone(),
                        read_only: Some(false),
                    }),
                    ..Default::default()
                },
                Volume {
                    name: "holder".into(),
                    empty_dir: Some(EmptyDirVolumeSource {
                        size_limit: Some(Quantity("64Mi".into())),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The spec's labels that Kubernetes accepts as label values (image references do not);
/// all of them are kept in the record regardless.
fn label_map(spec: &ContainerSpec) -> BTreeMap<String, String> {
    spec.labels
        .iter()
        .filter(|(_, value)| is_label_value(value))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// At most 63 characters of letters, digits, `-`, `_` and `.`, beginning and ending with a
/// letter or digit (or empty).
fn is_label_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    value.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && bytes.first().is_none_or(u8::is_ascii_alphanumeric)
        && bytes.last().is_none_or(u8::is_ascii_alphanumeric)
}

/// `1000:1000` → (1000, 1000); a name or nothing falls back to 1000, the dev image's user.
fn user_ids(user: &str) -> (i64, i64) {
    let mut parts = user.split(':').map(|p| p.parse::<i64>().ok());
    let uid = parts.next().flatten().unwrap_or(1000);
    let gid = parts.next().flatten().unwrap_or(uid);
    (uid, gid)
}

fn millicores(cpus: f64) -> Quantity {
    Quantity(format!("{}m", (cpus * 1000.0).round() as u64))
}

fn env_var(entry: &str) -> Option<EnvVar> {
    let (name, value) = entry.split_once('=')?;
    Some(EnvVar {
        name: name.into(),
        value: Some(value.into()),
        ..Default::default()
    })
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use app::model::Limits;
    use std::collections::HashMap;

    pub fn spec() -> ContainerSpec {
        ContainerSpec {
            name: "aicockpit-ada.web".into(),
            image: "registry.example/dev:1".into(),
            volume: "aicockpit-ada.web-files".into(),
            mount_path: "/workspace".into(),
            user: "1000:1000".into(),
            command: vec!["sleep".into(), "infinity".into()],
            env: vec!["A=1".into(), "B=x=y".into()],
            labels: HashMap::from([
                (labels::MANAGED.to_owned(), "true".to_owned()),
                (labels::WORKSPACE.to_owned(), "w1".to_owned()),
                (labels::NAME.to_owned(), "web".to_owned()),
                (
                    labels::TEMPLATE.to_owned(),
                    "registry.example/dev:1".to_owned(),
                ),
            ]),
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
    fn the_pod_is_hardened() {
        let pod = pod(&spec());
        let pod_spec = pod.spec.unwrap();
        assert_eq!(pod_spec.automount_service_account_token, Some(false));
        assert_eq!(pod_spec.enable_service_links, Some(false));
        assert_eq!(pod_spec.share_process_namespace, Some(true));
        assert_eq!(pod_spec.host_network, None);
        assert_eq!(pod_spec.host_pid, None);
        assert_eq!(pod_spec.host_ipc, None);
        let security = pod_spec.security_context.unwrap();
        assert_eq!(security.run_as_non_root, Some(true));
        assert_eq!(security.run_as_user, Some(1000));
        assert_eq!(security.run_as_group, Some(1000));
        assert_eq!(security.fs_group, Some(1000));
        assert_eq!(
            security.fs_group_change_policy.as_deref(),
            Some("OnRootMismatch")
        );
        assert_eq!(security.seccomp_profile.unwrap().type_, "RuntimeDefault");
        let volumes = pod_spec.volumes.unwrap();
        assert!(
            volumes.iter().all(|v| v.host_path.is_none()),
            "no host paths"
        );
        assert_eq!(
            volumes[0]
                .persistent_volume_claim
                .as_ref()
                .unwrap()
                .claim_name,
            "aicockpit-ada.web-files"
        );
        let container = &pod_spec.containers[0];
        let security = container.security_context.clone().unwrap();
        assert_eq!(security.allow_privilege_escalation, Some(false));
        assert_eq!(security.privileged, Some(false));
        assert_eq!(security.run_as_non_root, Some(true));
        let capabilities = security.capabilities.unwrap();
        assert_eq!(capabilities.drop, Some(vec!["ALL".to_owned()]));
        assert_eq!(capabilities.add, Some(vec!["CHOWN".to_owned()]));
        let mounts = container.volume_mounts.clone().unwrap();
        assert_eq!(mounts[0].mount_path, "/workspace");
        assert_eq!(mounts[1].mount_path, HOLDER_DIR);
    }

    #[test]
    fn the_pod_is_limited_and_requests_part_of_it() {
        let pod = pod(&spec());
        let container = &pod.spec.unwrap().containers[0];
        let resources = container.resources.clone().unwrap();
        let limits = resources.limits.unwrap();
        assert_eq!(limits["cpu"], Quantity("1500m".into()));
        assert_eq!(limits["memory"], Quantity("512Mi".into()));
        let requests = resources.requests.unwrap();
        assert_eq!(requests["cpu"], Quantity("375m".into()));
        assert_eq!(requests["memory"], Quantity("512Mi".into()));
        assert_eq!(
            container.args,
            Some(vec!["sleep".into(), "infinity".into()])
        );
        assert_eq!(container.command, None, "the image's entrypoint stays");
        let env = container.env.clone().unwrap();
        assert_eq!(env[1].name, "B");
        assert_eq!(env[1].value.as_deref(), Some("x=y"));
    }

    #[test]
    fn sudo_templates_may_escalate_and_nothing_else_changes() {
        let sudo = pod(&ContainerSpec {
            new_privileges: true,
            ..spec()
        });
        let container = &sudo.spec.unwrap().containers[0];
        let security = container.security_context.clone().unwrap();
        assert_eq!(security.allow_privilege_escalation, Some(true));
        assert_eq!(security.privileged, Some(false));
    }

    #[test]
    fn labels_kubernetes_refuses_stay_in_the_record_only() {
        let spec = spec();
        let pod = pod(&spec);
        let labels = pod.metadata.labels.unwrap();
        assert_eq!(labels.get(labels::NAME).map(String::as_str), Some("web"));
        assert!(
            !labels.contains_key(labels::TEMPLATE),
            "an image is no label value"
        );
        let claim = claim(
            &spec,
            &Storage {
                class: None,
                size: "10Gi".into(),
            },
        );
        assert_eq!(record_of(&claim), Some(spec));
        assert!(!is_label_value("-x") && !is_label_value(&"a".repeat(64)));
    }

    #[test]
    fn claims_ask_for_the_size_and_class_given() {
        let claim = claim(
            &spec(),
            &Storage {
                class: Some("fast".into()),
                size: "20Gi".into(),
            },
        );
        let claim_spec = claim.spec.unwrap();
        assert_eq!(claim_spec.storage_class_name.as_deref(), Some("fast"));
        assert_eq!(
            claim_spec.resources.unwrap().requests.unwrap()["storage"],
            Quantity("20Gi".into())
        );
        assert_eq!(claim_spec.access_modes, Some(vec!["ReadWriteOnce".into()]));
    }
}
