//! Resource use: Docker's stats stream turned into [`ResourceReading`]s, and the host's
//! capacity from `docker info`.

use bollard::models::ContainerStatsResponse;
use bollard::query_parameters::StatsOptions;
use futures::stream::BoxStream;
use futures::StreamExt;

use super::{unreachable_at, DockerRuntime};
use crate::runtime::{HostCapacity, ResourceReading, RuntimeError};

impl DockerRuntime {
    pub(super) fn readings(
        &self,
        container: &str,
    ) -> BoxStream<'static, Result<ResourceReading, RuntimeError>> {
        let docker = match self.client() {
            Ok(docker) => docker,
            Err(e) => return futures::stream::once(async move { Err(e) }).boxed(),
        };
        let options = StatsOptions {
            stream: true,
            one_shot: false,
        };
        let unreachable = unreachable_at(&self.address);
        docker
            .stats(container, Some(options))
            // A stopped container's last report is all zeroes and has no read time.
            .filter_map(move |stats| {
                let reading = stats.map(|stats| reading(&stats)).map_err(&unreachable);
                async move { reading.transpose() }
            })
            .boxed()
    }

    pub(super) async fn capacity(&self) -> Result<HostCapacity, RuntimeError> {
        let docker = self.client()?;
        let info = self.call("info", docker.info()).await?;
        Ok(HostCapacity {
            cpus: info.ncpu.unwrap_or(1).clamp(1, u32::MAX as i64) as u32,
            memory_bytes: info.mem_total.unwrap_or(0).max(0) as u64,
        })
    }
}

fn reading(stats: &ContainerStatsResponse) -> Option<ResourceReading> {
    let read = time::OffsetDateTime::parse(
        stats.read.as_deref()?,
        &time::format_description::well_known::Rfc3339,
    )
    .ok()
    .filter(|t| t.year() > 1)?;
    let memory = stats.memory_stats.as_ref();
    let usage = memory.and_then(|m| m.usage).unwrap_or(0);
    // As `docker stats` does: the inactive page cache (cgroup v1 or v2 name) is not in use.
    let cache = memory
        .and_then(|m| m.stats.as_ref())
        .and_then(|s| {
            s.get("total_inactive_file")
                .or_else(|| s.get("inactive_file"))
        })
        .copied()
        .filter(|cache| *cache < usage)
        .unwrap_or(0);
    let networks = stats.networks.iter().flat_map(|n| n.values());
    let (net_rx_bytes, net_tx_bytes) = networks.fold((0, 0), |(rx, tx), n| {
        (rx + n.rx_bytes.unwrap_or(0), tx + n.tx_bytes.unwrap_or(0))
    });
    let io = stats
        .blkio_stats
        .as_ref()
        .and_then(|b| b.io_service_bytes_recursive.as_ref());
    let disk = |op: &str| {
        io.iter()
            .flat_map(|entries| entries.iter())
            .filter(|e| e.op.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(op)))
            .filter_map(|e| e.value)
            .sum()
    };
    Some(ResourceReading {
        at_ms: (read.unix_timestamp_nanos() / 1_000_000) as i64,
        cpu_ns: stats
            .cpu_stats
            .as_ref()
            .and_then(|c| c.cpu_usage.as_ref())
            .and_then(|u| u.total_usage)
            .unwrap_or(0),
        memory_bytes: usage - cache,
        memory_limit: memory.and_then(|m| m.limit).unwrap_or(0),
        net_rx_bytes,
        net_tx_bytes,
        disk_read_bytes: disk("read"),
        disk_write_bytes: disk("write"),
        disk_measured: io.is_some_and(|entries| !entries.is_empty()),
        processes: stats
            .pids_stats
            .as_ref()
            .and_then(|p| p.current)
            .unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{
        ContainerBlkioStatEntry, ContainerBlkioStats, ContainerCpuStats, ContainerCpuUsage,
        ContainerMemoryStats, ContainerNetworkStats, ContainerPidsStats,
    };
    use std::collections::HashMap;

    fn stats(read: &str) -> ContainerStatsResponse {
        let entry = |op: &str, value| ContainerBlkioStatEntry {
            op: Some(op.into()),
            value: Some(value),
            ..Default::default()
        };
        let network = |rx, tx| ContainerNetworkStats {
            rx_bytes: Some(rx),
            tx_bytes: Some(tx),
            ..Default::default()
        };
        ContainerStatsResponse {
            read: Some(read.into()),
            cpu_stats: Some(ContainerCpuStats {
                cpu_usage: Some(ContainerCpuUsage {
                    total_usage: Some(5_000),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            memory_stats: Some(ContainerMemoryStats {
                usage: Some(1_000),
                limit: Some(4_000),
                stats: Some(HashMap::from([("inactive_file".into(), 300)])),
                ..Default::default()
            }),
            networks: Some(HashMap::from([
                ("eth0".into(), network(10, 20)),
                ("eth1".into(), network(1, 2)),
            ])),
            blkio_stats: Some(ContainerBlkioStats {
                io_service_bytes_recursive: Some(vec![
                    entry("read", 7),
                    entry("Write", 9),
                    entry("read", 1),
                ]),
                ..Default::default()
            }),
            pids_stats: Some(ContainerPidsStats {
                current: Some(3),
                limit: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_report_becomes_a_reading() {
        let reading = reading(&stats("2026-12-04T10:00:01.5Z")).unwrap();
        assert_eq!(
            reading,
            ResourceReading {
                at_ms: 1_796_378_401_500,
                cpu_ns: 5_000,
                memory_bytes: 700,
                memory_limit: 4_000,
                net_rx_bytes: 11,
                net_tx_bytes: 22,
                disk_read_bytes: 8,
                disk_write_bytes: 9,
                disk_measured: true,
                processes: 3,
            }
        );
    }

    #[test]
    fn no_block_io_entries_is_not_measured_rather_than_zero() {
        let mut report = stats("2026-12-04T10:00:01Z");
        report.blkio_stats = Some(ContainerBlkioStats {
            io_service_bytes_recursive: Some(Vec::new()),
            ..Default::default()
        });
        assert!(!reading(&report).unwrap().disk_measured);
    }

    #[test]
    fn a_stopped_containers_empty_report_is_no_reading() {
        assert_eq!(reading(&stats("0001-01-01T00:00:00Z")), None);
        assert_eq!(reading(&ContainerStatsResponse::default()), None);
    }
}
