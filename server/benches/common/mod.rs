//! What the benches share: AiCockpit running on a temporary database, an admin's API
//! client, and one BusyBox workspace to measure against (removed by `remove`).
// Each bench uses part of this.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use aicockpit::ai::AiSettings;
use aicockpit::config::ServeConfig;
use aicockpit::images::busybox;
use aicockpit::runtime::Backend;
use aicockpit::runtime::ContainerRuntime;
use aicockpit::startup::Application;
use aicockpit::workspaces::container_name;
use app::auth::{Role, UserName};
use app::model::WorkspaceName;

pub type Failure = Box<dyn std::error::Error>;

pub const DOCKER: &str = "unix:///var/run/docker.sock";
pub const OWNER: &str = "bench";

/// A count from the environment variable `name`, else `default`.
pub fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

pub struct BenchApp {
    pub base: String,
    /// Sends the admin's token with every request.
    pub http: reqwest::Client,
    pub authorization: String,
    pub runtime: Arc<dyn ContainerRuntime>,
    /// The BusyBox image workspaces are made from.
    pub image: String,
    workspace: String,
    dir: tempfile::TempDir,
}

/// Starts AiCockpit and creates the workspace `workspace` owned by the bench admin.
pub async fn start(workspace: &str, memory_mib: u64, ai: AiSettings) -> Result<BenchApp, Failure> {
    let backend = Backend::docker(DOCKER, Duration::from_secs(60), Default::default());
    let image = busybox::ensure(backend.images.as_ref()).await?;
    let dir = tempfile::tempdir()?;
    let runtime = backend.containers.clone();
    let app = Application::build(
        ServeConfig {
            ai,
            ..ServeConfig::local(dir.path().join("bench.db"), image.clone())
        },
        backend,
    )
    .await?;
    let base = format!("http://{}", app.addr);
    app.auth
        .add_user(OWNER, "bench password", Role::Admin)
        .await?;
    let token = app
        .auth
        .issue_token(&UserName::parse(OWNER)?, "bench")
        .await?;
    tokio::spawn(app.run(std::future::pending()));
    let authorization = format!("Bearer {token}");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, authorization.parse()?);
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()?;
    let created = http
        .post(format!("{base}/api/workspaces/create"))
        .json(&serde_json::json!({ "request": { "name": workspace, "image": image, "cpus": 1.0, "memory_mib": memory_mib } }))
        .send()
        .await?;
    if !created.status().is_success() {
        return Err(format!("creating the workspace failed: {}", created.text().await?).into());
    }
    Ok(BenchApp {
        base,
        http,
        authorization,
        runtime,
        image,
        workspace: workspace.to_owned(),
        dir,
    })
}

impl BenchApp {
    /// The database the server runs on.
    pub fn database(&self) -> std::path::PathBuf {
        self.dir.path().join("bench.db")
    }

    /// The workspace's container.
    pub fn container(&self) -> String {
        let owner = UserName::parse(OWNER).expect("a valid user name");
        let name = WorkspaceName::parse(&self.workspace).expect("a valid workspace name");
        container_name(&owner, &name)
    }

    /// Removes the workspace's container and volume.
    pub fn remove(&self) {
        let container = self.container();
        for args in [
            vec!["rm", "-f", &container],
            vec!["volume", "rm", "-f", &format!("{container}-files")],
        ] {
            let _ = std::process::Command::new("docker").args(args).output();
        }
    }
}
