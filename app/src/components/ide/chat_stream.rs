//! Reads a chat answer from `crate::wire::CHAT` as it streams: one JSON event per line,
//! handed on as each line completes (a line may arrive in pieces, a character split
//! between them). Aborting the request (Stop) ends the read and, on the server, the
//! model's request.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader, RequestInit, Response};

use crate::ai::{ChatEvent, ChatRequest};
use crate::error::AppError;
use crate::wire::CHAT;

fn failed(what: &str, error: JsValue) -> AppError {
    let detail = error
        .as_string()
        .or_else(|| Reflect::get(&error, &"message".into()).ok()?.as_string())
        .unwrap_or_else(|| format!("{error:?}"));
    AppError::Internal(format!("{what}: {detail}"))
}

/// Posts `request` and calls `on_event` for every event of the answer. `Err` when the
/// request is refused before the answer starts (the server's error) or the connection fails.
pub async fn stream_chat(
    request: &ChatRequest,
    controller: &AbortController,
    mut on_event: impl FnMut(ChatEvent),
) -> Result<(), AppError> {
    let body = serde_json::to_string(request).map_err(|e| AppError::Internal(e.to_string()))?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&body));
    init.set_signal(Some(&controller.signal()));
    let headers = web_sys::Headers::new().map_err(|e| failed("headers", e))?;
    headers
        .set("content-type", "application/json")
        .map_err(|e| failed("headers", e))?;
    init.set_headers(&headers);
    let window = web_sys::window().ok_or_else(|| AppError::Internal("no window".into()))?;
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(CHAT, &init))
        .await
        .map_err(|e| failed("the AI request failed", e))?
        .unchecked_into();
    if !response.ok() {
        let text = JsFuture::from(response.text().map_err(|e| failed("reading", e))?)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default();
        return Err(serde_json::from_str::<AppError>(&text).unwrap_or_else(|_| {
            AppError::Internal(format!("HTTP {}: {text}", response.status()))
        }));
    }
    let reader: ReadableStreamDefaultReader = response
        .body()
        .ok_or_else(|| AppError::Internal("the answer has no body".into()))?
        .get_reader()
        .unchecked_into();
    let mut pending = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| failed("the answer broke off", e))?;
        if Reflect::get(&chunk, &"done".into()).is_ok_and(|d| d.is_truthy()) {
            return Ok(());
        }
        let bytes = Reflect::get(&chunk, &"value".into())
            .map(|v| v.unchecked_into::<Uint8Array>().to_vec())
            .unwrap_or_default();
        pending.extend_from_slice(&bytes);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            if let Ok(event) = serde_json::from_slice::<ChatEvent>(&line) {
                on_event(event);
            }
        }
    }
}
