//! The command-line client, in the same binary as the server: log in to a server once, then
//! list, create, start and stop workspaces, `ssh` into them through the server's own origin,
//! and write `~/.ssh/config` so any SSH client (VS Code, JetBrains, Zed, plain `ssh`) reaches
//! them. `--json` answers for scripts.

mod api;
mod proxy;
mod session;
mod ssh_config;

use std::path::PathBuf;

use app::auth::{CurrentUser, SshAccess, WorkspaceRef};
use app::components::connect_panel::login_for;
use app::model::{CreationView, WorkspaceList};
use clap::Subcommand;
use serde_json::json;

use api::Api;
use session::Session;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot reach {0}: {1}")]
    Unreachable(String, String),
    #[error("{}", signed_out(.0))]
    SignedOut(Option<String>),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Local(String),
}

fn signed_out(url: &Option<String>) -> String {
    match url {
        Some(url) => format!("signed out of {url} (the token was revoked or has expired): run `aicockpit login {url}`"),
        None => "not logged in: run `aicockpit login <url>` first".to_owned(),
    }
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Log in to the server at URL with an API token (made on your account page), read from
    /// standard input or asked for.
    Login { url: String },
    /// Forget the login.
    Logout,
    /// The workspaces you may see.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Create a workspace (from a template, or an image) and wait until it runs.
    Create {
        name: String,
        #[arg(long)]
        template: Option<String>,
        #[arg(long)]
        image: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Start a workspace (`name`, or `owner/name` for one shared with you).
    Start { workspace: String },
    /// Stop a workspace.
    Stop { workspace: String },
    /// Open a shell in a workspace, or run COMMAND there, over SSH through the server.
    Ssh {
        workspace: String,
        /// What to run instead of a shell.
        #[arg(trailing_var_arg = true)]
        command: Vec<String>,
    },
    /// Forward a local port to a port inside a workspace: `8000` or `LOCAL:REMOTE`.
    PortForward { workspace: String, ports: String },
    /// Carry an SSH connection over the server's tunnel (an SSH client's ProxyCommand).
    Proxy,
    /// Write a `Host aicockpit-<workspace>` entry per workspace into ~/.ssh/config.
    ConfigSsh {
        /// The file to write instead of ~/.ssh/config.
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

/// Set for the `ssh` that `aicockpit ssh` runs: this program is its askpass, which answers
/// with the stored token.
pub const ASKPASS: &str = "AICOCKPIT_ASKPASS";

/// Answers OpenSSH's password prompt with the stored token.
pub fn askpass() -> Result<(), CliError> {
    println!("{}", Session::load()?.token);
    Ok(())
}

impl ClientCommand {
    pub async fn run(self) -> Result<(), CliError> {
        match self {
            Self::Login { url } => login(&url).await,
            Self::Logout => Session::forget(),
            Self::Proxy => proxy::run(&Session::load()?).await,
            Self::List { json } => list(&Api::new(Session::load()?)?, json).await,
            Self::Create {
                name,
                template,
                image,
                json,
            } => create(&Api::new(Session::load()?)?, &name, template, image, json).await,
            Self::Start { workspace } => {
                lifecycle(&Api::new(Session::load()?)?, "start", &workspace).await
            }
            Self::Stop { workspace } => {
                lifecycle(&Api::new(Session::load()?)?, "stop", &workspace).await
            }
            Self::Ssh { workspace, command } => {
                let mut ssh = ssh_command(&Api::new(Session::load()?)?, &workspace, &[]).await?;
                ssh.args(&command);
                run_ssh(ssh)
            }
            Self::PortForward { workspace, ports } => {
                let (local, remote) = parse_ports(&ports)?;
                let forward = format!("127.0.0.1:{local}:localhost:{remote}");
                let options = ["-N", "-o", "ExitOnForwardFailure=yes", "-L", &forward];
                let ssh = ssh_command(&Api::new(Session::load()?)?, &workspace, &options).await?;
                eprintln!(
                    "forwarding 127.0.0.1:{local} to port {remote} of {workspace}; Ctrl-C stops"
                );
                run_ssh(ssh)
            }
            Self::ConfigSsh { file, json } => {
                config_ssh(&Api::new(Session::load()?)?, file, json).await
            }
        }
    }
}

async fn login(url: &str) -> Result<(), CliError> {
    use std::io::IsTerminal;
    let url = url.trim_end_matches('/').to_owned();
    let token = if std::io::stdin().is_terminal() {
        eprintln!(
            "Make an API token on {url}/account (the terminals and workspaces scopes are enough),"
        );
        rpassword::prompt_password("then paste it here: ")
            .map_err(|e| CliError::Local(e.to_string()))?
    } else {
        std::io::read_to_string(std::io::stdin()).map_err(|e| CliError::Local(e.to_string()))?
    };
    let session = Session {
        url: url.clone(),
        token: token.trim().to_owned(),
    };
    let me = me(&Api::new(session.clone())?).await?;
    let kept = session.save()?;
    eprintln!(
        "logged in to {url} as {} (kept in {})",
        me.name,
        kept.display()
    );
    Ok(())
}

/// `name` as `me`'s, or `owner/name` as written.
fn reference(me: &CurrentUser, workspace: &str) -> Result<WorkspaceRef, CliError> {
    let written = match workspace.contains('/') {
        true => workspace.to_owned(),
        false => format!("{}/{workspace}", me.name),
    };
    WorkspaceRef::try_from(written).map_err(|e| CliError::Local(e.to_string()))
}

async fn me(api: &Api) -> Result<CurrentUser, CliError> {
    api.call("/api/auth/me", json!({})).await
}

async fn list(api: &Api, as_json: bool) -> Result<(), CliError> {
    let list: WorkspaceList = api.call("/api/workspaces/list", json!({})).await?;
    if as_json {
        return print_json(&list.workspaces);
    }
    println!("{:<32} {:<10} IMAGE", "WORKSPACE", "STATUS");
    for w in &list.workspaces {
        println!(
            "{:<32} {:<10} {}",
            format!("{}/{}", w.owner, w.name),
            w.status.label(),
            w.image
        );
    }
    Ok(())
}

async fn create(
    api: &Api,
    name: &str,
    template: Option<String>,
    image: Option<String>,
    as_json: bool,
) -> Result<(), CliError> {
    let mut request = json!({ "name": name });
    if let Some(template) = template {
        request["template"] = json!(template);
    }
    if let Some(image) = image {
        request["image"] = json!(image);
    }
    let view: CreationView = api
        .call(
            "/api/workspaces/create",
            json!({ "request": request, "wait": "Done" }),
        )
        .await?;
    if as_json {
        return print_json(&view);
    }
    match view.error {
        Some(error) => Err(CliError::Refused(error.to_string())),
        None => {
            eprintln!("created {name}");
            Ok(())
        }
    }
}

async fn lifecycle(api: &Api, action: &str, workspace: &str) -> Result<(), CliError> {
    let workspace = reference(&me(api).await?, workspace)?;
    let () = api
        .call(
            &format!("/api/workspaces/{action}"),
            json!({ "workspace": workspace }),
        )
        .await?;
    eprintln!("{action}: {workspace}");
    Ok(())
}

/// The login SSH takes for `workspace`, as the Connect panel gives it.
async fn login_name(api: &Api, workspace: &str) -> Result<String, CliError> {
    let me = me(api).await?;
    Ok(login_for(&reference(&me, workspace)?, &me.name))
}

/// This program, as the SSH client should run it for `proxy` and `askpass`.
fn this_program() -> Result<String, CliError> {
    let path = std::env::current_exe().map_err(|e| CliError::Local(e.to_string()))?;
    let mut command = format!("\"{}\"", path.display());
    if let Some(dir) = std::env::var_os("AICOCKPIT_CONFIG_DIR") {
        command = format!(
            "env AICOCKPIT_CONFIG_DIR=\"{}\" {command}",
            PathBuf::from(dir).display()
        );
    }
    Ok(command)
}

/// The host key trusted for this server, written where the SSH client reads it.
async fn trust_host(api: &Api) -> Result<(PathBuf, String), CliError> {
    let access: SshAccess = api.call("/api/ssh/access", json!({})).await?;
    let alias = format!("aicockpit.{}", access.host);
    let path = session::config_dir()?.join("known_hosts");
    std::fs::create_dir_all(session::config_dir()?).map_err(|e| CliError::Local(e.to_string()))?;
    std::fs::write(&path, ssh_config::known_host(&access, &alias))
        .map_err(|e| CliError::Local(format!("cannot write {}: {e}", path.display())))?;
    Ok((path, alias))
}

/// OpenSSH set to reach `workspace` through the tunnel (with `options`, which it reads only
/// before the destination), trusting the server's host key and signing in with the stored
/// token when none of the user's keys does.
async fn ssh_command(
    api: &Api,
    workspace: &str,
    options: &[&str],
) -> Result<std::process::Command, CliError> {
    let login = login_name(api, workspace).await?;
    let (known_hosts, alias) = trust_host(api).await?;
    let program = this_program()?;
    let askpass = std::env::current_exe().map_err(|e| CliError::Local(e.to_string()))?;
    let mut ssh = std::process::Command::new("ssh");
    ssh.arg("-o")
        .arg(format!("ProxyCommand={program} proxy"))
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .args([
            "-o",
            &format!("HostKeyAlias={alias}"),
            "-o",
            "StrictHostKeyChecking=yes",
        ])
        .args(options)
        .arg(format!("{login}@aicockpit"))
        .env("SSH_ASKPASS", askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env(ASKPASS, "1");
    Ok(ssh)
}

/// Runs `ssh`, ending with its exit status.
fn run_ssh(mut ssh: std::process::Command) -> Result<(), CliError> {
    let status = ssh
        .status()
        .map_err(|e| CliError::Local(format!("cannot run ssh (install OpenSSH's client): {e}")))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(code) => std::process::exit(code),
        None => Err(CliError::Local("ssh was killed".into())),
    }
}

/// `8000` (the same port on both sides) or `LOCAL:REMOTE`.
fn parse_ports(ports: &str) -> Result<(u16, u16), CliError> {
    let port = |text: &str| {
        text.parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| CliError::Local(format!("{text} is not a port: give 8000 or 8080:8000")))
    };
    match ports.split_once(':') {
        Some((local, remote)) => Ok((port(local)?, port(remote)?)),
        None => Ok((port(ports)?, port(ports)?)),
    }
}

async fn config_ssh(api: &Api, file: Option<PathBuf>, as_json: bool) -> Result<(), CliError> {
    let me = me(api).await?;
    let list: WorkspaceList = api.call("/api/workspaces/list", json!({})).await?;
    let hosts = ssh_config::hosts(&list.workspaces, me.name.as_str());
    let (known_hosts, alias) = trust_host(api).await?;
    let path = match file {
        Some(path) => path,
        None => {
            let home = std::env::var_os("HOME")
                .ok_or_else(|| CliError::Local("HOME is not set".into()))?;
            PathBuf::from(home).join(".ssh/config")
        }
    };
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(CliError::Local(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
    };
    let proxy = format!("{} proxy", this_program()?);
    let block = ssh_config::block(&hosts, &proxy, &known_hosts.display().to_string(), &alias);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| CliError::Local(e.to_string()))?;
    }
    std::fs::write(&path, ssh_config::rewrite(&existing, &block))
        .map_err(|e| CliError::Local(format!("cannot write {}: {e}", path.display())))?;
    if as_json {
        return print_json(&hosts);
    }
    for host in &hosts {
        println!("ssh {}", host.alias);
    }
    eprintln!("wrote {} host(s) into {}", hosts.len(), path.display());
    Ok(())
}

fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Local(e.to_string()))?;
    println!("{text}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_one_for_both_sides_or_local_then_remote() {
        assert_eq!(parse_ports("8000").unwrap(), (8000, 8000));
        assert_eq!(parse_ports("9000:8000").unwrap(), (9000, 8000));
        assert!(parse_ports("0").is_err());
        assert!(parse_ports("web")
            .unwrap_err()
            .to_string()
            .contains("is not a port"));
    }
}
