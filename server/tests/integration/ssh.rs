//! SSH into workspaces with Debian's own OpenSSH client, against real workspaces: keys and
//! tokens sign in, strangers and viewers are refused, commands keep their streams and exit
//! status, a dropped shell is attached to again with its state, and removing the key ends a
//! live session.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use app::auth::{SshAccess, SshKeyView};
use app::model::WorkspaceName;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::*;

/// A user's side: their key pair and what their client knows of hosts.
struct Client {
    dir: tempfile::TempDir,
    port: u16,
}

impl Client {
    fn new(server: SocketAddr) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let made = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "test@client", "-f"])
            .arg(dir.path().join("key"))
            .status()
            .unwrap();
        assert!(made.success());
        Self {
            dir,
            port: server.port(),
        }
    }

    fn public_key(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("key.pub")).unwrap()
    }

    fn known_hosts(&self) -> PathBuf {
        self.dir.path().join("known_hosts")
    }

    /// `ssh` to `login`, signing in with the key only, trusting the host on first use.
    fn ssh(&self, login: &str) -> Command {
        self.ssh_with(login, &[])
    }

    /// The same with `options` (which `ssh` reads only before the destination).
    fn ssh_with(&self, login: &str, options: &[&str]) -> Command {
        let mut command = Command::new("ssh");
        command.args(options);
        command
            .args(["-F", "/dev/null", "-p", &self.port.to_string(), "-i"])
            .arg(self.dir.path().join("key"))
            .args(["-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"])
            .args([
                "-o",
                "StrictHostKeyChecking=accept-new",
                "-o",
                "LogLevel=ERROR",
            ])
            .arg("-o")
            .arg(format!(
                "UserKnownHostsFile={}",
                self.known_hosts().display()
            ))
            .arg(format!("{login}@127.0.0.1"))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// `ssh` to `login` with `password` (an API token) as the password, and no key.
    fn ssh_with_password(&self, login: &str, password: &str) -> Command {
        let askpass = self.dir.path().join("askpass");
        std::fs::write(&askpass, format!("#!/bin/sh\necho '{password}'\n")).unwrap();
        set_executable(&askpass);
        let mut command = Command::new("ssh");
        command
            .args(["-F", "/dev/null", "-p", &self.port.to_string()])
            .args([
                "-o",
                "PreferredAuthentications=password",
                "-o",
                "PubkeyAuthentication=no",
            ])
            .args([
                "-o",
                "StrictHostKeyChecking=accept-new",
                "-o",
                "LogLevel=ERROR",
            ])
            .args(["-o", "NumberOfPasswordPrompts=1"])
            .arg("-o")
            .arg(format!(
                "UserKnownHostsFile={}",
                self.known_hosts().display()
            ))
            .arg(format!("{login}@127.0.0.1"))
            .env("SSH_ASKPASS", &askpass)
            .env("SSH_ASKPASS_REQUIRE", "force")
            .env("DISPLAY", ":0")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }
}

fn set_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

async fn run(mut command: Command, args: &[&str]) -> Output {
    let run = command.args(args).output();
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("ssh finished")
        .expect("ssh runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn ssh_app() -> (TestApp, WorkspaceName, Cleanup) {
    let app = spawn_app_configured(|config| {
        config.ssh_bind = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    })
    .await;
    let name = unique_name("ssh");
    let cleanup = Cleanup(vec![name.clone()]);
    let created = app.call("create", app.create_request(&name)).await;
    assert_eq!(created.status(), 200, "{:?}", created.text().await);
    (app, name, cleanup)
}

async fn add_key(client: &reqwest::Client, base: &str, key: &str) -> SshKeyView {
    let added = client
        .post(format!("{base}/api/ssh/add-key"))
        .json(&json!({ "name": "", "key": key }))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 200, "{:?}", added.text().await);
    added.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_signs_its_owner_in_and_commands_keep_their_streams_and_status() {
    let (app, name, _cleanup) = ssh_app().await;
    let client = Client::new(app.ssh.unwrap());
    let key = add_key(&app.client, &app.base, &client.public_key()).await;
    assert_eq!(key.name, "test@client", "named after its comment");

    let output = run(
        client.ssh(name.as_str()),
        &["echo out; echo err >&2; pwd; id -u; exit 3"],
    )
    .await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "out\n/workspace\n1000\n");
    assert!(
        text(&output.stderr).contains("err"),
        "{}",
        text(&output.stderr)
    );

    // Standard input reaches the command, and its end is seen.
    let mut piped = client.ssh(&format!("{name}.{OWNER}"));
    piped.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = piped.arg("wc -c").spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&[b'x'; 100_000]).await.unwrap();
    drop(stdin);
    let counted = child.wait_with_output().await.unwrap();
    assert_eq!(text(&counted.stdout).trim(), "100000");

    // The host the client now trusts is the one the account page shows.
    let access: SshAccess = app
        .post_json("/api/ssh/access", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(access.port, app.ssh.map(|a| a.port()));
    let listed = std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg(client.known_hosts())
        .output()
        .unwrap();
    assert!(
        text(&listed.stdout).contains(&access.host_fingerprint),
        "{} vs {}",
        text(&listed.stdout),
        access.host_fingerprint
    );
    let listed: Vec<SshKeyView> = app
        .post_json("/api/ssh/keys", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert!(listed[0].last_used_at.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn strangers_and_viewers_are_refused_and_editors_get_in() {
    let (app, name, _cleanup) = ssh_app().await;
    let server = app.ssh.unwrap();
    let outsider = Client::new(server);
    let member = app.member("sshmember").await;
    add_key(&member, &app.base, &outsider.public_key()).await;
    let login = format!("{name}.{OWNER}");

    let refused = run(outsider.ssh(&login), &["true"]).await;
    assert_eq!(refused.status.code(), Some(255));
    assert!(
        text(&refused.stderr).contains("Permission denied"),
        "{}",
        text(&refused.stderr)
    );

    let shared = app
        .share(&reference(&name).to_string(), "sshmember", json!("Viewer"))
        .await;
    assert_eq!(shared.status(), 200);
    let viewer = run(outsider.ssh(&login), &["true"]).await;
    assert_eq!(viewer.status.code(), Some(255), "a viewer gets no shell");

    let shared = app
        .share(&reference(&name).to_string(), "sshmember", json!("Editor"))
        .await;
    assert_eq!(shared.status(), 200);
    let editor = run(outsider.ssh(&login), &["echo in"]).await;
    assert_eq!(text(&editor.stdout), "in\n", "{}", text(&editor.stderr));

    // A workspace that does not exist is refused like one that is not theirs.
    let nothing = run(outsider.ssh(&format!("nothing.{OWNER}")), &["true"]).await;
    assert_eq!(nothing.status.code(), Some(255));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_with_the_terminals_scope_is_a_password() {
    let (app, name, _cleanup) = ssh_app().await;
    let client = Client::new(app.ssh.unwrap());
    let token = |scope: &'static str| {
        let body = json!({ "request": { "name": scope, "scopes": [scope] } });
        let made = app.post_json("/api/auth/create-token", body);
        async move {
            let made: Value = made.await.json().await.unwrap();
            made["secret"].as_str().unwrap().to_owned()
        }
    };
    let terminals = token("Terminals").await;
    let signed_in = run(
        client.ssh_with_password(name.as_str(), &terminals),
        &["echo token"],
    )
    .await;
    assert_eq!(
        text(&signed_in.stdout),
        "token\n",
        "{}",
        text(&signed_in.stderr)
    );

    let reading = token("Read").await;
    let refused = run(
        client.ssh_with_password(name.as_str(), &reading),
        &["echo no"],
    )
    .await;
    assert_eq!(refused.status.code(), Some(255));
    let wrong = run(
        client.ssh_with_password(name.as_str(), "not-a-token"),
        &["echo no"],
    )
    .await;
    assert_eq!(wrong.status.code(), Some(255));
}

/// Reads `child`'s merged output until it holds `wanted`.
async fn read_until(lines: &mut (impl AsyncBufReadExt + Unpin), seen: &mut String, wanted: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !seen.contains(wanted) {
        let mut line = Vec::new();
        let read = tokio::time::timeout_at(deadline, lines.read_until(b'\n', &mut line)).await;
        match read {
            Ok(Ok(n)) if n > 0 => seen.push_str(&text(&line)),
            _ => panic!("no {wanted:?} in {seen:?}"),
        }
    }
}

fn interactive(mut command: Command) -> Child {
    command
        .arg("-tt")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.spawn().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_shell_is_attached_to_again_with_its_state() {
    let (app, name, _cleanup) = ssh_app().await;
    let client = Client::new(app.ssh.unwrap());
    add_key(&app.client, &app.base, &client.public_key()).await;

    let mut first = interactive(client.ssh(name.as_str()));
    let mut notes = BufReader::new(first.stderr.take().unwrap());
    let mut said = String::new();
    read_until(&mut notes, &mut said, "attach again").await;
    let id = said
        .split_whitespace()
        .skip_while(|w| *w != "terminal")
        .nth(1)
        .expect("the terminal's id")
        .to_owned();
    let mut stdin = first.stdin.take().unwrap();
    let mut output = BufReader::new(first.stdout.take().unwrap());
    let mut seen = String::new();
    stdin
        .write_all(b"export MARK=kept; echo ready-''now\n")
        .await
        .unwrap();
    read_until(&mut output, &mut seen, "ready-now").await;
    // The connection drops; the shell stays.
    first.kill().await.unwrap();

    let mut back = client.ssh(name.as_str());
    back.arg("-tt")
        .arg(format!("attach {id}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut back = back.spawn().unwrap();
    let mut stdin = back.stdin.take().unwrap();
    let mut output = BufReader::new(back.stdout.take().unwrap());
    let mut seen = String::new();
    // The scrollback comes first, then the same shell answers.
    read_until(&mut output, &mut seen, "ready-now").await;
    stdin.write_all(b"echo mark=$MARK; exit 7\n").await.unwrap();
    read_until(&mut output, &mut seen, "mark=kept").await;
    let status = tokio::time::timeout(Duration::from_secs(30), back.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(7));
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_the_key_ends_its_live_session() {
    let (app, name, _cleanup) = ssh_app().await;
    let client = Client::new(app.ssh.unwrap());
    let key = add_key(&app.client, &app.base, &client.public_key()).await;
    let mut session = client.ssh(name.as_str());
    session
        .arg("echo started; sleep 300")
        .stdout(Stdio::piped());
    let mut session = session.spawn().unwrap();
    let mut output = BufReader::new(session.stdout.take().unwrap());
    let mut seen = String::new();
    read_until(&mut output, &mut seen, "started").await;

    let removed = app
        .post_json("/api/ssh/remove-key", json!({ "id": key.id }))
        .await;
    assert_eq!(removed.status(), 200);
    let ended = tokio::time::timeout(Duration::from_secs(15), session.wait())
        .await
        .expect("the session ended")
        .unwrap();
    assert_eq!(ended.code(), Some(255));
    // The command was ended inside the workspace too.
    eventually("the command ends", Duration::from_secs(10), || async {
        let left = exec(&name, &["sh", "-c", "ps -o args | grep -c '^sleep 300$'"]).await;
        (left.trim() == "0").then_some(())
    })
    .await;
    let again = run(client.ssh(name.as_str()), &["true"]).await;
    assert_eq!(again.status.code(), Some(255));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_local_forward_reaches_a_server_on_the_workspaces_loopback_and_nothing_else() {
    let (app, name, _cleanup) = ssh_app().await;
    let client = Client::new(app.ssh.unwrap());
    add_key(&app.client, &app.base, &client.public_key()).await;
    // A server that listens on the workspace's loopback only.
    let started = run(
        client.ssh(name.as_str()),
        &["echo forwarded-page > /workspace/index.html; (httpd -p 127.0.0.1:8000 -h /workspace &)"],
    )
    .await;
    assert!(started.status.success(), "{}", text(&started.stderr));

    let local = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tunnel = format!("127.0.0.1:{local}:localhost:8000");
    let options = ["-N", "-o", "ExitOnForwardFailure=yes", "-L", &tunnel];
    let _forward = client.ssh_with(name.as_str(), &options).spawn().unwrap();
    let page = eventually("the forward answers", Duration::from_secs(20), || async {
        let answer = reqwest::get(format!("http://127.0.0.1:{local}/index.html"))
            .await
            .ok()?;
        answer.text().await.ok()
    })
    .await;
    assert_eq!(page, "forwarded-page\n");

    // Another host is the workspace's outbound traffic, not a forward: refused.
    let elsewhere = run(
        client.ssh_with(name.as_str(), &["-W", "example.com:80"]),
        &[],
    )
    .await;
    assert_eq!(elsewhere.status.code(), Some(255));
    assert!(
        text(&elsewhere.stderr).contains("forwarding failed"),
        "{}",
        text(&elsewhere.stderr)
    );
    // So is a remote forward.
    let options = ["-o", "ExitOnForwardFailure=yes", "-R", "9000:localhost:80"];
    let remote = run(client.ssh_with(name.as_str(), &options), &["true"]).await;
    assert_eq!(remote.status.code(), Some(255), "{}", text(&remote.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn sftp_moves_files_through_the_file_service_in_a_busybox_workspace() {
    let (app, name, _cleanup) = ssh_app().await;
    let client = Client::new(app.ssh.unwrap());
    add_key(&app.client, &app.base, &client.public_key()).await;
    let local = client.dir.path();
    let original: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(local.join("up.bin"), &original).unwrap();
    let batch = local.join("batch");
    std::fs::write(
        &batch,
        format!(
            "mkdir data\ncd data\nput {up} blob.bin\nls -1\nrename blob.bin moved.bin\nget moved.bin {down}\npwd\n",
            up = local.join("up.bin").display(),
            down = local.join("down.bin").display(),
        ),
    )
    .unwrap();
    let sftp = |batch: &Path| {
        let mut command = Command::new("sftp");
        command
            .args(["-F", "/dev/null", "-P", &client.port.to_string(), "-i"])
            .arg(local.join("key"))
            .args(["-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"])
            .args(["-o", "StrictHostKeyChecking=accept-new"])
            .arg("-o")
            .arg(format!(
                "UserKnownHostsFile={}",
                client.known_hosts().display()
            ))
            .arg("-b")
            .arg(batch)
            .arg(format!("{name}@127.0.0.1"))
            .kill_on_drop(true);
        command
    };
    let out = run(sftp(&batch), &[]).await;
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("blob.bin"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stdout).contains("/workspace/data"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(std::fs::read(local.join("down.bin")).unwrap(), original);
    // Inside the workspace, as its user.
    let inside = run(
        client.ssh(name.as_str()),
        &["wc -c < /workspace/data/moved.bin"],
    )
    .await;
    assert_eq!(text(&inside.stdout).trim(), "300000");

    // scp speaks SFTP too.
    let mut scp = Command::new("scp");
    scp.args(["-F", "/dev/null", "-P", &client.port.to_string(), "-i"])
        .arg(local.join("key"))
        .args(["-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            client.known_hosts().display()
        ))
        .arg(local.join("up.bin"))
        .arg(format!("{name}@127.0.0.1:/workspace/copied.bin"))
        .kill_on_drop(true);
    let copied = run(scp, &[]).await;
    assert!(copied.status.success(), "{}", text(&copied.stderr));
    let inside = run(
        client.ssh(name.as_str()),
        &["cmp -s copied.bin data/moved.bin && echo same"],
    )
    .await;
    assert_eq!(text(&inside.stdout), "same\n");

    // Outside /workspace, and a folder that is not empty, are refused.
    std::fs::write(
        &batch,
        format!("get /etc/passwd {}\n", local.join("p").display()),
    )
    .unwrap();
    let outside = run(sftp(&batch), &[]).await;
    assert!(!outside.status.success());
    assert!(!local.join("p").exists());
    std::fs::write(&batch, "rmdir data\n").unwrap();
    let full = run(sftp(&batch), &[]).await;
    assert!(!full.status.success(), "a folder with a file in it stays");
    std::fs::write(&batch, "rm data/moved.bin\nrmdir data\n").unwrap();
    let emptied = run(sftp(&batch), &[]).await;
    assert!(emptied.status.success(), "{}", text(&emptied.stderr));
}
