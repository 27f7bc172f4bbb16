//! Shared set-up: the BusyBox test image, a workspace service on a temporary database,
//! a spawned HTTP server on port 0, raw Docker access for independent checks, and cleanup.

use std::sync::Arc;
use std::time::Duration;

use aicockpit::images::busybox;
use aicockpit::runtime::docker::DockerRuntime;
use aicockpit::runtime::ContainerRuntime;
use aicockpit::startup::{Application, ServeConfig};
use aicockpit::store::Store;
use aicockpit::workspaces::{container_name, volume_name, WorkspaceManager, WorkspaceSettings};
use app::model::{Limits, WorkspaceName, WorkspaceSpec};
use app::service::WorkspaceService;
use bollard::exec::{CreateExecOptions, StartExecResults};
use futures::StreamExt;
use tokio::sync::OnceCell;

pub const DOCKER_HOST: &str = "unix:///var/run/docker.sock";

pub fn runtime() -> Arc<dyn ContainerRuntime> {
    Arc::new(DockerRuntime::new(
        DOCKER_HOST,
        Duration::from_secs(60),
        Duration::from_secs(300),
    ))
}

/// The BusyBox image, imported once per test run.
pub async fn test_image() -> String {
    static IMAGE: OnceCell<String> = OnceCell::const_new();
    IMAGE
        .get_or_init(|| async {
            busybox::ensure(runtime().as_ref())
                .await
                .expect("the BusyBox test image (is Docker running and busybox-static installed?)")
        })
        .await
        .clone()
}

/// A name unique to this test run, so tests can run concurrently and repeatedly.
pub fn unique_name(label: &str) -> WorkspaceName {
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
    WorkspaceName::parse(&format!("t-{label}-{suffix}")).unwrap()
}

pub fn spec(name: &WorkspaceName, image: &str) -> WorkspaceSpec {
    WorkspaceSpec {
        name: name.clone(),
        image: image.to_owned(),
        limits: Limits {
            cpus: 0.5,
            memory_mib: 256,
        },
    }
}

/// Removes a test's containers and volumes even when an assertion failed.
pub struct Cleanup(pub Vec<WorkspaceName>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for name in &self.0 {
            let _ = std::process::Command::new("docker")
                .args(["rm", "-f", &container_name(name)])
                .output();
            let _ = std::process::Command::new("docker")
                .args(["volume", "rm", "-f", &volume_name(name)])
                .output();
        }
    }
}

pub struct TestService {
    pub manager: WorkspaceManager,
    pub image: String,
    _dir: tempfile::TempDir,
}

/// A workspace service on the test image, with its own database file.
pub async fn service() -> TestService {
    service_on(runtime(), &test_image().await).await
}

/// A workspace service on any runtime and default image, with its own database file.
pub async fn service_on(runtime: Arc<dyn ContainerRuntime>, image: &str) -> TestService {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("test.db")).await.unwrap();
    let mut settings = WorkspaceSettings::new(image);
    settings.stop_grace = Duration::from_secs(2);
    TestService {
        manager: WorkspaceManager::new(runtime, store, settings),
        image: image.to_owned(),
        _dir: dir,
    }
}

/// A service with one running workspace on the test image, removed when the guard drops.
pub async fn running_workspace(label: &str) -> (TestService, WorkspaceName, Cleanup) {
    let svc = service().await;
    let name = unique_name(label);
    let cleanup = Cleanup(vec![name.clone()]);
    svc.manager.create(spec(&name, &svc.image)).await.unwrap();
    (svc, name, cleanup)
}

pub struct TestApp {
    pub base: String,
    /// The serving task, when spawned with a shutdown signal.
    pub server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    pub client: reqwest::Client,
    pub image: String,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("the server answers")
    }

    /// The create request body for a workspace on the test image.
    pub fn create_request(&self, name: &WorkspaceName) -> serde_json::Value {
        serde_json::json!({ "request": { "name": name.as_str(), "image": self.image, "cpus": 1.0, "memory_mib": 256 } })
    }

    /// The status the list endpoint reports for a workspace.
    pub async fn status_of(&self, name: &WorkspaceName) -> String {
        let list: serde_json::Value = self
            .call("list", serde_json::json!({}))
            .await
            .json()
            .await
            .unwrap();
        let entry = list["workspaces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == name.as_str());
        entry.expect("listed")["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Calls a workspace server function: `POST /api/workspaces/<action>` with JSON.
    pub async fn call(&self, action: &str, body: serde_json::Value) -> reqwest::Response {
        self.post(&format!("/api/workspaces/{action}"), body).await
    }

    /// Calls a file server function: `POST /api/files/<action>` with JSON.
    pub async fn files(&self, action: &str, body: serde_json::Value) -> reqwest::Response {
        self.post(&format!("/api/files/{action}"), body).await
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("the server answers")
    }
}

/// A spawned server with one workspace created through its API, removed when the guard drops.
pub async fn app_with_workspace(label: &str) -> (TestApp, WorkspaceName, Cleanup) {
    let app = spawn_app().await;
    let name = unique_name(label);
    let cleanup = Cleanup(vec![name.clone()]);
    let created = app.call("create", app.create_request(&name)).await;
    assert_eq!(created.status(), 200, "{:?}", created.text().await);
    (app, name, cleanup)
}

pub async fn spawn_app() -> TestApp {
    spawn_app_on(DOCKER_HOST, test_image().await).await
}

pub async fn spawn_app_on(docker_host: &str, image: String) -> TestApp {
    let mut app = start(docker_host, image, std::future::pending()).await;
    app.server = None;
    app
}

/// A server that stops when `shutdown` completes; its task is in `TestApp::server`.
pub async fn spawn_app_until(
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> TestApp {
    start(DOCKER_HOST, test_image().await, shutdown).await
}

async fn start(
    docker_host: &str,
    image: String,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let config = ServeConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        database: dir.path().join("app.db"),
        docker_host: docker_host.into(),
        docker_timeout: Duration::from_secs(60),
        default_image: image.clone(),
        site_root: "target/site".into(),
        public_url: None,
        terminals: aicockpit::terminal::TerminalSettings::default(),
        files: aicockpit::files::FileSettings::default(),
    };
    let app = Application::build(config)
        .await
        .expect("the application starts");
    let base = format!("http://{}", app.addr);
    let server = tokio::spawn(app.run(shutdown));
    TestApp {
        base,
        server: Some(server),
        client: reqwest::Client::new(),
        image,
        _dir: dir,
    }
}

/// Runs a command in a workspace container through the raw Docker API; returns stdout.
pub async fn exec(name: &WorkspaceName, command: &[&str]) -> String {
    let docker = bollard::Docker::connect_with_unix_defaults().unwrap();
    let exec = docker
        .create_exec(
            &container_name(name),
            CreateExecOptions {
                cmd: Some(command.iter().map(|s| s.to_string()).collect()),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut text = String::new();
    if let StartExecResults::Attached { mut output, .. } =
        docker.start_exec(&exec.id, None).await.unwrap()
    {
        while let Some(Ok(chunk)) = output.next().await {
            text.push_str(&chunk.to_string());
        }
    }
    text
}

pub fn raw_docker() -> bollard::Docker {
    bollard::Docker::connect_with_unix_defaults().expect("Docker socket")
}
