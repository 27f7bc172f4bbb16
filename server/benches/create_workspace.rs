//! Workspace create → running, measured in one run three ways on the same BusyBox image:
//! through AiCockpit's workspace service (validation, SQLite record, a network of its own,
//! labelled volume, hardened container, start, its egress relay begun); as a bare Docker
//! API create + start on the default bridge; and as the same with an isolated network of
//! its own made first, which is what Docker itself charges for keeping workspaces apart.
//! Samples alternate so machine noise hits all alike; prints medians and the ratio of
//! AiCockpit to the isolated bare create (goal: ≤ 1.15).
//!
//! `cargo bench -p server --bench create_workspace` (AICOCKPIT_BENCH_SAMPLES, default 25).

use std::time::{Duration, Instant};

use aicockpit::images::busybox;
use aicockpit::runtime::Backend;
use aicockpit::store::Store;
use aicockpit::workspaces::{WorkspaceManager, WorkspaceSettings};
use app::auth::{Actor, Role, UserName, Via, WorkspaceRef};
use app::model::{Limits, WorkspaceName, WorkspaceSpec};
use app::service::WorkspaceService;
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{CreateContainerOptions, RemoveContainerOptions};
use bollard::Docker;

type Failure = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let samples: usize = std::env::var("AICOCKPIT_BENCH_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(25);
    let backend = Backend::docker(
        "unix:///var/run/docker.sock",
        Duration::from_secs(60),
        Default::default(),
    );
    let image = busybox::ensure(backend.images.as_ref()).await?;
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("bench.db")).await?;
    let owner = UserName::parse("bench")?;
    let actor = Actor {
        id: store
            .users()
            .insert_user(&owner, "unused", Role::Admin, 0)
            .await?,
        name: owner.clone(),
        role: Role::Admin,
        via: Via::Session,
        grant: app::auth::Grant::full(),
        address: None,
    };
    let service = WorkspaceManager::new(
        &backend,
        &store,
        WorkspaceSettings::new(image.clone()),
        Default::default(),
    );
    let docker = Docker::connect_with_unix_defaults()?;

    let (mut ours, mut raw, mut apart) = (Vec::new(), Vec::new(), Vec::new());
    // Two warm-up rounds, then alternate.
    for i in 0..samples + 2 {
        let name = WorkspaceName::parse(&format!("bench-{i}"))?;
        let spec = WorkspaceSpec {
            name: name.clone(),
            image: image.clone(),
            limits: Limits::DEFAULT,
            template: None,
            network: None,
        };
        let started = Instant::now();
        service.create(&actor, spec).await?;
        let service_time = started.elapsed();
        let workspace = WorkspaceRef::new(owner.clone(), name);
        service.delete(&actor, &workspace, false).await?;

        let remove = || RemoveContainerOptions {
            force: true,
            ..Default::default()
        };
        let raw_name = format!("aicockpit-bench-raw-{i}");
        let started = Instant::now();
        raw_create_start(&docker, &raw_name, &image, None).await?;
        let raw_time = started.elapsed();
        docker.remove_container(&raw_name, Some(remove())).await?;

        let network = format!("aicockpit-bench-net-{i}");
        let started = Instant::now();
        docker.create_network(isolated(&network, i)).await?;
        raw_create_start(&docker, &raw_name, &image, Some(&network)).await?;
        let isolated_time = started.elapsed();
        docker.remove_container(&raw_name, Some(remove())).await?;
        docker.remove_network(&network).await?;

        if i >= 2 {
            ours.push(service_time);
            raw.push(raw_time);
            apart.push(isolated_time);
        }
    }

    let ours_median = median(&mut ours);
    let (raw_median, apart_median) = (median(&mut raw), median(&mut apart));
    let ratio = ours_median.as_secs_f64() / apart_median.as_secs_f64();
    println!("workspace create → running, {samples} samples each, BusyBox image");
    println!(
        "  raw Docker API create+start, default bridge     median {:>7.1} ms",
        ms(raw_median)
    );
    println!(
        "  raw Docker API network+create+start, isolated   median {:>7.1} ms",
        ms(apart_median)
    );
    println!(
        "  AiCockpit workspace service                     median {:>7.1} ms",
        ms(ours_median)
    );
    println!(
        "  ratio to the isolated bare create {ratio:.3} (goal ≤ 1.15) {}; to the shared bridge {:.3}",
        if ratio <= 1.15 { "ok" } else { "ABOVE GOAL" },
        ours_median.as_secs_f64() / raw_median.as_secs_f64()
    );
    Ok(())
}

/// A network like a workspace's own isolated one, in a block of addresses of its own.
fn isolated(name: &str, i: usize) -> bollard::models::NetworkCreateRequest {
    bollard::models::NetworkCreateRequest {
        name: name.to_owned(),
        internal: Some(true),
        ipam: Some(bollard::models::Ipam {
            config: Some(vec![bollard::models::IpamConfig {
                subnet: Some(format!("10.214.{}.0/28", 200 + i % 50)),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        options: Some(
            [(
                "com.docker.network.bridge.inhibit_ipv4".to_owned(),
                "true".to_owned(),
            )]
            .into(),
        ),
        ..Default::default()
    }
}

async fn raw_create_start(
    docker: &Docker,
    name: &str,
    image: &str,
    network: Option<&str>,
) -> Result<(), Failure> {
    let options = CreateContainerOptions {
        name: Some(name.to_owned()),
        ..Default::default()
    };
    let body = ContainerCreateBody {
        image: Some(image.to_owned()),
        cmd: Some(vec!["sleep".into(), "infinity".into()]),
        host_config: Some(bollard::models::HostConfig {
            network_mode: network.map(str::to_owned),
            ..Default::default()
        }),
        ..Default::default()
    };
    let created = docker.create_container(Some(options), body).await?;
    docker.start_container(&created.id, None).await?;
    Ok(())
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
