//! The rule-based risk of a shell command, for the terminal assistant (and the agent): the
//! label the user sees before anything is typed. It is decided here by rules, never by what
//! a model says of its own command. Rules look at every simple command of a line (split at
//! `;`, `&&`, `||`, `|` and newlines); the highest level found wins, with each reason.

mod programs;
mod rules;
mod shell;

use app::ai::{Risk, RiskLevel};
use rules::RULES;
use shell::{pipelines, redirect_targets, shell_script};

/// Files whose change reaches beyond the project (hooks, shell start-up, keys, CI).
const SENSITIVE_TARGETS: &[&str] = &[
    ".git/", ".github/", ".bashrc", ".profile", ".zshrc", ".ssh/", ".env", "/etc/",
];

/// The risk of `line`, with the reasons of the highest level found.
pub fn assess(line: &str) -> Risk {
    let mut level = RiskLevel::Low;
    let mut reasons: Vec<String> = Vec::new();
    let mut raise = |found: RiskLevel, reason: &str| {
        if found > level {
            level = found;
            reasons.clear();
        }
        if found == level && !reasons.iter().any(|r| r == reason) {
            reasons.push(reason.to_owned());
        }
    };
    let compact: String = line.split_whitespace().collect();
    if compact.contains(":(){") {
        raise(RiskLevel::High, "a fork bomb");
    }
    let fetches = line.contains("curl") || line.contains("wget");
    let runs_fetched = ["| sh", "| bash", "|sh", "|bash", "| sudo", "<(", "$("]
        .iter()
        .any(|p| line.contains(p));
    if fetches && runs_fetched {
        raise(RiskLevel::High, "runs a script straight from the network");
    }
    if line.contains("/dev/tcp/") || line.contains("/dev/udp/") {
        raise(RiskLevel::High, "connects a shell to the network");
    }
    if line.contains("$(") || line.contains('`') || line.contains("eval ") {
        raise(RiskLevel::Medium, "runs a command built at run time");
    }
    let harmless = [
        "2>&1",
        "&>/dev/null",
        "2>/dev/null",
        ">/dev/null",
        "> /dev/null",
        ">>",
    ];
    let redirects = harmless
        .iter()
        .fold(line.to_owned(), |rest, h| rest.replace(h, ""));
    if redirects.contains("> /dev/sd")
        || redirects.contains(">/dev/sd")
        || redirects.contains("> /etc/")
    {
        raise(RiskLevel::High, "overwrites a device or system file");
    } else if redirects.contains('>') {
        raise(RiskLevel::Medium, "overwrites a file with >");
    }
    let checkpoints = super::agent::CHECKPOINTS
        .rsplit('/')
        .next()
        .unwrap_or_default();
    if line.contains(checkpoints) {
        raise(RiskLevel::High, "touches the checkpoints undo relies on");
    }
    if redirect_targets(line)
        .iter()
        .any(|target| SENSITIVE_TARGETS.iter().any(|s| target.contains(s)))
    {
        raise(
            RiskLevel::Medium,
            "writes hooks, shell start-up, keys or CI files",
        );
    }
    for pipeline in pipelines(line) {
        if let Some(found) = programs::fed_program(&pipeline) {
            raise(found.level, found.reason);
        }
        for command in &pipeline {
            let words: Vec<&str> = command.iter().map(String::as_str).collect();
            for rule in RULES {
                if (rule.matches)(&words) {
                    raise(rule.level, rule.reason);
                }
            }
            // `sh -c '…'` is judged by its script, an interpreter's or `find`'s command by
            // what can be read of it.
            let mut inner: Vec<String> = shell_script(&words)
                .map(str::to_owned)
                .into_iter()
                .collect();
            if let Some(found) = programs::hidden(&words) {
                raise(found.level, found.reason);
                inner.extend(found.inner);
            }
            for script in inner {
                let judged = assess(&script);
                for reason in &judged.reasons {
                    raise(judged.level, reason);
                }
            }
        }
    }
    Risk { level, reasons }
}

#[cfg(test)]
mod tests;
