//! The editor panel: a tab per open file with a dirty marker, CodeMirror per tab (kept
//! while hidden, so undo history survives switching), Ctrl/Cmd+S to save, and a warning
//! before closing a tab or the page with unsaved work. Files too large or not text offer
//! a download instead.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::code_actions::CodeActions;
use super::js;
use super::state::{recall, remember, Ide, OpenFile};
use crate::api::files::{read_file, write_file};
use crate::error::AppError;
use crate::workspace_path::WorkspacePath;

#[component]
pub fn EditorPanel() -> impl IntoView {
    let ide = expect_context::<Ide>();
    Effect::new(move |_| {
        let guard = window_event_listener(leptos::ev::beforeunload, move |ev| {
            if ide.has_unsaved() {
                ev.prevent_default();
                ev.set_return_value("You have unsaved changes.");
            }
        });
        on_cleanup(move || guard.remove());
    });
    remember_open_files(ide);
    view! {
        <section class="editors" aria-label="Editor">
            <div class="tabbar" role="tablist">
                <For each=move || ide.open_files.get() key=|f| f.id let:file>
                    <EditorTab file />
                </For>
            </div>
            <div class="editor-stack">
                <For each=move || ide.open_files.get() key=|f| f.id let:file>
                    <EditorView file />
                </For>
                <Show when=move || ide.open_files.with(Vec::is_empty)>
                    <p class="muted empty-panel">"Open a file from the tree to edit it."</p>
                </Show>
            </div>
        </section>
    }
}

/// Reopens the files that were open before a reload, then keeps the list up to date.
fn remember_open_files(ide: Ide) {
    let key = format!("aicockpit.editors.{}", ide.workspace());
    Effect::new(move |restored: Option<()>| {
        if restored.is_none() {
            let paths: Vec<String> = recall(&key).unwrap_or_default();
            for path in paths.iter().filter_map(|p| WorkspacePath::parse(p).ok()) {
                ide.open_file(path);
            }
        }
        let paths: Vec<String> = ide
            .open_files
            .with(|files| files.iter().map(|f| f.path.get().absolute()).collect());
        remember(&key, &paths);
    });
}

#[component]
fn EditorTab(file: OpenFile) -> impl IntoView {
    let ide = expect_context::<Ide>();
    let active = move || ide.active_file.get() == Some(file.id);
    let name = move || file.path.with(|p| p.file_name().unwrap_or("").to_owned());
    let close = move |_| {
        let discard = !file.dirty.get_untracked()
            || window()
                .confirm_with_message(&format!(
                    "{} has unsaved changes. Close it and lose them?",
                    file.path.get_untracked()
                ))
                .unwrap_or(false);
        if discard {
            ide.close_file(file.id);
        }
    };
    view! {
        <div class="tab" class:active=active role="tab" aria-selected=move || active().to_string()
            title=move || file.path.get().to_string()>
            <button class="tab-title" on:click=move |_| ide.active_file.set(Some(file.id))>
                {name}
                <span class="dirty" aria-label="unsaved" hidden=move || !file.dirty.get()>"●"</span>
            </button>
            <button class="tab-close" aria-label=move || format!("Close {}", name()) on:click=close>"×"</button>
        </div>
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Contents {
    Loading,
    Ready,
    /// Too large, binary, gone: shown instead of the editor.
    Unavailable(AppError),
}

#[component]
fn EditorView(file: OpenFile) -> impl IntoView {
    let ide = expect_context::<Ide>();
    let visible = Memo::new(move |_| ide.active_file.get() == Some(file.id));
    let contents = RwSignal::new(Contents::Loading);
    let editor = StoredValue::new_local(None::<js::Editor>);
    // JavaScript only references these; they are dropped with the editor.
    let handlers = StoredValue::new_local(Vec::<Closure<dyn FnMut()>>::new());
    // The version the next save builds on; `None` after a conflict, so saving again
    // overwrites the change made elsewhere, as the message says.
    let base = StoredValue::new(None::<String>);
    let host = NodeRef::<leptos::html::Div>::new();

    let save = move || {
        let Some(text) = editor.with_value(|e| e.as_ref().map(js::Editor::text)) else {
            return;
        };
        let path = file.path.get_untracked();
        leptos::task::spawn_local(async move {
            let saved = write_file(
                ide.workspace(),
                path.absolute(),
                text.clone(),
                base.get_value(),
            );
            match saved.await {
                Ok(version) => {
                    base.set_value(Some(version));
                    // Typing during the save keeps the tab dirty.
                    let unchanged =
                        editor.with_value(|e| e.as_ref().map(js::Editor::text)) == Some(text);
                    if unchanged {
                        file.dirty.set(false);
                    }
                    ide.info(format!("Saved {path}"));
                    ide.refresh_tree();
                }
                Err(error) => {
                    if matches!(error, AppError::FileChanged(_)) {
                        base.set_value(None);
                    }
                    ide.error(&error);
                }
            }
        });
    };

    Effect::new(move |_| {
        let Some(element) = host.get() else { return };
        if editor.with_value(Option::is_some) {
            return;
        }
        let path = file.path.get_untracked();
        leptos::task::spawn_local(async move {
            let opened = match read_file(ide.workspace(), path.absolute()).await {
                Ok(opened) => opened,
                Err(error) => return contents.set(Contents::Unavailable(error)),
            };
            base.set_value(Some(opened.version));
            js::when_loaded(move || {
                let on_change = Closure::<dyn FnMut()>::new(move || file.dirty.set(true));
                let on_save = Closure::<dyn FnMut()>::new(save);
                let created = js::create_editor(
                    &element,
                    &path.absolute(),
                    &opened.text,
                    on_change.as_ref().unchecked_ref(),
                    on_save.as_ref().unchecked_ref(),
                );
                handlers.set_value(vec![on_change, on_save]);
                created.focus();
                editor.set_value(Some(created));
                contents.set(Contents::Ready);
            });
        });
    });
    Effect::new(move |_| {
        if visible.get() {
            editor.with_value(|e| e.as_ref().map(js::Editor::focus));
        }
    });
    on_cleanup(move || {
        editor.try_with_value(|e| e.as_ref().map(js::Editor::dispose));
        handlers.try_update_value(Vec::clear);
    });

    view! {
        <div class="editor-view" class:hidden=move || !visible.get() data-testid="editor"
            data-path=move || file.path.get().absolute()>
            {move || match contents.get() {
                Contents::Loading => view! { <p class="muted empty-panel">"Opening…"</p> }.into_any(),
                Contents::Ready => view! { <CodeActions file editor /> }.into_any(),
                Contents::Unavailable(error) => {
                    let offer_download = matches!(error, AppError::FileTooLarge { .. } | AppError::BinaryFile(_));
                    let url = ide.download_url(&file.path.get_untracked());
                    view! {
                        <div class="empty-panel" role="alert">
                            <p>{error.to_string()}</p>
                            {offer_download.then(|| view! { <a class="button-like" href=url download="">"Download"</a> })}
                        </div>
                    }.into_any()
                }
            }}
            <div class="editor-host" node_ref=host></div>
        </div>
    }
}
