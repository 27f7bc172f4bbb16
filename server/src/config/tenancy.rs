//! What keeps tenants apart, from the command line: workspaces' network levels and
//! allowlist, and which images members may start from.

use app::model::NetworkLevel;
use clap::Args;

use crate::egress::allowlist::{Allowlist, HostPattern};
use crate::egress::NetworkSettings;
use crate::workspaces::ImageSettings;

#[derive(Debug, Clone, Args)]
pub struct TenancyArgs {
    /// A new workspace's network level unless its template or creator chooses: `none`,
    /// `allowlist` (only the allowed hosts, through AiCockpit's proxy) or `open`.
    #[arg(long, env = "AICOCKPIT_DEFAULT_NETWORK", default_value = "allowlist", value_parser = parse_level, global = true)]
    pub default_network: NetworkLevel,
    /// The most network any workspace may have.
    #[arg(long, env = "AICOCKPIT_MAX_NETWORK", default_value = "open", value_parser = parse_level, global = true)]
    pub max_network: NetworkLevel,
    /// The hosts workspaces on the allowlist level may reach, comma-separated:
    /// `example.com`, `*.example.com`, `host:8443`, `host:*`, `10.0.0.5:3000` (a private
    /// address only when named so). Package registries and git hosts by default.
    #[arg(
        long,
        env = "AICOCKPIT_EGRESS_ALLOW",
        value_delimiter = ',',
        global = true
    )]
    pub egress_allow: Vec<HostPattern>,
    /// Outbound connections one workspace may have open at once through the proxy.
    #[arg(
        long,
        env = "AICOCKPIT_EGRESS_CONNECTIONS",
        default_value_t = 64,
        global = true
    )]
    pub egress_connections: usize,
    /// Images members may start workspaces from besides the default image, the templates'
    /// and their own repositories' builds, comma-separated (`debian:bookworm`,
    /// `registry.example.com/team/*`). Admins may use any.
    #[arg(
        long,
        env = "AICOCKPIT_ALLOWED_IMAGES",
        value_delimiter = ',',
        global = true
    )]
    pub allowed_images: Vec<String>,
    /// Let everyone start workspaces from any image on the engine: for a server with one
    /// user, or users who trust each other with their images.
    #[arg(long, env = "AICOCKPIT_ANY_IMAGE", global = true)]
    pub any_image: bool,
}

impl TenancyArgs {
    pub fn network(&self) -> Result<NetworkSettings, String> {
        let default = NetworkSettings::default();
        if self.default_network > self.max_network {
            return Err(format!(
                "the default network level “{}” is above the maximum “{}”",
                self.default_network.as_str(),
                self.max_network.as_str()
            ));
        }
        Ok(NetworkSettings {
            default: self.default_network,
            max: self.max_network,
            allowlist: match self.egress_allow.is_empty() {
                true => default.allowlist,
                false => Allowlist::new(self.egress_allow.clone()),
            },
            connections: self.egress_connections.max(1),
        })
    }
}

impl TenancyArgs {
    pub fn images(&self) -> ImageSettings {
        ImageSettings {
            allowed: self.allowed_images.clone(),
            any: self.any_image,
        }
    }
}

fn parse_level(text: &str) -> Result<NetworkLevel, String> {
    NetworkLevel::parse(text).ok_or_else(|| "use none, allowlist or open".to_owned())
}

#[cfg(test)]
mod tests {
    use crate::config::Cli;
    use clap::Parser;

    #[test]
    fn network_flags_give_levels_and_the_allowlist() {
        let cli = Cli::try_parse_from(["aicockpit"]).unwrap();
        let network = cli.serve.tenancy.network().unwrap();
        assert_eq!(network.default, app::model::NetworkLevel::Allowlist);
        assert!(network.allowlist.entry_for("pypi.org", 443).is_some());
        let cli = Cli::try_parse_from([
            "aicockpit",
            "--max-network",
            "allowlist",
            "--egress-allow",
            "git.example.com,10.0.0.5:3000",
        ])
        .unwrap();
        let network = cli.serve.tenancy.network().unwrap();
        assert!(
            network.allowlist.entry_for("pypi.org", 443).is_none(),
            "replaced"
        );
        assert!(network.allowlist.entry_for("10.0.0.5", 3000).is_some());
        let above = Cli::try_parse_from([
            "aicockpit",
            "--default-network",
            "open",
            "--max-network",
            "none",
        ])
        .unwrap();
        assert!(above.serve.tenancy.network().is_err());
        assert!(Cli::try_parse_from(["aicockpit", "--egress-allow", "http://x"]).is_err());
        assert!(Cli::try_parse_from(["aicockpit", "--max-network", "wide"]).is_err());
    }
}
