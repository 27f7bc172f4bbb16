//! Which runtime runs the workspaces, and how it is reached.

use std::time::Duration;

use clap::Args;

use crate::runtime::docker::{AddressPool, DockerNetworks};
use crate::runtime::kubernetes::{KubernetesSettings, Storage};
use crate::runtime::{Backend, RuntimeError};

/// The engines workspaces can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RuntimeKind {
    /// Containers and volumes on one Docker engine (`--docker-host`).
    Docker,
    /// Pods and PersistentVolumeClaims in one namespace of the cluster of the kubeconfig
    /// (`KUBECONFIG`, `~/.kube/config`, or the service account of AiCockpit's own Pod).
    Kubernetes,
}

#[derive(Debug, Clone, Args)]
pub struct RuntimeArgs {
    /// What runs the workspaces.
    #[arg(
        long,
        env = "AICOCKPIT_RUNTIME",
        value_enum,
        default_value = "docker",
        global = true
    )]
    pub runtime: RuntimeKind,
    /// Docker engine address: unix:///path/to/docker.sock or tcp://host:port.
    #[arg(
        long,
        env = "AICOCKPIT_DOCKER_HOST",
        default_value = "unix:///var/run/docker.sock",
        global = true
    )]
    pub docker_host: String,
    /// Seconds after which a call to the runtime (Docker, or the Kubernetes API) is
    /// abandoned with an error.
    #[arg(
        long,
        env = "AICOCKPIT_DOCKER_TIMEOUT",
        default_value_t = 30,
        global = true
    )]
    pub docker_timeout: u64,
    /// Where each workspace's own Docker network takes its addresses (a /28 each).
    #[arg(
        long,
        env = "AICOCKPIT_WORKSPACE_SUBNETS",
        default_value = "10.213.0.0/16",
        global = true
    )]
    pub workspace_subnets: AddressPool,
    /// The Docker host's firewall already drops what AiCockpit's bridges (`aic*`) send to
    /// the host itself (the README lists the rules): AiCockpit then gives open networks
    /// without installing them (which needs root on that host).
    #[arg(long, env = "AICOCKPIT_HOST_GUARDED", global = true)]
    pub host_guarded: bool,
    /// Kubernetes namespace of the workspaces' Pods and claims.
    #[arg(
        long,
        env = "AICOCKPIT_KUBE_NAMESPACE",
        default_value = "aicockpit",
        global = true
    )]
    pub kube_namespace: String,
    /// Storage class of the workspaces' claims (the cluster's default when not set).
    #[arg(long, env = "AICOCKPIT_KUBE_STORAGE_CLASS", global = true)]
    pub kube_storage_class: Option<String>,
    /// Size of each workspace's claim.
    #[arg(
        long,
        env = "AICOCKPIT_KUBE_VOLUME_SIZE",
        default_value = "10Gi",
        global = true
    )]
    pub kube_volume_size: String,
    /// Seconds a workspace may take to start on Kubernetes (scheduling and image pull).
    #[arg(
        long,
        env = "AICOCKPIT_KUBE_START_TIMEOUT",
        default_value_t = 300,
        global = true
    )]
    pub kube_start_timeout: u64,
}

impl RuntimeArgs {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.docker_timeout.max(1))
    }

    /// The runtime chosen: Docker is connected on first use, Kubernetes' configuration is
    /// read here.
    pub async fn backend(&self) -> Result<Backend, RuntimeError> {
        match self.runtime {
            RuntimeKind::Docker => Ok(Backend::docker(
                self.docker_host.clone(),
                self.timeout(),
                DockerNetworks {
                    pool: self.workspace_subnets,
                    host_guarded: self.host_guarded,
                },
            )),
            RuntimeKind::Kubernetes => Backend::kubernetes(self.kubernetes()).await,
        }
    }

    pub fn kubernetes(&self) -> KubernetesSettings {
        KubernetesSettings {
            namespace: self.kube_namespace.clone(),
            storage: Storage {
                class: self.kube_storage_class.clone(),
                size: self.kube_volume_size.clone(),
            },
            timeout: self.timeout(),
            start_timeout: Duration::from_secs(self.kube_start_timeout.max(1)),
        }
    }
}
