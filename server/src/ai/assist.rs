//! The terminal assistant's prompt and the reading of its reply: a task in words becomes
//! one shell command and a one-line explanation. Models answer in many shapes (a fenced
//! block, a `$ ` line, a bare line), so the reader takes the first command it can find.

use app::ai::{ChatMessage, Role};
use app::auth::WorkspaceRef;

/// Characters of recent terminal output sent with the task.
const OUTPUT_BUDGET: usize = 4_000;

pub fn messages(workspace: &WorkspaceRef, task: &str, output: Option<&str>) -> Vec<ChatMessage> {
    let system = format!(
        "You write shell commands for a terminal in the workspace {workspace}: a Linux \
         container, bash or sh, the user `developer` without root, the current folder \
         /workspace. Answer with exactly one command in a ```sh fenced block (chain steps \
         with &&), then one line that starts with `Explanation:` and says what it does. \
         Nothing else."
    );
    let mut ask = format!("Task: {}", task.trim());
    if let Some(output) = output.map(str::trim).filter(|o| !o.is_empty()) {
        let plain = strip_ansi_escapes::strip_str(output);
        let start = plain.chars().count().saturating_sub(OUTPUT_BUDGET);
        let recent: String = plain.chars().skip(start).collect();
        ask.push_str(&format!(
            "\n\nThe terminal's recent output:\n```\n{recent}\n```"
        ));
    }
    vec![
        ChatMessage::new(Role::System, system),
        ChatMessage::new(Role::User, ask),
    ]
}

/// The command and explanation in a reply, if it holds a command.
pub fn read_reply(reply: &str) -> Option<(String, String)> {
    let explanation = reply
        .lines()
        .find_map(|l| l.trim().strip_prefix("Explanation:"))
        .map(|e| e.trim().to_owned())
        .unwrap_or_default();
    let lines: Vec<&str> = reply
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Explanation:"))
        .collect();
    // A fenced block, else a `$ ` line, else inline code, else a reply of one line: prose
    // is never taken for a command.
    let command = fenced(reply)
        .or_else(|| {
            lines
                .iter()
                .find_map(|l| l.strip_prefix("$ "))
                .map(str::to_owned)
        })
        .or_else(|| {
            let (_, rest) = reply.split_once('`')?;
            rest.split_once('`').map(|(code, _)| code.to_owned())
        })
        .or_else(|| (lines.len() == 1).then(|| lines[0].to_owned()))?;
    let command = command.trim().to_owned();
    (!command.is_empty()).then_some((command, explanation))
}

/// The lines of the first fenced block, without `$ ` prompts, joined into one line.
fn fenced(reply: &str) -> Option<String> {
    let start = reply.find("```")?;
    let after = &reply[start + 3..];
    let body_start = after.find('\n')? + 1;
    let body = &after[body_start..];
    let end = body.find("```").unwrap_or(body.len());
    let lines: Vec<&str> = body[..end]
        .lines()
        .map(|l| l.trim().trim_start_matches("$ "))
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    (!lines.is_empty()).then(|| lines.join(" && "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_in_every_shape_give_their_command() {
        let fenced = "```sh\n$ ls -la\n```\nExplanation: lists every file.";
        assert_eq!(
            read_reply(fenced),
            Some(("ls -la".into(), "lists every file.".into()))
        );
        let two_lines = "```bash\nmkdir out\ncd out\n```\nExplanation: makes a folder.";
        assert_eq!(read_reply(two_lines).unwrap().0, "mkdir out && cd out");
        assert_eq!(read_reply("`du -sh .`").unwrap().0, "du -sh .");
        assert_eq!(read_reply("Try this:\n$ df -h").unwrap().0, "df -h");
        assert_eq!(
            read_reply("git log --oneline").unwrap().0,
            "git log --oneline"
        );
        assert_eq!(read_reply("I cannot help with that.\nSorry."), None);
        assert_eq!(read_reply("  \n"), None);
    }

    #[test]
    fn the_prompt_carries_the_task_and_plain_recent_output() {
        let workspace = WorkspaceRef::parse("ada/web").unwrap();
        let sent = messages(&workspace, "fix it", Some("\u{1b}[31mE: missing\u{1b}[0m"));
        assert!(sent[0].content.contains("ada/web"));
        assert!(sent[1].content.contains("Task: fix it"));
        assert!(sent[1].content.contains("E: missing") && !sent[1].content.contains('\u{1b}'));
    }
}
