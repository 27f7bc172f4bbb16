//! Keeps the dashboard live: the server pushes a message on `/api/events` whenever Docker
//! reports a change to a workspace container (including changes made outside AiCockpit),
//! and each message bumps the refresh counter the workspace list depends on.

use leptos::prelude::*;

/// Where the server publishes workspace change notifications (server-sent events).
pub const EVENTS_PATH: &str = "/api/events";

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
        if let Ok(source) = EventSource::new(super::EVENTS_PATH) {
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
