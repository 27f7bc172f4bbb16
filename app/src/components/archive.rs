//! A whole workspace as one archive: the export link, and an archive sent ahead of a
//! creation that starts with it.

use super::navigation::encode;
use crate::error::AppError;
use crate::model::Upload;

/// Downloads all of `/workspace` of `workspace` (`owner/name`) as `.tar.gz`.
pub fn export_url(workspace: &str) -> String {
    format!(
        "{}?workspace={}",
        crate::wire::FILES_EXPORT,
        encode(workspace)
    )
}

/// Sends `file` (a `.tar` or `.tar.gz`) to the server, to be unpacked by the creation that
/// names the upload's id; the error says what went wrong, in words.
pub async fn send_ahead(file: &web_sys::File) -> Result<Upload, AppError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let lost = || {
        AppError::ArchiveRefused(
            "the connection to the server was lost while sending it".to_owned(),
        )
    };
    let init = web_sys::RequestInit::new();
    init.set_method("PUT");
    init.set_body(file);
    let window = web_sys::window().ok_or_else(lost)?;
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str_and_init(crate::wire::CREATION_UPLOADS, &init))
            .await
            .map_err(|_| lost())?
            .unchecked_into();
    let text = match response.text() {
        Ok(text) => JsFuture::from(text).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    }
    .unwrap_or_default();
    match response.ok() {
        true => serde_json::from_str::<Upload>(&text).map_err(|_| lost()),
        false => Err(serde_json::from_str::<AppError>(&text).unwrap_or_else(|_| {
            AppError::ArchiveRefused(format!("the server answered {}", response.status()))
        })),
    }
}
