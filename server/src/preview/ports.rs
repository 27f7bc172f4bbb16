//! Which TCP ports listen inside a workspace, read from the kernel's socket tables
//! (`/proc/net/tcp` and `/proc/net/tcp6` as the container sees them), so it needs nothing
//! in the image but `cat`.

use std::collections::BTreeMap;

use app::model::WorkspacePort;

/// The command whose output [`listening`] reads.
pub const COMMAND: &str = "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null";

/// The kernel's state number for a listening socket.
const LISTEN: &str = "0A";
/// 127.0.0.11, where Docker's DNS resolver listens in a container on a network of its own.
const DOCKER_RESOLVER: &str = "0B00007F";

/// The listening ports in the tables' text, each once, in order, plus the `forwarded`
/// ones that do not listen (yet). Ports below 1024 are left out: previews are for user
/// servers; so are AiCockpit's own (the egress proxy) and the engine's (Docker's DNS
/// resolver, on 127.0.0.11).
pub fn listening(tables: &str, forwarded: &[u16]) -> Vec<WorkspacePort> {
    let mut ports: BTreeMap<u16, WorkspacePort> = BTreeMap::new();
    let theirs = tables.lines().filter_map(socket);
    for (port, every_address) in theirs.filter(|(port, _)| *port != crate::egress::PROXY_PORT) {
        let entry = ports.entry(port).or_insert(WorkspacePort {
            port,
            listening: true,
            reachable: false,
            forwarded: false,
        });
        entry.reachable |= every_address;
    }
    for &port in forwarded {
        ports
            .entry(port)
            .or_insert(WorkspacePort {
                port,
                listening: false,
                reachable: false,
                forwarded: true,
            })
            .forwarded = true;
    }
    ports.into_values().filter(|p| p.port >= 1024).collect()
}

/// A listening socket's port, and whether AiCockpit's tunnel reaches it: it listens on
/// every address (all zeros) or on the loopback address, where the tunnel connects.
fn socket(line: &str) -> Option<(u16, bool)> {
    let mut fields = line.split_whitespace();
    let _slot = fields.next()?;
    let local = fields.next()?;
    let _remote = fields.next()?;
    if fields.next()? != LISTEN {
        return None;
    }
    let (address, port) = local.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    if address == DOCKER_RESOLVER {
        return None;
    }
    // The tables print addresses in the kernel's byte order: 127.0.0.1 is 0100007F.
    let loopback = address.len() == 8 && address.ends_with("7F")
        || address == "00000000000000000000000001000000";
    Some((port, loopback || address.chars().all(|c| c == '0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLES: &str = "\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1
   1: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2 1
   2: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1
   3: 0200A8C0:1F40 0300A8C0:D431 01 00000000:00000000 00:00000000 00000000  1000        0 4 1
   4: 0200A8C0:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5 1
   5: 0B00007F:8F13 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6 1
   6: 0100007F:46D0 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7 1
  sl  local_address                         remote_address                        st tx_queue rx_queue
   0: 00000000000000000000000000000000:1389 00000000000000000000000000000000:0000 0A 00000000:00000000
   1: 00000000000000000000000001000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000
";

    #[test]
    fn listening_sockets_are_found_and_the_reachable_ones_told_apart() {
        let ports = listening(TABLES, &[]);
        let summary: Vec<_> = ports.iter().map(|p| (p.port, p.reachable)).collect();
        // 8000 on every IPv4 address, 3000 on loopback (v4 and v6), 5001 on every IPv6
        // address (which takes IPv4 too), 8080 on one other address only; 80 is below 1024,
        // the connected socket is not listening, Docker's resolver and the proxy are not the
        // workspace's.
        assert_eq!(
            summary,
            [(3000, true), (5001, true), (8000, true), (8080, false)]
        );
        assert!(ports.iter().all(|p| p.listening && !p.forwarded));
    }

    #[test]
    fn forwarded_ports_are_listed_whether_or_not_they_listen() {
        let ports = listening(TABLES, &[8000, 9000]);
        let eight = ports.iter().find(|p| p.port == 8000).unwrap();
        assert!(eight.listening && eight.forwarded);
        let nine = ports.iter().find(|p| p.port == 9000).unwrap();
        assert!(!nine.listening && nine.forwarded);
    }

    #[test]
    fn garbage_is_skipped() {
        assert!(listening("nonsense\n\n 0: zz:zz 0 0A", &[]).is_empty());
    }
}
