//! A usage sample from two readings of a container's counters.

use app::model::UsageSample;

use crate::runtime::ResourceReading;

/// What the container used between `before` and `after`; `None` when they are not in order
/// (the container restarted and its counters began again).
pub fn between(before: &ResourceReading, after: &ResourceReading) -> Option<UsageSample> {
    let elapsed_ms = after.at_ms - before.at_ms;
    if elapsed_ms <= 0 || after.cpu_ns < before.cpu_ns {
        return None;
    }
    let seconds = elapsed_ms as f64 / 1000.0;
    let rate = |before: u64, after: u64| after.saturating_sub(before) as f64 / seconds;
    Some(UsageSample {
        at_ms: after.at_ms,
        cpu_cores: (after.cpu_ns - before.cpu_ns) as f64 / 1e9 / seconds,
        memory_bytes: after.memory_bytes,
        memory_limit: after.memory_limit,
        net_rx_rate: rate(before.net_rx_bytes, after.net_rx_bytes),
        net_tx_rate: rate(before.net_tx_bytes, after.net_tx_bytes),
        disk_read_rate: rate(before.disk_read_bytes, after.disk_read_bytes),
        disk_write_rate: rate(before.disk_write_bytes, after.disk_write_bytes),
        disk_measured: after.disk_measured,
        processes: after.processes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(at_ms: i64, cpu_ns: u64, bytes: u64) -> ResourceReading {
        ResourceReading {
            at_ms,
            cpu_ns,
            memory_bytes: 500,
            memory_limit: 1000,
            net_rx_bytes: bytes,
            net_tx_bytes: bytes * 2,
            disk_read_bytes: bytes * 3,
            disk_write_bytes: bytes * 4,
            disk_measured: true,
            processes: 7,
        }
    }

    #[test]
    fn rates_are_per_second_of_the_time_between() {
        let sample = between(&reading(1_000, 0, 0), &reading(3_000, 1_000_000_000, 100)).unwrap();
        assert_eq!(sample.at_ms, 3_000);
        assert_eq!(sample.cpu_cores, 0.5);
        assert_eq!(sample.net_rx_rate, 50.0);
        assert_eq!(sample.net_tx_rate, 100.0);
        assert_eq!(sample.disk_read_rate, 150.0);
        assert_eq!(sample.disk_write_rate, 200.0);
        assert!(sample.disk_measured);
        assert_eq!((sample.memory_bytes, sample.memory_limit), (500, 1000));
        assert_eq!(sample.processes, 7);
    }

    #[test]
    fn readings_out_of_order_give_nothing() {
        assert_eq!(between(&reading(2_000, 0, 0), &reading(2_000, 5, 5)), None);
        assert_eq!(between(&reading(1_000, 9, 0), &reading(2_000, 5, 5)), None);
        // A counter that went back (a network re-attached) is no negative rate.
        let sample = between(&reading(1_000, 0, 100), &reading(2_000, 0, 10)).unwrap();
        assert_eq!(sample.net_rx_rate, 0.0);
    }
}
