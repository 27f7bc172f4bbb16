//! Networks, tried from inside workspaces: none reaches another workspace or any service on
//! this host (listening on every address); `none` reaches nothing, `allowlist` only what the
//! allowlist names (through AiCockpit's proxy, every try recorded), `open` the outside — a
//! test "internet" in a network namespace of its own — but still not the host. The level
//! changes live, by the owner only.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Child, Command};

use serde_json::{json, Value};

use super::*;

/// A server on every address of this host that says `SECRET-<port>` to whoever connects.
fn host_server() -> u16 {
    let listener = TcpListener::bind("0.0.0.0:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(format!("SECRET-{port}\n").as_bytes());
        }
    });
    port
}

/// A stand-in for the internet: a network namespace behind a veth pair, routed from this
/// host, with a server saying `OUTSIDE` on port 7000. Gone when dropped.
struct Outside {
    namespace: String,
    address: String,
    server: Child,
}

impl Outside {
    fn start() -> Self {
        let n = rand_byte();
        let namespace = format!("aicockpit-test-out-{n}");
        let (host_end, far_end) = (format!("otest{n}h"), format!("otest{n}n"));
        let (host_ip, address) = (format!("10.214.{n}.1"), format!("10.214.{n}.2"));
        let ip = |args: &[&str]| {
            let run = Command::new("ip").args(args).output().expect("iproute2");
            assert!(run.status.success(), "ip {args:?}: {run:?} (needs root)");
        };
        let _ = Command::new("ip")
            .args(["netns", "del", &namespace])
            .output();
        ip(&["netns", "add", &namespace]);
        ip(&[
            "link", "add", &host_end, "type", "veth", "peer", "name", &far_end,
        ]);
        ip(&["link", "set", &far_end, "netns", &namespace]);
        ip(&["addr", "add", &format!("{host_ip}/30"), "dev", &host_end]);
        ip(&["link", "set", &host_end, "up"]);
        let inside = |args: &[&str]| {
            let mut all = vec!["netns", "exec", &namespace, "ip"];
            all.extend_from_slice(args);
            ip(&all);
        };
        inside(&["addr", "add", &format!("{address}/30"), "dev", &far_end]);
        inside(&["link", "set", &far_end, "up"]);
        inside(&["link", "set", "lo", "up"]);
        let script = "import socket\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('0.0.0.0',7000));s.listen()\nwhile True:\n c,_=s.accept();c.sendall(b'OUTSIDE\\n');c.close()";
        let server = Command::new("ip")
            .args(["netns", "exec", &namespace, "python3", "-c", script])
            .spawn()
            .expect("python3 runs in the namespace");
        std::thread::sleep(std::time::Duration::from_millis(300));
        Self {
            namespace,
            address,
            server,
        }
    }
}

impl Drop for Outside {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = Command::new("ip")
            .args(["netns", "del", &self.namespace])
            .output();
    }
}

fn rand_byte() -> u8 {
    let id = uuid::Uuid::new_v4();
    10 + id.as_bytes()[0] % 240
}

/// What `nc` prints connecting to `host:port` from inside `container` (within 3 s).
async fn connect(container: &str, host: &str, port: u16) -> String {
    run_in(
        container,
        &format!("nc -w 3 {host} {port} </dev/null 2>&1; true"),
    )
    .await
}

/// What asking the proxy inside `container` for `CONNECT host:port` prints.
async fn through_proxy(container: &str, host: &str, port: u16) -> String {
    run_in(
        container,
        &format!(
            "(printf 'CONNECT {host}:{port} HTTP/1.1\\r\\nHost: {host}\\r\\n\\r\\n'; sleep 4) | nc -w 5 127.0.0.1 {} 2>&1; true",
            aicockpit::egress::PROXY_PORT
        ),
    )
    .await
}

/// The address of a container on its network, seen from the engine.
async fn address_of(container: &str) -> String {
    let inspected = raw_docker()
        .inspect_container(container, None)
        .await
        .unwrap();
    let networks = inspected.network_settings.unwrap().networks.unwrap();
    let (name, endpoint) = networks.into_iter().next().unwrap();
    assert!(
        name.starts_with("aicockpit-"),
        "on a network of its own: {name}"
    );
    endpoint.ip_address.unwrap()
}

/// This host's addresses a workspace could try: its bridge's gateway, Docker's default
/// bridge, and every address the host has.
async fn host_addresses(container: &str) -> Vec<String> {
    let mut addresses: Vec<String> = run_in(container, "ip route | awk '/default/ {print $3}'")
        .await
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let all = Command::new("hostname").arg("-I").output().unwrap();
    addresses.extend(
        String::from_utf8_lossy(&all.stdout)
            .split_whitespace()
            .filter(|a| !a.contains(':'))
            .map(str::to_owned),
    );
    addresses
}

async fn network_of(tenants: &Tenants, who: &Member, made: &Made) -> reqwest::Response {
    tenants
        .call(
            who,
            "/api/workspaces/network",
            json!({ "workspace": made.reference }),
        )
        .await
}

async fn set_level(tenants: &Tenants, who: &Member, made: &Made, level: &str) -> reqwest::Response {
    let body = json!({ "workspace": made.reference, "level": level });
    tenants.call(who, "/api/workspaces/set-network", body).await
}

#[tokio::test(flavor = "multi_thread")]
async fn no_workspace_reaches_another_workspace_or_this_host() {
    let secret = host_server();
    let outside = Outside::start();
    let mut tenants = Tenants::new(|_| {}).await;
    let (alice, bob) = (tenants.alice.clone(), tenants.bob.clone());
    let alices = tenants
        .workspace(&alice, "open-a", json!({ "network": "Open" }))
        .await;
    let bobs_open = tenants
        .workspace(&bob, "open-b", json!({ "network": "Open" }))
        .await;
    let bobs_isolated = tenants.workspace(&bob, "iso-b", json!({})).await;
    for target in [&bobs_open, &bobs_isolated] {
        run_in(
            &target.container,
            "(while true; do echo BOB | nc -l -p 8000; done) >/dev/null 2>&1 &",
        )
        .await;
    }
    // The open workspace does reach the outside: its network is not simply dead.
    assert!(connect(&alices.container, &outside.address, 7000)
        .await
        .contains("OUTSIDE"));

    for from in [&alices, &bobs_isolated] {
        for other in [&bobs_open, &bobs_isolated] {
            if from.container == other.container {
                continue;
            }
            let address = address_of(&other.container).await;
            let reached = connect(&from.container, &address, 8000).await;
            assert!(
                !reached.contains("BOB"),
                "{} reached {}: {reached}",
                from.reference,
                other.reference
            );
            // Nor through the proxy: another workspace is a private address.
            let asked = through_proxy(&from.container, &address, 8000).await;
            assert!(asked.contains("403") && !asked.contains("BOB"), "{asked}");
        }
        for address in host_addresses(&from.container).await {
            let reached = connect(&from.container, &address, secret).await;
            assert!(
                !reached.contains("SECRET"),
                "{} reached the host at {address}: {reached}",
                from.reference
            );
        }
    }
    // This host's own services through the proxy: refused, and recorded for the owner.
    let asked = through_proxy(&alices.container, "127.0.0.1", secret).await;
    assert!(
        asked.contains("403") && !asked.contains("SECRET"),
        "{asked}"
    );
    let view: Value = network_of(&tenants, &alice, &alices)
        .await
        .json()
        .await
        .unwrap();
    let recent = view["recent"].as_array().unwrap();
    assert!(
        recent
            .iter()
            .any(|r| r["host"] == "127.0.0.1" && r["port"] == secret && r["allowed"] == false),
        "{view}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_level_reaches_what_it_should_and_every_try_is_recorded() {
    let allowed = host_server();
    let refused = host_server();
    let outside = Outside::start();
    let entry = format!("127.0.0.1:{allowed}");
    let mut tenants = Tenants::new(|config| {
        config.network.allowlist =
            aicockpit::egress::allowlist::Allowlist::parse_lenient([entry.as_str()]);
    })
    .await;
    let (alice, bob) = (tenants.alice.clone(), tenants.bob.clone());
    let listed = tenants.workspace(&alice, "allowlist", json!({})).await;
    let closed = tenants
        .workspace(&alice, "none", json!({ "network": "None" }))
        .await;

    // Allowlist: the allowed server through the proxy, nothing else, nothing directly.
    let through = through_proxy(&listed.container, "127.0.0.1", allowed).await;
    assert!(
        through.contains("200") && through.contains(&format!("SECRET-{allowed}")),
        "{through}"
    );
    let other = through_proxy(&listed.container, "127.0.0.1", refused).await;
    assert!(
        other.contains("403") && other.contains("allowlist"),
        "{other}"
    );
    assert!(!connect(&listed.container, &outside.address, 7000)
        .await
        .contains("OUTSIDE"));
    let view: Value = network_of(&tenants, &alice, &listed)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["level"], "Allowlist");
    let recent = view["recent"].as_array().unwrap();
    let record = |port: u16| recent.iter().find(|r| r["port"] == port).cloned();
    assert_eq!(
        record(allowed).map(|r| r["allowed"].clone()),
        Some(json!(true)),
        "{view}"
    );
    assert_eq!(
        record(refused).map(|r| r["allowed"].clone()),
        Some(json!(false)),
        "{view}"
    );

    // None: nothing, not even the allowed server; recorded too.
    let nothing = through_proxy(&closed.container, "127.0.0.1", allowed).await;
    assert!(
        nothing.contains("403") && nothing.contains("none"),
        "{nothing}"
    );
    assert!(!connect(&closed.container, &outside.address, 7000)
        .await
        .contains("OUTSIDE"));

    // Another user sees nothing of it and changes nothing; an editor may not change it.
    assert_eq!(network_of(&tenants, &bob, &listed).await.status(), 404);
    assert_eq!(
        set_level(&tenants, &bob, &listed, "Open").await.status(),
        404
    );
    tenants.share(&alice, &listed, "bob", json!("Editor")).await;
    assert_eq!(
        set_level(&tenants, &bob, &listed, "Open").await.status(),
        403
    );

    // The owner opens it, live: the outside is there, the host still is not; then closes it.
    let opened = set_level(&tenants, &alice, &listed, "Open").await;
    assert_eq!(opened.status(), 200, "{:?}", opened.text().await);
    assert!(connect(&listed.container, &outside.address, 7000)
        .await
        .contains("OUTSIDE"));
    for address in host_addresses(&listed.container).await {
        assert!(
            !connect(&listed.container, &address, refused)
                .await
                .contains("SECRET"),
            "{address}"
        );
    }
    assert_eq!(
        set_level(&tenants, &alice, &listed, "None").await.status(),
        200
    );
    assert!(!connect(&listed.container, &outside.address, 7000)
        .await
        .contains("OUTSIDE"));
    let closed_now = through_proxy(&listed.container, "127.0.0.1", allowed).await;
    assert!(closed_now.contains("403"), "{closed_now}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_maximum_bounds_every_choice() {
    let mut tenants = Tenants::new(|config| {
        config.network.max = app::model::NetworkLevel::Allowlist;
    })
    .await;
    let alice = tenants.alice.clone();
    let refused = tenants
        .create(
            &alice,
            json!({ "request": { "name": "too-open", "image": tenants.app.image, "cpus": 0.5, "memory_mib": 256, "network": "Open" } }),
        )
        .await;
    assert_eq!(refused.status(), 422);
    let text = refused.text().await.unwrap();
    assert!(
        text.contains("at most") && text.contains("allowlist"),
        "{text}"
    );
    let made = tenants.workspace(&alice, "bounded", json!({})).await;
    let raised = set_level(&tenants, &alice, &made, "Open").await;
    assert_eq!(raised.status(), 422);
}
