//! The IDE's data paths, measured in one run against one BusyBox workspace, each beside
//! the bare Docker mechanism it is built on:
//! - keystroke echo latency (median, p95): AiCockpit's terminal WebSocket vs a raw exec TTY;
//! - output throughput of a 50 MiB `cat`: the same two paths;
//! - 1 MiB file read and write over HTTP vs the raw archive API.
//!
//! Samples alternate so machine noise hits both alike.
//!
//! `cargo bench -p server --bench ide_io` (AICOCKPIT_BENCH_SAMPLES, default 200 keystrokes
//! and 20 file round trips; AICOCKPIT_BENCH_CAT_MIB, default 50).

use std::time::{Duration, Instant};

use aicockpit::access::WORKSPACE_USER;
use aicockpit::runtime::docker::{DockerRuntime, TtyIo};
use aicockpit::terminal::shell_spec;
use bollard::query_parameters::{DownloadFromContainerOptions, UploadToContainerOptions};
use bollard::Docker;
use bytes::Bytes;
use futures::{SinkExt, StreamExt, TryStreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

mod common;
use common::{setting, BenchApp, Failure, OWNER};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const WORKSPACE: &str = "bench-ide";

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let samples = setting("AICOCKPIT_BENCH_SAMPLES", 200);
    let cat_mib = setting("AICOCKPIT_BENCH_CAT_MIB", 50);
    let app = common::start(WORKSPACE, 512, Default::default()).await?;
    let result = run(&app, samples, cat_mib).await;
    app.remove();
    result
}

async fn run(app: &BenchApp, samples: usize, cat_mib: usize) -> Result<(), Failure> {
    let (base, http, authorization) = (&app.base, &app.http, &app.authorization);
    // The baseline: Docker's own TTY exec, straight to the engine.
    let bare = DockerRuntime::new(
        common::DOCKER,
        Duration::from_secs(60),
        Duration::from_secs(60),
    );
    let container = app.container();
    let ws_url = format!(
        "{}/ws/terminal/{OWNER}/{WORKSPACE}/bench",
        base.replacen("http", "ws", 1)
    );
    let mut request = ws_url.into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", authorization.parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let mut raw = bare
        .open_tty(&container, &shell_spec(WORKSPACE_USER))
        .await?
        .io;
    // Let both shells print their prompts.
    ws_until(&mut socket, b"$ ").await?;
    raw_until(&mut raw, b"$ ").await?;

    println!("IDE data paths, BusyBox workspace, one run");
    let (mut ours, mut bare) = (Vec::new(), Vec::new());
    for i in 0..samples + 10 {
        let key = [b'a' + (i % 26) as u8];
        let started = Instant::now();
        socket
            .send(Message::Binary(Bytes::copy_from_slice(&key)))
            .await?;
        ws_until(&mut socket, &key).await?;
        let ws_time = started.elapsed();
        let started = Instant::now();
        raw.write_all(&key).await?;
        raw_until(&mut raw, &key).await?;
        let raw_time = started.elapsed();
        if i >= 10 {
            ours.push(ws_time);
            bare.push(raw_time);
        }
        // Ctrl-U clears the line every so often, so it never wraps.
        if i % 40 == 39 {
            socket
                .send(Message::Binary(Bytes::from_static(b"\x15")))
                .await?;
            raw.write_all(b"\x15").await?;
        }
    }
    socket
        .send(Message::Binary(Bytes::from_static(b"\x15")))
        .await?;
    raw.write_all(b"\x15").await?;
    report_latency("keystroke echo", &mut ours, &mut bare);

    // Throughput: the same file through both paths.
    let make = format!(
        "head -c {} /dev/zero | tr '\\0' x > /workspace/big; echo made-''big\n",
        cat_mib << 20
    );
    socket
        .send(Message::Binary(make.into_bytes().into()))
        .await?;
    ws_until(&mut socket, b"made-big").await?;
    let cat = b"cat /workspace/big; echo cat-''done\n";
    let started = Instant::now();
    socket
        .send(Message::Binary(Bytes::from_static(cat)))
        .await?;
    ws_until(&mut socket, b"cat-done").await?;
    let ws_time = started.elapsed();
    let started = Instant::now();
    raw.write_all(cat).await?;
    raw_until(&mut raw, b"cat-done").await?;
    let raw_time = started.elapsed();
    let rate = |d: Duration| cat_mib as f64 / d.as_secs_f64();
    println!("{cat_mib} MiB cat through a terminal");
    println!("  raw exec TTY            {:>8.1} MiB/s", rate(raw_time));
    println!("  AiCockpit WebSocket     {:>8.1} MiB/s", rate(ws_time));
    println!(
        "  ratio (time) {:.3}",
        ws_time.as_secs_f64() / raw_time.as_secs_f64()
    );

    files(base, http, &container, samples.min(20)).await
}

async fn files(
    base: &str,
    http: &reqwest::Client,
    container: &str,
    samples: usize,
) -> Result<(), Failure> {
    let docker = Docker::connect_with_unix_defaults()?;
    let data: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
    let target = |path: &str| format!("workspace={OWNER}/{WORKSPACE}&path={path}");
    let (mut write_ours, mut write_raw, mut read_ours, mut read_raw) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..samples + 2 {
        let started = Instant::now();
        let put = http
            .put(format!("{base}/api/files/upload?{}", target("ours.bin")))
            .body(data.clone())
            .send()
            .await?;
        let ours_write = started.elapsed();
        if !put.status().is_success() {
            return Err(format!("upload failed: {}", put.text().await?).into());
        }
        let started = Instant::now();
        let options = UploadToContainerOptions {
            path: "/workspace".into(),
            ..Default::default()
        };
        docker
            .upload_to_container(
                container,
                Some(options),
                bollard::body_full(tar_of("raw.bin", &data)?),
            )
            .await?;
        let raw_write = started.elapsed();

        let started = Instant::now();
        let got = http
            .get(format!("{base}/api/files/download?{}", target("ours.bin")))
            .send()
            .await?
            .bytes()
            .await?;
        let ours_read = started.elapsed();
        let started = Instant::now();
        let options = DownloadFromContainerOptions {
            path: "/workspace/raw.bin".into(),
        };
        let archive: Vec<Bytes> = docker
            .download_from_container(container, Some(options))
            .try_collect()
            .await?;
        let raw_read = started.elapsed();
        if got.len() != data.len() || archive.iter().map(Bytes::len).sum::<usize>() < data.len() {
            return Err("a read came back short".into());
        }
        if i >= 2 {
            write_ours.push(ours_write);
            write_raw.push(raw_write);
            read_ours.push(ours_read);
            read_raw.push(raw_read);
        }
    }
    report_latency("1 MiB file write", &mut write_ours, &mut write_raw);
    report_latency("1 MiB file read", &mut read_ours, &mut read_raw);
    Ok(())
}

fn tar_of(name: &str, data: &[u8]) -> Result<Bytes, Failure> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_uid(1000);
    header.set_gid(1000);
    builder.append_data(&mut header, name, data)?;
    Ok(builder.into_inner()?.into())
}

async fn ws_until(socket: &mut Socket, wanted: &[u8]) -> Result<(), Failure> {
    let mut window = Vec::new();
    while let Some(frame) = socket.next().await {
        if let Message::Binary(bytes) = frame? {
            window.extend_from_slice(&bytes);
            if contains(&window, wanted) {
                return Ok(());
            }
            trim(&mut window, wanted.len());
        }
    }
    Err("the terminal WebSocket closed".into())
}

async fn raw_until(io: &mut TtyIo, wanted: &[u8]) -> Result<(), Failure> {
    let (mut window, mut buffer) = (Vec::new(), vec![0u8; 64 * 1024]);
    loop {
        let n = io.read(&mut buffer).await?;
        if n == 0 {
            return Err("the raw TTY closed".into());
        }
        window.extend_from_slice(&buffer[..n]);
        if contains(&window, wanted) {
            return Ok(());
        }
        trim(&mut window, wanted.len());
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Keeps only the tail that could still begin a match.
fn trim(window: &mut Vec<u8>, keep: usize) {
    if window.len() > keep {
        window.drain(..window.len() - keep);
    }
}

fn report_latency(what: &str, ours: &mut [Duration], bare: &mut [Duration]) {
    ours.sort();
    bare.sort();
    let at = |s: &[Duration], q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("{what}, {} samples each", ours.len());
    println!(
        "  raw Docker     median {:>8.2} ms   p95 {:>8.2} ms",
        ms(at(bare, 0.5)),
        ms(at(bare, 0.95))
    );
    println!(
        "  AiCockpit      median {:>8.2} ms   p95 {:>8.2} ms",
        ms(at(ours, 0.5)),
        ms(at(ours, 0.95))
    );
    println!(
        "  ratio median {:.3}   p95 {:.3}",
        ms(at(ours, 0.5)) / ms(at(bare, 0.5)),
        ms(at(ours, 0.95)) / ms(at(bare, 0.95))
    );
}
