//! Live resource use of a workspace, as the server streams it on [`crate::wire::USAGE`]: one sample
//! about every second per running workspace, rates already worked out.

use serde::{Deserialize, Serialize};

/// How many samples a chart shows (and the server keeps): the last minute or two.
pub const HISTORY: usize = 90;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageSample {
    /// Unix milliseconds.
    pub at_ms: i64,
    /// CPUs kept busy: 0.5 is half of one core.
    pub cpu_cores: f64,
    pub memory_bytes: u64,
    pub memory_limit: u64,
    /// Bytes per second.
    pub net_rx_rate: f64,
    pub net_tx_rate: f64,
    pub disk_read_rate: f64,
    pub disk_write_rate: f64,
    /// False where the engine accounts no block I/O: the disk rates say nothing then.
    #[serde(default)]
    pub disk_measured: bool,
    pub processes: u64,
}

impl UsageSample {
    /// Adds `other`'s use to this one, for server-wide totals.
    pub fn add(&mut self, other: &UsageSample) {
        self.at_ms = self.at_ms.max(other.at_ms);
        self.cpu_cores += other.cpu_cores;
        self.memory_bytes += other.memory_bytes;
        self.memory_limit += other.memory_limit;
        self.net_rx_rate += other.net_rx_rate;
        self.net_tx_rate += other.net_tx_rate;
        self.disk_read_rate += other.disk_read_rate;
        self.disk_write_rate += other.disk_write_rate;
        self.disk_measured |= other.disk_measured;
        self.processes += other.processes;
    }
}

/// New samples of one workspace (its recent history when a stream starts following it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageUpdate {
    /// `owner/name`.
    pub workspace: String,
    pub samples: Vec<UsageSample>,
}

/// What the machine running the workspaces has, for admins' totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerCapacity {
    pub cpus: u32,
    pub memory_bytes: u64,
}

/// `1.5 GiB`, `320 MiB`, `12 KiB`, `0 B`.
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes.max(0.0);
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{value:.0} B"),
        _ if value < 10.0 => format!("{value:.1} {}", UNITS[unit]),
        _ => format!("{value:.0} {}", UNITS[unit]),
    }
}

/// The disk traffic of a sample, or that the engine does not report it.
pub fn format_disk(sample: &UsageSample) -> String {
    match sample.disk_measured {
        true => format!(
            "read {} · write {}",
            format_rate(sample.disk_read_rate),
            format_rate(sample.disk_write_rate)
        ),
        false => "not reported by the engine".into(),
    }
}

/// `12 KiB/s`.
pub fn format_rate(bytes_per_second: f64) -> String {
    format!("{}/s", format_bytes(bytes_per_second))
}

/// `0.25 CPU`, `1.5 CPUs`.
pub fn format_cores(cores: f64) -> String {
    let cores = (cores * 100.0).round() / 100.0;
    match cores <= 1.0 {
        true => format!("{cores} CPU"),
        false => format!("{cores} CPUs"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(format_bytes(0.0), "0 B");
        assert_eq!(format_bytes(1023.0), "1023 B");
        assert_eq!(format_bytes(1536.0), "1.5 KiB");
        assert_eq!(format_bytes(300.0 * 1024.0 * 1024.0), "300 MiB");
        assert_eq!(format_bytes(2.25 * 1024.0 * 1024.0 * 1024.0), "2.2 GiB");
        assert_eq!(format_rate(2048.0), "2.0 KiB/s");
        assert_eq!(format_cores(0.123), "0.12 CPU");
        assert_eq!(format_cores(1.5), "1.5 CPUs");
        let quiet = UsageSample::default();
        assert_eq!(format_disk(&quiet), "not reported by the engine");
        let busy = UsageSample {
            disk_read_rate: 2048.0,
            disk_measured: true,
            ..quiet
        };
        assert_eq!(format_disk(&busy), "read 2.0 KiB/s · write 0 B/s");
    }

    #[test]
    fn totals_add_up() {
        let one = UsageSample {
            at_ms: 5,
            cpu_cores: 0.5,
            memory_bytes: 10,
            net_rx_rate: 1.0,
            processes: 2,
            ..Default::default()
        };
        let mut total = UsageSample::default();
        total.add(&one);
        total.add(&UsageSample { at_ms: 7, ..one });
        assert_eq!(total.at_ms, 7);
        assert_eq!(total.cpu_cores, 1.0);
        assert_eq!(total.memory_bytes, 20);
        assert_eq!(total.net_rx_rate, 2.0);
        assert_eq!(total.processes, 4);
    }
}
