//! What a new workspace starts with, chosen in the create form: an archive (an export, say)
//! unpacked into `/workspace`, or a git repository cloned there. It is put in once the
//! workspace runs; if that fails the workspace stays, and the form says what went wrong.

use leptos::prelude::*;

use super::archive;
use crate::api::files::clone_repository;
use crate::error::{AppError, Field};
use crate::model::{GitSource, Workspace};

#[derive(Clone, Copy, Default)]
pub struct Seed {
    archive: NodeRef<leptos::html::Input>,
    repository: RwSignal<String>,
    branch: RwSignal<String>,
    /// What is being put in, while it is.
    pub busy: RwSignal<Option<&'static str>>,
}

enum Chosen {
    Nothing,
    Archive(web_sys::File),
    Repository(GitSource),
}

impl Seed {
    /// Checks the choice before the workspace is made, so a typo costs nothing.
    pub fn check(self) -> Result<(), AppError> {
        self.chosen().map(drop)
    }

    fn chosen(self) -> Result<Chosen, AppError> {
        let file = self
            .archive
            .get_untracked()
            .and_then(|input| input.files())
            .and_then(|files| files.get(0));
        let repository = GitSource::parse(
            &self.repository.get_untracked(),
            &self.branch.get_untracked(),
        )?;
        match (file, repository) {
            (Some(_), Some(_)) => Err(AppError::invalid(
                Field::Repository,
                "Start from an archive or from a repository, not both.",
            )),
            (Some(file), None) => Ok(Chosen::Archive(file)),
            (None, Some(source)) => Ok(Chosen::Repository(source)),
            (None, None) => Ok(Chosen::Nothing),
        }
    }

    /// Puts the chosen content into the new `workspace`, then reports what to say:
    /// `running` with what was put in, or an error that still says the workspace runs.
    pub fn fill(self, workspace: &Workspace, report: impl Fn(Result<String, AppError>) + 'static) {
        let running = format!("Workspace {} is running.", workspace.name);
        let chosen = match self.chosen() {
            Ok(Chosen::Nothing) | Err(_) => return report(Ok(running)),
            Ok(chosen) => chosen,
        };
        self.clear();
        let reference = workspace.reference().to_string();
        leptos::task::spawn_local(async move {
            let outcome = match chosen {
                Chosen::Nothing => Ok(String::new()),
                Chosen::Archive(file) => {
                    self.busy
                        .set(Some("Unpacking the archive into /workspace…"));
                    archive::unpack(&reference, &file)
                        .await
                        .map(|()| format!("The files of {} are in it.", file.name()))
                }
                Chosen::Repository(source) => {
                    self.busy
                        .set(Some("Cloning the repository into /workspace…"));
                    clone_repository(reference, source.url.clone(), source.branch)
                        .await
                        .map(|()| format!("{} is cloned into /workspace.", source.url))
                        .map_err(|error| error.to_string())
                }
            };
            self.busy.set(None);
            report(match outcome {
                Ok(done) => Ok(format!("{running} {done}")),
                Err(failed) => Err(AppError::FileRefused(format!("{running} {failed}"))),
            });
        });
    }

    fn clear(self) {
        if let Some(input) = self.archive.get_untracked() {
            input.set_value("");
        }
        self.repository.set(String::new());
        self.branch.set(String::new());
    }
}

/// The form's fields for the choice.
#[component]
pub fn SeedFields(seed: Seed, #[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <fieldset class="seed">
            <legend>"Start with (optional)"</legend>
            <div class="field">
                <label for="ws-archive">"An archive"</label>
                <input
                    id="ws-archive"
                    name="archive"
                    type="file"
                    accept=".tar,.tar.gz,.tgz,application/x-tar,application/gzip"
                    node_ref=seed.archive
                    aria-describedby="ws-archive-help"
                />
                <small id="ws-archive-help" class="muted">
                    "A .tar or .tar.gz, such as a workspace's Export: unpacked into /workspace."
                </small>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="ws-repository">"Or a git repository"</label>
                    <input
                        id="ws-repository"
                        name="repository"
                        autocomplete="off"
                        spellcheck="false"
                        placeholder="https://example.com/team/project.git"
                        prop:value=move || seed.repository.get()
                        on:input=move |ev| seed.repository.set(event_target_value(&ev))
                        aria-describedby="ws-repository-help ws-repository-error"
                    />
                </div>
                <div class="field">
                    <label for="ws-branch">"Branch"</label>
                    <input
                        id="ws-branch"
                        name="branch"
                        autocomplete="off"
                        spellcheck="false"
                        placeholder="its default"
                        prop:value=move || seed.branch.get()
                        on:input=move |ev| seed.branch.set(event_target_value(&ev))
                    />
                </div>
            </div>
            <small id="ws-repository-help" class="muted">
                "Cloned into /workspace as the workspace user; the image needs git (the dev image has it)."
            </small>
            <p id="ws-repository-error" class="field-error" role="alert">{error}</p>
        </fieldset>
    }
}
