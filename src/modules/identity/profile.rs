//! The profile its owner edits: display name, bio, avatar URL, locale and time zone.

use chrono::Utc;
use entity::users;
use kernel::{Actor, AppError, AppResult, FieldError, RequestMeta};
use sea_orm::{ActiveModelTrait, Set, TransactionTrait};

use super::accounts::get_user;
use super::dto::{UpdateProfileRequest, UserResponse};
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;

fn check_profile(req: &UpdateProfileRequest) -> AppResult<()> {
    let mut errors = Vec::new();
    if let Some(name) = &req.display_name
        && (name.trim().is_empty() || name.chars().count() > 100)
    {
        errors.push(FieldError::new(
            "#/display_name",
            "must be 1 to 100 characters",
        ));
    }
    if let Some(bio) = &req.bio
        && bio.chars().count() > 2000
    {
        errors.push(FieldError::new("#/bio", "must be at most 2000 characters"));
    }
    if let Some(Some(url)) = &req.avatar_url
        && !kernel::text::is_https_url(url)
    {
        errors.push(FieldError::new("#/avatar_url", "must be an https:// URL"));
    }
    if let Some(locale) = &req.locale {
        let ok = (2..=35).contains(&locale.len())
            && locale
                .split('-')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()));
        if !ok {
            errors.push(FieldError::new(
                "#/locale",
                "must be a language tag like `en` or `en-ZA`",
            ));
        }
    }
    if let Some(tz) = &req.time_zone {
        let ok = (1..=64).contains(&tz.len())
            && tz
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c))
            && (tz == "UTC" || tz.contains('/'));
        if !ok {
            errors.push(FieldError::new(
                "#/time_zone",
                "must be an IANA zone like `Africa/Johannesburg`",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

/// Changes the fields the request names; the others stay.
pub async fn update_profile(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    req: UpdateProfileRequest,
) -> AppResult<UserResponse> {
    check_profile(&req)?;
    let mut account = users::ActiveModel {
        id: Set(user.id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    if let Some(name) = &req.display_name {
        account.display_name = Set(name.trim().to_owned());
    }
    if let Some(bio) = &req.bio {
        account.bio = Set(bio.to_string());
    }
    if let Some(avatar_url) = &req.avatar_url {
        account.avatar_url = Set(avatar_url.as_ref().map(|u| u.to_string()));
    }
    if let Some(locale) = &req.locale {
        account.locale = Set(locale.to_string());
    }
    if let Some(time_zone) = &req.time_zone {
        account.time_zone = Set(time_zone.to_string());
    }
    let txn = state.db.begin().await?;
    account.update(&txn).await?;
    let changed: Vec<&str> = [
        ("display_name", req.display_name.is_some()),
        ("bio", req.bio.is_some()),
        ("avatar_url", req.avatar_url.is_some()),
        ("locale", req.locale.is_some()),
        ("time_zone", req.time_zone.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.then_some(k))
    .collect();
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "user.update_profile",
            "user",
            Some(user.id.to_string()),
        )
        .details(serde_json::json!({"fields": changed})),
        client,
    )
    .await?;
    let out = get_user(&txn, user.id).await?;
    txn.commit().await?;
    Ok(out)
}
