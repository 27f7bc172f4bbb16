//! The host guard: a workspace on an open network reaches the internet through the host's
//! NAT, and so could reach the host itself (every service listening on 0.0.0.0, through
//! its bridge's gateway). These firewall rules drop what comes in from AiCockpit's bridges
//! (`aic*`) to the host, except answers to connections the host opened (previews), and
//! what they send to link-local addresses (cloud metadata services). Isolated networks
//! need none of this: their bridges have no address on the host at all.
//!
//! The rules are installed by AiCockpit when it runs as root beside the engine, checked
//! again before each open network is handed out, and written out in the README for hosts
//! where an administrator installs them instead (`--host-guarded`).

use tokio::process::Command;

/// The prefix of every bridge AiCockpit makes (see `network`).
pub const BRIDGE_PREFIX: &str = "aic";
const CHAIN: &str = "AICOCKPIT-GUARD";

/// One `iptables` (or `ip6tables`) invocation; `Err` with what it said.
async fn table(program: &str, args: &[&str]) -> Result<(), String> {
    let output = Command::new(program)
        .arg("-w")
        .args(args)
        .output()
        .await
        .map_err(|e| format!("{program} cannot run: {e}"))?;
    match output.status.success() {
        true => Ok(()),
        false => Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )),
    }
}

/// The rules, as `iptables` arguments after the chain is made.
fn rules(bridges: &str) -> Vec<Vec<String>> {
    let words = |line: String| line.split(' ').map(str::to_owned).collect::<Vec<_>>();
    vec![
        words(format!(
            "-A {CHAIN} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN"
        )),
        words(format!(
            "-A {CHAIN} -p tcp -j REJECT --reject-with tcp-reset"
        )),
        words(format!("-A {CHAIN} -j REJECT")),
        words(format!("-I INPUT 1 -i {bridges} -j {CHAIN}")),
    ]
}

/// What the README tells an administrator to run, the same rules as [`install`].
pub fn commands() -> Vec<String> {
    let bridges = format!("{BRIDGE_PREFIX}+");
    let mut lines = vec![format!("iptables -N {CHAIN}")];
    lines.extend(
        rules(&bridges)
            .iter()
            .map(|r| format!("iptables {}", r.join(" "))),
    );
    lines.push(format!(
        "iptables -I DOCKER-USER -i {bridges} -d 169.254.0.0/16 -j REJECT"
    ));
    lines
}

/// Installs the guard, adding only the rules missing (never emptying the chain, which
/// would leave the host open for a moment); `Err` says why it could not be.
pub async fn install() -> Result<(), String> {
    let bridges = format!("{BRIDGE_PREFIX}+");
    if table("iptables", &["-S", CHAIN]).await.is_err() {
        table("iptables", &["-N", CHAIN]).await?;
    }
    for rule in rules(&bridges) {
        let rule: Vec<&str> = rule.iter().map(String::as_str).collect();
        // `-A X …` and `-I X 1 …` are checked as `-C X …`.
        let position = if rule[0] == "-I" { 3 } else { 2 };
        let check = [&["-C", rule[1]][..], &rule[position..]].concat();
        if table("iptables", &check).await.is_err() {
            table("iptables", &rule).await?;
        }
    }
    let metadata = [
        "DOCKER-USER",
        "-i",
        &bridges,
        "-d",
        "169.254.0.0/16",
        "-j",
        "REJECT",
    ];
    if table("iptables", &[&["-C"][..], &metadata].concat())
        .await
        .is_err()
    {
        table("iptables", &[&["-I"][..], &metadata].concat()).await?;
    }
    // Containers get no IPv6 address on AiCockpit's networks; should the host route it
    // anyway, its answer is the same.
    if table(
        "ip6tables",
        &["-C", "INPUT", "-i", &bridges, "-j", "REJECT"],
    )
    .await
    .is_err()
    {
        let _ = table(
            "ip6tables",
            &["-I", "INPUT", "1", "-i", &bridges, "-j", "REJECT"],
        )
        .await;
    }
    check().await
}

/// Whether the guard is in place now.
pub async fn check() -> Result<(), String> {
    let bridges = format!("{BRIDGE_PREFIX}+");
    table("iptables", &["-C", "INPUT", "-i", &bridges, "-j", CHAIN]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_answer_replies_and_refuse_the_rest_from_every_bridge() {
        let lines = commands();
        assert_eq!(lines[0], "iptables -N AICOCKPIT-GUARD");
        assert!(
            lines[1].contains("ESTABLISHED,RELATED -j RETURN"),
            "{lines:?}"
        );
        assert!(lines
            .iter()
            .any(|l| l.ends_with("-i aic+ -j AICOCKPIT-GUARD")));
        assert!(lines.iter().any(|l| l.contains("169.254.0.0/16")));
        // Replies come before the refusal, or previews would be refused too.
        let reply = lines.iter().position(|l| l.contains("RETURN")).unwrap();
        let refuse = lines.iter().position(|l| l.ends_with("-j REJECT")).unwrap();
        assert!(reply < refuse);
    }
}
