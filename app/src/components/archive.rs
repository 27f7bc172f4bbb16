//! A whole workspace as one archive: the export link, and an archive unpacked into a new
//! workspace's `/workspace`.

use super::navigation::encode;
use crate::error::AppError;

/// Downloads all of `/workspace` of `workspace` (`owner/name`) as `.tar.gz`.
pub fn export_url(workspace: &str) -> String {
    format!(
        "{}?workspace={}",
        crate::wire::FILES_EXPORT,
        encode(workspace)
    )
}

/// Sends `file` (a `.tar` or `.tar.gz`) to be unpacked into `/workspace` of `workspace`;
/// the error says what went wrong, in words.
pub async fn unpack(workspace: &str, file: &web_sys::File) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let url = format!(
        "{}?workspace={}&path=%2Fworkspace",
        crate::wire::FILES_UNPACK,
        encode(workspace)
    );
    let lost = || "The connection to the server was lost while sending the archive.".to_owned();
    let init = web_sys::RequestInit::new();
    init.set_method("PUT");
    init.set_body(file);
    let window = web_sys::window().ok_or_else(lost)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(|_| lost())?
        .unchecked_into();
    if response.ok() {
        return Ok(());
    }
    let text = match response.text() {
        Ok(text) => JsFuture::from(text).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    }
    .unwrap_or_default();
    Err(match serde_json::from_str::<AppError>(&text) {
        Ok(error) => error.to_string(),
        Err(_) => format!("The server answered {}.", response.status()),
    })
}
