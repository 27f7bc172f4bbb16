//! Shared set-up: the BusyBox test image, a workspace service on a temporary database,
//! raw Docker access for independent checks, and cleanup. The spawned HTTP server and its
//! clients are in `test_app`, re-exported here.

use std::sync::Arc;
use std::time::Duration;

use aicockpit::auth::audit::AuditLog;
use aicockpit::files::{Download, FileManager, FileSettings};
use aicockpit::images::busybox;
use aicockpit::runtime::docker::DockerRuntime;
use aicockpit::runtime::ByteStream;
use aicockpit::runtime::{Backend, ContainerRuntime};
use aicockpit::store::Store;
use aicockpit::workspaces::{container_name, volume_name, WorkspaceManager, WorkspaceSettings};
use app::auth::{Actor, Role, UserName, Via, WorkspaceRef};
use app::error::AppError;
use app::files::{FileEntry, TextFile};
use app::model::{Limits, Workspace, WorkspaceList, WorkspaceName, WorkspaceSpec};
use app::service::{FileService, WorkspaceService};
use app::workspace_path::WorkspacePath;
use bollard::exec::{CreateExecOptions, StartExecResults};
use futures::StreamExt;
use tokio::sync::OnceCell;

pub use crate::test_app::*;

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
    Arc::new(docker_runtime())
}

/// Docker at `address`, as the server is handed it.
pub fn docker_backend(address: &str) -> Backend {
    Backend::docker(address, Duration::from_secs(60), Default::default())
}

/// The Docker runtime itself, for what only it offers (bare TTY execs).
pub fn docker_runtime() -> DockerRuntime {
    DockerRuntime::new(
        DOCKER_HOST,
        Duration::from_secs(60),
        Duration::from_secs(300),
    )
}

/// The BusyBox image, imported once per test run.
pub async fn test_image() -> String {
    static IMAGE: OnceCell<String> = OnceCell::const_new();
    IMAGE
        .get_or_init(|| async {
            busybox::ensure(&docker_runtime())
                .await
                .expect("the BusyBox test image (is Docker running and busybox-static installed?)")
        })
        .await
        .clone()
}

/// The Debian dev image, built (with debootstrap, about a minute) at most once per test
/// run however many tests need it.
pub async fn dev_image() -> String {
    static IMAGE: OnceCell<String> = OnceCell::const_new();
    IMAGE
        .get_or_init(|| async {
            let options = aicockpit::images::dev::BuildOptions::default();
            aicockpit::images::dev::build(&docker_runtime(), &options, &|line| eprintln!("{line}"))
                .await
                .expect("the dev image builds (as root, with debootstrap and Debian's mirror)")
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
            processes: 1024,
        },
        template: None,
        network: None,
    }
}

/// Removes a test's containers, their networks and volumes even when an assertion failed.
pub struct Cleanup(pub Vec<WorkspaceName>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for name in &self.0 {
            remove_container(&container(name), &volume(name));
        }
    }
}

/// Removes a container with its workspace network and its volume, through the Docker CLI
/// (a test's cleanup runs outside any runtime).
pub fn remove_container(container: &str, volume: &str) {
    let docker = |args: &[&str]| std::process::Command::new("docker").args(args).output();
    let networks = docker(&[
        "inspect",
        "-f",
        "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}",
        container,
    ]);
    let _ = docker(&["rm", "-f", container]);
    if let Ok(networks) = networks {
        for network in String::from_utf8_lossy(&networks.stdout).split_whitespace() {
            if network.starts_with("aicockpit-") {
                let _ = docker(&["network", "rm", network]);
            }
        }
    }
    let _ = docker(&["volume", "rm", "-f", volume]);
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
        let audit = AuditLog::new(self.store.audit());
        TestFiles {
            manager: FileManager::new(runtime(), resolver, audit, settings, self.manager.egress()),
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

    /// The status the list gives the workspace `name`.
    pub async fn status_of(&self, name: &WorkspaceName) -> app::model::WorkspaceStatus {
        let list = self.list().await.unwrap();
        let listed = list.workspaces.iter().find(|w| &w.name == name);
        listed.expect("listed").status
    }
}

/// A workspace service on the test image, with its own database file.
pub async fn service() -> TestService {
    service_on(docker_backend(DOCKER_HOST), &test_image().await).await
}

/// A workspace service on any runtime and default image, with its own database file.
pub async fn service_on(backend: Backend, image: &str) -> TestService {
    service_allowing(backend, image, &[]).await
}

/// [`service_on`], its workspaces' allowlist `allowed` (a whole server also follows the
/// containers it did not start itself).
pub async fn service_allowing(backend: Backend, image: &str, allowed: &[&str]) -> TestService {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("test.db")).await.unwrap();
    // The service never checks passwords; any hash will do.
    let id = store
        .users()
        .insert_user(&owner(), "unused", Role::Admin, 0)
        .await
        .unwrap();
    let mut settings = WorkspaceSettings::new(image);
    settings.stop_grace = Duration::from_secs(2);
    settings.network.allowlist =
        aicockpit::egress::allowlist::Allowlist::parse_lenient(allowed.iter().copied());
    TestService {
        manager: WorkspaceManager::new(&backend, &store, settings, Default::default()),
        store,
        image: image.to_owned(),
        actor: Actor {
            id,
            name: owner(),
            role: Role::Admin,
            via: Via::Session,
            grant: app::auth::Grant::full(),
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

/// Runs a command in a test workspace's container through the raw Docker API; returns
/// stdout and stderr.
pub async fn exec(name: &WorkspaceName, command: &[&str]) -> String {
    exec_in(&container(name), command).await
}

/// Runs a command in the container `container`, as its user, through the raw Docker API.
pub async fn exec_in(container: &str, command: &[&str]) -> String {
    let docker = bollard::Docker::connect_with_unix_defaults().unwrap();
    let exec = docker
        .create_exec(
            container,
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

/// Polls `check` until it gives `Some`, for at most `within`; fails naming `what` after.
pub async fn eventually<T, F>(what: &str, within: Duration, mut check: impl FnMut() -> F) -> T
where
    F: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(done) = check().await {
            return done;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} did not happen within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
