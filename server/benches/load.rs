//! AiCockpit under load, on this machine, against the real Docker engine:
//! - workspaces created in concurrent bursts (`AICOCKPIT_LOAD_WORKSPACES`, default 50, in
//!   bursts of 10);
//! - terminal sessions spread over them (`AICOCKPIT_LOAD_TERMINALS`, default 200), all
//!   typing at once: each sends a key every ~100 ms and times its echo
//!   (`AICOCKPIT_LOAD_KEYS` keys each, default 30);
//! - the dashboard rendered (server-side, as a browser's first load) meanwhile, and then
//!   with `AICOCKPIT_LOAD_DASHBOARD` workspaces (default 100) listed.
//!
//! Prints errors, p50/p95/max latencies and the server process's memory, at each stage and
//! once the work is over. Removes what it made.
//!
//! `cargo bench -p server --bench load`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

mod common;
use common::{setting, BenchApp, Failure, OWNER};

const BURST: usize = 10;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let workspaces = setting("AICOCKPIT_LOAD_WORKSPACES", 50).max(1);
    let terminals = setting("AICOCKPIT_LOAD_TERMINALS", 200);
    let keys = setting("AICOCKPIT_LOAD_KEYS", 30);
    let listed = setting("AICOCKPIT_LOAD_DASHBOARD", 100).max(workspaces);
    let app = common::start("load-0", 64, Default::default()).await?;
    let mut names = vec!["load-0".to_owned()];
    let result = run(&app, &mut names, workspaces, terminals, keys, listed).await;
    remove(&names);
    // The server goes on, idle: what it holds once the work is over.
    tokio::time::sleep(Duration::from_secs(10)).await;
    println!("memory once the work is over: {}", memory());
    result
}

async fn run(
    app: &BenchApp,
    names: &mut Vec<String>,
    workspaces: usize,
    terminals: usize,
    keys: usize,
    listed: usize,
) -> Result<(), Failure> {
    let page = app
        .http
        .get(format!("{}/", app.base))
        .send()
        .await?
        .text()
        .await?;
    if !page.contains("load-0") {
        return Err("the dashboard did not list the bench's workspace".into());
    }
    println!("AiCockpit under load, BusyBox workspaces, one run");
    println!("memory at start: {}", memory());
    let errors = Arc::new(AtomicUsize::new(0));

    let creates = create(app, names, workspaces, &errors).await;
    report(
        &format!("create ({} in bursts of {BURST})", workspaces - 1),
        creates,
    );
    println!("memory with {workspaces} workspaces: {}", memory());

    // The dashboard is rendered all along while the terminals type.
    let typing_done = Arc::new(tokio::sync::Notify::new());
    let dashboard = tokio::spawn(render_until(
        app.base.clone(),
        app.http.clone(),
        typing_done.clone(),
    ));
    let echoes = type_everywhere(app, names, terminals, keys, &errors).await;
    typing_done.notify_one();
    let renders = dashboard.await?;
    report(
        &format!("keystroke echo ({terminals} terminals typing at once)"),
        echoes,
    );
    report(
        &format!("dashboard render meanwhile ({workspaces} workspaces)"),
        renders,
    );
    println!("memory with {terminals} terminals open: {}", memory());

    create(app, names, listed, &errors).await;
    let mut renders = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        if render(&app.base, &app.http).await {
            renders.push(started.elapsed());
        }
    }
    report(
        &format!("dashboard render, {} workspaces, idle", names.len()),
        renders,
    );
    println!("errors: {}", errors.load(Ordering::Relaxed));
    println!("memory at the end: {}", memory());
    Ok(())
}

/// Creates workspaces up to `total`, `BURST` at a time; each create's time.
async fn create(
    app: &BenchApp,
    names: &mut Vec<String>,
    total: usize,
    errors: &AtomicUsize,
) -> Vec<Duration> {
    let mut times = Vec::new();
    while names.len() < total {
        let burst: Vec<String> = (names.len()..total.min(names.len() + BURST))
            .map(|i| format!("load-{i}"))
            .collect();
        let made = futures::future::join_all(burst.iter().map(|name| async move {
            let started = Instant::now();
            let response = app
                .http
                .post(format!("{}/api/workspaces/create", app.base))
                .json(&serde_json::json!({ "request": {
                    "name": name, "image": app.image, "cpus": 0.5, "memory_mib": 64
                } }))
                .send()
                .await;
            let ok = response.is_ok_and(|r| r.status().is_success());
            (ok, started.elapsed())
        }))
        .await;
        for (ok, took) in made {
            if ok {
                times.push(took);
            } else {
                errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        names.extend(burst);
    }
    times
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `terminals` terminals round-robin over the workspaces, waits for every prompt,
/// then has all of them type `keys` keys at once; every echo's time.
async fn type_everywhere(
    app: &BenchApp,
    names: &[String],
    terminals: usize,
    keys: usize,
    errors: &Arc<AtomicUsize>,
) -> Vec<Duration> {
    let opened = futures::stream::iter(0..terminals)
        .map(|i| {
            let name = &names[i % names.len()];
            open(app, name, format!("load{i}"))
        })
        .buffer_unordered(20)
        .collect::<Vec<_>>()
        .await;
    let start = Arc::new(tokio::sync::Barrier::new(opened.iter().flatten().count()));
    let mut typists = Vec::new();
    for socket in opened {
        let Ok(socket) = socket else {
            errors.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let (start, errors) = (start.clone(), errors.clone());
        typists.push(tokio::spawn(async move {
            start.wait().await;
            match type_keys(socket, keys).await {
                Ok(times) => times,
                Err(_) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                    Vec::new()
                }
            }
        }));
    }
    let mut times = Vec::new();
    for typist in typists {
        times.extend(typist.await.unwrap_or_default());
    }
    times
}

async fn open(app: &BenchApp, workspace: &str, terminal: String) -> Result<Socket, Failure> {
    let url = format!(
        "{}/ws/terminal/{OWNER}/{workspace}/{terminal}",
        app.base.replacen("http", "ws", 1)
    );
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", app.authorization.parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    tokio::time::timeout(Duration::from_secs(60), until(&mut socket, b"$ ")).await??;
    Ok(socket)
}

async fn type_keys(mut socket: Socket, keys: usize) -> Result<Vec<Duration>, Failure> {
    // Spread the typists over the first 100 ms, as people would be.
    let offset = rand_millis(100);
    tokio::time::sleep(Duration::from_millis(offset)).await;
    let mut times = Vec::with_capacity(keys);
    for i in 0..keys {
        let key = [b'a' + (i % 26) as u8];
        let started = Instant::now();
        socket
            .send(Message::Binary(Bytes::copy_from_slice(&key)))
            .await?;
        tokio::time::timeout(Duration::from_secs(30), until(&mut socket, &key)).await??;
        times.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(100).saturating_sub(started.elapsed())).await;
    }
    let _ = socket
        .send(Message::Binary(Bytes::from_static(b"\x15")))
        .await;
    let _ = socket.close(None).await;
    Ok(times)
}

async fn until(socket: &mut Socket, wanted: &[u8]) -> Result<(), Failure> {
    let mut window = Vec::new();
    while let Some(frame) = socket.next().await {
        if let Message::Binary(bytes) = frame? {
            window.extend_from_slice(&bytes);
            if window.windows(wanted.len()).any(|w| w == wanted) {
                return Ok(());
            }
            let keep = window.len().saturating_sub(wanted.len());
            window.drain(..keep);
        }
    }
    Err("the terminal closed".into())
}

/// Renders the dashboard page over and over until `done`; each render's time.
async fn render_until(
    base: String,
    http: reqwest::Client,
    done: Arc<tokio::sync::Notify>,
) -> Vec<Duration> {
    let mut times = Vec::new();
    loop {
        let started = Instant::now();
        if render(&base, &http).await {
            times.push(started.elapsed());
        }
        tokio::select! {
            _ = done.notified() => return times,
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
}

/// One dashboard page, read to its end; whether it came.
async fn render(base: &str, http: &reqwest::Client) -> bool {
    match http.get(format!("{base}/")).send().await {
        Ok(page) => page.status().is_success() && page.bytes().await.is_ok(),
        Err(_) => false,
    }
}

fn report(what: &str, mut times: Vec<Duration>) {
    if times.is_empty() {
        println!("{what}: no samples");
        return;
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: {} samples, p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        times.len(),
        ms(at(0.5)),
        ms(at(0.95)),
        ms(at(1.0))
    );
}

/// The resident memory of this process (the server runs in it; the clients are small).
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

fn rand_millis(below: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    nanos % below
}

fn remove(names: &[String]) {
    let owner = app::auth::UserName::parse(OWNER).expect("a valid user name");
    for name in names {
        let Ok(name) = app::model::WorkspaceName::parse(name) else {
            continue;
        };
        let container = aicockpit::workspaces::container_name(&owner, &name);
        let volume = aicockpit::workspaces::volume_name(&owner, &name);
        let _ = std::process::Command::new("docker")
            .args(["rm", "-f", &container])
            .output();
        let _ = std::process::Command::new("docker")
            .args(["volume", "rm", "-f", &volume])
            .output();
    }
}
