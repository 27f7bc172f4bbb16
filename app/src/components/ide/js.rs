//! The JavaScript side of the IDE (`frontend/js/src/ide.js`, served as `/ide/ide.js`):
//! xterm.js, CodeMirror and AI answers' Markdown behind a handful of functions on
//! `window.AiCockpitIde`.
//! Only called from effects and event handlers, which run in the browser alone.

use js_sys::{Function, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;

/// Where the bundle is served from.
pub const SCRIPT: &str = "/ide/ide.js";
pub const STYLESHEET: &str = "/ide/ide.css";

#[wasm_bindgen]
extern "C" {
    pub type Terminal;

    /// `on_data(Uint8Array)` gets keystrokes, `on_resize(cols, rows)` the new grid size.
    #[wasm_bindgen(js_namespace = AiCockpitIde, js_name = createTerminal)]
    pub fn create_terminal(
        parent: &HtmlElement,
        on_data: &Function,
        on_resize: &Function,
    ) -> Terminal;
    #[wasm_bindgen(method)]
    pub fn write(this: &Terminal, bytes: &Uint8Array);
    #[wasm_bindgen(method, js_name = write)]
    pub fn write_text(this: &Terminal, text: &str);
    #[wasm_bindgen(method)]
    pub fn reset(this: &Terminal);
    #[wasm_bindgen(method)]
    pub fn fit(this: &Terminal);
    #[wasm_bindgen(method)]
    pub fn focus(this: &Terminal);
    #[wasm_bindgen(method)]
    pub fn cols(this: &Terminal) -> u16;
    #[wasm_bindgen(method)]
    pub fn rows(this: &Terminal) -> u16;
    #[wasm_bindgen(method)]
    pub fn dispose(this: &Terminal);

    pub type Editor;

    /// `on_change()` fires on every edit, `on_save()` on Ctrl/Cmd+S.
    #[wasm_bindgen(js_namespace = AiCockpitIde, js_name = createEditor)]
    pub fn create_editor(
        parent: &HtmlElement,
        path: &str,
        text: &str,
        on_change: &Function,
        on_save: &Function,
    ) -> Editor;
    #[wasm_bindgen(method)]
    pub fn text(this: &Editor) -> String;
    #[wasm_bindgen(method)]
    pub fn focus(this: &Editor);
    #[wasm_bindgen(method)]
    pub fn dispose(this: &Editor);
    /// Replaces the whole text as one undo step.
    #[wasm_bindgen(method, js_name = setText)]
    pub fn set_text(this: &Editor, text: &str);
    /// `[before, selected, after]`, cut at the selection.
    #[wasm_bindgen(method, js_name = selectionParts)]
    pub fn selection_parts(this: &Editor) -> js_sys::Array;

    pub type Review;

    /// A diff of `proposed` against `original`, hunks to accept or reject one by one.
    #[wasm_bindgen(js_namespace = AiCockpitIde, js_name = createReview)]
    pub fn create_review(
        parent: &HtmlElement,
        path: &str,
        original: &str,
        proposed: &str,
    ) -> Review;
    #[wasm_bindgen(method)]
    pub fn text(this: &Review) -> String;
    #[wasm_bindgen(method)]
    pub fn dispose(this: &Review);

    /// The last `max_lines` lines of the terminal last used, as plain text.
    #[wasm_bindgen(js_namespace = AiCockpitIde, js_name = terminalText)]
    pub fn terminal_text(max_lines: u32) -> String;
    /// The selected text of the editor last used.
    #[wasm_bindgen(js_namespace = AiCockpitIde, js_name = editorSelection)]
    pub fn editor_selection() -> String;
    /// Renders an AI answer's Markdown, sanitised, with actions on its code blocks.
    #[wasm_bindgen(js_namespace = AiCockpitIde, js_name = renderAnswer)]
    pub fn render_answer(element: &HtmlElement, markdown: &str, can_insert: bool);
}

/// True once `/ide/ide.js` has run.
pub fn loaded() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &JsValue::from_str("AiCockpitIde")).unwrap_or(false)
}

/// Calls `then` as soon as the bundle is loaded (now, or after the script finishes).
pub fn when_loaded(then: impl FnOnce() + 'static) {
    if loaded() {
        then();
    } else {
        leptos::prelude::set_timeout(
            move || when_loaded(then),
            std::time::Duration::from_millis(50),
        );
    }
}
