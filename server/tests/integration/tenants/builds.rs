//! A repository's own devcontainer.json and Dockerfile, as a member's clone brings them:
//! a remote `ADD` is refused before the engine fetches anything, the build's steps get the
//! workspace's own network (here, isolated: this host unreachable, its proxy answering),
//! `sudo` is reported as not applied, and an editor may neither build nor apply it.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

use super::*;

/// A server on every address of this host that counts who came and says `SECRET`.
fn counting_server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("0.0.0.0:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let visits = Arc::new(AtomicUsize::new(0));
    let counted = visits.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut request = [0u8; 512];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(b"HTTP/1.0 200 OK\r\n\r\nSECRET\n");
        }
    });
    (port, visits)
}

/// Writes a repository's devcontainer.json and Dockerfile into the workspace, as its user.
async fn repository(made: &Made, devcontainer: &str, dockerfile: &str) {
    let script = format!(
        "mkdir -p /workspace/.devcontainer && cd /workspace/.devcontainer && cat > devcontainer.json <<'JSON'\n{devcontainer}\nJSON\ncat > Dockerfile <<'DOCKER'\n{dockerfile}\nDOCKER\n"
    );
    run_in(&made.container, &script).await;
}

async fn templates(
    tenants: &Tenants,
    who: &Member,
    action: &str,
    made: &Made,
) -> reqwest::Response {
    let body = json!({ "workspace": made.reference });
    tenants
        .call(who, &format!("/api/templates/{action}"), body)
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repository_fetches_nothing_from_this_host_and_gives_itself_no_root() {
    let (port, visits) = counting_server();
    let mut tenants = Tenants::new(|_| {}).await;
    let (alice, bob) = (tenants.alice.clone(), tenants.bob.clone());
    let made = tenants.workspace(&alice, "repo", json!({})).await;
    let image = tenants.app.image.clone();

    // `ADD` from this host's loopback: refused with the line, the engine never asked.
    repository(
        &made,
        r#"{ "build": { "dockerfile": "Dockerfile" } }"#,
        &format!("FROM {image}\nADD http://127.0.0.1:{port}/secret /secret\nRUN cat /secret"),
    )
    .await;
    let refused = templates(&tenants, &alice, "build-repository", &made).await;
    assert_eq!(refused.status(), 403);
    let text = refused.text().await.unwrap();
    assert!(text.contains("line 2") && text.contains("RUN"), "{text}");
    assert_eq!(visits.load(Ordering::SeqCst), 0);

    // Its steps run on the workspace's network: this host is not there, the proxy is and
    // applies the workspace's level; and it asks for root, which is not applied.
    let dockerfile = format!(
        "FROM {image}\nRUN (nc -w 2 172.17.0.1 {port}; ip route | awk '/default/ {{print $3}}' | xargs -I@ nc -w 2 @ {port}) </dev/null > /tried 2>&1; cat /tried; true\nRUN (printf 'CONNECT 127.0.0.1:{port} HTTP/1.1\\r\\n\\r\\n'; sleep 1) | nc -w 3 127.0.0.1 {} ; true\nRUN echo built > /built",
        aicockpit::egress::PROXY_PORT
    );
    repository(
        &made,
        r#"{ "build": { "dockerfile": "Dockerfile" }, "customizations": { "aicockpit": { "sudo": true } } }"#,
        &dockerfile,
    )
    .await;
    let found: Value = templates(&tenants, &alice, "repository", &made)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["sudo"], false, "{found}");
    let ignored = found["ignored"].to_string();
    assert!(
        ignored.contains("sudo") && ignored.contains("an admin"),
        "{ignored}"
    );

    // An editor may neither build it nor apply it.
    tenants.share(&alice, &made, "bob", json!("Editor")).await;
    assert_eq!(
        templates(&tenants, &bob, "build-repository", &made)
            .await
            .status(),
        403
    );
    assert_eq!(
        templates(&tenants, &bob, "apply-repository", &made)
            .await
            .status(),
        403
    );

    let started = templates(&tenants, &alice, "build-repository", &made).await;
    assert_eq!(started.status(), 200, "{:?}", started.text().await);
    let id = found["id"].as_str().unwrap();
    let events = build_events(&alice.client, &tenants.app.base, id).await;
    assert_eq!(events.last().unwrap().0, "done", "{events:?}");
    let log: String = events.iter().map(|(_, e)| e.to_string()).collect();
    assert!(!log.contains("SECRET"), "a step reached this host: {log}");
    assert!(
        log.contains("403"),
        "the proxy answered for the workspace's level: {log}"
    );
    assert_eq!(visits.load(Ordering::SeqCst), 0);

    let applied = templates(&tenants, &alice, "apply-repository", &made).await;
    assert_eq!(applied.status(), 200, "{:?}", applied.text().await);
    let inspected = raw_docker()
        .inspect_container(&made.container, None)
        .await
        .unwrap();
    let host = inspected.host_config.unwrap();
    assert_eq!(
        host.security_opt,
        Some(vec!["no-new-privileges:true".to_owned()])
    );
    let added = host.cap_add.unwrap_or_default();
    assert!(
        !added
            .iter()
            .any(|c| c.contains("NET_RAW") || c.contains("SYS_CHROOT")),
        "{added:?}"
    );
    assert_eq!(run_in(&made.container, "cat /built").await.trim(), "built");
}
