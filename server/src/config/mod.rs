//! Command line and environment configuration, parsed once in `main` and passed into
//! constructors. Every flag can also be set through the environment variable it names.

use std::net::SocketAddr;
use std::path::PathBuf;

use app::agent::ConfirmPolicy;
use app::error::AppError;
use app::model::{IdleBounds, LimitBounds, Limits};
use clap::{Args, Parser, Subcommand};

mod runtime;
mod serve;
mod tenancy;

pub use runtime::{RuntimeArgs, RuntimeKind};
pub use serve::{ServeConfig, TlsFiles};
pub use tenancy::TenancyArgs;

#[derive(Debug, Parser)]
#[command(
    name = "aicockpit",
    version,
    about = "Self-hosted cockpit for containerized, AI-assisted development workspaces"
)]
pub struct Cli {
    /// Log lines as `text` (for people) or `json` (one object per line, for collectors);
    /// each names the request it belongs to (`x-request-id`).
    #[arg(long, env = "AICOCKPIT_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"], global = true)]
    pub log_format: String,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
    #[command(flatten)]
    pub serve: ServeArgs,
    /// What to do; serves the dashboard when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard (the default).
    Serve,
    /// Build or fetch workspace images.
    #[command(subcommand)]
    Image(ImageCommand),
    /// Manage accounts from the server's command line.
    #[command(subcommand)]
    User(UserCommand),
    #[command(flatten)]
    Client(crate::cli::ClientCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input (asked for on a terminal).
    Add {
        name: String,
        /// Make the user an admin (manages users, sees every workspace).
        #[arg(long)]
        admin: bool,
    },
    /// Create a personal API token for a user and print it (shown only this once).
    Token {
        name: String,
        /// What the token is for, as it will be listed.
        #[arg(long, default_value = "command line")]
        label: String,
        /// What it may do, repeated or comma-separated: read, workspaces, files, terminals,
        /// agent, approvals, admin (everything the user may, the default).
        #[arg(long, value_delimiter = ',', default_value = "admin", value_parser = parse_scope)]
        scope: Vec<app::auth::Scope>,
        /// Days until it stops working; until revoked when not given.
        #[arg(long)]
        days: Option<u32>,
    },
    /// A user's SSH public keys, which sign them in to their workspaces over SSH.
    Key {
        name: String,
        #[command(subcommand)]
        action: KeyAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyAction {
    /// Add a public key (a `.pub` file's line), from FILE or standard input.
    Add {
        file: Option<PathBuf>,
        /// How it is listed; the key's comment when not given.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List the user's keys: id, name, fingerprint.
    List,
    /// Remove the key with this id (from `list`).
    Remove { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Build the default Debian dev image with debootstrap (needs root), unless present.
    Build {
        /// Debian mirror to bootstrap from (debootstrap's default otherwise).
        #[arg(long, env = "AICOCKPIT_DEBIAN_MIRROR")]
        mirror: Option<String>,
        /// Rebuild even if the image already exists.
        #[arg(long)]
        force: bool,
    },
    /// Import the tiny BusyBox image made from the host's /bin/busybox (for tests).
    Busybox,
    /// Pull an image from a registry, showing progress.
    Pull { reference: String },
    /// Print the reference of the default dev image.
    Reference,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback by default; `0.0.0.0:3000` for other machines).
    #[arg(
        long,
        env = "AICOCKPIT_BIND",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub bind: SocketAddr,
    /// Also serve SSH into workspaces on this address (e.g. `0.0.0.0:2222`); off unless set.
    #[arg(long, env = "AICOCKPIT_SSH_BIND", global = true)]
    pub ssh_bind: Option<SocketAddr>,
    /// SQLite database file (created if missing).
    #[arg(long, env = "AICOCKPIT_DATABASE", default_value_os_t = default_database(), global = true)]
    pub database: PathBuf,
    /// Image offered first in the create form (the dev image by default).
    #[arg(long, env = "AICOCKPIT_DEFAULT_IMAGE", global = true)]
    pub default_image: Option<String>,
    /// Seconds a terminal keeps running after its last browser tab closed.
    #[arg(
        long,
        env = "AICOCKPIT_TERMINAL_IDLE",
        default_value_t = 600,
        global = true
    )]
    pub terminal_idle_secs: u64,
    /// Largest file upload, in MiB.
    #[arg(
        long,
        env = "AICOCKPIT_UPLOAD_LIMIT",
        default_value_t = 100,
        global = true
    )]
    pub upload_limit_mib: u64,
    /// Where people reach AiCockpit when it is not by its address or localhost, e.g.
    /// `https://cockpit.example.com` behind a reverse proxy. Requests naming any other host
    /// are refused, and only pages from this origin (or the address itself) may act.
    #[arg(long, env = "AICOCKPIT_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Serve HTTPS with this certificate chain (PEM), for use without a reverse proxy.
    #[arg(long, env = "AICOCKPIT_TLS_CERT", requires = "tls_key", global = true)]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of `--tls-cert`.
    #[arg(long, env = "AICOCKPIT_TLS_KEY", requires = "tls_cert", global = true)]
    pub tls_key: Option<PathBuf>,
    /// A model provider for AI in the IDE (OpenAI-compatible API):
    /// `name=local,url=http://127.0.0.1:11434/v1,model=qwen2.5-coder:7b[,key-env=VAR|key-file=PATH][,edits=whole|replace]`.
    /// Repeat for several; the first is the default until an admin picks another. In the
    /// environment, separate several with `;`.
    #[arg(
        long = "ai-provider",
        env = "AICOCKPIT_AI_PROVIDERS",
        value_delimiter = ';',
        global = true
    )]
    pub ai_providers: Vec<crate::ai::ProviderSpec>,
    /// Seconds to wait for a model to start answering, and between pieces of an answer.
    #[arg(
        long,
        env = "AICOCKPIT_AI_TIMEOUT",
        default_value_t = 120,
        global = true
    )]
    pub ai_timeout_secs: u64,
    /// Days AI conversations (prompts and answers) are kept; 0 keeps none.
    #[arg(
        long,
        env = "AICOCKPIT_AI_KEEP_DAYS",
        default_value_t = 90,
        global = true
    )]
    pub ai_keep_days: u64,
    /// Tool calls one agent run may make.
    #[arg(
        long,
        env = "AICOCKPIT_AGENT_MAX_STEPS",
        default_value_t = 50,
        global = true
    )]
    pub agent_max_steps: u32,
    /// Minutes one agent run may take.
    #[arg(
        long,
        env = "AICOCKPIT_AGENT_MAX_MINUTES",
        default_value_t = 30,
        global = true
    )]
    pub agent_max_minutes: u64,
    /// Tokens (prompts and answers) one agent run may use.
    #[arg(
        long,
        env = "AICOCKPIT_AGENT_MAX_TOKENS",
        default_value_t = 1_000_000,
        global = true
    )]
    pub agent_max_tokens: u64,
    /// Agent runs one user may have going at once.
    #[arg(
        long,
        env = "AICOCKPIT_AGENT_RUNS_PER_USER",
        default_value_t = 2,
        global = true
    )]
    pub agent_runs_per_user: usize,
    /// The least asking confirmation policy any workspace's agent gets: `never`, `risky`
    /// or `always`; owners may choose a stricter one.
    #[arg(
        long,
        env = "AICOCKPIT_AGENT_POLICY_FLOOR",
        default_value = "never",
        value_parser = parse_policy,
        global = true
    )]
    pub agent_policy_floor: ConfirmPolicy,
    /// What a new workspace gets unless its creator chooses:
    /// `cpus=1,memory=1024,processes=1024` (memory in MiB; any part may be left out).
    #[arg(long, env = "AICOCKPIT_DEFAULT_LIMITS", value_parser = parse_limits, global = true)]
    pub default_limits: Option<LimitOverrides>,
    /// The most any workspace may have, same form as `--default-limits`
    /// (e.g. `cpus=4,memory=8192`); unlimited by default.
    #[arg(long, env = "AICOCKPIT_MAX_LIMITS", value_parser = parse_limits, global = true)]
    pub max_limits: Option<LimitOverrides>,
    /// Minutes a running workspace may go unused before it stops (no open terminal or
    /// IDE, no running agent, nothing done to it), unless its owner chooses; 0: never.
    #[arg(long, env = "AICOCKPIT_IDLE_STOP", default_value_t = 0, global = true)]
    pub idle_stop: u32,
    /// The longest idle time any workspace may have, in minutes (then "never" is not
    /// allowed); none by default.
    #[arg(long, env = "AICOCKPIT_MAX_IDLE_STOP", global = true)]
    pub max_idle_stop: Option<u32>,
    /// A folder of workspace templates, one sub-folder each with its devcontainer.json (at
    /// its top or in `.devcontainer/`) and the files its build needs.
    #[arg(long, env = "AICOCKPIT_TEMPLATES_DIR", global = true)]
    pub templates_dir: Option<PathBuf>,
    /// Refuse templates that ask for `sudo` (root inside the workspace, which needs
    /// no-new-privileges off for it).
    #[arg(long, env = "AICOCKPIT_FORBID_SUDO", global = true)]
    pub forbid_sudo: bool,
    /// A wildcard domain previews are also served on, as `<port>--<name>--<owner>.<domain>`
    /// (its DNS must send `*.<domain>` here; `localhost` works on one machine). It must not
    /// hold AiCockpit's own host.
    #[arg(long, env = "AICOCKPIT_PREVIEW_DOMAIN", global = true)]
    pub preview_domain: Option<String>,
    /// The longest a preview share link may last, in seconds; links asked for longer are
    /// cut to it. Seven days by default.
    #[arg(
        long,
        env = "AICOCKPIT_LONGEST_SHARE_LINK",
        default_value_t = 7 * 86_400,
        global = true
    )]
    pub longest_share_link: u64,
    /// Directory with the built site (WASM, CSS, assets).
    #[arg(
        long,
        env = "LEPTOS_SITE_ROOT",
        default_value = "target/site",
        global = true
    )]
    pub site_root: PathBuf,
    #[command(flatten)]
    pub tenancy: TenancyArgs,
}

/// Workspace limits given on the command line; what is left out keeps its base value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LimitOverrides {
    pub cpus: Option<f64>,
    pub memory_mib: Option<u64>,
    pub processes: Option<u32>,
}

impl LimitOverrides {
    /// `base` with these overrides, checked against the bounds every workspace has.
    pub fn over(&self, base: Limits) -> Result<Limits, AppError> {
        Limits::parse(
            self.cpus.unwrap_or(base.cpus),
            self.memory_mib.unwrap_or(base.memory_mib),
            self.processes.unwrap_or(base.processes),
        )
    }
}

impl ServeArgs {
    /// The configured defaults and maxima, the defaults within the maxima.
    pub fn limit_bounds(&self) -> Result<LimitBounds, AppError> {
        let built_in = LimitBounds::default();
        let max = self.max_limits.unwrap_or_default().over(built_in.max)?;
        let default = self
            .default_limits
            .unwrap_or_default()
            .over(built_in.default)?;
        default.within(&max)?;
        let idle = IdleBounds {
            default_minutes: (self.idle_stop > 0).then_some(self.idle_stop),
            max_minutes: self.max_idle_stop.filter(|&max| max > 0),
        };
        idle.check(idle.default_minutes)?;
        Ok(LimitBounds { default, max, idle })
    }
}

fn parse_limits(text: &str) -> Result<LimitOverrides, String> {
    let mut limits = LimitOverrides::default();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("“{part}” is not key=value"))?;
        let bad = || format!("“{value}” is not a number for {key}");
        let value = value.trim();
        match key.trim() {
            "cpus" => limits.cpus = Some(value.parse().map_err(|_| bad())?),
            "memory" => limits.memory_mib = Some(value.parse().map_err(|_| bad())?),
            "processes" => limits.processes = Some(value.parse().map_err(|_| bad())?),
            other => {
                return Err(format!(
                    "unknown limit “{other}”: use cpus, memory or processes"
                ))
            }
        }
    }
    Ok(limits)
}

fn parse_scope(text: &str) -> Result<app::auth::Scope, String> {
    app::auth::Scope::parse(text).ok_or_else(|| {
        "use read, workspaces, files, terminals, agent, approvals or admin".to_owned()
    })
}

fn parse_policy(text: &str) -> Result<ConfirmPolicy, String> {
    ConfirmPolicy::parse(text).ok_or_else(|| "use never, risky or always".to_owned())
}

/// `$XDG_DATA_HOME/aicockpit/aicockpit.db`, else under `~/.local/share`, else the working directory.
fn default_database() -> PathBuf {
    let data_home = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")));
    match data_home {
        Some(dir) => dir.join("aicockpit").join("aicockpit.db"),
        None => PathBuf::from("aicockpit.db"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_flags_override_what_they_name() {
        let cli =
            Cli::try_parse_from(["aicockpit", "--max-limits", "cpus=2, memory=4096"]).unwrap();
        let max = cli.serve.max_limits.unwrap();
        assert_eq!(
            (max.cpus, max.memory_mib, max.processes),
            (Some(2.0), Some(4096), None)
        );
        let bounds = cli.serve.limit_bounds().unwrap();
        assert_eq!(bounds.max.processes, Limits::PROCESSES.1);
        assert!(Cli::try_parse_from(["aicockpit", "--max-limits", "disk=1"]).is_err());
        assert!(Cli::try_parse_from(["aicockpit", "--max-limits", "cpus=many"]).is_err());
        let too_much = Cli::try_parse_from(["aicockpit", "--max-limits", "cpus=0.5"]).unwrap();
        assert!(
            too_much.serve.limit_bounds().is_err(),
            "the defaults must fit under the maxima"
        );
    }

    #[test]
    fn idle_stop_flags_give_the_default_and_the_longest() {
        let never = Cli::try_parse_from(["aicockpit"]).unwrap();
        assert_eq!(
            never.serve.limit_bounds().unwrap().idle,
            IdleBounds::default()
        );
        let cli = Cli::try_parse_from(["aicockpit", "--idle-stop", "30", "--max-idle-stop", "120"])
            .unwrap();
        let idle = cli.serve.limit_bounds().unwrap().idle;
        assert_eq!(
            (idle.default_minutes, idle.max_minutes),
            (Some(30), Some(120))
        );
        let over =
            Cli::try_parse_from(["aicockpit", "--idle-stop", "200", "--max-idle-stop", "120"])
                .unwrap();
        assert!(
            over.serve.limit_bounds().is_err(),
            "the default must fit under the maximum"
        );
    }

    #[test]
    fn defaults_to_loopback_and_serving() {
        let cli = Cli::try_parse_from(["aicockpit"]).unwrap();
        assert!(cli.command.is_none());
        assert!(cli.serve.bind.ip().is_loopback());
        assert_eq!(cli.runtime.timeout(), std::time::Duration::from_secs(30));
        assert_eq!(cli.runtime.runtime, RuntimeKind::Docker);
    }

    #[test]
    fn flags_after_the_subcommand_work() {
        let cli = Cli::try_parse_from(["aicockpit", "serve", "--bind", "0.0.0.0:8080"]).unwrap();
        assert_eq!(cli.serve.bind.port(), 8080);
        let cli = Cli::try_parse_from(["aicockpit", "image", "pull", "debian:12"]).unwrap();
        assert!(
            matches!(cli.command, Some(Command::Image(ImageCommand::Pull { reference })) if reference == "debian:12")
        );
    }

    #[test]
    fn tls_needs_both_the_certificate_and_its_key() {
        assert!(Cli::try_parse_from(["aicockpit", "--tls-cert", "c.pem"]).is_err());
        let cli = Cli::try_parse_from(["aicockpit", "--tls-cert", "c.pem", "--tls-key", "k.pem"])
            .unwrap();
        assert_eq!(cli.serve.tls_key, Some(PathBuf::from("k.pem")));
    }

    #[test]
    fn a_bad_address_is_rejected() {
        assert!(Cli::try_parse_from(["aicockpit", "--bind", "nowhere"]).is_err());
    }
}
