//! The agent's views, shared by the IDE's agent panel and the run page: following a run
//! live (`follow`), its steps and diff (`steps`), and the approval card (`approval`).

pub mod approval;
pub mod steps;

use leptos::prelude::*;

use crate::agent::{AgentEvent, RunView};
use crate::auth::WorkspaceRef;

/// Output of the running command kept on screen, in characters (its end).
const OUTPUT_KEPT: usize = 20_000;

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

/// Keeps `view` current with the run's events (a snapshot first) and `output` with the
/// running command's output; the stream closes itself when the run is over. Browser only.
pub fn follow(
    workspace: &WorkspaceRef,
    run: &str,
    view: RwSignal<Option<RunView>>,
    output: RwSignal<String>,
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
            match event {
                AgentEvent::Snapshot { run } => {
                    // Over already: nothing more will come (and no reconnecting).
                    if run.summary.status.is_over() {
                        closing.close();
                    }
                    view.set(Some(*run));
                }
                AgentEvent::Output { text } => output.update(|o| {
                    o.push_str(&text);
                    if o.len() > OUTPUT_KEPT {
                        let cut = o.len() - OUTPUT_KEPT;
                        let cut = (cut..o.len()).find(|i| o.is_char_boundary(*i)).unwrap_or(0);
                        o.replace_range(..cut, "");
                    }
                }),
                event => {
                    if matches!(&event, AgentEvent::Step { .. }) {
                        output.set(String::new());
                    }
                    if matches!(&event, AgentEvent::Status { status, .. } if status.is_over()) {
                        closing.close();
                    }
                    view.update(|v| {
                        if let Some(v) = v {
                            v.apply(event);
                        }
                    });
                }
            }
        },
    );
    source.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    Some(send_wrapper::SendWrapper::new(RunEvents {
        source,
        _handler: handler,
    }))
}
