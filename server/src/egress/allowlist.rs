//! Where a workspace's outbound connections may go: host patterns an admin (or an admin's
//! template) allows, and the addresses never reached through AiCockpit unless an entry
//! names them outright — this host, its networks, other workspaces, cloud metadata.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The hosts allowed when the server is not told otherwise: package registries and git
/// hosts, on the web ports.
pub const DEFAULT_HOSTS: &[&str] = &[
    "pypi.org",
    "files.pythonhosted.org",
    "registry.npmjs.org",
    "registry.yarnpkg.com",
    "crates.io",
    "index.crates.io",
    "static.crates.io",
    "static.rust-lang.org",
    "proxy.golang.org",
    "sum.golang.org",
    "repo.maven.apache.org",
    "repo1.maven.org",
    "rubygems.org",
    "deb.debian.org",
    "security.debian.org",
    "github.com",
    "codeload.github.com",
    "objects.githubusercontent.com",
    "raw.githubusercontent.com",
    "gitlab.com",
    "bitbucket.org",
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Hosts {
    /// This name only.
    Name(String),
    /// Names under this one (`*.example.com`: `a.example.com`, not `example.com`).
    Under(String),
    /// This address, even a private one: named outright by an admin.
    Address(IpAddr),
    /// Any public host.
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ports {
    /// 80 and 443, when an entry names no port.
    Web,
    One(u16),
    All,
}

/// One allowlist entry: `example.com`, `*.example.com`, `example.com:8443`, `host:*`,
/// `10.0.0.5:3000`, `[fd00::1]:80`, or `*` (any public host on the web ports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    hosts: Hosts,
    ports: Ports,
    text: String,
}

impl std::fmt::Display for HostPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for HostPattern {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bad = || {
            format!("“{text}” is not a host pattern (example.com, *.example.com, host:8080, 10.0.0.5:3000)")
        };
        let (host, ports) = split_port(text).ok_or_else(bad)?;
        let ports = match ports {
            None => Ports::Web,
            Some("*") => Ports::All,
            Some(port) => Ports::One(port.parse().ok().filter(|p| *p > 0).ok_or_else(bad)?),
        };
        let hosts = if host == "*" {
            Hosts::Any
        } else if let Ok(address) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            Hosts::Address(address)
        } else if let Some(domain) = host.strip_prefix("*.") {
            Hosts::Under(normal_name(domain).ok_or_else(bad)?)
        } else {
            Hosts::Name(normal_name(host).ok_or_else(bad)?)
        };
        Ok(Self {
            hosts,
            ports,
            text: text.to_owned(),
        })
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`; a bare IPv6 address has no port.
fn split_port(text: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (address, after) = rest.split_once(']')?;
        return match after {
            "" => Some((address, None)),
            after => Some((address, Some(after.strip_prefix(':')?))),
        };
    }
    match text.matches(':').count() {
        0 => Some((text, None)),
        1 => text.split_once(':').map(|(h, p)| (h, Some(p))),
        _ => text.parse::<Ipv6Addr>().is_ok().then_some((text, None)),
    }
    .filter(|(host, _)| !host.is_empty())
}

/// A host name as compared: lower case, without a final dot; `None` when it is not one.
pub fn normal_name(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let valid = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    valid.then_some(host)
}

impl HostPattern {
    /// Whether the destination `host` (a name or an address) and `port` are this entry's.
    fn covers(&self, host: &str, port: u16) -> bool {
        let port_ok = match self.ports {
            Ports::Web => port == 80 || port == 443,
            Ports::One(p) => port == p,
            Ports::All => true,
        };
        let address = host.trim_matches(['[', ']']).parse::<IpAddr>().ok();
        let host_ok = match (&self.hosts, address) {
            (Hosts::Any, _) => true,
            (Hosts::Address(allowed), Some(address)) => *allowed == address,
            (Hosts::Address(_), None) => false,
            (_, Some(_)) => false,
            (Hosts::Name(name), None) => normal_name(host).as_deref() == Some(name),
            (Hosts::Under(domain), None) => normal_name(host).is_some_and(|h| {
                h.strip_suffix(domain.as_str())
                    .is_some_and(|s| s.ends_with('.'))
            }),
        };
        port_ok && host_ok
    }

    /// The address an admin named outright, which may then be a private one.
    pub fn named_address(&self) -> Option<IpAddr> {
        match self.hosts {
            Hosts::Address(address) => Some(address),
            _ => None,
        }
    }
}

/// The entries a workspace on the allowlist level may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist(Vec<HostPattern>);

impl Allowlist {
    pub fn new(entries: Vec<HostPattern>) -> Self {
        Self(entries)
    }

    /// Reads entries, keeping those that read (a template's bad entry is its own loss).
    pub fn parse_lenient<'a>(entries: impl IntoIterator<Item = &'a str>) -> Self {
        Self(entries.into_iter().filter_map(|e| e.parse().ok()).collect())
    }

    pub fn default_hosts() -> Self {
        Self::parse_lenient(DEFAULT_HOSTS.iter().copied())
    }

    /// The first entry covering the destination.
    pub fn entry_for(&self, host: &str, port: u16) -> Option<&HostPattern> {
        self.0.iter().find(|entry| entry.covers(host, port))
    }

    pub fn with(mut self, more: &Allowlist) -> Self {
        self.0.extend(more.0.iter().cloned());
        self
    }

    pub fn entries(&self) -> impl Iterator<Item = &HostPattern> {
        self.0.iter()
    }
}

/// Whether an address is on the public internet: not this machine, not a private, shared,
/// link-local (cloud metadata), multicast, reserved or documentation range, in IPv4 or
/// IPv6 (an IPv4 address inside IPv6 is judged as itself).
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => public_v6(v6),
        },
    }
}

fn public_v4(a: Ipv4Addr) -> bool {
    let [first, second, third, _] = a.octets();
    let shared = first == 100 && (64..128).contains(&second);
    let benchmarking = first == 198 && (second == 18 || second == 19);
    let reserved = first >= 240;
    let protocol_assignments = first == 192 && second == 0 && third == 0;
    !(a.is_loopback()
        || a.is_private()
        || a.is_link_local()
        || a.is_unspecified()
        || a.is_multicast()
        || a.is_broadcast()
        || a.is_documentation()
        || first == 0
        || shared
        || benchmarking
        || reserved
        || protocol_assignments)
}

fn public_v6(a: Ipv6Addr) -> bool {
    let first = a.segments()[0];
    let unique_local = first & 0xfe00 == 0xfc00;
    let link_local = first & 0xffc0 == 0xfe80;
    let documentation = first == 0x2001 && a.segments()[1] == 0x0db8;
    // NAT64 and 6to4 carry IPv4 addresses that may be private.
    let translated = first == 0x0064 || first == 0x2002;
    !(a.is_loopback()
        || a.is_unspecified()
        || a.is_multicast()
        || unique_local
        || link_local
        || documentation
        || translated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> Allowlist {
        Allowlist::new(entries.iter().map(|e| e.parse().unwrap()).collect())
    }

    #[test]
    fn entries_match_names_subdomains_ports_and_addresses() {
        let allow = list(&[
            "pypi.org",
            "*.example.com",
            "git.example.org:2222",
            "any.example.net:*",
            "10.0.0.5:3000",
            "[fd00::1]:80",
        ]);
        let allowed = |host: &str, port| allow.entry_for(host, port).is_some();
        assert!(allowed("pypi.org", 443) && allowed("PyPI.org.", 80));
        assert!(!allowed("pypi.org", 22), "no port: the web ports only");
        assert!(!allowed("evilpypi.org", 443) && !allowed("pypi.org.evil.net", 443));
        assert!(allowed("a.example.com", 443) && allowed("a.b.example.com", 443));
        assert!(!allowed("example.com", 443), "*. covers what is under it");
        assert!(!allowed("badexample.com", 443));
        assert!(allowed("git.example.org", 2222) && !allowed("git.example.org", 443));
        assert!(allowed("any.example.net", 5432));
        assert!(allowed("10.0.0.5", 3000) && !allowed("10.0.0.5", 3001));
        assert!(allowed("[fd00::1]", 80) && allowed("fd00::1", 80));
        assert!(!allowed("10.0.0.6", 3000));
        assert_eq!(
            allow.entry_for("10.0.0.5", 3000).unwrap().named_address(),
            Some("10.0.0.5".parse().unwrap())
        );
        // A name never matches an address entry, nor an address a name entry.
        assert!(list(&["localhost"]).entry_for("127.0.0.1", 80).is_none());
    }

    #[test]
    fn bad_patterns_are_refused_with_the_form_to_use() {
        for bad in [
            "", "http://x", "a b", "x:0", "x:99999", "x:y", "*.", "a..b", "[::1",
        ] {
            let error = bad.parse::<HostPattern>().unwrap_err();
            assert!(error.contains("host pattern"), "{bad}: {error}");
        }
        assert!("*".parse::<HostPattern>().is_ok());
        assert_eq!(
            Allowlist::default_hosts().entries().count(),
            DEFAULT_HOSTS.len()
        );
    }

    #[test]
    fn only_the_public_internet_is_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "198.18.0.1",
            "192.0.2.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::",
            "2001:db8::1",
            "240.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "1.1.1.1",
            "151.101.0.223",
            "2a04:4e42::223",
            "::ffff:1.1.1.1",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
