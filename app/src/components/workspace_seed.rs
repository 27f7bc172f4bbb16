//! What a new workspace starts with, chosen in the create form: an archive (an export, say)
//! unpacked into `/workspace`, or a git repository cloned there. The creation puts it in
//! once the workspace runs; an archive is sent to the server first.

use leptos::prelude::*;

use super::archive;
use crate::error::{AppError, Field};
use crate::model::{self, GitSource};

#[derive(Clone, Copy, Default)]
pub struct Seed {
    archive: NodeRef<leptos::html::Input>,
    repository: RwSignal<String>,
    branch: RwSignal<String>,
    /// While the archive is being sent.
    pub sending: RwSignal<bool>,
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

    /// The choice as a creation takes it; a chosen archive is sent to the server first.
    pub async fn prepare(self) -> Result<Option<model::Seed>, AppError> {
        match self.chosen()? {
            Chosen::Nothing => Ok(None),
            Chosen::Repository(source) => Ok(Some(model::Seed::Repository(source))),
            Chosen::Archive(file) => {
                self.sending.set(true);
                let sent = archive::send_ahead(&file).await;
                self.sending.set(false);
                Ok(Some(model::Seed::Archive {
                    upload: sent?.upload,
                    name: file.name(),
                }))
            }
        }
    }

    /// Empties the fields, once a creation took the choice.
    pub fn clear(self) {
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
