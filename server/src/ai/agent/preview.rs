//! What exactly a waiting call would do, for the approval card: the command line, or the
//! file change as a unified diff against the file as it is now.

use app::auth::{Actor, WorkspaceRef};
use app::service::FileService;
use app::workspace_path::WorkspacePath;
use similar::TextDiff;

use crate::ai::edit;
use crate::ai::tools::ToolCall;
use crate::files::FileManager;

pub async fn preview(
    files: &FileManager,
    actor: &Actor,
    workspace: &WorkspaceRef,
    call: &ToolCall,
) -> String {
    match call {
        ToolCall::RunCommand { command, .. } => command.clone(),
        ToolCall::WriteFile { path, text } => {
            let now = current(files, actor, workspace, path).await;
            diff(path, now.as_deref().unwrap_or(""), text)
        }
        ToolCall::EditFile {
            path,
            search,
            replace,
        } => {
            let now = current(files, actor, workspace, path)
                .await
                .unwrap_or_default();
            match edit::apply(&now, search, replace) {
                Ok(edited) => diff(path, &now, &edited),
                Err(miss) => format!("{path}: this edit will fail ({miss})"),
            }
        }
        other => format!("{other:?}"),
    }
}

/// The file's text now; `None` when it does not exist yet (or cannot be read as text).
async fn current(
    files: &FileManager,
    actor: &Actor,
    workspace: &WorkspaceRef,
    path: &str,
) -> Option<String> {
    let file = WorkspacePath::parse(path).ok()?;
    files
        .read_text(actor, workspace, &file)
        .await
        .ok()
        .map(|t| t.text)
}

fn diff(path: &str, before: &str, after: &str) -> String {
    let path = path.trim_start_matches("/workspace/");
    if before == after {
        return format!("{path}: no change (the file already has this text)");
    }
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_change_reads_as_a_unified_diff() {
        let shown = diff("/workspace/a.sh", "echo hi\nexit 3\n", "echo hi\nexit 0\n");
        assert!(shown.starts_with("--- a/a.sh\n+++ b/a.sh\n"), "{shown}");
        assert!(shown.contains("-exit 3\n+exit 0\n"), "{shown}");
        assert!(diff("a", "x\n", "x\n").contains("no change"));
    }
}
