//! What the IDE's panels share: the workspace, the tree's refresh counter and expanded
//! folders, the selection, inline editing in the tree, open editors and one notice line.

use std::collections::HashSet;

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::auth::{Access, WorkspaceRef};
use crate::components::navigation::encode;
use crate::error::AppError;
use crate::files::{EntryKind, FileEntry};
use crate::workspace_path::WorkspacePath;

/// A file open in an editor tab. The id stays when the file is renamed, so its editor
/// (and unsaved edits) stay too.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenFile {
    pub id: u32,
    pub path: RwSignal<WorkspacePath>,
    pub dirty: RwSignal<bool>,
}

/// An inline name field in the tree: a new entry in `folder`, or renaming `path`.
#[derive(Debug, Clone, PartialEq)]
pub enum NameEdit {
    Create {
        folder: WorkspacePath,
        kind: EntryKind,
    },
    Rename {
        path: WorkspacePath,
    },
}

#[derive(Clone, Copy)]
pub struct Ide {
    pub workspace: StoredValue<WorkspaceRef>,
    /// Bumped to relist every expanded folder.
    pub refresh: RwSignal<u32>,
    pub expanded: RwSignal<HashSet<WorkspacePath>>,
    pub selected: RwSignal<Option<FileEntry>>,
    pub name_edit: RwSignal<Option<NameEdit>>,
    pub open_files: RwSignal<Vec<OpenFile>>,
    pub active_file: RwSignal<Option<u32>>,
    /// The latest error (or confirmation) for the status line.
    pub notice: RwSignal<Option<Notice>>,
    /// What the signed-in user may do here, once the server said.
    pub access: RwSignal<Option<Access>>,
    /// Who has this workspace open (its terminals say), the user included.
    pub present: RwSignal<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

impl Ide {
    pub fn new(workspace: WorkspaceRef) -> Self {
        Self {
            workspace: StoredValue::new(workspace),
            refresh: RwSignal::new(0),
            expanded: RwSignal::new(HashSet::from([WorkspacePath::root()])),
            selected: RwSignal::new(None),
            name_edit: RwSignal::new(None),
            open_files: RwSignal::new(Vec::new()),
            active_file: RwSignal::new(None),
            notice: RwSignal::new(None),
            access: RwSignal::new(None),
            present: RwSignal::new(Vec::new()),
        }
    }

    /// False for viewers: they watch, the server refuses their changes anyway.
    pub fn can_change(&self) -> bool {
        self.access.get().is_none_or(Access::can_use)
    }

    /// `owner/name`, as server functions take it.
    pub fn workspace(&self) -> String {
        self.workspace.get_value().to_string()
    }

    pub fn refresh_tree(&self) {
        self.refresh.update(|n| *n = n.wrapping_add(1));
    }

    pub fn error(&self, error: &AppError) {
        self.notice.set(Some(Notice {
            text: error.to_string(),
            is_error: true,
        }));
    }

    pub fn info(&self, text: impl Into<String>) {
        self.notice.set(Some(Notice {
            text: text.into(),
            is_error: false,
        }));
    }

    /// The folder new entries go into: the selected folder, else the selected file's.
    pub fn target_folder(&self) -> WorkspacePath {
        match self.selected.get_untracked() {
            Some(entry) if entry.kind == EntryKind::Folder => entry.path,
            Some(entry) => entry.path.parent().unwrap_or_else(WorkspacePath::root),
            None => WorkspacePath::root(),
        }
    }

    /// Opens a file in an editor tab (or brings its tab to the front).
    pub fn open_file(&self, path: WorkspacePath) {
        let open = self.open_files.with_untracked(|files| {
            files
                .iter()
                .find(|f| f.path.get_untracked() == path)
                .copied()
        });
        let file = open.unwrap_or_else(|| {
            let file = OpenFile {
                id: self
                    .open_files
                    .with_untracked(|f| f.iter().map(|f| f.id).max())
                    .map_or(0, |id| id + 1),
                path: RwSignal::new(path),
                dirty: RwSignal::new(false),
            };
            self.open_files.update(|files| files.push(file));
            file
        });
        self.active_file.set(Some(file.id));
    }

    /// Closes an editor tab; the next one comes to the front.
    pub fn close_file(&self, id: u32) {
        self.open_files.update(|files| files.retain(|f| f.id != id));
        if self.active_file.get_untracked() == Some(id) {
            let last = self.open_files.with_untracked(|f| f.last().map(|f| f.id));
            self.active_file.set(last);
        }
    }

    pub fn has_unsaved(&self) -> bool {
        self.open_files
            .with_untracked(|files| files.iter().any(|f| f.dirty.get_untracked()))
    }

    /// `/api/files/download?…` for a file or folder.
    pub fn download_url(&self, path: &WorkspacePath) -> String {
        self.file_url(crate::wire::FILES_DOWNLOAD, path)
    }

    /// `/api/files/upload?…` for a file.
    pub fn upload_url(&self, path: &WorkspacePath) -> String {
        self.file_url(crate::wire::FILES_UPLOAD, path)
    }

    fn file_url(&self, route: &str, path: &WorkspacePath) -> String {
        format!(
            "{route}?workspace={}&path={}",
            encode(&self.workspace()),
            encode(&path.absolute())
        )
    }
}

/// A value kept as JSON in the browser's localStorage, if there is one and it still parses.
pub fn recall<T: DeserializeOwned>(key: &str) -> Option<T> {
    let storage = window().local_storage().ok().flatten()?;
    let json = storage.get_item(key).ok().flatten()?;
    serde_json::from_str(&json).ok()
}

/// Keeps `value` as JSON in localStorage; a full or disabled storage only loses the memory.
pub fn remember<T: Serialize>(key: &str, value: &T) {
    if let (Some(storage), Ok(json)) = (
        window().local_storage().ok().flatten(),
        serde_json::to_string(value),
    ) {
        let _ = storage.set_item(key, &json);
    }
}

/// An id unlikely to repeat within one page (terminal tabs, uploads).
pub fn random_id() -> u32 {
    (js_sys::Math::random() * f64::from(u32::MAX)) as u32
}
