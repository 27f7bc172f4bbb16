//! The file service on real containers: round trips, ownership, limits, and every way a
//! path could leave /workspace.

use aicockpit::files::FileSettings;
use app::error::AppError;
use app::files::EntryKind;
use app::model::WorkspaceName;
use app::workspace_path::WorkspacePath;
use bytes::Bytes;
use futures::StreamExt;

use crate::helpers::{exec, reference, running_workspace, TestFiles};

fn path(raw: &str) -> WorkspacePath {
    WorkspacePath::parse(raw).unwrap()
}

fn body(bytes: Vec<u8>) -> aicockpit::runtime::ByteStream {
    futures::stream::once(async move { Ok(Bytes::from(bytes)) }).boxed()
}

async fn contents(files: &TestFiles, ws: &WorkspaceName, file: &str) -> String {
    files.read_text(ws, &path(file)).await.unwrap().text
}

async fn names(files: &TestFiles, ws: &WorkspaceName, folder: &str) -> Vec<String> {
    let entries = files.list(ws, &path(folder)).await.unwrap();
    entries.iter().map(|e| e.name().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn create_write_read_rename_and_delete_round_trip() {
    let (svc, ws, _cleanup) = running_workspace("files").await;
    let files = svc.files(FileSettings::default());

    files.create_folder(&ws, &path("src")).await.unwrap();
    files.create_file(&ws, &path("src/main.rs")).await.unwrap();
    assert_eq!(contents(&files, &ws, "src/main.rs").await, "");
    let text = "fn main() {\n    println!(\"héllo\");\n}\n".to_owned();
    files
        .write_text(&ws, &path("src/main.rs"), text.clone(), None)
        .await
        .unwrap();
    assert_eq!(contents(&files, &ws, "src/main.rs").await, text);
    assert_eq!(exec(&ws, &["cat", "/workspace/src/main.rs"]).await, text);

    // Creating over an existing name is refused and changes nothing.
    let again = files.create_file(&ws, &path("src/main.rs")).await;
    assert_eq!(
        again,
        Err(AppError::FileExists("/workspace/src/main.rs".into()))
    );
    assert_eq!(contents(&files, &ws, "src/main.rs").await, text);

    files.create_file(&ws, &path("B.md")).await.unwrap();
    files.create_file(&ws, &path("a b.txt")).await.unwrap();
    files.create_folder(&ws, &path(".config")).await.unwrap();
    assert_eq!(
        names(&files, &ws, "").await,
        [".config", "src", "a b.txt", "B.md"]
    );
    let listed = files.list(&ws, &path("")).await.unwrap();
    assert_eq!(listed[1].kind, EntryKind::Folder);
    assert_eq!(listed[2].kind, EntryKind::File);

    files.rename(&ws, &path("src"), &path("lib")).await.unwrap();
    assert_eq!(contents(&files, &ws, "lib/main.rs").await, text);
    let clash = files.rename(&ws, &path("B.md"), &path("a b.txt")).await;
    assert_eq!(
        clash,
        Err(AppError::FileExists("/workspace/a b.txt".into()))
    );
    let into_itself = files.rename(&ws, &path("lib"), &path("lib/inner")).await;
    assert!(
        matches!(into_itself, Err(AppError::InvalidPath { .. })),
        "{into_itself:?}"
    );

    files.delete(&ws, &path("lib")).await.unwrap();
    assert_eq!(names(&files, &ws, "").await, [".config", "a b.txt", "B.md"]);
    let gone = files.read_text(&ws, &path("lib/main.rs")).await;
    assert_eq!(gone, Err(AppError::FileNotFound("/workspace/lib".into())));
    assert!(files.delete(&ws, &path("")).await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn written_files_belong_to_the_workspace_user_and_keep_their_mode() {
    let (svc, ws, _cleanup) = running_workspace("owner").await;
    let files = svc.files(FileSettings::default());
    files
        .write_text(&ws, &path("run.sh"), "echo 1\n".into(), None)
        .await
        .unwrap();
    exec(&ws, &["chmod", "755", "/workspace/run.sh"]).await;
    files
        .write_text(&ws, &path("run.sh"), "echo 2\n".into(), None)
        .await
        .unwrap();
    files
        .upload(&ws, &path("up.bin"), 3, body(vec![0, 1, 2]))
        .await
        .unwrap();
    let stat = exec(
        &ws,
        &[
            "stat",
            "-c",
            "%u:%g %a %n",
            "/workspace/run.sh",
            "/workspace/up.bin",
        ],
    )
    .await;
    assert_eq!(
        stat,
        "1000:1000 755 /workspace/run.sh\n1000:1000 644 /workspace/up.bin\n"
    );
}

/// True for the refusal a path that leaves /workspace gets.
fn outside<T>(result: Result<T, AppError>) -> bool {
    matches!(result, Err(AppError::InvalidPath { ref reason, .. })
        if reason.contains("outside") || reason.contains("levels"))
}

#[tokio::test(flavor = "multi_thread")]
async fn symbolic_links_cannot_leave_the_workspace() {
    let (svc, ws, _cleanup) = running_workspace("links").await;
    let files = svc.files(FileSettings::default());
    exec(
        &ws,
        &[
            "sh",
            "-c",
            "cd /workspace && echo inside > real.txt && ln -s real.txt ok.txt \
             && ln -s /etc/passwd passwd && ln -s /etc etc && ln -s ../.. up && ln -s loop loop",
        ],
    )
    .await;

    assert_eq!(contents(&files, &ws, "ok.txt").await, "inside\n");
    assert!(outside(files.read_text(&ws, &path("passwd")).await));
    assert!(outside(files.list(&ws, &path("etc")).await));
    assert!(outside(files.list(&ws, &path("up")).await));
    assert!(outside(files.read_text(&ws, &path("etc/hostname")).await));
    assert!(outside(
        files
            .write_text(&ws, &path("etc/x"), "x".into(), None)
            .await
    ));
    assert!(outside(
        files
            .write_text(&ws, &path("passwd"), "x".into(), None)
            .await
    ));
    assert!(outside(files.create_folder(&ws, &path("etc/new")).await));
    assert!(outside(
        files
            .rename(&ws, &path("real.txt"), &path("etc/moved"))
            .await
    ));
    assert!(outside(files.download(&ws, &path("etc")).await));
    assert!(outside(files.read_text(&ws, &path("loop")).await));

    // Deleting a link removes the link, never what it points to.
    files.delete(&ws, &path("etc")).await.unwrap();
    assert!(exec(&ws, &["ls", "/etc/passwd"])
        .await
        .contains("/etc/passwd"));
    let entries = files.list(&ws, &path("")).await.unwrap();
    let ok = entries.iter().find(|e| e.name() == "ok.txt").unwrap();
    assert!(ok.symlink);
    assert_eq!(ok.kind, EntryKind::File);
}

#[tokio::test(flavor = "multi_thread")]
async fn large_binary_and_incomplete_files_are_handled_without_loss() {
    let (svc, ws, _cleanup) = running_workspace("limits").await;
    let files = svc.files(FileSettings {
        editor_limit: 1024,
        upload_limit: 4096,
    });
    files
        .upload(&ws, &path("big.txt"), 2048, body(vec![b'a'; 2048]))
        .await
        .unwrap();
    let big = files.read_text(&ws, &path("big.txt")).await;
    assert!(matches!(big, Err(AppError::FileTooLarge { .. })), "{big:?}");
    files
        .upload(&ws, &path("bin"), 4, body(vec![0x7f, b'E', 0, 1]))
        .await
        .unwrap();
    let binary = files.read_text(&ws, &path("bin")).await;
    assert_eq!(binary, Err(AppError::BinaryFile("/workspace/bin".into())));

    let over = files
        .upload(&ws, &path("over"), 4097, body(vec![b'x'; 4097]))
        .await;
    assert!(
        matches!(over, Err(AppError::UploadTooLarge { .. })),
        "{over:?}"
    );
    // A body shorter than announced (a dropped connection) leaves the old file alone.
    files
        .write_text(&ws, &path("keep.txt"), "old".into(), None)
        .await
        .unwrap();
    let short = files
        .upload(&ws, &path("keep.txt"), 100, body(b"new".to_vec()))
        .await;
    assert!(
        matches!(short, Err(AppError::FileRefused(ref m)) if m.contains("incomplete")),
        "{short:?}"
    );
    assert_eq!(contents(&files, &ws, "keep.txt").await, "old");
    assert_eq!(
        exec(
            &ws,
            &["sh", "-c", "ls -a /workspace | grep -c aicockpit || true"]
        )
        .await,
        "0\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_workspace_is_named_in_the_error() {
    let (svc, ws, _cleanup) = running_workspace("stopped").await;
    svc.stop(&ws).await.unwrap();
    let files = svc.files(FileSettings::default());
    let error = files.list(&ws, &path("")).await.unwrap_err();
    assert_eq!(error, AppError::NotRunning(reference(&ws).to_string()));
    assert!(error.to_string().contains("Start it from the dashboard"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_save_over_a_change_made_elsewhere_is_refused_until_confirmed() {
    let (svc, ws, _cleanup) = running_workspace("conflict").await;
    let files = svc.files(FileSettings::default());
    let file = path("notes.md");
    let saved = files
        .write_text(&ws, &file, "one\n".into(), None)
        .await
        .unwrap();
    let opened = files.read_text(&ws, &file).await.unwrap();
    assert_eq!(
        opened.version, saved,
        "a read and a write agree on the version"
    );

    // Saving on top of the version it was opened with works, and moves the version on.
    let next = files
        .write_text(&ws, &file, "two\n".into(), Some(opened.version.clone()))
        .await
        .unwrap();
    assert_ne!(next, opened.version);

    // Someone else writes from the terminal; the editor's next save is refused.
    exec(&ws, &["sh", "-c", "echo terminal > /workspace/notes.md"]).await;
    let refused = files
        .write_text(&ws, &file, "three\n".into(), Some(next))
        .await;
    assert_eq!(
        refused,
        Err(AppError::FileChanged("/workspace/notes.md".into()))
    );
    assert_eq!(
        files.read_text(&ws, &file).await.unwrap().text,
        "terminal\n"
    );

    // Saving again without a version overwrites, as the message offers.
    files
        .write_text(&ws, &file, "three\n".into(), None)
        .await
        .unwrap();
    assert_eq!(files.read_text(&ws, &file).await.unwrap().text, "three\n");
    let bogus = files
        .write_text(&ws, &file, "x".into(), Some("; rm -rf /".into()))
        .await;
    assert!(matches!(bogus, Err(AppError::FileRefused(_))), "{bogus:?}");
}
