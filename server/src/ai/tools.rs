//! The tools an agent works with, each going through a service that exists (files through
//! the file service with its confinement and version checks, commands through the command
//! port), never a new path into the container. Every result is text for the model; a
//! failure is a result too (the model reads why and tries again), never a crash.

use std::sync::Arc;
use std::time::Duration;

use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use app::files::EntryKind;
use app::service::FileService;
use app::workspace_path::WorkspacePath;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::edit;
use crate::commands::{CommandRunner, Watch};
use crate::files::FileManager;

/// Lines of a file one read returns at most.
const READ_LINES: usize = 400;
/// Lines of search results returned at most.
const SEARCH_LINES: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "tool", content = "arguments", rename_all = "snake_case")]
pub enum ToolCall {
    RunCommand {
        command: String,
        #[serde(default)]
        timeout_secs: Option<u64>,
    },
    ReadFile {
        path: String,
        #[serde(default)]
        start_line: Option<usize>,
        #[serde(default)]
        end_line: Option<usize>,
    },
    ListDir {
        #[serde(default)]
        path: String,
    },
    Search {
        pattern: String,
        #[serde(default)]
        path: String,
    },
    EditFile {
        path: String,
        search: String,
        replace: String,
    },
    WriteFile {
        path: String,
        text: String,
    },
    Finish {
        summary: String,
    },
}

impl ToolCall {
    /// A call as a model made it: the tool's name and its JSON arguments. A malformed call
    /// is an error message meant for the model.
    pub fn parse(name: &str, arguments: &str) -> Result<Self, String> {
        let arguments: Value = if arguments.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(arguments)
                .map_err(|e| format!("the arguments of {name} are not valid JSON ({e})"))?
        };
        serde_json::from_value(json!({ "tool": name, "arguments": arguments })).map_err(|e| {
            format!("{name} was called wrongly ({e}); see the tool's parameters and call it again")
        })
    }
}

/// What a tool gave back, for the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolResult {
    pub ok: bool,
    pub text: String,
}

impl ToolResult {
    fn ok(text: impl Into<String>) -> Self {
        Self {
            ok: true,
            text: text.into(),
        }
    }

    fn failed(text: impl Into<String>) -> Self {
        Self {
            ok: false,
            text: text.into(),
        }
    }
}

#[derive(Clone)]
pub struct Tools {
    files: Arc<FileManager>,
    commands: CommandRunner,
}

/// A word for `sh -c`, quoted so that nothing in it is interpreted.
fn shell_word(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

impl Tools {
    pub fn new(files: Arc<FileManager>, commands: CommandRunner) -> Self {
        Self { files, commands }
    }

    /// Runs one call as `actor` in `workspace`; `Finish` is the caller's to handle.
    pub async fn call(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        call: ToolCall,
    ) -> ToolResult {
        self.call_watched(actor, workspace, call, None).await
    }

    /// [`call`](Self::call), a command's output handed to `watch` as it comes.
    pub async fn call_watched(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        call: ToolCall,
        watch: Option<Watch<'_>>,
    ) -> ToolResult {
        let outcome = match call {
            ToolCall::RunCommand {
                command,
                timeout_secs,
            } => {
                self.run(actor, workspace, &command, timeout_secs, watch)
                    .await
            }
            ToolCall::ReadFile {
                path,
                start_line,
                end_line,
            } => {
                self.read(actor, workspace, &path, start_line, end_line)
                    .await
            }
            ToolCall::ListDir { path } => self.list(actor, workspace, &path).await,
            ToolCall::Search { pattern, path } => {
                self.search(actor, workspace, &pattern, &path).await
            }
            ToolCall::EditFile {
                path,
                search,
                replace,
            } => self.edit(actor, workspace, &path, &search, &replace).await,
            ToolCall::WriteFile { path, text } => self.write(actor, workspace, &path, text).await,
            ToolCall::Finish { summary } => Ok(summary),
        };
        match outcome {
            Ok(text) => ToolResult::ok(text),
            Err(text) => ToolResult::failed(text),
        }
    }

    async fn run(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        command: &str,
        timeout_secs: Option<u64>,
        watch: Option<Watch<'_>>,
    ) -> Result<String, String> {
        let done = self
            .commands
            .run_watched(
                actor,
                workspace,
                command,
                timeout_secs.map(Duration::from_secs),
                watch,
            )
            .await
            .map_err(|e| e.to_string())?;
        let status = match (done.timed_out, done.exit_code) {
            (true, _) => format!(
                "stopped after {} s: it ran past its time limit",
                done.took.as_secs()
            ),
            (false, Some(code)) => format!("exit status {code}"),
            (false, None) => "exit status unknown".to_owned(),
        };
        Ok(format!("{status}\n{}", done.output))
    }

    /// Writes a whole file, making the folders it needs first.
    async fn write(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        path: &str,
        text: String,
    ) -> Result<String, String> {
        let file = WorkspacePath::parse(path).map_err(|e| e.to_string())?;
        let mut folders = Vec::new();
        let mut folder = file.parent();
        while let Some(current) = folder.filter(|f| !f.is_root()) {
            folder = current.parent();
            folders.push(current);
        }
        for folder in folders.into_iter().rev() {
            match self.files.create_folder(actor, workspace, &folder).await {
                Ok(()) | Err(AppError::FileExists(_)) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        let lines = text.lines().count();
        self.files
            .write_text(actor, workspace, &file, text, None)
            .await
            .map_err(|e| e.to_string())?;
        Ok(format!("wrote {} ({lines} lines)", file.absolute()))
    }

    /// Lines matching `pattern` under `path`, with file names and line numbers. Symbolic
    /// links are not followed: the folder searched is where it really is (refused when that
    /// is outside /workspace), and what `find` walks it does not follow.
    async fn search(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        pattern: &str,
        path: &str,
    ) -> Result<String, String> {
        let folder = WorkspacePath::parse(path).map_err(|e| e.to_string())?;
        // Plain POSIX, so BusyBox does it too; .git is left out.
        let command = format!(
            "t={}; p={}; if [ -d \"$t\" ]; then cd -- \"$t\" || exit 2; here=$(pwd -P); case \"$here\" in {MOUNT}|{MOUNT}/*) ;; *) echo \"$t leads out of {MOUNT}\" >&2; exit 3;; esac; find \"$here\" -type f ! -path '*/.git/*' -exec grep -Hn -e \"$p\" -- {{}} + 2>/dev/null | head -n {SEARCH_LINES}; elif [ -f \"$t\" ] && [ ! -L \"$t\" ]; then grep -Hn -e \"$p\" -- \"$t\" | head -n {SEARCH_LINES}; else echo \"$t is not a folder or a file of {MOUNT}\" >&2; exit 2; fi",
            shell_word(&folder.absolute()),
            shell_word(pattern),
            MOUNT = crate::access::MOUNT_PATH,
        );
        self.run(actor, workspace, &command, None, None).await
    }

    async fn read(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        path: &str,
        start: Option<usize>,
        end: Option<usize>,
    ) -> Result<String, String> {
        let file = WorkspacePath::parse(path).map_err(|e| e.to_string())?;
        let text = self
            .files
            .read_text(actor, workspace, &file)
            .await
            .map_err(|e| e.to_string())?
            .text;
        let lines: Vec<&str> = text.lines().collect();
        let first = start.unwrap_or(1).max(1);
        let last = end
            .unwrap_or(lines.len())
            .min(lines.len())
            .min(first.saturating_add(READ_LINES - 1));
        if first > lines.len().max(1) {
            return Err(format!("{} has {} lines", file.absolute(), lines.len()));
        }
        let mut shown: Vec<String> = (first..=last)
            .filter_map(|n| lines.get(n - 1).map(|l| format!("{n:>5} | {l}")))
            .collect();
        if last < lines.len() {
            shown.push(format!(
                "[lines {}–{} not shown; read them with start_line]",
                last + 1,
                lines.len()
            ));
        }
        Ok(shown.join("\n"))
    }

    async fn list(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        path: &str,
    ) -> Result<String, String> {
        let folder = WorkspacePath::parse(path).map_err(|e| e.to_string())?;
        let entries = self
            .files
            .list(actor, workspace, &folder)
            .await
            .map_err(|e| e.to_string())?;
        if entries.is_empty() {
            return Ok(format!("{} is empty", folder.absolute()));
        }
        Ok(entries
            .iter()
            .map(|e| match e.kind {
                EntryKind::Folder => format!("{}/", e.name()),
                _ => e.name().to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n"))
    }

    async fn edit(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        path: &str,
        search: &str,
        replace: &str,
    ) -> Result<String, String> {
        let file = WorkspacePath::parse(path).map_err(|e| e.to_string())?;
        let current = self
            .files
            .read_text(actor, workspace, &file)
            .await
            .map_err(|e| e.to_string())?;
        let edited = edit::apply(&current.text, search, replace)
            .map_err(|miss| format!("{} was not changed: {miss}", file.absolute()))?;
        // Written only over the version read: a change made meanwhile is not overwritten.
        self.files
            .write_text(actor, workspace, &file, edited, Some(current.version))
            .await
            .map_err(|e| e.to_string())?;
        Ok(format!("edited {}", file.absolute()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_read_from_a_name_and_json_arguments() {
        assert_eq!(
            ToolCall::parse("read_file", r#"{"path":"a.rs","start_line":3}"#),
            Ok(ToolCall::ReadFile {
                path: "a.rs".into(),
                start_line: Some(3),
                end_line: None
            })
        );
        assert_eq!(
            ToolCall::parse("list_dir", ""),
            Ok(ToolCall::ListDir {
                path: String::new()
            })
        );
        let wrong = ToolCall::parse("write_file", r#"{"path":"a"}"#).unwrap_err();
        assert!(wrong.contains("write_file was called wrongly"), "{wrong}");
        assert!(ToolCall::parse("run_command", "{oops")
            .unwrap_err()
            .contains("not valid JSON"));
        assert!(ToolCall::parse("format_disk", "{}").is_err());
    }

    #[test]
    fn shell_words_are_taken_literally() {
        assert_eq!(shell_word("it's $HOME"), r"'it'\''s $HOME'");
    }
}
