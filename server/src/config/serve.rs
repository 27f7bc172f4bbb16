//! What `serve` runs with (`ServeConfig`), independent of how it was configured, and how
//! the command line maps onto it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use app::model::LimitBounds;

use super::ServeArgs;
use crate::ai::agent::AgentSettings;
use crate::ai::{AiSettings, ProviderSpec};
use crate::auth::AuthSettings;
use crate::egress::NetworkSettings;
use crate::files::FileSettings;
use crate::preview::PreviewSettings;
use crate::templates::TemplateSettings;
use crate::terminal::TerminalSettings;
use crate::workspaces::ImageSettings;

/// Everything `serve` needs, independent of how it was configured.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub bind: SocketAddr,
    /// Where SSH into workspaces is served; none: not served.
    pub ssh_bind: Option<SocketAddr>,
    pub database: PathBuf,
    pub default_image: String,
    /// Workspace limits: what a new one gets, and the most any may have; idle times too.
    pub limits: LimitBounds,
    /// How long a minute of idle time lasts: a minute, shorter only in tests.
    pub idle_minute: Duration,
    pub site_root: PathBuf,
    /// Where people reach the server, besides its address and localhost.
    pub public_url: Option<String>,
    /// Serve HTTPS directly, without a reverse proxy in front.
    pub tls: Option<TlsFiles>,
    pub terminals: TerminalSettings,
    pub files: FileSettings,
    pub auth: AuthSettings,
    pub ai: AiSettings,
    pub previews: PreviewSettings,
    pub templates: TemplateSettings,
    /// Workspaces' network levels and allowlist.
    pub network: NetworkSettings,
    /// The images members may use besides the defaults.
    pub images: ImageSettings,
}

impl ServeConfig {
    /// On a port of the loopback interface's choosing, with the database file `database`,
    /// `default_image` offered first, and every other setting at its default.
    pub fn local(database: PathBuf, default_image: impl Into<String>) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            ssh_bind: None,
            database,
            default_image: default_image.into(),
            limits: LimitBounds::default(),
            idle_minute: Duration::from_secs(60),
            site_root: "target/site".into(),
            public_url: None,
            tls: None,
            terminals: TerminalSettings::default(),
            files: FileSettings::default(),
            auth: AuthSettings::default(),
            ai: AiSettings::default(),
            previews: PreviewSettings::default(),
            templates: TemplateSettings::default(),
            network: NetworkSettings::default(),
            images: ImageSettings::default(),
        }
    }
}

/// A PEM certificate chain and its private key.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl ServeArgs {
    /// What these flags ask the server to run with; `default_image` when none is named.
    pub fn serve_config(
        self,
        default_image: impl FnOnce() -> String,
    ) -> Result<ServeConfig, String> {
        let ai = ai_settings(&self)?;
        let limits = self
            .limit_bounds()
            .map_err(|e| format!("workspace limits: {e}"))?;
        let network = self
            .tenancy
            .network()
            .map_err(|e| format!("network levels: {e}"))?;
        Ok(ServeConfig {
            bind: self.bind,
            ssh_bind: self.ssh_bind,
            database: self.database,
            default_image: self.default_image.unwrap_or_else(default_image),
            limits,
            idle_minute: Duration::from_secs(60),
            site_root: self.site_root,
            terminals: TerminalSettings {
                idle_timeout: Duration::from_secs(self.terminal_idle_secs),
                ..TerminalSettings::default()
            },
            files: FileSettings {
                upload_limit: self.upload_limit_mib.saturating_mul(1 << 20),
                ..FileSettings::default()
            },
            public_url: self.public_url,
            tls: self
                .tls_cert
                .zip(self.tls_key)
                .map(|(cert, key)| TlsFiles { cert, key }),
            auth: AuthSettings::default(),
            ai,
            templates: TemplateSettings {
                folder: self.templates_dir,
                sudo: !self.forbid_sudo,
            },
            previews: PreviewSettings {
                longest_link: Duration::from_secs(self.longest_share_link),
                domain: self.preview_domain,
                https: false,
            },
            network,
            images: self.tenancy.images(),
        })
    }
}

/// The providers with their keys read (a key that cannot be read stops the start), and
/// the agent's limits.
fn ai_settings(args: &ServeArgs) -> Result<AiSettings, String> {
    let providers = args
        .ai_providers
        .iter()
        .cloned()
        .map(ProviderSpec::resolve)
        .collect::<Result<Vec<_>, String>>()?;
    for provider in &providers {
        tracing::info!(name = %provider.name, url = %provider.url, model = %provider.model, "AI provider");
    }
    Ok(AiSettings {
        providers,
        answer_timeout: Duration::from_secs(args.ai_timeout_secs),
        keep_conversations: Duration::from_secs(args.ai_keep_days.saturating_mul(24 * 3600)),
        agent: AgentSettings {
            max_steps: args.agent_max_steps,
            max_time: Duration::from_secs(args.agent_max_minutes.saturating_mul(60)),
            max_tokens: args.agent_max_tokens,
            runs_per_user: args.agent_runs_per_user,
            floor: args.agent_policy_floor,
            ..AgentSettings::default()
        },
    })
}
