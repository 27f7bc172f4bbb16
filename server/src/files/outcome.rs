//! Reading what `files.sh` reports: exit codes and stderr become typed errors, and a
//! folder listing becomes entries.

use app::error::AppError;
use app::files::{format_bytes, sort_entries, EntryKind, FileEntry};
use app::workspace_path::WorkspacePath;

/// The exit codes `files.sh` uses; anything else is an unexpected failure.
const NOT_FOUND: i64 = 10;
const OUTSIDE: i64 = 11;
const EXISTS: i64 = 12;
const NOT_A_FOLDER: i64 = 13;
const IS_A_FOLDER: i64 = 14;
const TOO_LARGE: i64 = 15;
const NOT_A_FILE: i64 = 17;
const INTO_ITSELF: i64 = 19;
const CHANGED: i64 = 20;
const NOT_UNPACKED: i64 = 21;
const NOT_CLONED: i64 = 22;

/// The error for a failed run: `stderr` holds "<path>\t<detail>" from `fail`, or whatever
/// else the shell printed. `limit` is the size limit the operation had, if any.
pub fn failure(code: i64, stderr: &[u8], limit: Option<u64>) -> AppError {
    let stderr = String::from_utf8_lossy(stderr);
    let line = stderr.lines().last().unwrap_or_default();
    let Some((path, detail)) = line.split_once('\t') else {
        tracing::warn!(code, stderr = %stderr, "file operation failed unexpectedly");
        let shown = match line {
            "" => format!("it exited with status {code}"),
            line => line.to_owned(),
        };
        return AppError::FileRefused(format!("The file operation failed: {shown}"));
    };
    let path = path.to_owned();
    match code {
        NOT_FOUND => AppError::FileNotFound(path),
        EXISTS => AppError::FileExists(path),
        CHANGED => AppError::FileChanged(path),
        NOT_CLONED => AppError::CloneFailed(clone_failure(detail)),
        NOT_UNPACKED => AppError::ArchiveRefused(detail.trim_start_matches("tar: ").to_owned()),
        OUTSIDE | NOT_A_FOLDER | IS_A_FOLDER | NOT_A_FILE | INTO_ITSELF => AppError::InvalidPath {
            path,
            reason: detail.to_owned(),
        },
        TOO_LARGE => match detail.parse() {
            Ok(size) => too_large(path, size, limit.unwrap_or_default()),
            Err(_) => AppError::FileRefused(format!("“{path}” is too large: {detail}")),
        },
        _ => AppError::FileRefused(format!("“{path}”: {detail}")),
    }
}

/// git's reason, with what to do when AiCockpit's proxy refused the host (git says only
/// that the proxy answered 403).
fn clone_failure(detail: &str) -> String {
    let detail = detail.trim_start_matches("fatal: ");
    match detail.contains("403") && detail.to_ascii_lowercase().contains("proxy") {
        true => format!(
            "{detail} — the workspace's network level does not let it reach that host: its owner can open the network (the IDE's Network panel), or an admin can add the host to the allowlist"
        ),
        false => detail.to_owned(),
    }
}

pub fn too_large(path: String, size: u64, limit: u64) -> AppError {
    AppError::FileTooLarge {
        path,
        size: format_bytes(size),
        limit: format_bytes(limit),
    }
}

/// Parses `list` output: "<kind><link> <name>" records, each ended by "/".
pub fn entries(folder: &WorkspacePath, output: &[u8]) -> Result<Vec<FileEntry>, AppError> {
    let mut entries = Vec::new();
    for record in output.split(|&b| b == b'/').filter(|r| !r.is_empty()) {
        let record = String::from_utf8_lossy(record);
        let (flags, name) = record
            .split_once(' ')
            .ok_or_else(|| AppError::Internal(format!("unreadable folder listing: {record}")))?;
        let kind = match flags.as_bytes().first() {
            Some(b'd') => EntryKind::Folder,
            Some(b'f') => EntryKind::File,
            _ => EntryKind::Other,
        };
        // A name that is not a valid workspace name (say, over 255 bytes) is skipped,
        // not fatal: the rest of the folder still shows.
        if let Ok(path) = folder.join(name) {
            entries.push(FileEntry {
                path,
                kind,
                symlink: flags.ends_with('l'),
            });
        }
    }
    sort_entries(&mut entries);
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_the_proxy_refused_says_what_to_do() {
        let refused = clone_failure("fatal: unable to access 'https://x.example/r.git/': Received HTTP code 403 from proxy after CONNECT");
        assert!(
            refused.contains("Network panel") && !refused.starts_with("fatal"),
            "{refused}"
        );
        assert_eq!(
            clone_failure("fatal: repository 'x' not found"),
            "repository 'x' not found"
        );
    }

    #[test]
    fn exit_codes_become_typed_errors() {
        assert_eq!(
            failure(NOT_FOUND, b"/workspace/a\t\n", None),
            AppError::FileNotFound("/workspace/a".into())
        );
        assert_eq!(
            failure(EXISTS, b"/workspace/b\t\n", None),
            AppError::FileExists("/workspace/b".into())
        );
        let outside = failure(OUTSIDE, b"/workspace/l\tit leads outside\n", None);
        assert!(
            matches!(outside, AppError::InvalidPath { ref path, .. } if path == "/workspace/l")
        );
        let large = failure(TOO_LARGE, b"/workspace/big\t7340032\n", Some(5 << 20));
        assert_eq!(
            large.to_string(),
            "“/workspace/big” is 7.0 MiB, larger than the 5.0 MiB the editor opens. Download it instead."
        );
    }

    #[test]
    fn unexpected_failures_keep_the_shell_message() {
        let e = failure(1, b"sh: 1: cannot create x: Read-only file system\n", None);
        assert!(e.to_string().contains("Read-only file system"), "{e}");
        let silent = failure(137, b"", None);
        assert!(silent.to_string().contains("137"), "{silent}");
    }

    #[test]
    fn listings_parse_and_sort() {
        let folder = WorkspacePath::parse("src").unwrap();
        let raw = b"f- main.rs/dl lib/o- fifo/f- name with spaces/f- new\nline/";
        let entries = entries(&folder, raw).unwrap();
        let shown: Vec<_> = entries
            .iter()
            .map(|e| (e.path.relative(), e.kind, e.symlink))
            .collect();
        assert_eq!(
            shown,
            [
                ("src/lib".to_owned(), EntryKind::Folder, true),
                ("src/fifo".to_owned(), EntryKind::Other, false),
                ("src/main.rs".to_owned(), EntryKind::File, false),
                ("src/name with spaces".to_owned(), EntryKind::File, false),
                ("src/new\nline".to_owned(), EntryKind::File, false),
            ]
        );
    }
}
