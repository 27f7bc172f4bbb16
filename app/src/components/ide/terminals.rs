//! The terminal panel: tabs (new, close, rename by double-click) over terminals that keep
//! running on the server. The tab list is remembered per workspace in localStorage, so a
//! reload reattaches every tab to its session.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::command_assist::{CommandAssistant, OpenTerminals};
use super::state::{random_id, recall, remember};
use super::terminal_connection::{Company, TerminalConnection};
use crate::auth::WorkspaceRef;
use crate::terminal::terminal_path;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Tab {
    id: String,
    title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Tabs {
    tabs: Vec<Tab>,
    active: String,
}

impl Tabs {
    fn first() -> Self {
        Self {
            tabs: vec![Tab {
                id: "main".into(),
                title: "Terminal 1".into(),
            }],
            active: "main".into(),
        }
    }

    /// A new tab with an id unused here, titled after the lowest free number.
    fn add(&mut self, random: u32) -> String {
        let id = format!("t{random:x}");
        let number = (1..)
            .find(|n| !self.tabs.iter().any(|t| t.title == format!("Terminal {n}")))
            .unwrap_or(1);
        self.tabs.push(Tab {
            id: id.clone(),
            title: format!("Terminal {number}"),
        });
        self.active = id.clone();
        id
    }

    /// Removes a tab; the one next to it becomes active if it was.
    fn remove(&mut self, id: &str) {
        let Some(index) = self.tabs.iter().position(|t| t.id == id) else {
            return;
        };
        self.tabs.remove(index);
        if self.active == id {
            let next = index.min(self.tabs.len().saturating_sub(1));
            self.active = self
                .tabs
                .get(next)
                .map(|t| t.id.clone())
                .unwrap_or_default();
        }
    }
}

fn storage_key(workspace: &WorkspaceRef) -> String {
    format!("aicockpit.terminals.{workspace}")
}

fn load(workspace: &WorkspaceRef) -> Tabs {
    recall::<Tabs>(&storage_key(workspace))
        .filter(|tabs| !tabs.tabs.is_empty())
        .unwrap_or_else(Tabs::first)
}

#[component]
pub fn TerminalPanel(workspace: WorkspaceRef) -> impl IntoView {
    // The server render shows one tab; the browser then restores the remembered ones.
    let tabs = RwSignal::new(Tabs::first());
    let restored = RwSignal::new(false);
    let key = workspace.clone();
    Effect::new(move |_| {
        tabs.set(load(&key));
        restored.set(true);
    });
    let key = workspace.clone();
    Effect::new(move |_| {
        let current = tabs.get();
        if restored.get_untracked() {
            remember(&storage_key(&key), &current);
        }
    });

    let new_tab = move |_| {
        tabs.update(|t| {
            t.add(random_id());
        });
    };
    let close_tab = {
        let workspace = workspace.clone();
        move |id: String| {
            // Ends the shell on the server too; the tab is gone either way.
            let init = web_sys::RequestInit::new();
            init.set_method("DELETE");
            let _ = window().fetch_with_str_and_init(&terminal_path(&workspace, &id), &init);
            tabs.update(|t| t.remove(&id));
        }
    };

    let workspace = StoredValue::new(workspace);
    let ide = expect_context::<super::state::Ide>();
    provide_context(OpenTerminals::new());
    let assistant = RwSignal::new(false);
    let active = Signal::derive(move || tabs.with(|t| t.active.clone()));
    let section = NodeRef::<leptos::html::Section>::new();
    // Ctrl+K in a terminal opens the assistant: caught on the way down, before xterm.js
    // takes the key for the shell.
    let shortcut = StoredValue::new_local(
        None::<wasm_bindgen::closure::Closure<dyn FnMut(web_sys::KeyboardEvent)>>,
    );
    Effect::new(move |_| {
        use wasm_bindgen::JsCast;
        let Some(element) = section.get() else { return };
        let handler = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(
            move |ev: web_sys::KeyboardEvent| {
                if (ev.ctrl_key() || ev.meta_key()) && ev.key() == "k" && ide.can_change() {
                    ev.prevent_default();
                    ev.stop_propagation();
                    assistant.set(true);
                }
            },
        );
        let _ = element.add_event_listener_with_callback_and_bool(
            "keydown",
            handler.as_ref().unchecked_ref(),
            true,
        );
        shortcut.set_value(Some(handler));
    });
    view! {
        <section class="terminals" aria-label="Terminals" node_ref=section>
            <div class="tabbar" role="tablist">
                <For
                    each=move || tabs.get().tabs
                    key=|tab| tab.id.clone()
                    let:tab
                >
                    <TerminalTab tab tabs close=close_tab.clone() />
                </For>
                <button class="tab-new" title="New terminal" on:click=new_tab data-testid="new-terminal">
                    "+"
                </button>
                <Show when=move || ide.can_change()>
                    <button class="tab-new tab-assist" title="Propose a command for this terminal (Ctrl+K)"
                        on:click=move |_| assistant.update(|open| *open = !*open)>
                        "Ask AI"
                    </button>
                </Show>
            </div>
            <CommandAssistant active open=assistant />
            <div class="terminal-stack">
                <Show when=move || restored.get()>
                    <For
                        each=move || tabs.get().tabs
                        key=|tab| tab.id.clone()
                        let:tab
                    >
                        {
                            let id = tab.id.clone();
                            // A memo: only a real change of the front tab refits and
                            // focuses (and so never steals focus from a rename field).
                            let visible = Memo::new(move |_| tabs.with(|t| t.active == id));
                            view! { <TerminalView workspace=workspace.get_value() id=tab.id visible /> }
                        }
                    </For>
                </Show>
                <Show when=move || tabs.get().tabs.is_empty()>
                    <p class="muted empty-panel">"No terminal open. Press + to start one."</p>
                </Show>
            </div>
        </section>
    }
}

#[component]
fn TerminalTab(
    tab: Tab,
    tabs: RwSignal<Tabs>,
    close: impl Fn(String) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let id = tab.id.clone();
    let active = {
        let id = id.clone();
        move || tabs.get().active == id
    };
    let title = {
        let id = id.clone();
        move || {
            tabs.get()
                .tabs
                .iter()
                .find(|t| t.id == id)
                .map(|t| t.title.clone())
                .unwrap_or_default()
        }
    };
    let rename = {
        let id = id.clone();
        move |value: String| {
            let value = value.trim().to_owned();
            if !value.is_empty() {
                tabs.update(|t| {
                    if let Some(tab) = t.tabs.iter_mut().find(|t| t.id == id) {
                        tab.title = value;
                    }
                });
            }
            editing.set(false);
        }
    };
    let select = {
        let id = id.clone();
        move |_| {
            if tabs.with_untracked(|t| t.active != id) {
                tabs.update(|t| t.active = id.clone());
            }
        }
    };
    let close_id = id.clone();
    let label = title.clone();
    view! {
        <div class="tab" class:active=active.clone() role="tab" aria-selected=move || active().to_string()>
            <Show
                when=move || editing.get()
                fallback={
                    let title = title.clone();
                    move || view! {
                        <button class="tab-title" on:click=select.clone() on:dblclick=move |_| editing.set(true)
                            title="Double-click to rename">
                            {title.clone()}
                        </button>
                    }
                }
            >
                {
                    let title = title.clone();
                    let rename = rename.clone();
                    let rename_on_blur = rename.clone();
                    view! {
                        <input class="tab-rename" value=title.clone() aria-label="Terminal name"
                            autofocus
                            on:keydown=move |ev| match ev.key().as_str() {
                                "Enter" => rename(event_target_value(&ev)),
                                "Escape" => editing.set(false),
                                _ => {}
                            }
                            on:blur=move |ev| rename_on_blur(event_target_value(&ev))
                        />
                    }
                }
            </Show>
            <button class="tab-close" title="Close terminal (ends its shell)"
                aria-label=move || format!("Close {}", label())
                on:click=move |_| close(close_id.clone())>
                "×"
            </button>
        </div>
    }
}

/// One terminal's screen. Created once when it mounts, kept (hidden) while another tab is
/// in front, disposed when its tab closes.
#[component]
fn TerminalView(workspace: WorkspaceRef, id: String, visible: Memo<bool>) -> impl IntoView {
    let host = NodeRef::<leptos::html::Div>::new();
    let connection = StoredValue::new_local(None::<TerminalConnection>);
    let company = Company {
        workspace: expect_context::<super::state::Ide>().present,
        terminal: RwSignal::new(Vec::new()),
    };
    let attached = company.terminal;
    let terminals = expect_context::<OpenTerminals>();
    let registered = id.clone();
    Effect::new(move |_| {
        let Some(element) = host.get() else { return };
        if connection.with_value(Option::is_some) {
            return;
        }
        let (workspace, id) = (workspace.clone(), id.clone());
        super::js::when_loaded(move || {
            let opened = TerminalConnection::open(&element, &workspace, &id, company);
            terminals
                .0
                .update_value(|open| _ = open.insert(id, opened.clone()));
            connection.set_value(Some(opened));
        });
    });
    Effect::new(move |_| {
        if visible.get() {
            // After the panel is displayed, so the fit measures real pixels.
            request_animation_frame(move || {
                connection.with_value(|c| c.as_ref().map(TerminalConnection::show));
            });
        }
    });
    on_cleanup(move || {
        terminals
            .0
            .try_update_value(|open| _ = open.remove(&registered));
        connection.try_with_value(|c| c.as_ref().map(TerminalConnection::dispose));
    });
    view! {
        <div class="terminal-host" node_ref=host class:hidden=move || !visible.get()
            data-testid="terminal" data-visible=move || visible.get().to_string()></div>
        <Show when=move || visible.get() && attached.with(|users| users.len() > 1)>
            <div class="terminal-company badge" data-testid="attached" title="Who is at this terminal">
                {move || format!("Attached: {}", attached.get().join(", "))}
            </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_tabs_take_the_lowest_free_number_and_become_active() {
        let mut tabs = Tabs::first();
        let second = tabs.add(0xabc);
        assert_eq!(second, "tabc");
        assert_eq!(tabs.active, "tabc");
        assert_eq!(tabs.tabs[1].title, "Terminal 2");
        tabs.remove("main");
        let third = tabs.add(0xdef);
        assert_eq!(
            tabs.tabs.iter().find(|t| t.id == third).unwrap().title,
            "Terminal 1"
        );
    }

    #[test]
    fn closing_the_active_tab_activates_its_neighbour() {
        let mut tabs = Tabs::first();
        tabs.add(1);
        tabs.add(2);
        tabs.active = "t1".into();
        tabs.remove("t1");
        assert_eq!(tabs.active, "t2");
        tabs.remove("t2");
        assert_eq!(tabs.active, "main");
        tabs.remove("main");
        assert_eq!(tabs.active, "");
    }
}
