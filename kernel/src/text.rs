//! Bounded text: every text a client sends has a maximum length, declared in the OpenAPI
//! schema (`maxLength`) and enforced while the request is parsed, before any database sees it.
//!
//! - [`Line<N>`]: one line (names, titles, slugs, search terms): no control characters.
//! - [`Text<N>`]: free text (descriptions, bodies): line breaks and tabs allowed, other control
//!   characters refused.
//!
//! `N` counts Unicode scalar values (what users call characters). Emptiness and other rules stay
//! with the service that knows the field.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize};

/// Marks a deserialization error as a broken rule of a well-formed value (422), as opposed to
/// a value of the wrong type (400 for query strings). Extractors strip it from the message.
pub const RULE: &str = "rule: ";

/// The longest email address (RFC 5321 path limit).
pub const EMAIL_MAX: usize = 254;

macro_rules! bounded {
    ($(#[$doc:meta])* $name:ident, $allow_breaks:expr, $pattern:expr) => {
        $(#[$doc])*
        #[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name<const MAX: usize>(String);

        impl<const MAX: usize> $name<MAX> {
            /// Checks `s` against the rules of this type.
            pub fn new(s: impl Into<String>) -> Result<Self, String> {
                let s = s.into();
                check(&s, MAX, $allow_breaks)?;
                Ok(Self(s))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl<const MAX: usize> std::str::FromStr for $name<MAX> {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::new(s)
            }
        }

        impl<const MAX: usize> Deref for $name<MAX> {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl<const MAX: usize> AsRef<str> for $name<MAX> {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<const MAX: usize> fmt::Debug for $name<MAX> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl<const MAX: usize> fmt::Display for $name<MAX> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<const MAX: usize> From<$name<MAX>> for String {
            fn from(v: $name<MAX>) -> String {
                v.0
            }
        }

        impl<const MAX: usize> From<$name<MAX>> for sea_orm::Value {
            fn from(v: $name<MAX>) -> sea_orm::Value {
                v.0.into()
            }
        }

        impl<const MAX: usize> sea_orm::sea_query::Nullable for $name<MAX> {
            fn null() -> sea_orm::Value {
                sea_orm::Value::String(None)
            }
        }

        impl<const MAX: usize> sea_orm::sea_query::value::postgres_array::NotU8 for $name<MAX> {}

        impl<const MAX: usize> sea_orm::sea_query::ValueType for $name<MAX> {
            fn try_from(v: sea_orm::Value) -> Result<Self, sea_orm::sea_query::ValueTypeErr> {
                let s = <String as sea_orm::sea_query::ValueType>::try_from(v)?;
                Self::new(s).map_err(|_| sea_orm::sea_query::ValueTypeErr)
            }

            fn type_name() -> String {
                stringify!($name).to_owned()
            }

            fn array_type() -> sea_orm::sea_query::ArrayType {
                sea_orm::sea_query::ArrayType::String
            }

            fn column_type() -> sea_orm::sea_query::ColumnType {
                sea_orm::sea_query::ColumnType::Text
            }
        }

        impl<const MAX: usize> PartialEq<str> for $name<MAX> {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl<const MAX: usize> PartialEq<&str> for $name<MAX> {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl<'de, const MAX: usize> Deserialize<'de> for $name<MAX> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::new(s).map_err(|e| serde::de::Error::custom(format!("{RULE}{e}")))
            }
        }

        impl<const MAX: usize> utoipa::PartialSchema for $name<MAX> {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{ObjectBuilder, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(MAX))
                    .pattern(Some($pattern))
                    .into()
            }
        }

        impl<const MAX: usize> utoipa::ToSchema for $name<MAX> {
            // One component per bound (`Line200`, `Text5000`): a shared name would give every
            // bound the schema of whichever registered first.
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Owned(format!("{}{MAX}", stringify!($name)))
            }
        }
    };
}

/// The schema pattern of [`Line`].
pub const LINE_PATTERN: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";
/// The schema pattern of [`Name`].
pub const NAME_PATTERN: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$";
/// The schema pattern of [`Prose`].
pub const PROSE_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";
/// The schema pattern of [`Text`].
pub const TEXT_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// The schema of a bounded-text component by its name (`Line200`, `Text5000`), for documents
/// that reference one no operation registered (query parameters).
pub fn bounded_schema(component: &str) -> Option<serde_json::Value> {
    let digits = component.find(|c: char| c.is_ascii_digit())?;
    let (kind, max) = component.split_at(digits);
    let max: usize = max.parse().ok()?;
    let pattern = match kind {
        "Line" => LINE_PATTERN,
        "Name" => NAME_PATTERN,
        "Prose" => PROSE_PATTERN,
        "Text" => TEXT_PATTERN,
        _ => return None,
    };
    Some(serde_json::json!({"type": "string", "maxLength": max, "pattern": pattern}))
}

bounded!(
    /// One line of at most `MAX` characters, without control characters.
    Line,
    false,
    LINE_PATTERN
);
bounded!(
    /// A name or title: one line of at most `MAX` characters with at least one visible
    /// character. Parsing checks the length and control characters like [`Line`]; whether it
    /// is blank is the service's rule (so one problem lists every bad field), and the schema
    /// says so with its pattern.
    Name,
    false,
    NAME_PATTERN
);
bounded!(
    /// Free text that must say something (a question's prompt, a reply): like [`Text`], and the
    /// schema's pattern asks for a visible character (the service checks it).
    Prose,
    true,
    PROSE_PATTERN
);
bounded!(
    /// Free text of at most `MAX` characters; line breaks and tabs allowed, other control
    /// characters refused.
    Text,
    true,
    TEXT_PATTERN
);

fn check(s: &str, max: usize, allow_breaks: bool) -> Result<(), String> {
    // Counting stops at the first character past the limit: a megabyte string costs no more.
    if s.chars().nth(max).is_some() {
        return Err(format!("at most {max} characters"));
    }
    let bad = s
        .chars()
        .find(|&c| c.is_control() && !(allow_breaks && matches!(c, '\n' | '\r' | '\t')));
    match bad {
        Some(c) => Err(format!(
            "control characters are not allowed (found U+{:04X})",
            c as u32
        )),
        None => Ok(()),
    }
}

/// The pattern of the URLs Azora stores (links to images, media, websites): `http(s)://`, a host
/// name, an optional port and path, no query or fragment. Declared in the schemas; the check
/// below is the same rule.
pub const URL_PATTERN: &str =
    "^https?://[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$";

/// An absolute `http` or `https` URL of [`URL_PATTERN`]'s shape.
pub fn is_http_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    let Some(rest) = rest else {
        return false;
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    let port_ok =
        port.is_none_or(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    let path_ok = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._~%/-".contains(&b));
    host_ok && port_ok && path_ok && url::Url::parse(s).is_ok()
}

/// Like [`is_http_url`], `https` only.
pub fn is_https_url(s: &str) -> bool {
    s.starts_with("https://") && is_http_url(s)
}

/// Pushes an error at `pointer` unless `value`, trimmed, has 1 to `max` characters.
pub fn check_name(
    pointer: &str,
    value: &str,
    max: usize,
    errors: &mut Vec<crate::error::FieldError>,
) {
    let n = value.trim().chars().count();
    if n == 0 || n > max {
        errors.push(crate::error::FieldError::new(
            pointer,
            format!("must be 1 to {max} characters"),
        ));
    }
}

/// For PATCH fields where `null` means "clear" and absence means "keep":
/// `#[serde(default, deserialize_with = "kernel::text::double_option")]`.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    <Option<T> as Deserialize>::deserialize(d).map(Some)
}

/// An email address as sent: one line of at most 254 characters.
pub type Email = Line<EMAIL_MAX>;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_control_characters() {
        assert!(Line::<3>::new("abc").is_ok());
        assert!(Line::<3>::new("äöü").is_ok(), "characters, not bytes");
        assert_eq!(Line::<3>::new("abcd").unwrap_err(), "at most 3 characters");
        assert!(Line::<10>::new("a\u{7}b").is_err());
        assert!(Line::<10>::new("a\nb").is_err());
        assert!(Text::<10>::new("a\nb\tc\r\n").is_ok());
        assert!(Text::<10>::new("a\u{1b}[31m").is_err());
        assert!(Line::<10>::new("a\u{85}").is_err(), "C1 controls too");
        assert!(is_http_url("https://cdn.example.com/a.png"));
        assert!(is_http_url("http://localhost:8080/x_y-z~%20"));
        assert!(!is_http_url("https://x.example/a*"));
        assert!(!is_http_url("https://x.example/a?b=1"));
        assert!(!is_http_url("ftp://x"));
        assert!(!is_http_url("javascript:alert(1)"));
        assert!(!is_https_url("http://x.example"));
        let parsed: Result<Line<5>, _> = serde_json::from_str("\"toolong\"");
        assert!(parsed.unwrap_err().to_string().starts_with(RULE));
        let ok: Line<5> = serde_json::from_str("\"ok\"").unwrap();
        assert_eq!(ok, "ok");
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"ok\"");
    }
}
