//! The streaming file routes, outside server functions because their bodies are raw bytes:
//! `GET /api/files/download?workspace=OWNER/NAME&path=P` (a file, or a folder as `.tar`) and
//! `PUT /api/files/upload?workspace=OWNER/NAME&path=P` (the body is the file; needs
//! Content-Length); `GET /api/files/export?workspace=OWNER/NAME` (all of `/workspace` as
//! `.tar.gz`) and `PUT /api/files/unpack?workspace=OWNER/NAME&path=DIR` (the body is a `.tar`
//! or `.tar.gz`; needs Content-Length). Errors are the app's JSON errors, like every other route.

use std::sync::Arc;

use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use app::workspace_path::WorkspacePath;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use serde::Deserialize;

use crate::files::FileManager;

#[derive(Debug, Deserialize)]
pub struct Target {
    workspace: String,
    path: String,
}

impl Target {
    fn parse(&self) -> Result<(WorkspaceRef, WorkspacePath), AppError> {
        Ok((
            WorkspaceRef::parse(&self.workspace)?,
            WorkspacePath::parse(&self.path)?,
        ))
    }
}

pub async fn download(
    State(files): State<Arc<FileManager>>,
    actor: Actor,
    Query(target): Query<Target>,
) -> Response {
    let result = async {
        let (workspace, path) = target.parse()?;
        files.download(&actor, &workspace, &path).await
    };
    match result.await {
        Ok(download) => send(download),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct Whole {
    workspace: String,
}

pub async fn export(
    State(files): State<Arc<FileManager>>,
    actor: Actor,
    Query(whole): Query<Whole>,
) -> Response {
    let result = async {
        let workspace = WorkspaceRef::parse(&whole.workspace)?;
        files.export(&actor, &workspace).await
    };
    match result.await {
        Ok(download) => send(download),
        Err(e) => e.into_response(),
    }
}

/// A download as an attachment: a file with its size, or an archive streamed as it is made.
fn send(download: crate::files::Download) -> Response {
    let mut headers = HeaderMap::new();
    let content_type = match download.size {
        Some(_) => "application/octet-stream",
        None if download.file_name.ends_with(".gz") => "application/gzip",
        None => "application/x-tar",
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(size) = download.size {
        headers.insert(header::CONTENT_LENGTH, size.into());
    }
    if let Ok(value) = HeaderValue::from_str(&attachment(&download.file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    (headers, Body::from_stream(download.body)).into_response()
}

pub async fn upload(
    State(files): State<Arc<FileManager>>,
    actor: Actor,
    Query(target): Query<Target>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(headers, body, |size, body| async move {
        let (workspace, path) = target.parse()?;
        files.upload(&actor, &workspace, &path, size, body).await?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

pub async fn unpack(
    State(files): State<Arc<FileManager>>,
    actor: Actor,
    Query(target): Query<Target>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(headers, body, |size, body| async move {
        let (workspace, folder) = target.parse()?;
        files
            .unpack(&actor, &workspace, &folder, size, body)
            .await?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// Hands a request body of known size to `handle`, and answers what it does.
pub(super) async fn receive<F, Fut, T>(headers: HeaderMap, body: Body, handle: F) -> Response
where
    F: FnOnce(u64, crate::runtime::ByteStream) -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
    T: IntoResponse,
{
    let size = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let Some(size) = size else {
        let refused = (
            StatusCode::LENGTH_REQUIRED,
            "An upload needs a Content-Length header.",
        );
        return unread_body(refused.into_response());
    };
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    match handle(size, Box::pin(stream)).await {
        Ok(answer) => answer.into_response(),
        Err(e) => unread_body(e.into_response()),
    }
}

/// A refused upload may leave part of its body unread: close the connection after the
/// answer, or the client would send its next request into the rest of that body.
fn unread_body(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// `attachment; filename="a.txt"; filename*=UTF-8''a.txt`: the plain form for old clients
/// (non-ASCII and quotes replaced), the encoded form for everything else.
fn attachment(name: &str) -> String {
    let plain: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_names_are_safe_and_keep_unicode() {
        assert_eq!(
            attachment("a.txt"),
            "attachment; filename=\"a.txt\"; filename*=UTF-8''a.txt"
        );
        assert_eq!(
            attachment("naïve \"x\".tar"),
            "attachment; filename=\"na_ve _x_.tar\"; filename*=UTF-8''na%C3%AFve%20%22x%22.tar"
        );
    }
}
