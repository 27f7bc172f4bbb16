//! What the AI panel attaches to a question: the open file, a folder's listing, the
//! editor's selection, a terminal's recent output, as the user ticked them.

use leptos::prelude::*;

use super::js;
use super::state::Ide;
use crate::ai::Attachment;
use crate::files::EntryKind;
use crate::workspace_path::WorkspacePath;

/// How much of a terminal's scrollback "Terminal output" attaches.
const TERMINAL_LINES: u32 = 200;

#[derive(Clone, Copy)]
pub struct Attach {
    pub file: RwSignal<bool>,
    pub folder: RwSignal<bool>,
    pub selection: RwSignal<bool>,
    pub terminal: RwSignal<bool>,
}

impl Attach {
    pub fn none() -> Self {
        Self {
            file: RwSignal::new(false),
            folder: RwSignal::new(false),
            selection: RwSignal::new(false),
            terminal: RwSignal::new(false),
        }
    }
}

/// What the user chose to attach, read from the IDE as it is now.
pub fn attachments(ide: &Ide, attach: Attach) -> Vec<Attachment> {
    let mut chosen = Vec::new();
    if attach.file.get_untracked() {
        let active = ide.active_file.get_untracked();
        let open = ide.open_files.get_untracked();
        if let Some(file) = open.iter().find(|f| Some(f.id) == active) {
            chosen.push(Attachment::File {
                path: file.path.get_untracked().absolute(),
            });
        }
    }
    if attach.folder.get_untracked() {
        // The folder selected in the tree (or the selected file's), else the workspace.
        let selected = ide.selected.get_untracked();
        let folder = match selected {
            Some(entry) if entry.kind == EntryKind::Folder => entry.path,
            Some(entry) => entry.path.parent().unwrap_or_else(WorkspacePath::root),
            None => WorkspacePath::root(),
        };
        chosen.push(Attachment::Folder {
            path: folder.absolute(),
        });
    }
    if !js::loaded() {
        return chosen;
    }
    if attach.selection.get_untracked() {
        let text = js::editor_selection();
        if !text.is_empty() {
            chosen.push(Attachment::Text {
                label: "selection".into(),
                text,
            });
        }
    }
    if attach.terminal.get_untracked() {
        let text = js::terminal_text(TERMINAL_LINES);
        if !text.is_empty() {
            chosen.push(Attachment::Text {
                label: "terminal output".into(),
                text,
            });
        }
    }
    chosen
}
