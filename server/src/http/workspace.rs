//! The workspace a route's path names (`/{owner}/{workspace}` or `/{owner}/{name}`),
//! resolved for the caller before the handler runs: [`InWorkspace<ToView>`] or
//! [`InWorkspace<ToUse>`] in a handler's arguments is the whole check, and whoever may not
//! see the workspace gets 404 whatever else the request says.

use std::collections::HashMap;
use std::marker::PhantomData;

use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use super::state::AppState;
use crate::access::policy::Action;
use crate::access::Resolved;

/// The action a route takes on the workspace its path names.
pub trait Needs: Send + Sync {
    const ACTION: Action;
}

/// Seeing it: reading, watching, following.
pub struct ToView;
/// Using it: typing, changing, running.
pub struct ToUse;

impl Needs for ToView {
    const ACTION: Action = Action::View;
}

impl Needs for ToUse {
    const ACTION: Action = Action::Use;
}

/// The workspace the path names, resolved for the caller for the action `A` stands for.
pub struct InWorkspace<A> {
    pub resolved: Resolved,
    pub actor: Actor,
    action: PhantomData<A>,
}

impl<A: Needs> FromRequestParts<AppState> for InWorkspace<A> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let actor = Actor::from_request_parts(parts, state).await?;
        let reference = named(parts, state).await?;
        let resolved = state
            .resolver
            .resolve(&actor, &reference, A::ACTION)
            .await?;
        Ok(Self {
            resolved,
            actor,
            action: PhantomData,
        })
    }
}

/// The workspace the path names, as written: not yet resolved for anyone.
async fn named(parts: &mut Parts, state: &AppState) -> Result<WorkspaceRef, AppError> {
    let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?;
    let owner = params.get("owner");
    let name = params.get("workspace").or_else(|| params.get("name"));
    match (owner, name) {
        (Some(owner), Some(name)) => WorkspaceRef::parse(&format!("{owner}/{name}")),
        _ => Err(AppError::Internal(
            "this route's path names no workspace".into(),
        )),
    }
}
