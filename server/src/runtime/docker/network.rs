//! Each workspace's own network on Docker, never the shared default bridge:
//!
//! - isolated (`aicockpit-<workspace>-isolated`): internal, and its bridge has no address
//!   on the host (`inhibit_ipv4`), so the container reaches nothing, the host included;
//!   only its loopback, where AiCockpit's egress proxy listens;
//! - open (`aicockpit-<workspace>-open`): the internet through the host's NAT, the host
//!   itself refused by the guard (see `guard`).
//!
//! A workspace is on one of the two; changing its level moves it live (connect, then
//! disconnect), so nothing it installed is lost. Each network takes a /28 of the
//! configured pool, since Docker's own pools run out after a few dozen networks.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use bollard::models::{
    Ipam, IpamConfig, NetworkConnectRequest, NetworkCreateRequest, NetworkDisconnectRequest,
};

use super::guard::{self, BRIDGE_PREFIX};
use super::{refused, refused_as_such, DockerRuntime};
use crate::runtime::{labels, NetworkMode, RuntimeError};

/// Where workspace networks take their addresses: `10.213.0.0/16`, 4096 networks of 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressPool {
    base: Ipv4Addr,
    prefix: u8,
}

/// Each network's share of the pool.
const BLOCK_PREFIX: u8 = 28;
/// Blocks tried after the first, when others already hold it.
const PROBES: u32 = 64;

impl Default for AddressPool {
    fn default() -> Self {
        Self {
            base: Ipv4Addr::new(10, 213, 0, 0),
            prefix: 16,
        }
    }
}

impl std::str::FromStr for AddressPool {
    type Err = String;

    /// `10.213.0.0/16`: an IPv4 network of at least two /28 blocks.
    fn from_str(text: &str) -> Result<Self, String> {
        let (address, prefix) = text
            .split_once('/')
            .ok_or_else(|| format!("“{text}” is not a network such as 10.213.0.0/16"))?;
        let base: Ipv4Addr = address
            .parse()
            .map_err(|_| format!("“{address}” is not an IPv4 address"))?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p < BLOCK_PREFIX)
            .ok_or_else(|| format!("/{prefix}: use a prefix of /27 or less"))?;
        let mask = u32::MAX << (32 - prefix);
        if u32::from(base) & !mask != 0 {
            return Err(format!("{text} has host bits set"));
        }
        Ok(Self { base, prefix })
    }
}

impl AddressPool {
    fn blocks(&self) -> u32 {
        1 << (BLOCK_PREFIX - self.prefix)
    }

    /// The `n`th /28 of the pool (wrapping around).
    fn block(&self, n: u32) -> String {
        let offset = (n % self.blocks()) << (32 - BLOCK_PREFIX);
        let start = Ipv4Addr::from(u32::from(self.base) + offset);
        format!("{start}/{BLOCK_PREFIX}")
    }

    /// Where a workspace's network starts looking: spread by its id, so most find a free
    /// block at once.
    fn first_block(&self, workspace: &str) -> u32 {
        workspace.bytes().fold(0u32, |hash, b| {
            hash.wrapping_mul(31).wrapping_add(u32::from(b))
        }) % self.blocks()
    }
}

pub fn network_name(workspace: &str, mode: NetworkMode) -> String {
    let kind = match mode {
        NetworkMode::Isolated => "isolated",
        NetworkMode::Open => "open",
    };
    format!("aicockpit-{workspace}-{kind}")
}

/// The bridge's interface name: at most 15 characters, all beginning with the guard's prefix.
fn bridge_name(workspace: &str, mode: NetworkMode) -> String {
    let kind = match mode {
        NetworkMode::Isolated => 'i',
        NetworkMode::Open => 'o',
    };
    let short: String = workspace
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(11)
        .collect();
    format!("{BRIDGE_PREFIX}{kind}{short}")
}

fn create_request(workspace: &str, mode: NetworkMode, subnet: String) -> NetworkCreateRequest {
    let mut options = HashMap::from([(
        "com.docker.network.bridge.name".to_owned(),
        bridge_name(workspace, mode),
    )]);
    if mode == NetworkMode::Isolated {
        // No address on the host: nothing of the host's answers on this bridge.
        options.insert(
            "com.docker.network.bridge.inhibit_ipv4".into(),
            "true".into(),
        );
    }
    NetworkCreateRequest {
        name: network_name(workspace, mode),
        driver: Some("bridge".into()),
        internal: Some(mode == NetworkMode::Isolated),
        enable_ipv6: Some(false),
        ipam: Some(Ipam {
            config: Some(vec![IpamConfig {
                subnet: Some(subnet),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        options: Some(options),
        labels: Some(HashMap::from([
            (labels::MANAGED.to_owned(), "true".to_owned()),
            (labels::WORKSPACE.to_owned(), workspace.to_owned()),
        ])),
        ..Default::default()
    }
}

impl DockerRuntime {
    /// Why an open network cannot be given now, if it cannot: the guard is missing and
    /// cannot be installed from here.
    pub(super) async fn open_refusal(&self) -> Option<String> {
        if self.host_guarded {
            return None;
        }
        if !self.address.starts_with("unix://") {
            return Some(format!(
                "the Docker engine at {} is on another machine, whose firewall AiCockpit cannot set; add the host guard there and start AiCockpit with --host-guarded",
                self.address
            ));
        }
        let installed = self
            .guard
            .get_or_init(|| async { guard::install().await })
            .await;
        match installed {
            // Checked again each time: someone may have flushed the firewall since.
            Ok(()) => match guard::check().await {
                Ok(()) => None,
                Err(_) => guard::install().await.err(),
            },
            Err(why) => Some(format!(
                "AiCockpit could not guard this host from open workspaces ({why}); run it as root, or add the rules in the README and start it with --host-guarded"
            )),
        }
    }

    /// The workspace's network for `mode`, made if missing; its name.
    pub(super) async fn ensure_network(
        &self,
        workspace: &str,
        mode: NetworkMode,
    ) -> Result<String, RuntimeError> {
        if mode == NetworkMode::Open {
            if let Some(why) = self.open_refusal().await {
                return Err(refused(format!("an open network is not available: {why}")));
            }
        }
        let docker = self.client()?;
        let name = network_name(workspace, mode);
        match self
            .call("inspect network", docker.inspect_network(&name, None))
            .await
        {
            Ok(_) => return Ok(name),
            Err(RuntimeError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        let first = self.pool.first_block(workspace);
        for probe in 0..PROBES {
            let subnet = self.pool.block(first + probe);
            let request = create_request(workspace, mode, subnet);
            let created = self
                .call_answering(
                    "create network",
                    self.timeout,
                    async { docker.create_network(request).await.map(|_| true) },
                    // 403 "Pool overlaps": another network holds the block, try the next;
                    // 409: a racing call made it meanwhile, which is as good.
                    |status, message| match status {
                        403 => Ok(false),
                        409 => Ok(true),
                        _ => refused_as_such(status, message),
                    },
                )
                .await?;
            if created {
                return Ok(name);
            }
        }
        Err(refused(format!(
            "no free block of {} addresses is left in {}/{} for the workspace's network; give a larger pool with --workspace-subnets",
            1 << (32 - BLOCK_PREFIX),
            self.pool.base,
            self.pool.prefix
        )))
    }

    /// Puts the container on the workspace's network for `mode` and off every other
    /// network (the default bridge of older versions, its other network), live.
    pub(super) async fn attach_network(
        &self,
        container: &str,
        workspace: &str,
        mode: NetworkMode,
    ) -> Result<(), RuntimeError> {
        let wanted = self.ensure_network(workspace, mode).await?;
        let docker = self.client()?;
        let inspected = self
            .call(
                "inspect container",
                docker.inspect_container(container, None),
            )
            .await?;
        let current: Vec<String> = inspected
            .network_settings
            .and_then(|s| s.networks)
            .map(|n| n.into_keys().collect())
            .unwrap_or_default();
        if !current.contains(&wanted) {
            let request = NetworkConnectRequest {
                container: container.to_owned(),
                endpoint_config: None,
            };
            self.call("connect network", docker.connect_network(&wanted, request))
                .await?;
        }
        for other in current.iter().filter(|n| **n != wanted) {
            let request = NetworkDisconnectRequest {
                container: container.to_owned(),
                force: Some(true),
            };
            self.call(
                "disconnect network",
                docker.disconnect_network(other, request),
            )
            .await?;
        }
        let unused = match mode {
            NetworkMode::Isolated => NetworkMode::Open,
            NetworkMode::Open => NetworkMode::Isolated,
        };
        self.remove_network(&network_name(workspace, unused)).await
    }

    /// Removes both of the workspace's networks, once its container is gone.
    pub(super) async fn remove_networks(&self, workspace: &str) -> Result<(), RuntimeError> {
        for mode in [NetworkMode::Isolated, NetworkMode::Open] {
            self.remove_network(&network_name(workspace, mode)).await?;
        }
        Ok(())
    }

    async fn remove_network(&self, name: &str) -> Result<(), RuntimeError> {
        let docker = self.client()?;
        match self
            .call("remove network", docker.remove_network(name))
            .await
        {
            Ok(()) | Err(RuntimeError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_is_cut_into_blocks_of_sixteen() {
        let pool = AddressPool::default();
        assert_eq!(pool.blocks(), 4096);
        assert_eq!(pool.block(0), "10.213.0.0/28");
        assert_eq!(pool.block(1), "10.213.0.16/28");
        assert_eq!(pool.block(4096), "10.213.0.0/28", "wraps around");
        let small: AddressPool = "192.168.77.0/24".parse().unwrap();
        assert_eq!(small.blocks(), 16);
        assert_eq!(small.block(15), "192.168.77.240/28");
        for bad in [
            "10.0.0.0",
            "10.0.0.1/16",
            "10.0.0.0/28",
            "x/16",
            "10.0.0.0/x",
        ] {
            assert!(bad.parse::<AddressPool>().is_err(), "{bad}");
        }
        assert!(pool.first_block("abc") < pool.blocks());
    }

    #[test]
    fn networks_are_the_workspaces_own_and_only_open_ones_route() {
        let isolated = create_request(
            "0123456789abcdef",
            NetworkMode::Isolated,
            "10.0.0.0/28".into(),
        );
        assert_eq!(isolated.name, "aicockpit-0123456789abcdef-isolated");
        assert_eq!(isolated.internal, Some(true));
        let options = isolated.options.unwrap();
        assert_eq!(options["com.docker.network.bridge.inhibit_ipv4"], "true");
        assert_eq!(options["com.docker.network.bridge.name"], "aici0123456789a");
        let open = create_request("0123456789abcdef", NetworkMode::Open, "10.0.0.16/28".into());
        assert_eq!(open.internal, Some(false));
        let options = open.options.unwrap();
        assert!(!options.contains_key("com.docker.network.bridge.inhibit_ipv4"));
        assert!(options["com.docker.network.bridge.name"].starts_with(BRIDGE_PREFIX));
        assert!(options["com.docker.network.bridge.name"].len() <= 15);
    }
}
