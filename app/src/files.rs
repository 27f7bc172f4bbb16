//! What the IDE knows about files in a workspace: directory entries, their order in the
//! tree, and sizes as people read them.

use serde::{Deserialize, Serialize};

use crate::workspace_path::WorkspacePath;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntryKind {
    Folder,
    File,
    /// A device, socket, pipe or a symbolic link that points nowhere.
    Other,
}

/// One name in a folder. For a symbolic link, `kind` is what it points to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: WorkspacePath,
    pub kind: EntryKind,
    pub symlink: bool,
}

impl FileEntry {
    pub fn name(&self) -> &str {
        self.path.file_name().unwrap_or("/workspace")
    }
}

/// A text file as the editor opened it. `version` (a SHA-256 of the contents) goes back
/// with a save, which is refused if the file changed on disk meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextFile {
    pub text: String,
    pub version: String,
}

/// Folders first, then case-insensitive by name (exact name breaks ties), like most IDEs.
pub fn sort_entries(entries: &mut [FileEntry]) {
    entries.sort_by(|a, b| {
        (a.kind != EntryKind::Folder)
            .cmp(&(b.kind != EntryKind::Folder))
            .then_with(|| a.name().to_lowercase().cmp(&b.name().to_lowercase()))
            .then_with(|| a.name().cmp(b.name()))
    });
}

/// "512 B", "3.4 KiB", "12.0 MiB": file sizes for messages.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, kind: EntryKind) -> FileEntry {
        FileEntry {
            path: WorkspacePath::parse(name).unwrap(),
            kind,
            symlink: false,
        }
    }

    #[test]
    fn folders_come_first_then_names_ignoring_case() {
        let mut entries = vec![
            entry("b.txt", EntryKind::File),
            entry("Zoo", EntryKind::Folder),
            entry("A.md", EntryKind::File),
            entry("src", EntryKind::Folder),
            entry("a.md", EntryKind::File),
        ];
        sort_entries(&mut entries);
        let names: Vec<_> = entries.iter().map(FileEntry::name).collect();
        assert_eq!(names, ["src", "Zoo", "A.md", "a.md", "b.txt"]);
    }

    #[test]
    fn sizes_read_like_people_say_them() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(format_bytes(3 << 30), "3.0 GiB");
    }
}
