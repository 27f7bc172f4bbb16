//! The file tree of `/workspace`: folders load when expanded, the whole tree relists on
//! focus, every few seconds while visible and after each change made here, so files made
//! in a terminal show up. New file/folder and rename use an inline name field; delete asks
//! first; every row downloads.

use leptos::prelude::*;

use super::icons::{Icon, Svg};
use super::state::{Ide, NameEdit};
use super::upload::UploadZone;
use crate::api::files::{create_file, create_folder, delete_path, list_folder, rename_path};
use crate::api::workspaces::start_workspace;
use crate::components::live_updates::follow_file_changes;
use crate::error::AppError;
use crate::files::{EntryKind, FileEntry};
use crate::workspace_path::WorkspacePath;

/// How often the tree relists while the page is visible.
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(4);

#[component]
pub fn FileTree() -> impl IntoView {
    let ide = expect_context::<Ide>();
    Effect::new(move |_| {
        let tick = move || {
            if !document().hidden() {
                ide.refresh_tree();
            }
        };
        let interval = set_interval_with_handle(tick, REFRESH_EVERY).ok();
        let on_focus = window_event_listener(leptos::ev::focus, move |_| ide.refresh_tree());
        // Pushed changes relist at once; the polling above catches what a terminal did.
        let workspace = ide.workspace.get_value().to_string();
        let pushed = follow_file_changes(workspace, move || ide.refresh_tree());
        on_cleanup(move || {
            on_focus.remove();
            if let Some(interval) = interval {
                interval.clear();
            }
            drop(pushed);
        });
    });
    let new_entry = move |kind: EntryKind| {
        let folder = ide.target_folder();
        ide.expanded.update(|e| {
            e.insert(folder.clone());
        });
        ide.name_edit.set(Some(NameEdit::Create { folder, kind }));
    };
    view! {
        <nav class="file-tree" aria-label="Files">
            <div class="panel-toolbar">
                <span class="panel-title">"Files"</span>
                <Show when=move || ide.can_change()>
                    <button title="New file" aria-label="New file" on:click=move |_| new_entry(EntryKind::File)>
                        <Svg icon=Icon::NewFile />
                    </button>
                    <button title="New folder" aria-label="New folder" on:click=move |_| new_entry(EntryKind::Folder)>
                        <Svg icon=Icon::NewFolder />
                    </button>
                </Show>
                <button title="Refresh" aria-label="Refresh files" on:click=move |_| ide.refresh_tree()>
                    <Svg icon=Icon::Refresh />
                </button>
            </div>
            <UploadZone>
                <ul class="tree" role="tree">
                    <Folder path=WorkspacePath::root() depth=0 />
                </ul>
            </UploadZone>
        </nav>
    }
}

/// The entries of one expanded folder, listed again whenever the tree refreshes.
#[component]
fn Folder(path: WorkspacePath, depth: usize) -> impl IntoView {
    let ide = expect_context::<Ide>();
    let listed = path.clone();
    let entries = LocalResource::new(move || {
        ide.refresh.track();
        list_folder(ide.workspace(), listed.absolute())
    });
    let creating_here = {
        let path = path.clone();
        move || match ide.name_edit.get() {
            Some(NameEdit::Create { folder, kind }) if folder == path => Some(kind),
            _ => None,
        }
    };
    view! {
        {move || creating_here().map(|kind| {
            let folder = path.clone();
            view! {
                <li class="tree-row" style:padding-left=indent(depth)>
                    <Svg icon=icon(kind, false) />
                    <NameField initial=String::new() on_done=move |name| create(ide, &folder, kind, name) />
                </li>
            }
        })}
        {move || match entries.get() {
            None => Some(view! { <li class="muted tree-row" style:padding-left=indent(depth)>"Loading…"</li> }.into_any()),
            Some(Err(error)) => {
                let stopped = matches!(error, AppError::NotRunning(_));
                Some(view! {
                    <li class="tree-error" role="alert" style:padding-left=indent(depth)>
                        {error.to_string()}
                        {stopped.then(|| view! { <StartButton /> })}
                    </li>
                }.into_any())
            }
            Some(Ok(list)) if list.is_empty() && depth == 0 => Some(view! {
                <li class="muted tree-row">"The workspace is empty. Create a file or drop one here."</li>
            }.into_any()),
            Some(Ok(_)) => None,
        }}
        // Keyed, so a refresh that finds the same entries keeps their rows (open folders,
        // a rename in progress) instead of drawing them anew.
        <For
            each=move || entries.get().and_then(Result::ok).unwrap_or_default()
            key=FileEntry::clone
            let:entry
        >
            <Entry entry depth />
        </For>
    }
}

#[component]
fn Entry(entry: FileEntry, depth: usize) -> impl IntoView {
    let ide = expect_context::<Ide>();
    let path = entry.path.clone();
    let is_folder = entry.kind == EntryKind::Folder;
    let expanded = {
        let path = path.clone();
        Memo::new(move |_| ide.expanded.with(|e| e.contains(&path)))
    };
    let renaming = {
        let path = path.clone();
        move || matches!(ide.name_edit.get(), Some(NameEdit::Rename { path: p }) if p == path)
    };
    let selected = {
        let path = path.clone();
        move || {
            ide.selected
                .with(|s| s.as_ref().is_some_and(|s| s.path == path))
        }
    };
    let activate = {
        let entry = entry.clone();
        move |_| {
            ide.selected.set(Some(entry.clone()));
            match entry.kind {
                EntryKind::Folder => ide.expanded.update(|e| {
                    if !e.remove(&entry.path) {
                        e.insert(entry.path.clone());
                    }
                }),
                EntryKind::File => ide.open_file(entry.path.clone()),
                EntryKind::Other => ide.info(format!("{} is not a regular file.", entry.path)),
            }
        }
    };
    let start_rename = {
        let path = path.clone();
        move |_| {
            ide.name_edit
                .set(Some(NameEdit::Rename { path: path.clone() }))
        }
    };
    let remove = {
        let path = path.clone();
        move |_| delete(ide, path.clone(), is_folder)
    };
    let name = entry.name().to_owned();
    let label = name.clone();
    let download = ide.download_url(&path);
    let children = path.clone();
    let renamed = path.clone();
    view! {
        <li role="treeitem" aria-expanded=move || is_folder.then(|| expanded.get().to_string())>
            <div class="tree-row" class:selected=selected style:padding-left=indent(depth)
                data-path=path.absolute() data-folder=is_folder.to_string()>
                <Show
                    when=renaming
                    fallback={
                        let activate = activate.clone();
                        let start_rename = start_rename.clone();
                        let name = name.clone();
                        move || view! {
                            <button class="tree-name" on:click=activate.clone() on:dblclick=start_rename.clone()
                                title=if entry.symlink { "Symbolic link" } else { "" }>
                                {move || view! { <Svg icon=icon(entry.kind, expanded.get()) /> }}
                                <span class:symlink=entry.symlink>{name.clone()}</span>
                            </button>
                        }
                    }
                >
                    {
                        let renamed = renamed.clone();
                        let name = name.clone();
                        view! { <NameField initial=name on_done=move |new| rename(ide, &renamed, new) /> }
                    }
                </Show>
                <span class="row-actions">
                    <button title="Rename" aria-label=format!("Rename {label}") on:click=start_rename.clone()>
                        <Svg icon=Icon::Rename />
                    </button>
                    <a href=download download="" title="Download" aria-label=format!("Download {label}")>
                        <Svg icon=Icon::Download />
                    </a>
                    <button title="Delete" aria-label=format!("Delete {label}") on:click=remove>
                        <Svg icon=Icon::Delete />
                    </button>
                </span>
            </div>
            {move || (is_folder && expanded.get()).then(|| {
                view! { <ul role="group"><Folder path=children.clone() depth=depth + 1 /></ul> }.into_any()
            })}
        </li>
    }
}

/// Starts a stopped workspace from the IDE; the tree reloads, and a terminal reconnects
/// with a key press.
#[component]
fn StartButton() -> impl IntoView {
    let ide = expect_context::<Ide>();
    let starting = RwSignal::new(false);
    let start = move |_| {
        let workspace = ide.workspace.get_value();
        starting.set(true);
        leptos::task::spawn_local(async move {
            match start_workspace(workspace).await {
                Ok(()) => ide.info("Workspace started. Press a key in a terminal to reconnect it."),
                Err(error) => ide.error(&error),
            }
            starting.set(false);
            ide.refresh_tree();
        });
    };
    view! {
        <button class="button primary start" disabled=move || starting.get() on:click=start>
            {move || if starting.get() { "Starting…" } else { "Start workspace" }}
        </button>
    }
}

/// An inline name input: Enter confirms, Escape or leaving it cancels.
#[component]
fn NameField(initial: String, on_done: impl Fn(String) + Clone + 'static) -> impl IntoView {
    let ide = expect_context::<Ide>();
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = input.get() {
            let _ = input.focus();
            input.select();
        }
    });
    view! {
        <input class="name-field" node_ref=input value=initial aria-label="Name"
            on:keydown=move |ev| match ev.key().as_str() {
                "Enter" => {
                    ev.prevent_default();
                    on_done(event_target_value(&ev));
                }
                "Escape" => ide.name_edit.set(None),
                _ => {}
            }
            on:blur=move |_| ide.name_edit.set(None)
        />
    }
}

fn indent(depth: usize) -> String {
    format!("{}rem", 0.5 + depth as f64 * 1.0)
}

fn icon(kind: EntryKind, expanded: bool) -> Icon {
    match (kind, expanded) {
        (EntryKind::Folder, true) => Icon::FolderOpen,
        (EntryKind::Folder, false) => Icon::Folder,
        (EntryKind::File, _) => Icon::File,
        (EntryKind::Other, _) => Icon::Other,
    }
}

/// Runs a tree change, then relists; errors go to the status line.
fn change(
    ide: Ide,
    done: impl Into<String> + 'static,
    task: impl std::future::Future<Output = Result<(), AppError>> + 'static,
) {
    leptos::task::spawn_local(async move {
        match task.await {
            Ok(()) => ide.info(done),
            Err(error) => ide.error(&error),
        }
        ide.refresh_tree();
    });
}

fn create(ide: Ide, folder: &WorkspacePath, kind: EntryKind, name: String) {
    ide.name_edit.set(None);
    let path = match folder.join(name.trim()) {
        Ok(path) => path,
        Err(error) => return ide.error(&error),
    };
    let workspace = ide.workspace();
    let absolute = path.absolute();
    match kind {
        EntryKind::Folder => change(
            ide,
            format!("Created {absolute}"),
            create_folder(workspace, absolute.clone()),
        ),
        _ => {
            let opened = path.clone();
            change(ide, format!("Created {absolute}"), async move {
                create_file(workspace, absolute).await?;
                ide.open_file(opened);
                Ok(())
            })
        }
    }
}

fn rename(ide: Ide, from: &WorkspacePath, name: String) {
    ide.name_edit.set(None);
    let Some(parent) = from.parent() else { return };
    let to = match parent.join(name.trim()) {
        Ok(to) if &to != from => to,
        Ok(_) => return,
        Err(error) => return ide.error(&error),
    };
    let (from, workspace) = (from.clone(), ide.workspace());
    change(ide, format!("Renamed to {to}"), async move {
        rename_path(workspace, from.absolute(), to.absolute()).await?;
        // Open editors follow the file, or the files inside the folder.
        ide.open_files.with_untracked(|files| {
            for file in files {
                file.path.update(|path| {
                    if let Some(moved) = path.rebase(&from, &to) {
                        *path = moved;
                    }
                });
            }
        });
        Ok(())
    });
}

fn delete(ide: Ide, path: WorkspacePath, is_folder: bool) {
    let what = if is_folder { "the folder" } else { "" };
    let question = format!(
        "Delete {what} {path}{}? This cannot be undone.",
        if is_folder {
            " and everything in it"
        } else {
            ""
        }
    );
    if !window().confirm_with_message(&question).unwrap_or(false) {
        return;
    }
    let workspace = ide.workspace();
    change(ide, format!("Deleted {path}"), async move {
        delete_path(workspace, path.absolute()).await?;
        let closed: Vec<u32> = ide.open_files.with_untracked(|files| {
            files
                .iter()
                .filter(|f| f.path.get_untracked().starts_with(&path))
                .map(|f| f.id)
                .collect()
        });
        closed.into_iter().for_each(|id| ide.close_file(id));
        Ok(())
    });
}
