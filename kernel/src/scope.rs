//! Scopes and grants: where a permission applies and what a user holds. Pure rules,
//! unit-tested; loading grants is the rbac module's job.
//!
//! A grant covers a target scope when it is global, when it is the same scope, or when it is
//! the organization that owns the target course.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, FieldError};

/// Where a permission applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    Organization(Uuid),
    /// A course, with the organization that owns it (if any): an organization grant covers it.
    Course {
        id: Uuid,
        organization_id: Option<Uuid>,
    },
}

// Also stored (`role_assignments.scope_type`), hence the SeaORM derive.
/// Kind of scope, as in the API.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    sea_orm::EnumIter,
    sea_orm::DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ScopeType {
    #[sea_orm(string_value = "global")]
    Global,
    #[sea_orm(string_value = "organization")]
    Organization,
    #[sea_orm(string_value = "course")]
    Course,
}

impl ScopeType {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeType::Global => "global",
            ScopeType::Organization => "organization",
            ScopeType::Course => "course",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "global" => Some(ScopeType::Global),
            "organization" => Some(ScopeType::Organization),
            "course" => Some(ScopeType::Course),
            _ => None,
        }
    }
}

impl Scope {
    /// `(scope_type, scope_id)` as stored.
    pub fn parts(&self) -> (ScopeType, Option<Uuid>) {
        match *self {
            Scope::Global => (ScopeType::Global, None),
            Scope::Organization(id) => (ScopeType::Organization, Some(id)),
            Scope::Course { id, .. } => (ScopeType::Course, Some(id)),
        }
    }

    /// Builds a scope from API input, with field errors pointing at `#/scope_id`.
    pub fn from_parts(kind: ScopeType, id: Option<Uuid>) -> Result<Scope, AppError> {
        match (kind, id) {
            (ScopeType::Global, None) => Ok(Scope::Global),
            (ScopeType::Organization, Some(id)) => Ok(Scope::Organization(id)),
            (ScopeType::Course, Some(id)) => Ok(Scope::Course {
                id,
                organization_id: None,
            }),
            (ScopeType::Global, Some(_)) => Err(AppError::validation(vec![FieldError::new(
                "#/scope_id",
                "a global scope has no scope_id",
            )])),
            (_, None) => Err(AppError::validation(vec![FieldError::new(
                "#/scope_id",
                "organization and course scopes need a scope_id",
            )])),
        }
    }

    /// Whether a grant in `self` applies to `target`.
    pub fn covers(&self, target: &Scope) -> bool {
        match (self, target) {
            (Scope::Global, _) => true,
            (Scope::Organization(a), Scope::Organization(b)) => a == b,
            (
                Scope::Organization(a),
                Scope::Course {
                    organization_id: Some(b),
                    ..
                },
            ) => a == b,
            (Scope::Course { id: a, .. }, Scope::Course { id: b, .. }) => a == b,
            _ => false,
        }
    }
}

/// One effective permission of a user, and where it comes from.
#[derive(Debug, Clone)]
pub struct Grant {
    pub permission: String,
    pub scope: Scope,
    pub expires_at: Option<DateTime<Utc>>,
    /// Role name the permission comes through, or `direct`.
    pub source: String,
}

/// A role a user holds (directly or as an ancestor of an assigned role), in a scope.
#[derive(Debug, Clone)]
pub struct HeldRole {
    pub name: String,
    pub scope: Scope,
}

/// Everything a user may do, loaded once per request.
#[derive(Debug, Clone, Default)]
pub struct GrantSet {
    pub grants: Vec<Grant>,
    pub roles: Vec<HeldRole>,
}

impl GrantSet {
    /// Whether the set allows `permission` in `scope`, limited to `key_permissions` for API keys.
    pub fn allows(
        &self,
        permission: &str,
        scope: &Scope,
        key_permissions: Option<&[String]>,
    ) -> bool {
        if key_permissions.is_some_and(|k| !k.iter().any(|p| p == permission)) {
            return false;
        }
        let now = Utc::now();
        self.grants.iter().any(|g| {
            g.permission == permission
                && g.expires_at.is_none_or(|e| e > now)
                && g.scope.covers(scope)
        })
    }

    /// Whether the user holds `role` in a scope covering `scope`.
    pub fn holds_role(&self, role: &str, scope: &Scope) -> bool {
        self.roles
            .iter()
            .any(|r| r.name == role && r.scope.covers(scope))
    }

    /// Whether the user holds `permission` in any scope at all.
    pub fn has_anywhere(&self, permission: &str) -> bool {
        let now = Utc::now();
        self.grants
            .iter()
            .any(|g| g.permission == permission && g.expires_at.is_none_or(|e| e > now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(permission: &str, scope: Scope, expires_at: Option<DateTime<Utc>>) -> Grant {
        Grant {
            permission: permission.into(),
            scope,
            expires_at,
            source: "test".into(),
        }
    }

    #[test]
    fn scopes_cover_downwards_only() {
        let org = Uuid::now_v7();
        let other = Uuid::now_v7();
        let course = Scope::Course {
            id: Uuid::now_v7(),
            organization_id: Some(org),
        };
        assert!(Scope::Global.covers(&course));
        assert!(Scope::Organization(org).covers(&course));
        assert!(!Scope::Organization(other).covers(&course));
        assert!(!course.covers(&Scope::Organization(org)));
        assert!(!Scope::Organization(org).covers(&Scope::Global));
    }

    #[test]
    fn expired_grants_and_key_limits_deny() {
        let past = Utc::now() - chrono::Duration::seconds(1);
        let set = GrantSet {
            grants: vec![
                grant("course:create", Scope::Global, None),
                grant("audit:read", Scope::Global, Some(past)),
            ],
            roles: vec![],
        };
        assert!(set.allows("course:create", &Scope::Global, None));
        assert!(!set.allows("audit:read", &Scope::Global, None));
        let key = vec!["forum:post".to_owned()];
        assert!(!set.allows("course:create", &Scope::Global, Some(&key)));
    }
}
