//! One browser terminal: an xterm.js instance wired to `/ws/terminal/{owner}/{workspace}/{id}` over
//! a web-sys WebSocket. Raw bytes go both ways; xterm decodes UTF-8 across frames. A lost
//! connection is retried with backoff and, on reattach, the server's replay redraws the
//! screen; an ended shell or a refused connection waits for a key press to start anew.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use js_sys::{ArrayBuffer, Uint8Array};
use leptos::prelude::{set_timeout, RwSignal, Set};
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, HtmlElement, MessageEvent, WebSocket};

use super::js;
use crate::auth::WorkspaceRef;
use crate::terminal::{terminal_path, Control};

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Connecting,
    Open,
    /// The shell ended or the server refused; a key press starts again.
    Ended,
    Disposed,
}

struct Inner {
    /// Set right after creation: the terminal's callbacks need the connection first.
    terminal: Option<js::Terminal>,
    url: String,
    socket: Option<WebSocket>,
    phase: Phase,
    attempts: u32,
    /// JavaScript holds only references to these; they live until `dispose`, which also
    /// breaks the cycle between them and the connection.
    terminal_handlers: Vec<Closure<dyn FnMut(JsValue, JsValue)>>,
    socket_handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    company: Company,
}

/// Who else is here, as the server last said: the users with the workspace open, and
/// those attached to this terminal.
#[derive(Clone, Copy)]
pub struct Company {
    pub workspace: RwSignal<Vec<String>>,
    pub terminal: RwSignal<Vec<String>>,
}

#[derive(Clone)]
pub struct TerminalConnection(Rc<RefCell<Inner>>);

impl TerminalConnection {
    pub fn open(
        parent: &HtmlElement,
        workspace: &WorkspaceRef,
        id: &str,
        company: Company,
    ) -> Self {
        let connection = Self(Rc::new(RefCell::new(Inner {
            terminal: None,
            url: socket_url(workspace, id),
            socket: None,
            phase: Phase::Connecting,
            attempts: 0,
            terminal_handlers: Vec::new(),
            socket_handlers: Vec::new(),
            company,
        })));
        let typing = connection.clone();
        let on_data = Closure::<dyn FnMut(JsValue, JsValue)>::new(move |bytes: JsValue, _| {
            typing.send_keys(&bytes.unchecked_into::<Uint8Array>().to_vec());
        });
        let resizing = connection.clone();
        let on_resize =
            Closure::<dyn FnMut(JsValue, JsValue)>::new(move |cols: JsValue, rows: JsValue| {
                let size = |v: JsValue| v.as_f64().unwrap_or_default() as u16;
                resizing.send_size(size(cols), size(rows));
            });
        let terminal = js::create_terminal(
            parent,
            on_data.as_ref().unchecked_ref(),
            on_resize.as_ref().unchecked_ref(),
        );
        terminal.fit();
        {
            let mut inner = connection.0.borrow_mut();
            inner.terminal = Some(terminal);
            inner.terminal_handlers = vec![on_data, on_resize];
        }
        connection.connect();
        connection
    }

    /// Fits the grid to its panel (after the panel became visible) and focuses it.
    pub fn show(&self) {
        self.with_terminal(|terminal| {
            terminal.fit();
            terminal.focus();
        });
    }

    pub fn dispose(&self) {
        let mut inner = self.0.borrow_mut();
        inner.phase = Phase::Disposed;
        if let Some(socket) = inner.socket.take() {
            socket.set_onclose(None);
            let _ = socket.close();
        }
        if let Some(terminal) = inner.terminal.take() {
            terminal.dispose();
        }
        inner.terminal_handlers.clear();
        inner.socket_handlers.clear();
    }

    /// Types `text` into the shell as if the user had (the terminal assistant, confirmed).
    pub fn type_text(&self, text: &str) {
        self.send_keys(text.as_bytes());
        self.with_terminal(js::Terminal::focus);
    }

    fn with_terminal(&self, f: impl FnOnce(&js::Terminal)) {
        if let Some(terminal) = &self.0.borrow().terminal {
            f(terminal);
        }
    }

    fn send_keys(&self, bytes: &[u8]) {
        let phase = self.0.borrow().phase;
        match phase {
            Phase::Open => {
                if let Some(socket) = &self.0.borrow().socket {
                    let _ = socket.send_with_u8_array(bytes);
                }
            }
            Phase::Ended => self.connect(),
            Phase::Connecting | Phase::Disposed => {}
        }
    }

    fn send_size(&self, cols: u16, rows: u16) {
        let inner = self.0.borrow();
        if let (Phase::Open, Some(socket)) = (inner.phase, &inner.socket) {
            let resize = Control::Resize { rows, cols };
            if let Ok(text) = serde_json::to_string(&resize) {
                let _ = socket.send_with_str(&text);
            }
        }
    }

    fn connect(&self) {
        let url = self.0.borrow().url.clone();
        let Ok(socket) = WebSocket::new(&url) else {
            self.end("This browser could not open a WebSocket.");
            return;
        };
        socket.set_binary_type(BinaryType::Arraybuffer);

        let opened = self.clone();
        let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            {
                let mut inner = opened.0.borrow_mut();
                inner.phase = Phase::Open;
                inner.attempts = 0;
            }
            let mut size = (80, 24);
            opened.with_terminal(|terminal| {
                // The server replays the session's recent output first: start from a
                // clean screen so nothing shows twice.
                terminal.reset();
                size = (terminal.cols(), terminal.rows());
            });
            opened.send_size(size.0, size.1);
        });
        let receiving = self.clone();
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let data = event.unchecked_into::<MessageEvent>().data();
            if let Some(buffer) = data.dyn_ref::<ArrayBuffer>() {
                let bytes = Uint8Array::new(buffer);
                receiving.with_terminal(|terminal| terminal.write(&bytes));
            } else if let Some(text) = data.as_string() {
                receiving.control(&text);
            }
        });
        let closing = self.clone();
        let on_close = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            // The server says why when it can ("AiCockpit is restarting").
            let reason = event
                .dyn_into::<web_sys::CloseEvent>()
                .ok()
                .map(|e| e.reason())
                .filter(|r| !r.is_empty());
            closing.reconnect_later(reason)
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));

        let mut inner = self.0.borrow_mut();
        inner.phase = Phase::Connecting;
        inner.socket = Some(socket);
        inner.socket_handlers = vec![on_open, on_message, on_close];
    }

    fn control(&self, text: &str) {
        match serde_json::from_str::<Control>(text) {
            Ok(Control::Reset) => self.with_terminal(js::Terminal::reset),
            Ok(Control::Presence { users }) => self.0.borrow().company.workspace.set(users),
            Ok(Control::Attached { users }) => self.0.borrow().company.terminal.set(users),
            Ok(Control::Resize { .. }) => {}
            Ok(Control::Exit) => self.end("The shell ended. Press any key to start a new one."),
            Ok(Control::Error { message }) => {
                self.end(&format!("{message} Press any key to try again."))
            }
            Err(_) => {}
        }
    }

    /// Shows why the terminal stopped; the next key press reconnects.
    fn end(&self, message: &str) {
        let mut inner = self.0.borrow_mut();
        if inner.phase == Phase::Disposed {
            return;
        }
        inner.phase = Phase::Ended;
        if let Some(socket) = inner.socket.take() {
            socket.set_onclose(None);
            let _ = socket.close();
        }
        if let Some(terminal) = &inner.terminal {
            terminal.write_text(&format!("\r\n\x1b[1;33m{message}\x1b[0m\r\n"));
        }
    }

    fn reconnect_later(&self, reason: Option<String>) {
        let delay = {
            let mut inner = self.0.borrow_mut();
            if matches!(inner.phase, Phase::Ended | Phase::Disposed) {
                return;
            }
            inner.socket = None;
            inner.attempts += 1;
            if let Some(terminal) = inner.terminal.as_ref().filter(|_| inner.attempts == 1) {
                let reason = reason.as_deref().unwrap_or("connection lost");
                terminal.write_text(&format!("\r\n\x1b[2m[{reason}; reconnecting…]\x1b[0m"));
            }
            // 0.5 s, 1 s, 2 s … capped at 10 s.
            Duration::from_millis((250u64 << inner.attempts.min(6)).min(10_000))
        };
        let again = self.clone();
        set_timeout(
            move || {
                if again.0.borrow().phase != Phase::Disposed {
                    again.connect();
                }
            },
            delay,
        );
    }
}

/// `ws://host/ws/terminal/ada/web/main`, or `wss://` on an HTTPS page.
fn socket_url(workspace: &WorkspaceRef, id: &str) -> String {
    let location = web_sys::window().map(|w| w.location());
    let secure = location
        .as_ref()
        .and_then(|l| l.protocol().ok())
        .is_some_and(|p| p == "https:");
    let host = location
        .and_then(|l| l.host().ok())
        .unwrap_or_else(|| "localhost".into());
    let scheme = if secure { "wss" } else { "ws" };
    format!("{scheme}://{host}{}", terminal_path(workspace, id))
}
