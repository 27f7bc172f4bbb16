//! Shared set-up: the BusyBox test image, a workspace service on a temporary database,
//! a spawned HTTP server on port 0 with a signed-in test admin (an API token on every
//! request), raw Docker access for independent checks, and cleanup.

use std::sync::Arc;
use std::time::Duration;

use aicockpit::ai::AiSettings;
use aicockpit::auth::audit::AuditLog;
use aicockpit::auth::AuthSettings;
use aicockpit::files::{Download, FileManager, FileSettings};
use aicockpit::images::busybox;
use aicockpit::runtime::docker::DockerRuntime;
use aicockpit::runtime::ByteStream;
use aicockpit::runtime::ContainerRuntime;
use aicockpit::startup::{Application, ServeConfig};
use aicockpit::store::Store;
use aicockpit::workspaces::{container_name, volume_name, WorkspaceManager, WorkspaceSettings};
use app::auth::{Actor, Role, UserName, Via, WorkspaceRef};
use app::error::AppError;
use app::files::{FileEntry, TextFile};
use app::model::{Limits, Workspace, WorkspaceList, WorkspaceName, WorkspaceSpec};
use app::service::{FileService, WorkspaceService};
use app::workspace_path::WorkspacePath;
use bollard::exec::{CreateExecOptions, StartExecResults};
use futures::{SinkExt, StreamExt};
use tokio::sync::OnceCell;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

pub const DOCKER_HOST: &str = "unix:///var/run/docker.sock";
/// The admin every test server and service acts as, and that password.
pub const OWNER: &str = "tester";
pub const PASSWORD: &str = "a test password";

pub fn owner() -> UserName {
    UserName::parse(OWNER).unwrap()
}

/// `tester/<name>`.
pub fn reference(name: &WorkspaceName) -> WorkspaceRef {
    WorkspaceRef::new(owner(), name.clone())
}

/// The container of a test workspace, for checks straight through Docker.
pub fn container(name: &WorkspaceName) -> String {
    container_name(&owner(), name)
}

pub fn volume(name: &WorkspaceName) -> String {
    volume_name(&owner(), name)
}

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
                .args(["rm", "-f", &container(name)])
                .output();
            let _ = std::process::Command::new("docker")
                .args(["volume", "rm", "-f", &volume(name)])
                .output();
        }
    }
}

pub struct TestService {
    pub manager: WorkspaceManager,
    pub store: Store,
    pub image: String,
    /// The test admin, owner of the workspaces the helpers below make.
    pub actor: Actor,
    _dir: tempfile::TempDir,
}

/// The service's calls, as the test admin on `tester/<name>`.
impl TestService {
    /// A file service on this service's store, acting as the test admin.
    pub fn files(&self, settings: FileSettings) -> TestFiles {
        let resolver = self.manager.resolver();
        let audit = AuditLog::new(self.store.clone());
        TestFiles {
            manager: FileManager::new(runtime(), resolver, audit, settings),
            actor: self.actor.clone(),
        }
    }

    pub async fn list(&self) -> Result<WorkspaceList, AppError> {
        self.manager.list(&self.actor).await
    }

    pub async fn create(&self, spec: WorkspaceSpec) -> Result<Workspace, AppError> {
        self.manager.create(&self.actor, spec).await
    }

    pub async fn start(&self, name: &WorkspaceName) -> Result<(), AppError> {
        self.manager.start(&self.actor, &reference(name)).await
    }

    pub async fn stop(&self, name: &WorkspaceName) -> Result<(), AppError> {
        self.manager.stop(&self.actor, &reference(name)).await
    }

    pub async fn delete(&self, name: &WorkspaceName, keep_volume: bool) -> Result<(), AppError> {
        self.manager
            .delete(&self.actor, &reference(name), keep_volume)
            .await
    }
}

/// A workspace service on the test image, with its own database file.
pub async fn service() -> TestService {
    service_on(runtime(), &test_image().await).await
}

/// A workspace service on any runtime and default image, with its own database file.
pub async fn service_on(runtime: Arc<dyn ContainerRuntime>, image: &str) -> TestService {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("test.db")).await.unwrap();
    // The service never checks passwords; any hash will do.
    let id = store
        .insert_user(&owner(), "unused", Role::Admin, 0)
        .await
        .unwrap();
    let mut settings = WorkspaceSettings::new(image);
    settings.stop_grace = Duration::from_secs(2);
    TestService {
        manager: WorkspaceManager::new(runtime, store.clone(), settings),
        store,
        image: image.to_owned(),
        actor: Actor {
            id,
            name: owner(),
            role: Role::Admin,
            via: Via::Session,
            address: None,
        },
        _dir: dir,
    }
}

/// A service with one running workspace on the test image, removed when the guard drops.
pub async fn running_workspace(label: &str) -> (TestService, WorkspaceName, Cleanup) {
    let svc = service().await;
    let name = unique_name(label);
    let cleanup = Cleanup(vec![name.clone()]);
    svc.create(spec(&name, &svc.image)).await.unwrap();
    (svc, name, cleanup)
}

/// The file service's calls, as the test admin on `tester/<name>`.
pub struct TestFiles {
    pub manager: FileManager,
    pub actor: Actor,
}

impl TestFiles {
    pub async fn list(
        &self,
        ws: &WorkspaceName,
        folder: &WorkspacePath,
    ) -> Result<Vec<FileEntry>, AppError> {
        self.manager.list(&self.actor, &reference(ws), folder).await
    }

    pub async fn read_text(
        &self,
        ws: &WorkspaceName,
        file: &WorkspacePath,
    ) -> Result<TextFile, AppError> {
        self.manager
            .read_text(&self.actor, &reference(ws), file)
            .await
    }

    pub async fn write_text(
        &self,
        ws: &WorkspaceName,
        file: &WorkspacePath,
        text: String,
        base: Option<String>,
    ) -> Result<String, AppError> {
        self.manager
            .write_text(&self.actor, &reference(ws), file, text, base)
            .await
    }

    pub async fn create_file(
        &self,
        ws: &WorkspaceName,
        file: &WorkspacePath,
    ) -> Result<(), AppError> {
        self.manager
            .create_file(&self.actor, &reference(ws), file)
            .await
    }

    pub async fn create_folder(
        &self,
        ws: &WorkspaceName,
        folder: &WorkspacePath,
    ) -> Result<(), AppError> {
        self.manager
            .create_folder(&self.actor, &reference(ws), folder)
            .await
    }

    pub async fn rename(
        &self,
        ws: &WorkspaceName,
        from: &WorkspacePath,
        to: &WorkspacePath,
    ) -> Result<(), AppError> {
        self.manager
            .rename(&self.actor, &reference(ws), from, to)
            .await
    }

    pub async fn delete(&self, ws: &WorkspaceName, path: &WorkspacePath) -> Result<(), AppError> {
        self.manager.delete(&self.actor, &reference(ws), path).await
    }

    pub async fn download(
        &self,
        ws: &WorkspaceName,
        path: &WorkspacePath,
    ) -> Result<Download, AppError> {
        self.manager
            .download(&self.actor, &reference(ws), path)
            .await
    }

    pub async fn upload(
        &self,
        ws: &WorkspaceName,
        file: &WorkspacePath,
        size: u64,
        body: ByteStream,
    ) -> Result<(), AppError> {
        self.manager
            .upload(&self.actor, &reference(ws), file, size, body)
            .await
    }
}

pub struct TestApp {
    pub base: String,
    /// The serving task, when spawned with a shutdown signal.
    pub server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// Sends the test admin's API token with every request.
    pub client: reqwest::Client,
    /// The test admin's API token.
    pub token: String,
    pub auth: std::sync::Arc<aicockpit::auth::AuthManager>,
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

    /// The body naming a test workspace for start, stop and delete.
    pub fn target(&self, name: &WorkspaceName) -> serde_json::Value {
        serde_json::json!({ "workspace": reference(name).to_string() })
    }

    /// `ws://…/ws/terminal/tester/<name>/<terminal>`.
    pub fn terminal_url(&self, name: &WorkspaceName, terminal: &str) -> String {
        let path = app::terminal::terminal_path(&reference(name), terminal);
        format!("{}{path}", self.base.replacen("http://", "ws://", 1))
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
    let mut app = start(
        docker_host,
        image,
        std::future::pending(),
        AuthSettings::default(),
        AiSettings::default(),
    )
    .await;
    app.server = None;
    app
}

/// A server with its own account settings (e.g. a short sign-in lock-out).
pub async fn spawn_app_with(auth: AuthSettings) -> TestApp {
    let mut app = start(
        DOCKER_HOST,
        test_image().await,
        std::future::pending(),
        auth,
        AiSettings::default(),
    )
    .await;
    app.server = None;
    app
}

/// A server with AI providers.
pub async fn spawn_app_with_ai(ai: AiSettings) -> TestApp {
    let mut app = start(
        DOCKER_HOST,
        test_image().await,
        std::future::pending(),
        AuthSettings::default(),
        ai,
    )
    .await;
    app.server = None;
    app
}

/// A server that stops when `shutdown` completes; its task is in `TestApp::server`.
pub async fn spawn_app_until(
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> TestApp {
    start(
        DOCKER_HOST,
        test_image().await,
        shutdown,
        AuthSettings::default(),
        AiSettings::default(),
    )
    .await
}

async fn start(
    docker_host: &str,
    image: String,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    auth: AuthSettings,
    ai: AiSettings,
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
        tls: None,
        terminals: aicockpit::terminal::TerminalSettings::default(),
        files: aicockpit::files::FileSettings::default(),
        auth,
        ai,
    };
    let app = Application::build(config)
        .await
        .expect("the application starts");
    let base = format!("http://{}", app.addr);
    let auth = app.auth.clone();
    auth.add_user(OWNER, PASSWORD, Role::Admin).await.unwrap();
    let token = auth.issue_token(&owner(), "tests").await.unwrap();
    let server = tokio::spawn(app.run(shutdown));
    TestApp {
        base,
        server: Some(server),
        client: bearer_client(&token),
        token,
        auth,
        image,
        _dir: dir,
    }
}

/// An HTTP client that sends `Authorization: Bearer <token>` with every request.
pub fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let value = format!("Bearer {token}").parse().unwrap();
    headers.insert(reqwest::header::AUTHORIZATION, value);
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// Runs a command in a workspace container through the raw Docker API; returns stdout.
pub async fn exec(name: &WorkspaceName, command: &[&str]) -> String {
    let docker = bollard::Docker::connect_with_unix_defaults().unwrap();
    let exec = docker
        .create_exec(
            &container(name),
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

pub type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// A terminal WebSocket opened with an API token.
pub async fn terminal(url: &str, token: &str) -> Socket {
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    connect_async(request).await.expect("the terminal opens").0
}

/// Everything the socket shows until `wanted` appears (text frames included).
pub async fn until(socket: &mut Socket, wanted: &str) -> String {
    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(Ok(frame)) = socket.next().await {
            match frame {
                Message::Binary(bytes) => seen.push_str(&String::from_utf8_lossy(&bytes)),
                Message::Text(text) => seen.push_str(&text),
                _ => {}
            }
            if seen.contains(wanted) {
                return;
            }
        }
    })
    .await;
    assert!(found.is_ok(), "{wanted:?} never came; saw {seen:?}");
    seen
}

pub async fn type_in(socket: &mut Socket, keys: &str) {
    socket
        .send(Message::Binary(keys.as_bytes().to_vec().into()))
        .await
        .unwrap();
}
