//! Uploads into the workspace: the toolbar's file picker and drag-and-drop onto the tree
//! (into the folder dropped on, or the selected one). Each file is a `PUT` with its exact
//! size, sent by XMLHttpRequest for its progress events; the server refuses files over its
//! limit and keeps the old file when an upload breaks off. Replacing an existing file asks
//! first.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{DragEvent, File, FileList, ProgressEvent, XmlHttpRequest};

use std::collections::HashSet;

use super::state::{random_id, Ide};
use crate::api::files::list_folder;
use crate::error::AppError;
use crate::files::format_bytes;
use crate::workspace_path::WorkspacePath;

#[derive(Debug, Clone, PartialEq)]
enum Progress {
    Sending { sent: f64, total: f64 },
    Done,
    Failed(String),
}

#[derive(Debug, Clone)]
struct Upload {
    id: u32,
    name: String,
    progress: RwSignal<Progress>,
}

#[component]
pub fn UploadZone(children: Children) -> impl IntoView {
    let ide = expect_context::<Ide>();
    let uploads = RwSignal::new(Vec::<Upload>::new());
    let dragging = RwSignal::new(false);
    let picker = NodeRef::<leptos::html::Input>::new();

    let start = move |folder: WorkspacePath, files: FileList| {
        let files: Vec<File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
        leptos::task::spawn_local(async move {
            for file in confirm_replacements(ide, &folder, files).await {
                send(ide, uploads, folder.clone(), file);
            }
        });
    };
    let on_pick = move |_| {
        let Some(input) = picker.get() else { return };
        if let Some(files) = input.files() {
            start(ide.target_folder(), files);
        }
        input.set_value("");
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        let Some(files) = ev.data_transfer().and_then(|d| d.files()) else {
            return;
        };
        start(
            drop_folder(&ev).unwrap_or_else(|| ide.target_folder()),
            files,
        );
    };

    view! {
        <div class="upload-zone" class:dragging=move || dragging.get()
            on:dragover=move |ev: DragEvent| { ev.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop>
            {children()}
            <div class="upload-bar">
                <label class="button-like">
                    "Upload files…"
                    <input type="file" multiple class="visually-hidden" node_ref=picker
                        data-testid="upload-input" on:change=on_pick />
                </label>
            </div>
            <ul class="uploads" aria-live="polite">
                <For each=move || uploads.get() key=|u| u.id let:upload>
                    <UploadRow upload />
                </For>
            </ul>
        </div>
    }
}

#[component]
fn UploadRow(upload: Upload) -> impl IntoView {
    let progress = upload.progress;
    view! {
        <li class="upload" class:failed=move || matches!(progress.get(), Progress::Failed(_))>
            <span class="upload-name">{upload.name}</span>
            {move || match progress.get() {
                Progress::Sending { sent, total } => view! {
                    <progress max=total value=sent></progress>
                    <span class="muted">{format!("{} / {}", format_bytes(sent as u64), format_bytes(total as u64))}</span>
                }.into_any(),
                Progress::Done => view! { <span class="ok">"uploaded"</span> }.into_any(),
                Progress::Failed(message) => view! { <span role="alert">{message}</span> }.into_any(),
            }}
        </li>
    }
}

/// The files to send: all of them, unless some would replace existing files and the
/// person declines, in which case only the new ones.
async fn confirm_replacements(ide: Ide, folder: &WorkspacePath, files: Vec<File>) -> Vec<File> {
    let existing: HashSet<String> = list_folder(ide.workspace(), folder.absolute())
        .await
        .map(|entries| entries.iter().map(|e| e.name().to_owned()).collect())
        .unwrap_or_default();
    let clashes: Vec<String> = files
        .iter()
        .map(File::name)
        .filter(|name| existing.contains(name))
        .collect();
    let replace = clashes.is_empty()
        || window()
            .confirm_with_message(&format!(
                "{} already in {folder}. Replace with the uploaded version?",
                clashes.join(", ")
            ))
            .unwrap_or(false);
    files
        .into_iter()
        .filter(|file| replace || !existing.contains(&file.name()))
        .collect()
}

/// The folder under the drop: a folder row itself, or the folder holding a file row.
fn drop_folder(ev: &DragEvent) -> Option<WorkspacePath> {
    let target = ev.target()?.dyn_into::<web_sys::Element>().ok()?;
    let row = target.closest(".tree-row").ok().flatten()?;
    let path = WorkspacePath::parse(&row.get_attribute("data-path")?).ok()?;
    match row.get_attribute("data-folder").as_deref() {
        Some("true") => Some(path),
        _ => path.parent(),
    }
}

fn send(ide: Ide, uploads: RwSignal<Vec<Upload>>, folder: WorkspacePath, file: File) {
    let name = file.name();
    let progress = RwSignal::new(Progress::Sending {
        sent: 0.0,
        total: file.size(),
    });
    let id = random_id();
    uploads.update(|list| {
        list.push(Upload {
            id,
            name: name.clone(),
            progress,
        })
    });
    let fail = move |message: String| progress.set(Progress::Failed(message));
    let path = match folder.join(&name) {
        Ok(path) => path,
        Err(error) => return fail(error.to_string()),
    };
    let Ok(request) = XmlHttpRequest::new() else {
        return fail("This browser cannot upload files.".into());
    };
    if request.open("PUT", &ide.upload_url(&path)).is_err() {
        return fail("The upload could not start.".into());
    }
    if let Ok(upload) = request.upload() {
        let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |ev: ProgressEvent| {
            progress.set(Progress::Sending {
                sent: ev.loaded(),
                total: ev.total(),
            });
        });
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        // Lives as long as the request, which keeps the only reference to it.
        on_progress.forget();
    }
    let finished = request.clone();
    let on_load = Closure::once_into_js(move || {
        let status = finished.status().unwrap_or(0);
        if (200..300).contains(&status) {
            progress.set(Progress::Done);
            ide.info(format!("Uploaded {path}"));
            ide.refresh_tree();
            set_timeout(
                move || uploads.update(|list| list.retain(|u| u.id != id)),
                std::time::Duration::from_secs(4),
            );
        } else {
            let text = finished.response_text().ok().flatten().unwrap_or_default();
            fail(match serde_json::from_str::<AppError>(&text) {
                Ok(error) => error.to_string(),
                Err(_) if text.is_empty() => format!("The server answered {status}."),
                Err(_) => text,
            });
        }
    });
    request.set_onload(Some(on_load.unchecked_ref()));
    let on_error = Closure::once_into_js(move || {
        fail("The connection to the server was lost during the upload; nothing was changed.".into())
    });
    request.set_onerror(Some(on_error.unchecked_ref()));
    if request.send_with_opt_blob(Some(&file)).is_err() {
        fail("The upload could not start.".into());
    }
}
