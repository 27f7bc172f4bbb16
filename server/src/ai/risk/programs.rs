//! Commands that run other commands the line does not spell out plainly: an interpreter's
//! inline program (`awk 'BEGIN{system(…)}'`, `python -c`, `perl -e`, `node -e`), the
//! command `find` runs on each file, and a shell or interpreter fed what another command
//! prints (`… | base64 -d | sh`). Where the inner command can be read, it is judged too.

use app::ai::RiskLevel;

use super::shell::{program, SHELLS};

/// Interpreters that run a program given inline, with the option that gives it.
const INLINE: &[(&str, &[&str])] = &[
    ("python", &["-c"]),
    ("perl", &["-e", "-E"]),
    ("ruby", &["-e"]),
    ("node", &["-e", "--eval", "-p", "--print"]),
    ("nodejs", &["-e", "--eval"]),
    ("deno", &["eval"]),
    ("php", &["-r"]),
    ("lua", &["-e"]),
    ("tclsh", &[]),
];

/// What in an inline program starts another process.
const SPAWNS: &[&str] = &[
    "system",
    "exec",
    "popen",
    "spawn",
    "subprocess",
    "child_process",
    "os.",
    "`",
    "qx",
    "Process",
    "shell_exec",
    "passthru",
];

const AWK: &[&str] = &["awk", "gawk", "mawk", "nawk"];

/// Programs whose output is code more often than not when piped into a shell.
const DECODERS: &[&str] = &[
    "base64", "base32", "xxd", "openssl", "gzip", "gunzip", "zcat", "bzip2", "bunzip2", "xz",
    "unxz", "rev", "tr", "od", "uudecode", "curl", "wget", "nc", "ncat", "fetch", "printf",
];

/// A finding: its level, why, and an inner command line to judge as well.
pub(super) struct Finding {
    pub level: RiskLevel,
    pub reason: &'static str,
    pub inner: Vec<String>,
}

fn finding(level: RiskLevel, reason: &'static str, inner: Vec<String>) -> Finding {
    Finding {
        level,
        reason,
        inner,
    }
}

/// The string literals in a program's text: what its `system("…")` and the like run.
fn literals(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        if matches!(c, '"' | '\'' | '`') {
            let literal: String = chars.by_ref().take_while(|x| *x != c).collect();
            if !literal.trim().is_empty() {
                found.push(literal);
            }
        }
    }
    found
}

/// What one simple command runs that its words do not show plainly.
pub(super) fn hidden(words: &[&str]) -> Option<Finding> {
    let name = program(words);
    let at = words
        .iter()
        .position(|w| w.rsplit('/').next() == Some(name))?;
    let args = &words[at + 1..];
    if AWK.contains(&name) {
        let code = args.iter().find(|a| !a.starts_with('-'))?;
        let runs = code.contains("system") || code.contains('|');
        return runs.then(|| finding(RiskLevel::Medium, "runs commands from awk", literals(code)));
    }
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    if let Some((_, options)) = INLINE.iter().find(|(p, _)| *p == base) {
        let code_at = args.iter().position(|a| options.contains(a))?;
        let code = args.get(code_at + 1).copied().unwrap_or_default();
        let spawns = SPAWNS.iter().any(|s| code.contains(s));
        let reason = match spawns {
            true => "runs commands from inline code",
            false => "runs inline code the rules cannot read",
        };
        return Some(finding(RiskLevel::Medium, reason, literals(code)));
    }
    if name == "find" {
        let exec = args
            .iter()
            .position(|a| matches!(*a, "-exec" | "-execdir" | "-ok" | "-okdir"))?;
        let inner: Vec<&str> = args[exec + 1..]
            .iter()
            .take_while(|a| !matches!(**a, ";" | "\\;" | "+"))
            .copied()
            .collect();
        return Some(finding(
            RiskLevel::Medium,
            "runs a command on every file it finds",
            vec![inner.join(" ")],
        ));
    }
    None
}

/// Whether a command reads its program from its input: a shell without a script (or with
/// `-s`), an interpreter without one (or with `-`).
fn reads_program(words: &[&str]) -> bool {
    let name = program(words);
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    let interpreter = SHELLS.contains(&name) || INLINE.iter().any(|(p, _)| *p == base);
    if !interpreter {
        return false;
    }
    let at = words
        .iter()
        .position(|w| w.rsplit('/').next() == Some(name));
    let args = at.map_or(&[][..], |at| &words[at + 1..]);
    let script = args.iter().any(|a| !a.starts_with('-'));
    !script || args.iter().any(|a| *a == "-s" || *a == "-")
}

/// A pipeline that feeds a shell or interpreter what another command prints.
pub(super) fn fed_program(pipeline: &[Vec<String>]) -> Option<Finding> {
    let words: Vec<Vec<&str>> = pipeline
        .iter()
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    let runner = words.iter().skip(1).position(|w| reads_program(w))? + 1;
    let decoded = words[..runner]
        .iter()
        .any(|w| DECODERS.contains(&program(w)));
    Some(match decoded {
        true => finding(
            RiskLevel::High,
            "runs decoded or downloaded code",
            Vec::new(),
        ),
        false => finding(
            RiskLevel::Medium,
            "runs what another command prints as a program",
            Vec::new(),
        ),
    })
}
