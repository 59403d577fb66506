//! Authorization, the one call every module makes before acting:
//! `authz::require(state, actor, "course:publish", scope)`.
//!
//! The caller's grants are loaded once per request (through the rbac module's loader, plugged
//! in as a hook) and cached on the [`Actor`]. An API key limits its actor to the permissions it
//! lists; permissions in `security.verified_email_required` also need a verified email.

use kernel::{Actor, AppError, AppResult, ErrorCode, GrantSet, Scope, ScopeType};

use crate::state::AppState;

/// The caller's grants, loaded once per request.
pub async fn grants<'a>(state: &AppState, actor: &'a Actor) -> AppResult<&'a GrantSet> {
    actor
        .grants_with(|| (state.hooks.load_grants)(&state.db, actor.id))
        .await
}

/// Whether the caller may use `permission` in `scope`.
pub async fn allowed(
    state: &AppState,
    actor: &Actor,
    permission: &str,
    scope: Scope,
) -> AppResult<bool> {
    Ok(grants(state, actor)
        .await?
        .allows(permission, &scope, actor.key_permissions()))
}

/// Refuses with 403 unless the caller may use `permission` in `scope`.
pub async fn require(
    state: &AppState,
    actor: &Actor,
    permission: &str,
    scope: Scope,
) -> AppResult<()> {
    if !actor.email_verified
        && state
            .settings
            .security
            .verified_email_required
            .iter()
            .any(|p| p == permission)
    {
        return Err(AppError::new(
            ErrorCode::EmailNotVerified,
            "verify your email address before doing this",
        ));
    }
    if allowed(state, actor, permission, scope).await? {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "you lack the permission `{permission}` here"
        )))
    }
}

/// A scope named by its parts (`scope_type`, `scope_id`; 422 when they do not fit together),
/// completed as [`resolve`] does; `None` when it names nothing.
pub async fn resolve_parts(
    state: &AppState,
    kind: ScopeType,
    id: Option<uuid::Uuid>,
) -> AppResult<Option<Scope>> {
    resolve(state, Scope::from_parts(kind, id)?).await
}

/// A scope named by id, completed with what owns it (a course with its organization); `None`
/// when it names nothing.
pub async fn resolve(state: &AppState, scope: Scope) -> AppResult<Option<Scope>> {
    (state.hooks.resolve_scope)(&state.db, scope).await
}
