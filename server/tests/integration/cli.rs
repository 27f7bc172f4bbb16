//! The command-line client, run as the built binary against a real server: login, list, the
//! SSH tunnel on the site's own origin (with the stored token as the password), the
//! `~/.ssh/config` block used by OpenSSH as written, and errors a person can act on.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::helpers::*;

/// The client binary with its own configuration folder.
fn client(config: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aicockpit"));
    command
        .env("AICOCKPIT_CONFIG_DIR", config)
        .env_remove("AICOCKPIT_ASKPASS")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

async fn finish(mut command: Command, input: Option<&str>) -> Output {
    if input.is_some() {
        command.stdin(Stdio::piped());
    }
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("the client runs");
    if let Some(input) = input {
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(90), child.wait_with_output())
        .await
        .expect("the client finished")
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn login(config: &Path, base: &str, token: &str) {
    let mut command = client(config);
    command.args(["login", base]);
    let out = finish(command, Some(token)).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("logged in"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_client_logs_in_lists_and_reaches_a_workspace_over_the_tunnel() {
    let (app, name, _cleanup) = app_with_workspace("cli").await;
    let config = tempfile::tempdir().unwrap();
    let dir = config.path();

    // Before login, and with a server that is not there: what to do next.
    let mut command = client(dir);
    command.arg("list");
    let out = finish(command, None).await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not logged in"),
        "{}",
        text(&out.stderr)
    );

    login(dir, &app.base, &app.token).await;
    let mode = std::fs::metadata(dir.join("session.json")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );

    let mut command = client(dir);
    command.args(["list", "--json"]);
    let out = finish(command, None).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["name"] == name.as_str()));

    // SSH through the site's own origin; the stored token signs in.
    let mut command = client(dir);
    command.args(["ssh", name.as_str(), "echo through-the-''tunnel; exit 4"]);
    let out = finish(command, None).await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "through-the-tunnel\n");

    // Stop, then ssh starts it again on the way in.
    let mut command = client(dir);
    command.args(["stop", name.as_str()]);
    assert!(finish(command, None).await.status.success());
    let mut command = client(dir);
    command.args(["ssh", name.as_str(), "echo started-''again"]);
    let out = finish(command, None).await;
    assert_eq!(
        text(&out.stdout),
        "started-again\n",
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("starting"),
        "{}",
        text(&out.stderr)
    );

    // A revoked token: signed out, said so.
    let tokens: Vec<Value> = app
        .post_json("/api/auth/tokens", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let mine = tokens.iter().find(|t| t["name"] == "tests").unwrap()["id"].clone();
    let other = app.auth.issue_token(&owner(), "other").await.unwrap();
    let revoked = bearer_client(&other)
        .post(format!("{}/api/auth/revoke-token", app.base))
        .json(&json!({ "id": mine }))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let mut command = client(dir);
    command.arg("list");
    let out = finish(command, None).await;
    assert!(
        text(&out.stderr).contains("signed out of"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn config_ssh_writes_hosts_that_openssh_uses_as_they_are() {
    let (app, name, _cleanup) = app_with_workspace("cfg").await;
    let config = tempfile::tempdir().unwrap();
    let dir = config.path();
    login(dir, &app.base, &app.token).await;
    let keygen = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(dir.join("key"))
        .status()
        .unwrap();
    assert!(keygen.success());
    let key = std::fs::read_to_string(dir.join("key.pub")).unwrap();
    let added = app
        .post_json("/api/ssh/add-key", json!({ "name": "cli", "key": key }))
        .await;
    assert_eq!(added.status(), 200);

    let ssh_config = dir.join("ssh_config");
    std::fs::write(&ssh_config, "Host example\n  User someone\n").unwrap();
    let mut command = client(dir);
    command
        .args(["config-ssh", "--json", "--file"])
        .arg(&ssh_config);
    let out = finish(command, None).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let hosts: Value = serde_json::from_slice(&out.stdout).unwrap();
    let alias = format!("aicockpit-{name}");
    assert!(hosts
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["alias"] == alias.as_str()));
    let written = std::fs::read_to_string(&ssh_config).unwrap();
    assert!(
        written.ends_with("Host example\n  User someone\n"),
        "{written}"
    );

    // Plain OpenSSH with that file: no prompt about the host, since its key came from the API.
    let out = finish(
        {
            let mut ssh = Command::new("ssh");
            ssh.arg("-F")
                .arg(&ssh_config)
                .arg("-i")
                .arg(dir.join("key"))
                .args(["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"])
                .arg(&alias)
                .arg("echo configured")
                .env("AICOCKPIT_CONFIG_DIR", dir)
                .stdin(Stdio::null())
                .kill_on_drop(true);
            ssh
        },
        None,
    )
    .await;
    assert_eq!(text(&out.stdout), "configured\n", "{}", text(&out.stderr));

    // Another user's tunnel does not carry this user's key in.
    let other = app::auth::UserName::parse("cliother").unwrap();
    app.auth
        .add_user(other.as_str(), PASSWORD, app::auth::Role::Member)
        .await
        .unwrap();
    let other_token = app.auth.issue_token(&other, "cli").await.unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    login(other_dir.path(), &app.base, &other_token).await;
    let out = finish(
        {
            let mut ssh = Command::new("ssh");
            ssh.arg("-o")
                .arg(format!(
                    "ProxyCommand={} proxy",
                    env!("CARGO_BIN_EXE_aicockpit")
                ))
                .arg("-F")
                .arg(&ssh_config)
                .arg("-i")
                .arg(dir.join("key"))
                .args(["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"])
                .arg(&alias)
                .arg("echo should-not")
                .env("AICOCKPIT_CONFIG_DIR", other_dir.path())
                .stdin(Stdio::null())
                .kill_on_drop(true);
            ssh
        },
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(255), "{}", text(&out.stdout));
    // Refused at sign-in, past the tunnel and the host key.
    assert!(
        text(&out.stderr).contains("Permission denied"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn port_forward_reaches_a_server_inside_the_workspace() {
    let (app, name, _cleanup) = app_with_workspace("fwd").await;
    let config = tempfile::tempdir().unwrap();
    let dir = config.path();
    login(dir, &app.base, &app.token).await;
    let mut command = client(dir);
    command.args([
        "ssh",
        name.as_str(),
        "echo from-inside > /workspace/page.html; (httpd -p 127.0.0.1:8000 -h /workspace &)",
    ]);
    let out = finish(command, None).await;
    assert!(out.status.success(), "{}", text(&out.stderr));

    let local = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut forward = client(dir);
    forward
        .args(["port-forward", name.as_str(), &format!("{local}:8000")])
        .stderr(Stdio::null());
    let _forward = forward.spawn().unwrap();
    let page = eventually("the forward answers", Duration::from_secs(20), || async {
        let answer = reqwest::get(format!("http://127.0.0.1:{local}/page.html"))
            .await
            .ok()?;
        answer.text().await.ok()
    })
    .await;
    assert_eq!(page, "from-inside\n");
}
