//! The `aicockpit` binary: serve the dashboard, build and pull workspace images, or manage
//! accounts.

// Leptos view types nest deeply; release builds (no type erasure) need the headroom.
#![recursion_limit = "256"]

use std::process::ExitCode;

use aicockpit::auth::audit::AuditLog;
use aicockpit::auth::{AccessEvents, AuthManager, AuthSettings};
use aicockpit::config::{Cli, Command, ImageCommand, KeyAction, ServeArgs, UserCommand};
use aicockpit::images::{busybox, dev};
use aicockpit::runtime::Backend;
use aicockpit::ssh::keys::SshKeys;
use aicockpit::startup::{setup_file, Application};
use aicockpit::store::unix_now as store_now;
use aicockpit::store::Store;
use app::auth::{Actor, Grant, Role, SshAccess, UserName, Via};
use app::service::SshService;
use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    // `aicockpit ssh` runs OpenSSH with this program as its askpass.
    if std::env::var_os(aicockpit::cli::ASKPASS).is_some()
        && std::env::args().nth(1).as_deref() != Some("proxy")
    {
        return finish(aicockpit::cli::askpass().map_err(Into::into));
    }
    let cli = Cli::parse();
    if let Some(Command::Client(command)) = cli.command {
        // No logging: `proxy` speaks SSH on standard output.
        return finish(command.run().await.map_err(Into::into));
    }
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    if cli.log_format == "json" {
        logs.json().init();
    } else {
        logs.init();
    }
    finish(run(cli).await)
}

fn finish(result: Result<(), Box<dyn std::error::Error>>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let Cli {
        runtime,
        serve: serve_args,
        command,
        ..
    } = cli;
    match command.unwrap_or(Command::Serve) {
        Command::Serve => serve(serve_args, runtime.backend().await?).await,
        Command::Image(command) => image(command, runtime.backend().await?).await,
        // Accounts are the database's alone: no runtime is made (nor a cluster reached).
        Command::User(command) => user(serve_args, command).await,
        Command::Client(command) => Ok(command.run().await?),
    }
}

async fn image(command: ImageCommand, backend: Backend) -> Result<(), Box<dyn std::error::Error>> {
    let images = backend.images.as_ref();
    match command {
        ImageCommand::Build { mirror, force } => {
            let options = dev::BuildOptions { mirror, force };
            dev::build(images, &options, &|line| println!("{line}")).await?;
            Ok(())
        }
        ImageCommand::Busybox => {
            println!("{}", busybox::ensure(images).await?);
            Ok(())
        }
        ImageCommand::Pull { reference } => {
            images
                .pull_image(&reference, &|p| {
                    let layer = p.layer.map(|l| format!("{l}: ")).unwrap_or_default();
                    println!("{layer}{} {}", p.status, p.detail.unwrap_or_default());
                })
                .await?;
            println!("pulled {reference}");
            Ok(())
        }
        ImageCommand::Reference => {
            println!("{}", dev::reference());
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs, backend: Backend) -> Result<(), Box<dyn std::error::Error>> {
    let config = args.serve_config(dev::reference)?;
    let engine = backend.containers.engine().name();
    let address = backend.containers.address().to_owned();
    let app = Application::build(config.clone(), backend).await?;
    tracing::info!(database = %config.database.display(), engine, address, "AiCockpit is ready");
    let scheme = if app.serves_tls() { "https" } else { "http" };
    let public = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{}", app.addr));
    tracing::info!(
        "listening on {scheme}://{} (reach it at {public})",
        app.addr
    );
    if !app.addr.ip().is_loopback() && scheme == "http" && !public.starts_with("https://") {
        tracing::warn!(
            "serving plain HTTP on {}: passwords and session cookies cross the network unencrypted. Use --tls-cert and --tls-key, or a TLS reverse proxy with --public-url https://…",
            app.addr
        );
    }
    if let Some(token) = &app.setup_token {
        // Printed, not only logged: this is how the first admin gets in.
        println!(
            "\nNo user exists yet. Create the first admin at:\n\n    {public}/setup?token={token}\n\n(the link works once; the token is also in {})\n",
            setup_file(&config.database).display()
        );
    }
    app.run(shutdown_signal()).await?;
    Ok(())
}

async fn user(args: ServeArgs, command: UserCommand) -> Result<(), Box<dyn std::error::Error>> {
    let store = Store::open(&args.database).await?;
    let auth = AuthManager::new(&store, AuthSettings::default(), AccessEvents::default());
    match command {
        UserCommand::Add { name, admin } => {
            let role = if admin { Role::Admin } else { Role::Member };
            let password = read_password(&name)?;
            let name = auth.add_user(&name, &password, role).await?;
            println!("added {name} ({})", role.label());
        }
        UserCommand::Token {
            name,
            label,
            scope,
            days,
        } => {
            let user = UserName::parse(&name)?;
            let grant = Grant {
                scopes: scope,
                workspace: None,
            };
            let expires_at = days.map(|d| store_now() + i64::from(d.max(1)) * 86_400);
            println!(
                "{}",
                auth.issue_scoped_token(&user, &label, &grant, expires_at)
                    .await?
            );
        }
        UserCommand::Key { name, action } => keys(&store, &name, action).await?,
    }
    Ok(())
}

/// `aicockpit user key`: the user's SSH keys, changed as they would on their account page.
async fn keys(
    store: &Store,
    name: &str,
    action: KeyAction,
) -> Result<(), Box<dyn std::error::Error>> {
    let user = UserName::parse(name)?;
    let record = store
        .users()
        .user_by_name(&user)
        .await?
        .ok_or_else(|| format!("there is no user {user}"))?;
    let actor = Actor {
        id: record.id,
        name: user,
        role: record.role,
        via: Via::Session,
        grant: Grant::full(),
        address: None,
    };
    let keys = SshKeys::new(
        store.ssh_keys(),
        AuditLog::new(store.audit()),
        AccessEvents::default(),
        SshAccess {
            host_fingerprint: String::new(),
            host_key: String::new(),
            host: String::new(),
            port: None,
        },
    );
    match action {
        KeyAction::Add { file, label } => {
            let text = match file {
                Some(path) => std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
                None => std::io::read_to_string(std::io::stdin())?,
            };
            let key = keys.add_key(&actor, &label, &text).await?;
            println!("added key {} ({}) {}", key.id, key.name, key.fingerprint);
        }
        KeyAction::List => {
            for key in keys.keys(&actor).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    key.id, key.name, key.algorithm, key.fingerprint
                );
            }
        }
        KeyAction::Remove { id } => {
            keys.remove_key(&actor, id).await?;
            println!("removed key {id}");
        }
    }
    Ok(())
}

/// Asked twice on a terminal (without echo); one line from a pipe otherwise.
fn read_password(name: &str) -> std::io::Result<String> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let password = rpassword::prompt_password(format!("Password for {name}: "))?;
    let again = rpassword::prompt_password("The same again: ")?;
    if password != again {
        return Err(std::io::Error::other("the two passwords differ"));
    }
    Ok(password)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => drop(term.recv().await),
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
