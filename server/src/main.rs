//! The `aicockpit` binary: serve the dashboard, or build and pull workspace images.

// Leptos view types nest deeply; release builds (no type erasure) need the headroom.
#![recursion_limit = "256"]

use std::process::ExitCode;
use std::sync::Arc;

use aicockpit::config::{Cli, Command, DockerArgs, ImageCommand, ServeArgs};
use aicockpit::files::FileSettings;
use aicockpit::images::{busybox, dev};
use aicockpit::runtime::docker::{DockerRuntime, IMAGE_TIMEOUT};
use aicockpit::runtime::ContainerRuntime;
use aicockpit::startup::{Application, ServeConfig};
use aicockpit::terminal::TerminalSettings;
use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let Cli {
        docker,
        serve: serve_args,
        command,
    } = cli;
    let runtime = Arc::new(DockerRuntime::new(
        docker.docker_host.clone(),
        docker.timeout(),
        IMAGE_TIMEOUT,
    ));
    match command.unwrap_or(Command::Serve) {
        Command::Serve => serve(serve_args, docker).await,
        Command::Image(ImageCommand::Build { mirror, force }) => {
            let options = dev::BuildOptions { mirror, force };
            dev::build(runtime.as_ref(), &options, &|line| println!("{line}")).await?;
            Ok(())
        }
        Command::Image(ImageCommand::Busybox) => {
            println!("{}", busybox::ensure(runtime.as_ref()).await?);
            Ok(())
        }
        Command::Image(ImageCommand::Pull { reference }) => {
            runtime
                .pull_image(&reference, &|p| {
                    let layer = p.layer.map(|l| format!("{l}: ")).unwrap_or_default();
                    println!("{layer}{} {}", p.status, p.detail.unwrap_or_default());
                })
                .await?;
            println!("pulled {reference}");
            Ok(())
        }
        Command::Image(ImageCommand::Reference) => {
            println!("{}", dev::reference());
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs, docker: DockerArgs) -> Result<(), Box<dyn std::error::Error>> {
    let config = ServeConfig {
        bind: args.bind,
        database: args.database,
        docker_timeout: docker.timeout(),
        docker_host: docker.docker_host,
        default_image: args.default_image.unwrap_or_else(dev::reference),
        site_root: args.site_root,
        public_url: args.public_url,
        terminals: TerminalSettings {
            idle_timeout: std::time::Duration::from_secs(args.terminal_idle_secs),
            ..TerminalSettings::default()
        },
        files: FileSettings {
            upload_limit: args.upload_limit_mib.saturating_mul(1 << 20),
            ..FileSettings::default()
        },
    };
    let app = Application::build(config.clone()).await?;
    tracing::info!(database = %config.database.display(), docker = %config.docker_host, "AiCockpit is ready");
    if app.addr.ip().is_loopback() {
        tracing::info!(
            "listening on http://{} (this machine only: there is no sign-in yet)",
            app.addr
        );
    } else {
        tracing::warn!(
            "listening on http://{} — reachable from the network, and there is no sign-in yet",
            app.addr
        );
    }
    app.run(shutdown_signal()).await?;
    Ok(())
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
