//! A workspace's files exported as `.tar.gz` (running or stopped) and unpacked into another
//! workspace, over HTTP against the real engine; an unpacking never replaces a file.

use std::io::Read;

use app::error::AppError;
use app::model::WorkspaceName;

use crate::helpers::*;

fn sh(name: &WorkspaceName, script: &str) -> String {
    let out = std::process::Command::new("docker")
        .args([
            "exec",
            "-u",
            "1000:1000",
            &container(name),
            "sh",
            "-c",
            script,
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn export(app: &TestApp, name: &WorkspaceName) -> reqwest::Response {
    app.get(&format!("/api/files/export?workspace={}", reference(name)))
        .await
}

async fn unpack(app: &TestApp, name: &WorkspaceName, archive: Vec<u8>) -> reqwest::Response {
    app.client
        .put(format!(
            "{}/api/files/unpack?workspace={}&path=%2Fworkspace",
            app.base,
            reference(name)
        ))
        .body(archive)
        .send()
        .await
        .unwrap()
}

/// The error a refused request explains itself with, as a person reads it.
async fn said(response: reqwest::Response) -> String {
    let error: AppError = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    error.to_string()
}

/// The entries of a `.tar.gz`, sorted.
fn entries(gzip: &[u8]) -> Vec<String> {
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(gzip)
        .read_to_end(&mut tar)
        .unwrap();
    let mut archive = tar::Archive::new(&tar[..]);
    let mut names: Vec<String> = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn export_then_create_from_the_archive() {
    let (app, source, _cleanup) = app_with_workspace("export").await;
    sh(
        &source,
        "mkdir -p d && echo hello > d/a.txt && ln -s d/a.txt link && echo x > .hidden",
    );

    let exported = export(&app, &source).await;
    assert_eq!(exported.status(), 200);
    assert_eq!(exported.headers()["content-type"], "application/gzip");
    let disposition = exported.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains(&format!("{source}.tar.gz")),
        "{disposition}"
    );
    let archive = exported.bytes().await.unwrap().to_vec();
    let listed = entries(&archive);
    for entry in ["./", "./.hidden", "./d/", "./d/a.txt", "./link"] {
        assert!(listed.iter().any(|e| e == entry), "{entry} in {listed:?}");
    }

    // A stopped workspace exports the same files.
    let stopped = app.call("stop", app.target(&source)).await;
    assert_eq!(stopped.status(), 200);
    let again = export(&app, &source).await;
    assert_eq!(again.status(), 200);
    assert_eq!(entries(&again.bytes().await.unwrap()), listed);

    // A new workspace made from it has the files, owned by the workspace user.
    let target = unique_name("import");
    let _cleanup_target = Cleanup(vec![target.clone()]);
    let created = app.call("create", app.create_request(&target)).await;
    assert_eq!(created.status(), 200);
    let unpacked = unpack(&app, &target, archive.clone()).await;
    assert_eq!(unpacked.status(), 204, "{:?}", unpacked.text().await);
    assert_eq!(sh(&target, "cat d/a.txt .hidden"), "hello\nx\n");
    assert_eq!(sh(&target, "readlink link"), "d/a.txt\n");
    assert_eq!(sh(&target, "stat -c %u d/a.txt"), "1000\n");

    // Unpacking again replaces nothing: what changed meanwhile stays, and it says so.
    sh(&target, "echo mine > d/a.txt");
    let refused = unpack(&app, &target, archive).await;
    assert_eq!(refused.status(), 422, "{:?}", refused.headers());
    let message = said(refused).await;
    assert!(
        message.contains("The archive could not be unpacked"),
        "{message}"
    );
    assert!(message.contains("already there are kept"), "{message}");
    assert!(message.contains("File exists"), "{message}");
    assert_eq!(sh(&target, "cat d/a.txt"), "mine\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn unpacking_takes_plain_tar_and_explains_what_it_cannot_take() {
    let (app, name, _cleanup) = app_with_workspace("unpack").await;

    let mut plain = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(3);
    header.set_mode(0o644);
    header.set_cksum();
    plain
        .append_data(&mut header, "notes/todo.txt", &b"abc"[..])
        .unwrap();
    let plain = plain.into_inner().unwrap();
    let unpacked = unpack(&app, &name, plain).await;
    assert_eq!(unpacked.status(), 204, "{:?}", unpacked.text().await);
    assert_eq!(sh(&name, "cat notes/todo.txt"), "abc");

    let zip = unpack(&app, &name, b"PK\x03\x04 rest of a zip".to_vec()).await;
    assert_eq!(zip.status(), 422);
    assert!(said(zip).await.contains("it is a ZIP archive"));

    let garbage = unpack(&app, &name, vec![b'x'; 2048]).await;
    assert_eq!(garbage.status(), 422);
    let garbage = said(garbage).await;
    // The image's own tar says why (BusyBox: "invalid tar magic").
    assert!(
        garbage.contains("The archive could not be unpacked: "),
        "{garbage}"
    );

    // A viewer may export but not unpack.
    let viewer = app.member("archive-viewer").await;
    let shared = app
        .share(
            &reference(&name).to_string(),
            "archive-viewer",
            "Viewer".into(),
        )
        .await;
    assert_eq!(shared.status(), 200);
    let url = |route: &str| {
        format!(
            "{}/api/files/{route}?workspace={}&path=%2Fworkspace",
            app.base,
            reference(&name)
        )
    };
    let exported = viewer.get(url("export")).send().await.unwrap();
    assert_eq!(exported.status(), 200);
    let refused = viewer
        .put(url("unpack"))
        .body(vec![0u8; 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
}
