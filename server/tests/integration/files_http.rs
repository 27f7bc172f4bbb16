//! The file endpoints over HTTP: server functions with their status codes, and streaming
//! upload and download.

use std::io::Read;

use serde_json::json;

use crate::helpers::{app_with_workspace, exec, reference, TestApp};

/// `PUT /api/files/upload` of `body` to `path` (already query-encoded).
async fn upload(
    app: &TestApp,
    ws: &str,
    path: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    app.client
        .put(format!(
            "{}/api/files/upload?workspace={ws}&path={path}",
            app.base
        ))
        .body(body)
        .send()
        .await
        .expect("the server answers")
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_then_download_a_file_and_a_folder() {
    let (app, ws, _cleanup) = app_with_workspace("http-files").await;
    let w = reference(&ws).to_string();
    let bytes: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let download =
        |path: &str| format!("{}/api/files/download?workspace={w}&path={path}", app.base);
    let uploaded = upload(&app, &w, "dir%2Fdata.bin", bytes.clone()).await;
    assert_eq!(uploaded.status(), 404, "the folder does not exist yet");
    assert_eq!(
        uploaded.headers()["connection"],
        "close",
        "the unread rest of the body must not meet the next request"
    );
    assert!(uploaded.text().await.unwrap().contains("/workspace/dir"));

    let created = app
        .files("create-folder", json!({"workspace": w, "folder": "dir"}))
        .await;
    assert_eq!(created.status(), 200);
    let uploaded = upload(&app, &w, "dir%2Fdata.bin", bytes.clone()).await;
    assert_eq!(uploaded.status(), 204, "{:?}", uploaded.text().await);
    assert_eq!(
        exec(&ws, &["stat", "-c", "%s %u", "/workspace/dir/data.bin"]).await,
        "1000000 1000\n"
    );

    let file = app
        .client
        .get(download("dir/data.bin"))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-length"], "1000000");
    assert!(file.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("filename=\"data.bin\""));
    assert_eq!(file.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let folder = app.client.get(download("dir")).send().await.unwrap();
    assert_eq!(folder.headers()["content-type"], "application/x-tar");
    let tar_bytes = folder.bytes().await.unwrap();
    let mut archive = tar::Archive::new(tar_bytes.as_ref());
    let mut found = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        if name.ends_with("data.bin") {
            entry.read_to_end(&mut found).unwrap();
        }
    }
    assert_eq!(found, bytes);
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_carry_their_status_and_a_message() {
    let (app, ws, _cleanup) = app_with_workspace("http-errors").await;
    let w = reference(&ws).to_string();
    let escape = app
        .files("read", json!({"workspace": w, "file": "../etc/passwd"}))
        .await;
    assert_eq!(escape.status(), 422);
    assert!(escape.text().await.unwrap().contains("outside /workspace"));

    let missing = app
        .files("read", json!({"workspace": w, "file": "nope.txt"}))
        .await;
    assert_eq!(missing.status(), 404);
    assert!(missing
        .text()
        .await
        .unwrap()
        .contains("/workspace/nope.txt"));

    let write = json!({"workspace": w, "file": "a.txt", "text": "hello\n"});
    assert_eq!(app.files("write", write).await.status(), 200);
    let read = app
        .files("read", json!({"workspace": w, "file": "a.txt"}))
        .await;
    let read: serde_json::Value = read.json().await.unwrap();
    assert_eq!(read["text"], "hello\n");
    let again = app
        .files("create-file", json!({"workspace": w, "file": "a.txt"}))
        .await;
    assert_eq!(again.status(), 409);

    let download = app
        .client
        .get(format!(
            "{}/api/files/download?workspace={w}&path=..%2F..",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 422);
    assert!(download
        .text()
        .await
        .unwrap()
        .contains("outside /workspace"));
    let stream = futures::stream::once(async { Ok::<_, std::io::Error>("abc") });
    let chunked = upload(&app, &w, "x", reqwest::Body::wrap_stream(stream)).await;
    assert_eq!(chunked.status(), 411);
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_and_json_are_compressed_for_browsers_that_accept_it() {
    let (app, ws, _cleanup) = app_with_workspace("http-gzip").await;
    let w = reference(&ws).to_string();
    let page = app
        .client
        .get(format!("{}/workspaces/{w}", app.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-encoding"], "gzip");
}
