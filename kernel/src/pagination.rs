//! Lists. Catalogs are page-numbered: `page` (1 to [`MAX_PAGE`]) and `per_page` (1 to
//! [`MAX_PER_PAGE`]) in, `{items, page, per_page, total}` out. Feeds use keyset cursors:
//! `limit` and an opaque `cursor` in, `{items, next_cursor}` out.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, AppResult, FieldError};

pub const DEFAULT_PER_PAGE: u64 = 20;
pub const MAX_PER_PAGE: u64 = 100;
/// The last page anyone may ask for: `page * per_page` stays far inside `i64`.
pub const MAX_PAGE: u64 = 1_000_000;

/// One page of a catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub page: u64,
    #[schema(minimum = 1, maximum = 100)]
    pub per_page: u64,
    /// Items across all pages.
    pub total: u64,
}

/// The paging parameters of a catalog, as the query string carries them.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    /// Items per page (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// Validated paging parameters.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Paging {
    pub page: u64,
    pub per_page: u64,
}

impl Paging {
    /// Checks `page` in 1..=`MAX_PAGE` and `per_page` in 1..=100 (defaults 1 and 20).
    pub fn new(page: Option<u64>, per_page: Option<u64>) -> AppResult<Self> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        let mut errors = Vec::new();
        if !(1..=MAX_PAGE).contains(&page) {
            errors.push(FieldError::new(
                "page",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
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

    pub fn of(q: PageQuery) -> AppResult<Self> {
        Self::new(q.page, q.per_page)
    }

    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// `LIMIT` and `OFFSET` as SQL values.
    pub fn limit_i64(&self) -> i64 {
        self.per_page as i64
    }

    pub fn offset_i64(&self) -> i64 {
        i64::try_from(self.offset()).unwrap_or(i64::MAX)
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
            // Cursors are what the API handed out: never signed numbers.
            if c.starts_with(['+', '-']) {
                return Err(AppError::validation(vec![FieldError::new(
                    "cursor",
                    "not a cursor from this API",
                )]));
            }
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

/// A feed's `limit` query parameter: `default` when absent, else 1 to `max` (422 otherwise).
pub fn feed_limit(limit: Option<u32>, default: u32, max: u32) -> AppResult<i64> {
    let n = limit.unwrap_or(default);
    if (1..=max).contains(&n) {
        Ok(i64::from(n))
    } else {
        Err(AppError::validation(vec![FieldError::new(
            "limit",
            format!("must be between 1 and {max}"),
        )]))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn page_is_bounded_so_offsets_never_overflow() {
        assert!(Paging::new(Some(0), None).is_err());
        assert!(Paging::new(Some(i64::MAX as u64), None).is_err());
        assert!(Paging::new(Some(MAX_PAGE + 1), None).is_err());
        let last = Paging::new(Some(MAX_PAGE), Some(MAX_PER_PAGE)).unwrap();
        assert!(last.offset_i64() > 0 && last.offset_i64() < i64::MAX / 2);
        assert!(Paging::new(None, Some(101)).is_err());
    }
}
