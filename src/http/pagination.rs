//! Page-numbered lists for catalogs: `page` (from 1) and `per_page` (1 to 100) in, and
//! `{items, page, per_page, total}` out. Feeds use keyset cursors instead (see each module).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{AppError, AppResult, FieldError};

pub const DEFAULT_PER_PAGE: u64 = 20;
pub const MAX_PER_PAGE: u64 = 100;

/// One page of a catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    /// Items across all pages.
    pub total: u64,
}

/// Validated paging parameters.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Paging {
    pub page: u64,
    pub per_page: u64,
}

impl Paging {
    /// Checks `page` >= 1 and `per_page` in 1..=100 (defaults 1 and 20).
    pub fn new(page: Option<u64>, per_page: Option<u64>) -> AppResult<Self> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        let mut errors = Vec::new();
        if page == 0 {
            errors.push(FieldError::new("page", "must be at least 1"));
        }
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            errors.push(FieldError::new("per_page", "must be between 1 and 100"));
        }
        if errors.is_empty() {
            Ok(Self { page, per_page })
        } else {
            Err(AppError::validation(errors))
        }
    }

    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    pub fn wrap<T: ToSchema>(&self, items: Vec<T>, total: u64) -> Page<T> {
        Page {
            items,
            page: self.page,
            per_page: self.per_page,
            total,
        }
    }
}

/// Validated parameters of a keyset feed: `limit` (1..=`max`, default 50) and the cursor
/// (the key to continue after, as the feed's previous page handed it out).
pub fn feed_params<K: std::str::FromStr>(
    limit: Option<u32>,
    cursor: Option<&str>,
    max: u32,
) -> AppResult<(u32, Option<K>)> {
    let limit = limit.unwrap_or(50.min(max));
    if !(1..=max).contains(&limit) {
        return Err(AppError::validation(vec![FieldError::new(
            "limit",
            format!("must be between 1 and {max}"),
        )]));
    }
    let cursor = cursor
        .map(|c| {
            c.parse().map_err(|_| {
                AppError::validation(vec![FieldError::new(
                    "cursor",
                    "not a cursor from this API",
                )])
            })
        })
        .transpose()?;
    Ok((limit, cursor))
}

/// Cuts a feed page fetched with `limit + 1` rows to `limit`, and gives the next cursor when
/// there is more.
pub fn feed_page<T>(
    mut items: Vec<T>,
    limit: u32,
    cursor_of: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    if items.len() > limit as usize {
        items.truncate(limit as usize);
        let next = items.last().map(cursor_of);
        (items, next)
    } else {
        (items, None)
    }
}
