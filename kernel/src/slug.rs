//! Slugs: lower-case letters and digits in words joined by `-`, at most 60 characters, unique
//! per kind of thing (organizations, courses, paths, categories).

use crate::error::{AppError, ErrorCode, FieldError};

/// What a valid slug looks like, for field errors.
pub const SLUG_RULE: &str = "lower-case letters and digits in words joined by `-`, at most 60";

/// A slug derived from a name (`"Azora Academy!"` -> `"azora-academy"`).
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-')
        .chars()
        .take(60)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

/// A slug for a name: [`slugify`], or `item-<8 hex>` when the name holds no ASCII letter or
/// digit (a title in another script still gets a valid slug).
pub fn derive_slug(name: &str) -> String {
    let slug = slugify(name);
    if slug.is_empty() {
        let id = uuid::Uuid::new_v4().simple().to_string();
        format!("item-{}", &id[..8])
    } else {
        slug
    }
}

pub fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 60
        && slug.split('-').all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// 409 `slug_taken`, pointing at `#/slug`.
pub fn slug_taken(slug: &str) -> AppError {
    AppError::new(ErrorCode::SlugTaken, format!("the slug `{slug}` is taken"))
        .with_errors(vec![FieldError::new("#/slug", "taken")])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Azora Academy!"), "azora-academy");
        assert_eq!(slugify("  --Rust 101--  "), "rust-101");
        assert!(valid_slug("rust-101"));
        assert!(!valid_slug("Rust"));
        assert!(!valid_slug("a--b"));
        assert!(!valid_slug(&"a".repeat(61)));
        assert!(valid_slug(&derive_slug("数学")));
        assert_eq!(derive_slug("Rust 101"), "rust-101");
    }
}
