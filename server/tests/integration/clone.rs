//! A workspace started from a git repository: the repository is served over HTTP from
//! another container, which the workspace reaches only through AiCockpit's egress proxy
//! (it is on the allowlist), and cloned inside the workspace as its user, a branch
//! included; what cannot be cloned is explained.

use aicockpit::files::FileSettings;
use app::error::AppError;
use app::model::GitSource;
use app::service::FileService;

use crate::helpers::*;

/// A container serving `http://<ip>:8000/project.git` (branches `main` and `feature`, git's
/// plain HTTP protocol), removed on drop.
struct GitServer {
    name: String,
    ip: String,
}

impl GitServer {
    fn start(image: &str) -> Self {
        let name = format!("aicockpit-test-gitd-{}", uuid::Uuid::new_v4().simple());
        let script = "set -e; mkdir -p /tmp/srv/project && cd /tmp/srv/project
            git init -q -b main && echo hello > README.md
            git add . && git -c user.email=t@e -c user.name=t commit -qm first
            git checkout -qb feature && echo more > FEATURE.md && git add .
            git -c user.email=t@e -c user.name=t commit -qm second && git checkout -q main
            cd /tmp/srv && git clone -q --bare project project.git
            cd project.git && git update-server-info && cd /tmp/srv
            exec python3 -m http.server 8000 --bind 0.0.0.0";
        let run = std::process::Command::new("docker")
            .args(["run", "-d", "--name", &name, image, "sh", "-c", script])
            .output()
            .unwrap();
        assert!(run.status.success(), "{run:?}");
        let ip = std::process::Command::new("docker")
            .args(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", &name])
            .output()
            .unwrap();
        let ip = String::from_utf8(ip.stdout).unwrap().trim().to_owned();
        assert!(!ip.is_empty(), "the git server has an address");
        let server = Self { name, ip };
        server.wait_until_serving();
        server
    }

    fn wait_until_serving(&self) {
        for _ in 0..100 {
            let listening = std::process::Command::new("docker")
                .args([
                    "exec",
                    &self.name,
                    "sh",
                    "-c",
                    "git ls-remote http://127.0.0.1:8000/project.git",
                ])
                .output()
                .unwrap();
            if listening.status.success() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("git daemon did not start");
    }

    fn url(&self, repository: &str) -> String {
        format!("http://{}:8000/{repository}.git", self.ip)
    }

    /// The allowlist entry that lets workspaces reach it (a private address, named).
    fn allowed(&self) -> String {
        format!("{}:8000", self.ip)
    }
}

impl Drop for GitServer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["rm", "-f", &self.name])
            .output();
    }
}

fn source(url: String, branch: Option<&str>) -> GitSource {
    GitSource {
        url,
        branch: branch.map(str::to_owned),
    }
}

/// Needs the Debian dev image (it has git), built if absent: run with `--include-ignored`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "slow: needs the Debian dev image; the test script runs it"]
async fn a_repository_is_cloned_into_a_new_workspace_as_its_user() {
    let image = dev_image().await;
    let git = GitServer::start(&image);
    let svc = service_allowing(docker_backend(DOCKER_HOST), &image, &[&git.allowed()]).await;
    let files = svc.files(FileSettings::default());
    let clone = |ws, source| {
        let (files, actor) = (&files.manager, &files.actor);
        async move { files.clone_repository(actor, &reference(ws), &source).await }
    };

    // The default branch, owned by the workspace user, with its history.
    let (main, branch) = (unique_name("clone"), unique_name("clone-branch"));
    let _cleanup = Cleanup(vec![main.clone(), branch.clone()]);
    svc.create(spec(&main, &image)).await.unwrap();
    clone(&main, source(git.url("project"), None))
        .await
        .unwrap();
    assert_eq!(
        exec(&main, &["cat", "/workspace/README.md"]).await,
        "hello\n"
    );
    assert_eq!(
        exec(&main, &["stat", "-c", "%u", "/workspace/.git"])
            .await
            .trim(),
        "1000"
    );
    let log = exec(&main, &["git", "-C", "/workspace", "log", "--format=%s"]).await;
    assert_eq!(log.trim(), "first");

    // Cloning again into the same workspace: it is no longer empty.
    let again = clone(&main, source(git.url("project"), None)).await;
    assert!(
        matches!(&again, Err(AppError::CloneFailed(m)) if m.contains("not empty")),
        "{again:?}"
    );

    // A branch; then a branch that does not exist, and a repository that does not.
    svc.create(spec(&branch, &image)).await.unwrap();
    let missing_branch = clone(&branch, source(git.url("project"), Some("nope"))).await;
    assert!(
        matches!(&missing_branch, Err(AppError::CloneFailed(m)) if m.contains("nope")),
        "{missing_branch:?}"
    );
    let missing = clone(&branch, source(git.url("nothing-here"), None)).await;
    assert!(
        matches!(missing, Err(AppError::CloneFailed(_))),
        "{missing:?}"
    );
    // Failures leave the workspace empty for the next try.
    clone(&branch, source(git.url("project"), Some("feature")))
        .await
        .unwrap();
    let current = exec(
        &branch,
        &["git", "-C", "/workspace", "branch", "--show-current"],
    )
    .await;
    assert_eq!(current.trim(), "feature");
    assert_eq!(
        exec(&branch, &["cat", "/workspace/FEATURE.md"]).await,
        "more\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_without_git_says_so() {
    let (svc, name, _cleanup) = running_workspace("clone-nogit").await;
    let files = svc.files(FileSettings::default());
    let url = "https://example.com/team/project.git".to_owned();
    let refused = files
        .manager
        .clone_repository(&files.actor, &reference(&name), &source(url, None))
        .await;
    assert!(
        matches!(&refused, Err(AppError::CloneFailed(m)) if m.contains("has no git")),
        "{refused:?}"
    );
}
