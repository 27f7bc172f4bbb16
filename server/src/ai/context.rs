//! What a chat request sends the model: a system message naming the workspace, then the
//! conversation, with the attachments the user chose put before the newest question. Files
//! are read through the file service as the user may read them; terminal output arrives
//! with its escape sequences, which are stripped. Attachments share a budget; what does
//! not fit is cut, and the panel is told what was cut.

use app::ai::{Attachment, ChatMessage, Role};
use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use app::files::{EntryKind, FileEntry};
use app::workspace_path::WorkspacePath;

/// Characters of attached context one request may carry (about 12k tokens).
pub const ATTACHMENT_BUDGET: usize = 48_000;

/// One piece of context, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub label: String,
    pub text: String,
}

impl Context {
    /// A folder's entries, one per line, folders marked with a slash.
    pub fn listing(folder: &WorkspacePath, entries: &[FileEntry]) -> Self {
        let text = entries
            .iter()
            .map(|entry| match entry.kind {
                EntryKind::Folder => format!("{}/", entry.name()),
                _ => entry.name().to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        Self {
            label: format!("folder {}", folder.absolute()),
            text,
        }
    }

    /// Terminal output or a selection: control sequences removed.
    pub fn from_terminal(label: &str, raw: &str) -> Self {
        let plain = strip_ansi_escapes::strip_str(raw);
        Self {
            label: label.to_owned(),
            text: plain.replace("\r\n", "\n"),
        }
    }
}

/// The system message: where the model is and how to answer.
pub fn system_prompt(workspace: &WorkspaceRef) -> ChatMessage {
    ChatMessage::new(
        Role::System,
        format!(
            "You are the coding assistant of AiCockpit, a browser IDE. The user works in the \
             workspace {workspace}, a Linux container whose files are under /workspace. Answer \
             concisely in Markdown; put code and commands in fenced code blocks with a language."
        ),
    )
}

/// Fits the attachments into the budget in order, keeping the end of one that does not
/// fit (the latest of a terminal's output), and returns them with the labels the panel
/// shows, which say what was cut.
pub fn fit(contexts: Vec<Context>, budget: usize) -> (Vec<Context>, Vec<String>) {
    let mut left = budget;
    let mut kept = Vec::new();
    let mut labels = Vec::new();
    for context in contexts {
        let total = context.text.chars().count();
        if left == 0 {
            labels.push(format!("{} (left out: no room)", context.label));
            continue;
        }
        let text = if total > left {
            labels.push(format!(
                "{} (cut to the last {left} of {total} characters)",
                context.label
            ));
            context.text.chars().skip(total - left).collect()
        } else {
            labels.push(format!("{} ({total} characters)", context.label));
            context.text
        };
        left -= text.chars().count();
        kept.push(Context { text, ..context });
    }
    (kept, labels)
}

/// The conversation with the attachments placed before the newest message.
pub fn messages(
    workspace: &WorkspaceRef,
    mut conversation: Vec<ChatMessage>,
    attachments: &[Context],
) -> Vec<ChatMessage> {
    if let (Some(last), false) = (conversation.last_mut(), attachments.is_empty()) {
        let mut text = String::from("Context I attached:\n");
        for context in attachments {
            let fence = fence_for(&context.text);
            text.push_str(&format!(
                "\n{}:\n{fence}\n{}\n{fence}\n",
                context.label, context.text
            ));
        }
        text.push_str(&format!("\n{}", last.content));
        last.content = text;
    }
    let mut messages = vec![system_prompt(workspace)];
    messages.extend(conversation);
    messages
}

/// A code fence longer than any run of backticks inside the text.
fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

impl super::AiManager {
    /// Reads the attached files as the actor may; text attachments as they came.
    pub(super) async fn attachments(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        attachments: Vec<Attachment>,
    ) -> Result<Vec<Context>, AppError> {
        let mut contexts = Vec::with_capacity(attachments.len());
        for attachment in attachments {
            contexts.push(match attachment {
                Attachment::File { path } => {
                    let path = WorkspacePath::parse(&path)?;
                    let file = self.files.read_text(actor, workspace, &path).await?;
                    Context {
                        label: format!("file {}", path.absolute()),
                        text: file.text,
                    }
                }
                Attachment::Folder { path } => {
                    let path = WorkspacePath::parse(&path)?;
                    let entries = self.files.list(actor, workspace, &path).await?;
                    Context::listing(&path, &entries)
                }
                Attachment::Text { label, text } => Context::from_terminal(&label, &text),
            });
        }
        Ok(contexts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(label: &str, text: &str) -> Context {
        Context {
            label: label.into(),
            text: text.into(),
        }
    }

    #[test]
    fn terminal_output_loses_its_escape_sequences() {
        let output = Context::from_terminal("terminal", "\x1b[1;32mok\x1b[0m done\r\n");
        assert_eq!(output.text, "ok done\n");
    }

    #[test]
    fn a_folder_lists_its_entries_with_folders_marked() {
        let folder = WorkspacePath::parse("src").unwrap();
        let entry = |path: &str, kind| FileEntry {
            path: WorkspacePath::parse(path).unwrap(),
            kind,
            symlink: false,
        };
        let listed = Context::listing(
            &folder,
            &[
                entry("src/lib", EntryKind::Folder),
                entry("src/main.rs", EntryKind::File),
            ],
        );
        assert_eq!(listed.label, "folder /workspace/src");
        assert_eq!(listed.text, "lib/\nmain.rs");
    }

    #[test]
    fn what_does_not_fit_is_cut_from_the_start_and_said() {
        let (kept, labels) = fit(
            vec![
                context("a", "12345"),
                context("b", "abcdefgh"),
                context("c", "xyz"),
            ],
            10,
        );
        assert_eq!(kept[0].text, "12345");
        assert_eq!(kept[1].text, "defgh");
        assert_eq!(kept.len(), 2);
        assert_eq!(labels[1], "b (cut to the last 5 of 8 characters)");
        assert_eq!(labels[2], "c (left out: no room)");
    }

    #[test]
    fn attachments_go_before_the_newest_question() {
        let workspace = WorkspaceRef::parse("ada/web").unwrap();
        let sent = messages(
            &workspace,
            vec![
                ChatMessage::new(Role::User, "first"),
                ChatMessage::new(Role::Assistant, "reply"),
                ChatMessage::new(Role::User, "why?"),
            ],
            &[context("file src/a.md", "has ``` inside")],
        );
        assert_eq!(sent[0].role, Role::System);
        assert!(sent[0].content.contains("ada/web"));
        assert_eq!(sent[2].content, "reply");
        let last = &sent[3].content;
        assert!(last.starts_with("Context I attached:"));
        assert!(last.contains("````\nhas ``` inside\n````"), "{last}");
        assert!(last.ends_with("why?"));
    }
}
