//! Outbound traffic of workspaces, by network level. A workspace's container has no way
//! out of its own (see `runtime::NetworkMode`) except on the open level; its processes reach
//! the outside through a proxy on their loopback (`HTTP_PROXY`), which the holder serves
//! inside and hands over to AiCockpit connection by connection (`relay`). AiCockpit judges
//! each destination by the workspace's level and allowlist (`verdict`), records it, and
//! makes the connection itself (`proxy`).

pub mod allowlist;
pub mod proxy;
mod relay;
pub mod verdict;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use app::model::{NetworkBounds, NetworkLevel};

use self::allowlist::Allowlist;
use self::verdict::Verdict;
use crate::runtime::ContainerRuntime;
use crate::store::{unix_now, EgressStore, Store, WorkspaceRecord, WorkspaceStore};
use crate::sync::Unpoisoned;
use crate::terminal::holder::Installer;

/// Where the proxy listens inside every workspace.
pub const PROXY_PORT: u16 = 18128;

/// The environment that points a workspace's processes at the proxy (both spellings, which
/// different tools read); its own loopback stays direct.
pub fn proxy_env() -> Vec<String> {
    let proxy = format!("http://127.0.0.1:{PROXY_PORT}");
    let local = "localhost,127.0.0.1,::1";
    vec![
        format!("HTTP_PROXY={proxy}"),
        format!("HTTPS_PROXY={proxy}"),
        format!("http_proxy={proxy}"),
        format!("https_proxy={proxy}"),
        format!("NO_PROXY={local}"),
        format!("no_proxy={local}"),
    ]
}

/// The server's network settings.
#[derive(Debug, Clone)]
pub struct NetworkSettings {
    /// A new workspace's level unless its template or creator chooses.
    pub default: NetworkLevel,
    /// The most any workspace may have.
    pub max: NetworkLevel,
    /// What every workspace on the allowlist level may reach.
    pub allowlist: Allowlist,
    /// Outbound connections one workspace may have open at once.
    pub connections: usize,
}

impl Default for NetworkSettings {
    fn default() -> Self {
        Self {
            default: NetworkLevel::Allowlist,
            max: NetworkLevel::Open,
            allowlist: Allowlist::default_hosts(),
            connections: 64,
        }
    }
}

impl NetworkSettings {
    /// The level a workspace has now: its own, within the server's maximum (which an admin
    /// may have lowered since).
    pub fn level_of(&self, record: &WorkspaceRecord) -> NetworkLevel {
        record.network.min(self.max)
    }

    /// The server's allowlist with what the workspace's template adds.
    pub fn allowlist_of(&self, record: &WorkspaceRecord) -> Allowlist {
        let added = record.setup.iter().flat_map(|s| &s.allowed_hosts);
        self.allowlist
            .clone()
            .with(&Allowlist::parse_lenient(added.map(String::as_str)))
    }

    pub fn bounds(&self, open_unavailable: Option<String>) -> NetworkBounds {
        NetworkBounds {
            default: self.default,
            max: self.max,
            open_unavailable,
            allowed_hosts: self.allowlist.entries().map(|e| e.to_string()).collect(),
        }
    }
}

pub struct Egress {
    runtime: Arc<dyn ContainerRuntime>,
    holder: Installer,
    workspaces: WorkspaceStore,
    log: EgressStore,
    settings: NetworkSettings,
    /// The relay of each container it serves, by container id.
    relays: Mutex<HashMap<String, relay::Relay>>,
}

impl Egress {
    pub fn new(
        runtime: Arc<dyn ContainerRuntime>,
        holder: Installer,
        store: &Store,
        settings: NetworkSettings,
    ) -> Arc<Self> {
        Arc::new(Self {
            runtime,
            holder,
            workspaces: store.workspaces(),
            log: store.egress(),
            settings,
            relays: Mutex::default(),
        })
    }

    /// Judges `host:port` for the workspace `workspace` as it is now, and records it.
    pub async fn judge(&self, workspace: &str, host: &str, port: u16) -> Verdict {
        let record = match self.workspaces.find_by_id(workspace).await {
            Ok(Some(record)) => record,
            Ok(None) => return Verdict::Refused("the workspace no longer exists".into()),
            Err(e) => {
                tracing::warn!(error = %e, workspace, "cannot read a workspace's network");
                return Verdict::Refused("AiCockpit cannot read this workspace's network".into());
            }
        };
        let level = self.settings.level_of(&record);
        let verdict = verdict::judge(level, &self.settings.allowlist_of(&record), host, port).await;
        let (allowed, reason) = match &verdict {
            Verdict::Allowed { why, .. } => (true, why.as_str()),
            Verdict::Refused(why) => (false, why.as_str()),
        };
        let host = host.to_ascii_lowercase();
        if let Err(e) = self
            .log
            .record_egress(workspace, &host, port, allowed, reason, unix_now())
            .await
        {
            tracing::warn!(error = %e, workspace, "cannot record an outbound connection");
        }
        tracing::debug!(workspace, %host, port, allowed, reason, "egress");
        verdict
    }

    fn relays(&self) -> std::sync::MutexGuard<'_, HashMap<String, relay::Relay>> {
        self.relays.locked()
    }
}
