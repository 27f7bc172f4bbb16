//! `aicockpit config-ssh`: a block of `~/.ssh/config` naming each workspace the user may
//! reach over SSH (`ssh aicockpit-web`, and VS Code's Remote-SSH host list), through
//! `aicockpit proxy`, trusting the host key the server gave over its own API. Written between
//! markers, so running it again replaces only that block.

use app::auth::SshAccess;
use app::model::Workspace;

const BEGIN: &str =
    "# BEGIN AICOCKPIT (written by `aicockpit config-ssh`; changes inside are replaced)";
const END: &str = "# END AICOCKPIT";

/// A workspace as a host: the name `ssh` takes and the login it signs in as.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Host {
    pub alias: String,
    pub login: String,
}

/// The hosts for `workspaces`, seen by `user`: their own by name, others' as `name.owner`.
pub fn hosts(workspaces: &[Workspace], user: &str) -> Vec<Host> {
    workspaces
        .iter()
        .filter(|w| w.access.can_use())
        .map(|w| {
            let login = match w.owner.as_str() == user {
                true => w.name.to_string(),
                false => format!("{}.{}", w.name, w.owner),
            };
            Host {
                alias: format!("aicockpit-{login}"),
                login,
            }
        })
        .collect()
}

/// What the block says: each host's login, then how every host is reached.
pub fn block(hosts: &[Host], proxy_command: &str, known_hosts: &str, key_alias: &str) -> String {
    let mut text = format!("{BEGIN}\n");
    for host in hosts {
        text.push_str(&format!("Host {}\n  User {}\n", host.alias, host.login));
    }
    text.push_str(&format!(
        "Host aicockpit-*\n  ProxyCommand {proxy_command}\n  UserKnownHostsFile \"{known_hosts}\"\n  HostKeyAlias {key_alias}\n  StrictHostKeyChecking yes\n  ServerAliveInterval 30\n{END}\n"
    ));
    text
}

/// `existing` with its block replaced by `block` (or `block` added at the top, where
/// `ssh` reads it before any catch-all `Host *` of the user's).
pub fn rewrite(existing: &str, block: &str) -> String {
    match (existing.find(BEGIN), existing.find(END)) {
        (Some(start), Some(end)) if end > start => {
            let after = &existing[end + END.len()..];
            format!(
                "{}{block}{}",
                &existing[..start],
                after.strip_prefix('\n').unwrap_or(after)
            )
        }
        _ if existing.is_empty() => block.to_owned(),
        _ => format!("{block}\n{existing}"),
    }
}

/// The `known_hosts` line for the server's host key under `key_alias`.
pub fn known_host(access: &SshAccess, key_alias: &str) -> String {
    format!("{key_alias} {}\n", access.host_key.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts_for_test() -> Vec<Host> {
        vec![Host {
            alias: "aicockpit-web".into(),
            login: "web".into(),
        }]
    }

    #[test]
    fn the_block_is_added_once_and_replaced_in_place_keeping_the_rest() {
        let mine = "Host github.com\n  User git\n";
        let first = rewrite(
            mine,
            &block(&hosts_for_test(), "aicockpit proxy", "/k", "aicockpit.x"),
        );
        assert!(first.starts_with(BEGIN), "{first}");
        assert!(first.ends_with(mine), "{first}");
        assert!(first.contains("Host aicockpit-web\n  User web\n"));

        let fewer = block(&[], "aicockpit proxy", "/k", "aicockpit.x");
        let second = rewrite(&first, &fewer);
        assert_eq!(second.matches(BEGIN).count(), 1);
        assert!(!second.contains("aicockpit-web\n"), "{second}");
        assert!(second.ends_with(mine), "{second}");
        assert_eq!(rewrite("", &fewer), fewer);
    }
}
