//! A spawned HTTP server on port 0 with a signed-in test admin (an API token on every
//! request), its API clients, and terminal WebSockets.

use std::time::Duration;

use aicockpit::ai::AiSettings;
use aicockpit::auth::AuthSettings;
use aicockpit::config::ServeConfig;
use aicockpit::runtime::memory::MemoryRuntime;
use aicockpit::runtime::Backend;
use aicockpit::startup::Application;
use app::auth::Role;
use app::model::WorkspaceName;
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

use crate::helpers::{
    docker_backend, owner, reference, test_image, unique_name, Cleanup, DOCKER_HOST, OWNER,
    PASSWORD,
};

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
    /// Where SSH is served, when the test asked for it.
    pub ssh: Option<std::net::SocketAddr>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// The SQLite file the server runs on.
    pub fn database(&self) -> std::path::PathBuf {
        self._dir.path().join("app.db")
    }

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
        self.entry(name).await["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Polls the list until `done` holds for the workspace's entry, for at most `within`;
    /// the last entry read.
    pub async fn wait_for(
        &self,
        name: &WorkspaceName,
        within: Duration,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let entry = self.entry(name).await;
            if done(&entry) || tokio::time::Instant::now() > deadline {
                return entry;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A workspace's entry in the list, as the dashboard receives it.
    pub async fn entry(&self, name: &WorkspaceName) -> serde_json::Value {
        entry_of(&self.client, &self.base, name)
            .await
            .expect("listed")
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

    /// A new member with an API token: a client that acts as them.
    pub async fn member(&self, name: &str) -> reqwest::Client {
        self.auth
            .add_user(name, PASSWORD, Role::Member)
            .await
            .unwrap();
        let user = app::auth::UserName::parse(name).unwrap();
        bearer_client(&self.auth.issue_token(&user, "t").await.unwrap())
    }

    /// Shares `workspace` with `user` as `role` (`"Editor"`, `"Viewer"`), or ends the share
    /// (`null`), as the test admin.
    pub async fn share(
        &self,
        workspace: &str,
        user: &str,
        role: serde_json::Value,
    ) -> reqwest::Response {
        let body = serde_json::json!({ "workspace": workspace, "user": user, "role": role });
        self.post("/api/workspaces/share", body).await
    }

    /// `POST <path>` with JSON, as the test admin.
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.post(path, body).await
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
    spawn_app_on(docker_backend(DOCKER_HOST), test_image().await).await
}

/// The image the in-memory runtime holds: a workspace made from it is a record, with no
/// process behind it.
pub const MEMORY_IMAGE: &str = "memory/dev:1";

/// The in-memory runtime, holding [`MEMORY_IMAGE`].
pub fn memory_backend() -> Backend {
    Backend::of(std::sync::Arc::new(MemoryRuntime::new(&[MEMORY_IMAGE])))
}

/// A server on the in-memory runtime, for what happens above the containers (HTTP, the
/// guards, accounts, the API's rules): no engine needed, and quick.
pub async fn spawn_memory_app() -> TestApp {
    spawn_app_on(memory_backend(), MEMORY_IMAGE.into()).await
}

/// [`spawn_memory_app`] with one workspace created through its API.
pub async fn memory_app_with_workspace(label: &str) -> (TestApp, WorkspaceName) {
    let app = spawn_memory_app().await;
    let name = unique_name(label);
    let created = app.call("create", app.create_request(&name)).await;
    assert_eq!(created.status(), 200, "{:?}", created.text().await);
    (app, name)
}

pub async fn spawn_app_on(backend: Backend, image: String) -> TestApp {
    let mut app = start(
        backend,
        image,
        std::future::pending(),
        AuthSettings::default(),
        AiSettings::default(),
        |_| {},
    )
    .await;
    app.server = None;
    app
}

/// A server on the in-memory runtime with its own account settings (a short sign-in
/// lock-out, say).
pub async fn spawn_memory_app_with(auth: AuthSettings) -> TestApp {
    let mut app = start(
        memory_backend(),
        MEMORY_IMAGE.into(),
        std::future::pending(),
        auth,
        AiSettings::default(),
        |_| {},
    )
    .await;
    app.server = None;
    app
}

/// A server with AI providers.
pub async fn spawn_app_with_ai(ai: AiSettings) -> TestApp {
    let mut app = start(
        docker_backend(DOCKER_HOST),
        test_image().await,
        std::future::pending(),
        AuthSettings::default(),
        ai,
        |_| {},
    )
    .await;
    app.server = None;
    app
}

/// A server that stops when `shutdown` completes; its task is in `TestApp::server`.
pub async fn spawn_app_until(
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> TestApp {
    spawn_app_until_with_ai(shutdown, AiSettings::default()).await
}

/// [`spawn_app_until`] with AI providers.
pub async fn spawn_app_until_with_ai(
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ai: AiSettings,
) -> TestApp {
    start(
        docker_backend(DOCKER_HOST),
        test_image().await,
        shutdown,
        AuthSettings::default(),
        ai,
        |_| {},
    )
    .await
}

/// A server with settings of its own beyond the usual (idle times, say).
pub async fn spawn_app_configured(configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
    let mut app = start(
        docker_backend(DOCKER_HOST),
        test_image().await,
        std::future::pending(),
        AuthSettings::default(),
        AiSettings::default(),
        configure,
    )
    .await;
    app.server = None;
    app
}

async fn start(
    backend: Backend,
    image: String,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    auth: AuthSettings,
    ai: AiSettings,
    configure: impl FnOnce(&mut ServeConfig),
) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServeConfig {
        auth,
        ai,
        ..ServeConfig::local(dir.path().join("app.db"), image.clone())
    };
    configure(&mut config);
    let app = Application::build(config, backend)
        .await
        .expect("the application starts");
    let base = format!("http://{}", app.addr);
    let ssh = app.ssh_addr;
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
        ssh,
        _dir: dir,
    }
}

/// A workspace's entry in the list `client` gets from the server at `base`, if listed.
pub async fn entry_of(
    client: &reqwest::Client,
    base: &str,
    name: &WorkspaceName,
) -> Option<serde_json::Value> {
    let list: serde_json::Value = client
        .post(format!("{base}/api/workspaces/list"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .unwrap();
    list["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == name.as_str())
        .cloned()
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

/// `POST /api/workspaces/<action>` with JSON, by `client` on the server at `base`.
pub async fn workspace_call(
    client: &reqwest::Client,
    base: &str,
    action: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    client
        .post(format!("{base}/api/workspaces/{action}"))
        .json(&body)
        .send()
        .await
        .expect("the server answers")
}

/// A template's (or a repository's) build events as `(event, data)` until it ends,
/// followed by `client` on the server at `base`.
pub async fn build_events(
    client: &reqwest::Client,
    base: &str,
    template: &str,
) -> Vec<(String, serde_json::Value)> {
    let url = format!("{base}{}?template={template}", app::wire::TEMPLATE_BUILD);
    server_sent_events(client, &url).await
}

/// The server-sent events at `url` as `(event, data)`, until the server ends the stream.
pub async fn server_sent_events(
    client: &reqwest::Client,
    url: &str,
) -> Vec<(String, serde_json::Value)> {
    let response = client.get(url).send().await.expect("the server answers");
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let (mut text, mut events) = (String::new(), Vec::new());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    loop {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .expect("the stream ends in time");
        let Some(chunk) = chunk else { return events };
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        while let Some((event, rest)) = text.split_once("\n\n") {
            let mut name = String::new();
            let mut data = String::new();
            for line in event.lines() {
                if let Some(v) = line.strip_prefix("event: ") {
                    name = v.into();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data.push_str(v);
                }
            }
            text = rest.to_owned();
            if !name.is_empty() {
                events.push((name, serde_json::from_str(&data).unwrap()));
            }
        }
    }
}
