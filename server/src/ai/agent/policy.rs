//! Whether a tool call waits for a person: the rules' risk of the call (never the model's
//! opinion of it) against the workspace's confirmation policy. Reading never waits; under
//! "always" every command and file change does; under "risky" those the rules rate medium
//! or high.

use app::agent::ConfirmPolicy;
use app::ai::{Risk, RiskLevel};

use crate::ai::risk;
use crate::ai::tools::ToolCall;

/// Paths whose change matters beyond the project's own files.
const SENSITIVE: &[(&str, &str)] = &[
    (
        ".git/",
        "changes git's own files (history, hooks, configuration)",
    ),
    (".github/", "changes CI workflows"),
    (
        ".env",
        "changes an environment file, which often holds secrets",
    ),
    (".ssh/", "changes SSH keys or configuration"),
];

/// What the rules make of a call.
pub fn assess(call: &ToolCall) -> Risk {
    match call {
        ToolCall::RunCommand { command, .. } => risk::assess(command),
        ToolCall::WriteFile { path, .. } | ToolCall::EditFile { path, .. } => file_risk(path),
        _ => Risk {
            level: RiskLevel::Low,
            reasons: Vec::new(),
        },
    }
}

fn file_risk(path: &str) -> Risk {
    let path = path
        .trim_start_matches("/workspace/")
        .trim_start_matches("./");
    let reasons: Vec<String> = SENSITIVE
        .iter()
        .filter(|(prefix, _)| path.starts_with(prefix) || path.contains(&format!("/{prefix}")))
        .map(|(_, why)| (*why).to_owned())
        .collect();
    Risk {
        level: if reasons.is_empty() {
            RiskLevel::Low
        } else {
            RiskLevel::Medium
        },
        reasons,
    }
}

/// Whether a call changes anything (reading, listing, searching and finishing do not).
pub fn changes_something(call: &ToolCall) -> bool {
    matches!(
        call,
        ToolCall::RunCommand { .. } | ToolCall::WriteFile { .. } | ToolCall::EditFile { .. }
    )
}

/// Whether `call`, of `risk`, must wait for a person under `policy`.
pub fn asks(policy: ConfirmPolicy, call: &ToolCall, risk: &Risk) -> bool {
    changes_something(call)
        && match policy {
            ConfirmPolicy::Never => false,
            ConfirmPolicy::Risky => risk.level >= RiskLevel::Medium,
            ConfirmPolicy::Always => true,
        }
}

/// The value a person may change before approving, and the call with it changed.
pub fn editable(call: &ToolCall) -> Option<String> {
    match call {
        ToolCall::RunCommand { command, .. } => Some(command.clone()),
        ToolCall::WriteFile { text, .. } => Some(text.clone()),
        ToolCall::EditFile { replace, .. } => Some(replace.clone()),
        _ => None,
    }
}

pub fn with_edit(call: ToolCall, value: String) -> ToolCall {
    match call {
        ToolCall::RunCommand { timeout_secs, .. } => ToolCall::RunCommand {
            command: value,
            timeout_secs,
        },
        ToolCall::WriteFile { path, .. } => ToolCall::WriteFile { path, text: value },
        ToolCall::EditFile { path, search, .. } => ToolCall::EditFile {
            path,
            search,
            replace: value,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(line: &str) -> ToolCall {
        ToolCall::RunCommand {
            command: line.into(),
            timeout_secs: None,
        }
    }

    fn write(path: &str) -> ToolCall {
        ToolCall::WriteFile {
            path: path.into(),
            text: "x".into(),
        }
    }

    #[test]
    fn the_policy_decides_from_the_rules_risk() {
        let read = ToolCall::ReadFile {
            path: "a".into(),
            start_line: None,
            end_line: None,
        };
        let (safe, risky) = (command("ls -la"), command("rm -rf build"));
        let ask = |policy, call: &ToolCall| asks(policy, call, &assess(call));
        assert!(!ask(ConfirmPolicy::Always, &read), "reading never waits");
        assert!(ask(ConfirmPolicy::Always, &safe));
        assert!(!ask(ConfirmPolicy::Risky, &safe));
        assert!(ask(ConfirmPolicy::Risky, &risky));
        assert!(!ask(ConfirmPolicy::Never, &risky));
        assert!(!ask(ConfirmPolicy::Risky, &write("src/main.rs")));
        assert!(ask(ConfirmPolicy::Risky, &write(".git/hooks/pre-commit")));
        assert!(ask(ConfirmPolicy::Risky, &write("/workspace/app/.env")));
    }

    #[test]
    fn an_edited_value_replaces_the_one_a_person_saw() {
        let edited = with_edit(command("rm -rf build"), "rm -r build/cache".into());
        assert_eq!(editable(&edited).as_deref(), Some("rm -r build/cache"));
        let edit = ToolCall::EditFile {
            path: "a".into(),
            search: "x".into(),
            replace: "y".into(),
        };
        assert_eq!(
            with_edit(edit, "z".into()),
            ToolCall::EditFile {
                path: "a".into(),
                search: "x".into(),
                replace: "z".into()
            }
        );
    }
}
