//! Keeps the dashboard live: the server pushes a message on `/api/events` whenever Docker
//! reports a change to a workspace container (including changes made outside AiCockpit),
//! and each message bumps the refresh counter the workspace list depends on. The IDE hears
//! the `files` events of its workspace the same way.

use leptos::prelude::*;

/// Calls `on_change` whenever the server says `workspace`'s files changed through it (an
/// edit in another window, an agent's write). The stream closes when the result is dropped.
pub fn follow_file_changes(
    workspace: String,
    on_change: impl Fn() + 'static,
) -> Option<send_wrapper::SendWrapper<FileChanges>> {
    use wasm_bindgen::JsCast;
    let source = web_sys::EventSource::new(crate::wire::EVENTS).ok()?;
    let handler = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
        move |event: web_sys::MessageEvent| {
            if event.data().as_string().as_deref() == Some(workspace.as_str()) {
                on_change();
            }
        },
    );
    source
        .add_event_listener_with_callback("files", handler.as_ref().unchecked_ref())
        .ok()?;
    Some(send_wrapper::SendWrapper::new(FileChanges {
        source,
        _handler: handler,
    }))
}

/// An open stream of file changes; closed when dropped.
pub struct FileChanges {
    source: web_sys::EventSource,
    _handler: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl Drop for FileChanges {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// Refetch when the server announces a change, when the event stream (re)connects — so
/// nothing missed while disconnected stays stale — and every 30 s so ages stay current.
pub fn follow_changes(refresh: RwSignal<u32>) {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        browser::subscribe(refresh);
        #[cfg(not(feature = "hydrate"))]
        let _ = refresh;
    });
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use std::time::Duration;
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::EventSource;

    pub fn subscribe(refresh: RwSignal<u32>) {
        let bump = move || refresh.update(|n| *n = n.wrapping_add(1));
        if let Ok(source) = EventSource::new(crate::wire::EVENTS) {
            let on_event = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| bump());
            source.set_onmessage(Some(on_event.as_ref().unchecked_ref()));
            source.set_onopen(Some(on_event.as_ref().unchecked_ref()));
            let source = SendWrapper::new((source, on_event));
            on_cleanup(move || source.0.close());
        }
        if let Ok(timer) = set_interval_with_handle(bump, Duration::from_secs(30)) {
            on_cleanup(move || timer.clear());
        }
    }
}
