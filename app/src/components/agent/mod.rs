//! The agent's views, shared by the IDE's agent panel and the run page: following a run
//! live (`follow`), its steps and diff (`steps`), and the approval card (`approval`).

pub mod approval;
pub mod steps;

use leptos::prelude::*;

use crate::agent::{AgentEvent, RunView};
use crate::auth::WorkspaceRef;

/// An open event stream of one run; closed when dropped.
pub struct RunEvents {
    source: web_sys::EventSource,
    _handler: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl Drop for RunEvents {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// Keeps `view` current with the run's events (a snapshot first), handing each event to
/// `on_event` too (the running command's output is only there); the stream closes itself
/// when the run is over. Browser only.
pub fn follow(
    workspace: &WorkspaceRef,
    run: &str,
    view: RwSignal<Option<RunView>>,
    on_event: impl Fn(&AgentEvent) + 'static,
) -> Option<send_wrapper::SendWrapper<RunEvents>> {
    use wasm_bindgen::JsCast;
    let source = web_sys::EventSource::new(&crate::agent::events_path(workspace, run)).ok()?;
    let closing = source.clone();
    let handler = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
        move |message: web_sys::MessageEvent| {
            let Some(data) = message.data().as_string() else {
                return;
            };
            let Ok(event) = serde_json::from_str::<AgentEvent>(&data) else {
                return;
            };
            on_event(&event);
            let over = match &event {
                AgentEvent::Snapshot { run } => run.summary.status.is_over(),
                AgentEvent::Status { status, .. } => status.is_over(),
                _ => false,
            };
            // Nothing more will come; closing also keeps the browser from reconnecting.
            if over {
                closing.close();
            }
            match event {
                AgentEvent::Snapshot { run } => view.set(Some(*run)),
                AgentEvent::Output { .. } | AgentEvent::Thought { .. } => {}
                event => view.update(|v| {
                    if let Some(v) = v {
                        v.apply(event);
                    }
                }),
            }
        },
    );
    source.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    Some(send_wrapper::SendWrapper::new(RunEvents {
        source,
        _handler: handler,
    }))
}
