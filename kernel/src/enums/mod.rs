//! The closed sets of values the API and the database share (statuses, kinds), one Rust enum
//! each: serialized snake_case, documented as a string `enum` in OpenAPI, and stored as text
//! through SeaORM (`DeriveActiveEnum`), so a value is checked once, where it enters.
//!
//! A value outside the set is a broken rule of a well-formed request (422
//! `validation_failed`), also in query strings.

/// Declares a string enum: `string_enum!(Name, "doc", Variant = "value", ...)`.
#[macro_export]
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, sea_orm::EnumIter, sea_orm::DeriveActiveEnum,
        )]
        #[sea_orm(rs_type = "String", db_type = "Text")]
        pub enum $name {
            $($(#[$vdoc])* #[sea_orm(string_value = $value)] $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as sent and stored.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $value),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($value => Ok($name::$variant),)+
                    _ => Err(format!(
                        "one of {}",
                        [$($value),+].join(", ")
                    )),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(|e| {
                    serde::de::Error::custom(format!("{}{e}", $crate::text::RULE))
                })
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{ObjectBuilder, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([$($value),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.as_str().to_owned()
            }
        }
    };
}

/// An enum value in a request body, checked by the service together with the body's other
/// fields (so one problem lists every bad field), documented as the enum itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Choice<E> {
    raw: String,
    _enum: std::marker::PhantomData<E>,
}

impl<E> Choice<E> {
    /// The value as sent (the field's type documents the allowed values as `E`:
    /// `#[schema(value_type = E)]`).
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl<E: std::str::FromStr<Err = String>> Choice<E> {
    /// The value, or a field error at `pointer` pushed to `errors`.
    pub fn check(&self, pointer: &str, errors: &mut Vec<crate::error::FieldError>) -> Option<E> {
        match self.raw.parse() {
            Ok(v) => Some(v),
            Err(rule) => {
                errors.push(crate::error::FieldError::new(pointer, rule));
                None
            }
        }
    }

    /// The value, or 422 at `pointer`.
    pub fn get(&self, pointer: &str) -> crate::error::AppResult<E> {
        self.raw
            .parse()
            .map_err(|rule: String| crate::error::AppError::field(pointer, rule))
    }
}

impl<E> std::fmt::Debug for Choice<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.raw, f)
    }
}

impl<E> serde::Serialize for Choice<E> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de, E> serde::Deserialize<'de> for Choice<E> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = crate::text::Line::<64>::deserialize(d)?.into_string();
        Ok(Self {
            raw,
            _enum: std::marker::PhantomData,
        })
    }
}

impl<E: std::str::FromStr<Err = String>> std::str::FromStr for Choice<E> {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.parse::<E>()?;
        Ok(Self {
            raw: s.to_owned(),
            _enum: std::marker::PhantomData,
        })
    }
}

impl<E> std::ops::Deref for Choice<E> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.raw
    }
}

impl<E> From<Choice<E>> for sea_orm::Value {
    fn from(v: Choice<E>) -> sea_orm::Value {
        v.raw.into()
    }
}

impl<E> sea_orm::sea_query::Nullable for Choice<E> {
    fn null() -> sea_orm::Value {
        sea_orm::Value::String(None)
    }
}

impl<E> From<E> for Choice<E>
where
    E: std::fmt::Display,
{
    fn from(v: E) -> Self {
        Self {
            raw: v.to_string(),
            _enum: std::marker::PhantomData,
        }
    }
}

mod assessments;
mod certificates;
mod chat;
mod forums;
mod identity;
mod keys;
mod lms;
mod notifications;
mod orgs;
mod wallet;

pub use assessments::{
    AssessmentKind, AttemptStatus, GradebookFormat, GradingPolicy, QuestionKind, SubmissionFilter,
};
pub use certificates::{AchievementKind, BadgeRuleKind, CredentialStatus, StatusPurpose};
pub use chat::{
    FlagAction, FlagReason, FlagState, FlagTarget, PresenceStatus, ReactionKind, RoomKind, RoomRole,
};
pub use forums::{PostOrder, PostingRule, SubscriptionLevel, ThreadKind};
pub use identity::{AccountStatus, EmailTokenPurpose, LoginOutcome, RevokeReason};
pub use keys::KeyPurpose;
pub use lms::{
    CoInstructorRole, CourseLevel, CourseSort, CourseStatus, EnrollmentStatus, InstructorRole,
    LessonKind, PriceFilter, ProgressStatus, ProgressUpdate,
};
pub use notifications::{DeliveryOutcome, MailStatus};
pub use orgs::OrganizationKind;
pub use wallet::{LedgerKind, StakeStatus, SystemWalletKind};

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_strangers_break_a_rule() {
        for kind in OrganizationKind::ALL {
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(
                serde_json::from_str::<OrganizationKind>(&json).unwrap(),
                *kind
            );
        }
        let err = serde_json::from_str::<OrganizationKind>("\"guild\"").unwrap_err();
        assert!(err.to_string().starts_with(crate::text::RULE), "{err}");
    }
}
