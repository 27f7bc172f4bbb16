//! The agent's tool round trip — a parsed call in, its result back to the loop — for
//! `read_file`, `list_dir` and `run_command true`, against one BusyBox workspace, each
//! sample beside the bare mechanism they all rest on (one raw Docker exec of `true`, its
//! output read and its exit status fetched). Prints p50 and p95, and the ratio to the bare
//! exec. Goal: p95 ≤ 300 ms for each tool.
//!
//! `cargo bench -p server --bench agent_tools` (AICOCKPIT_BENCH_SAMPLES, default 100).

use std::sync::Arc;
use std::time::{Duration, Instant};

use aicockpit::access::{Resolver, WORKSPACE_USER};
use aicockpit::ai::tools::{ToolCall, Tools};
use aicockpit::auth::audit::AuditLog;
use aicockpit::commands::{CommandRunner, CommandSettings};
use aicockpit::egress::Egress;
use aicockpit::files::{FileManager, FileSettings};
use aicockpit::runtime::{ContainerRuntime, ExecSpec};
use aicockpit::store::Store;
use aicockpit::terminal::holder::Installer;
use app::auth::{Actor, Role, UserName, Via, WorkspaceRef};
use futures::StreamExt;

mod common;
use common::{BenchApp, Failure, OWNER};

const WORKSPACE: &str = "bench-agent";
const GOAL: Duration = Duration::from_millis(300);

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let samples: usize = std::env::var("AICOCKPIT_BENCH_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let app = common::start(WORKSPACE, 256, Default::default()).await?;
    let result = measure(&app, samples).await;
    app.remove();
    result
}

/// One raw exec of `true`: the floor every tool stands on.
async fn bare_exec(runtime: &dyn ContainerRuntime, container: &str) -> Result<Duration, Failure> {
    let spec = ExecSpec {
        command: vec!["true".into()],
        user: WORKSPACE_USER.into(),
        working_dir: "/workspace".into(),
        env: Vec::new(),
    };
    let started = Instant::now();
    let mut process = runtime.exec(container, &spec, None).await?;
    while process.output.next().await.is_some() {}
    process.exit.await?;
    Ok(started.elapsed())
}

async fn measure(app: &BenchApp, samples: usize) -> Result<(), Failure> {
    let store = Store::open(&app.database()).await?;
    let resolver = Resolver::new(&store);
    // The tools measured here never reach out: the egress service only has to exist.
    let egress = Egress::new(
        app.runtime.clone(),
        Installer::new(app.runtime.clone()),
        &store,
        Default::default(),
    );
    let files = Arc::new(FileManager::new(
        app.runtime.clone(),
        resolver.clone(),
        AuditLog::new(store.audit()),
        FileSettings::default(),
        egress,
    ));
    let commands = CommandRunner::new(app.runtime.clone(), resolver, CommandSettings::default());
    let tools = Tools::new(files, commands);
    let actor = Actor {
        id: 1,
        name: UserName::parse(OWNER)?,
        role: Role::Admin,
        via: Via::Session,
        grant: app::auth::Grant::full(),
        address: None,
    };
    let workspace = WorkspaceRef::parse(&format!("{OWNER}/{WORKSPACE}"))?;
    let call = |json: &str| -> Result<ToolCall, Failure> {
        let (name, arguments) = json.split_once(' ').unwrap_or((json, ""));
        Ok(ToolCall::parse(name, arguments)?)
    };
    let text = (1..=200).map(|n| format!("line {n}\n")).collect::<String>();
    let wrote = tools
        .call(
            &actor,
            &workspace,
            ToolCall::WriteFile {
                path: "notes.txt".into(),
                text,
            },
        )
        .await;
    if !wrote.ok {
        return Err(wrote.text.into());
    }
    let cases = [
        ("read_file", call(r#"read_file {"path":"notes.txt"}"#)?),
        ("list_dir", call(r#"list_dir {"path":""}"#)?),
        (
            "run_command true",
            call(r#"run_command {"command":"true"}"#)?,
        ),
    ];
    let container = app.container();
    let runtime = app.runtime.as_ref();
    for _ in 0..5 {
        bare_exec(runtime, &container).await?;
        for (_, call) in &cases {
            tools.call(&actor, &workspace, call.clone()).await;
        }
    }
    let mut bare = Vec::new();
    let mut taken: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    for _ in 0..samples {
        bare.push(bare_exec(runtime, &container).await?);
        for (i, (label, call)) in cases.iter().enumerate() {
            let started = Instant::now();
            let result = tools.call(&actor, &workspace, call.clone()).await;
            taken[i].push(started.elapsed());
            if !result.ok {
                return Err(format!("{label} failed: {}", result.text).into());
            }
        }
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |s: &mut Vec<Duration>, q: f64| {
        s.sort();
        s[((s.len() - 1) as f64 * q).round() as usize]
    };
    let bare_p50 = at(&mut bare, 0.5);
    println!("agent tool round trip, {samples} samples each, interleaved");
    println!(
        "  bare exec of true   p50 {:7.1} ms  p95 {:7.1} ms",
        ms(bare_p50),
        ms(at(&mut bare, 0.95))
    );
    let mut missed = Vec::new();
    for ((label, _), mut samples) in cases.iter().zip(taken) {
        let (p50, p95) = (at(&mut samples, 0.5), at(&mut samples, 0.95));
        println!(
            "  {label:<19} p50 {:7.1} ms  p95 {:7.1} ms  ({:.2}× the bare exec)",
            ms(p50),
            ms(p95),
            p50.as_secs_f64() / bare_p50.as_secs_f64()
        );
        if p95 > GOAL {
            missed.push(*label);
        }
    }
    if missed.is_empty() {
        println!("goal p95 ≤ {} ms: met", GOAL.as_millis());
    } else {
        println!(
            "goal p95 ≤ {} ms: missed by {}",
            GOAL.as_millis(),
            missed.join(", ")
        );
    }
    Ok(())
}
