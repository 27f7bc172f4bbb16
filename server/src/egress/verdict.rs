//! The verdict on one destination a workspace's process asked for: by the workspace's
//! network level, the allowlist, and where the name leads. A name is resolved here, once,
//! and only the addresses judged are connected to, so a name that points at this host
//! (DNS rebinding) is refused like the address itself.

use std::net::{IpAddr, SocketAddr};

use app::model::NetworkLevel;

use super::allowlist::{is_public, Allowlist};

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Connect to these, in order; `why` names what allowed it.
    Allowed {
        addresses: Vec<SocketAddr>,
        why: String,
    },
    Refused(String),
}

/// Judges `host:port` for a workspace on `level` whose allowlist is `allowlist`.
pub async fn judge(level: NetworkLevel, allowlist: &Allowlist, host: &str, port: u16) -> Verdict {
    let entry = allowlist.entry_for(host, port);
    let why = match (level, entry) {
        (NetworkLevel::None, _) => {
            return Verdict::Refused(
                "this workspace's network level is “none”: it may reach nothing".into(),
            )
        }
        (NetworkLevel::Allowlist, None) => {
            return Verdict::Refused(format!(
                "{host}:{port} is not on this workspace's allowlist"
            ))
        }
        (_, Some(entry)) => format!("allowed by “{entry}”"),
        (NetworkLevel::Open, None) => "the workspace's network is open".to_owned(),
    };
    let literal = host.trim_matches(['[', ']']).parse::<IpAddr>().ok();
    let resolved: Vec<SocketAddr> = match literal {
        Some(address) => vec![SocketAddr::new(address, port)],
        None => match tokio::net::lookup_host((host, port)).await {
            Ok(found) => found.collect(),
            Err(e) => return Verdict::Refused(format!("{host} cannot be resolved: {e}")),
        },
    };
    let named = entry.and_then(|e| e.named_address());
    let (addresses, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = resolved
        .into_iter()
        .partition(|a| is_public(a.ip()) || Some(a.ip()) == named);
    match (addresses.is_empty(), refused.first()) {
        (false, _) => Verdict::Allowed { addresses, why },
        (true, Some(local)) => Verdict::Refused(format!(
            "{host} leads to {}, an address of this server, its networks or a private network, which only an allowlist entry naming that address opens",
            local.ip()
        )),
        (true, None) => Verdict::Refused(format!("{host} has no address")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> Allowlist {
        Allowlist::new(entries.iter().map(|e| e.parse().unwrap()).collect())
    }

    fn refused(verdict: Verdict) -> String {
        match verdict {
            Verdict::Refused(why) => why,
            allowed => panic!("allowed: {allowed:?}"),
        }
    }

    #[tokio::test]
    async fn the_level_decides_first_then_the_allowlist() {
        let allow = list(&["1.1.1.1", "127.0.0.1:8000"]);
        let why = refused(judge(NetworkLevel::None, &allow, "1.1.1.1", 443).await);
        assert!(why.contains("none"), "{why}");
        let why = refused(judge(NetworkLevel::Allowlist, &allow, "8.8.8.8", 443).await);
        assert!(why.contains("not on this workspace's allowlist"), "{why}");
        assert!(matches!(
            judge(NetworkLevel::Allowlist, &allow, "1.1.1.1", 443).await,
            Verdict::Allowed { why, .. } if why.contains("1.1.1.1")
        ));
        assert!(matches!(
            judge(NetworkLevel::Open, &Allowlist::default(), "8.8.8.8", 22).await,
            Verdict::Allowed { .. }
        ));
    }

    #[tokio::test]
    async fn this_host_and_private_networks_need_an_entry_naming_them() {
        let open = NetworkLevel::Open;
        let none = Allowlist::default();
        for local in [
            "127.0.0.1",
            "10.0.0.1",
            "169.254.169.254",
            "[::1]",
            "localhost",
        ] {
            let why = refused(judge(open, &none, local, 80).await);
            assert!(why.contains("private network"), "{local}: {why}");
        }
        // Named outright by an admin, it is allowed, on that port only.
        let allow = list(&["127.0.0.1:8000"]);
        assert!(matches!(
            judge(NetworkLevel::Allowlist, &allow, "127.0.0.1", 8000).await,
            Verdict::Allowed { addresses, .. } if addresses == ["127.0.0.1:8000".parse().unwrap()]
        ));
        refused(judge(open, &allow, "127.0.0.1", 8001).await);
        // A name on the list that leads here is still refused.
        let why = refused(
            judge(
                NetworkLevel::Allowlist,
                &list(&["localhost:8000"]),
                "localhost",
                8000,
            )
            .await,
        );
        assert!(why.contains("127.0.0.1") || why.contains("::1"), "{why}");
    }
}
