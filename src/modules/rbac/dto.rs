//! Request and response types of the RBAC routes.

use chrono::{DateTime, Utc};
use kernel::text::{Line, Text};
use sea_orm::FromQueryResult;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use kernel::ScopeType;

/// A `resource:action` permission.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionResponse {
    #[schema(example = "course:publish")]
    pub key: String,
    pub description: String,
}

/// A role and the permissions it bundles itself (it also inherits its parent's).
#[derive(Debug, Serialize, ToSchema, FromQueryResult)]
pub struct RoleResponse {
    pub id: Uuid,
    #[schema(example = "instructor")]
    pub name: String,
    pub description: String,
    /// The role this one inherits from.
    pub parent: Option<String>,
    /// Seeded by the platform; cannot be changed.
    pub is_system: bool,
    pub permissions: Vec<String>,
}

/// A new custom role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoleRequest {
    /// Lower-case letters, digits and `_`; unique.
    #[schema(value_type = String, example = "teaching_assistant", pattern = "^[a-z][a-z0-9_]{1,49}$", max_length = 50)]
    pub name: Line<64>,
    pub description: Option<Text<1000>>,
    /// Name of the role to inherit from.
    #[schema(example = "student")]
    pub parent: Option<Line<64>>,
    /// Permission keys the role adds.
    #[serde(default)]
    pub permissions: Vec<Line<100>>,
}

/// A grant of a role or of one permission to a user, in a scope.
#[derive(Debug, Serialize, ToSchema, FromQueryResult)]
pub struct AssignmentResponse {
    pub id: Uuid,
    pub user_id: Uuid,
    pub role: Option<String>,
    pub permission: Option<String>,
    pub scope_type: ScopeType,
    pub scope_id: Option<Uuid>,
    pub expires_at: Option<DateTime<Utc>>,
    pub granted_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Grant a role (`role`) or a single permission (`permission`): exactly one of the two.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAssignmentRequest {
    pub user_id: Uuid,
    #[schema(example = "instructor")]
    pub role: Option<Line<64>>,
    pub permission: Option<Line<100>>,
    pub scope_type: ScopeType,
    /// The organization or course id; absent for `global`.
    pub scope_id: Option<Uuid>,
    /// When the grant stops applying.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Filters of `GET /rbac/assignments`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListAssignmentsQuery {
    pub user_id: Option<Uuid>,
    pub scope_type: Option<ScopeType>,
    pub scope_id: Option<Uuid>,
}

/// One effective permission of a user, with where it applies and where it comes from.
#[derive(Debug, Serialize, ToSchema)]
pub struct EffectivePermission {
    #[schema(example = "course:publish")]
    pub permission: String,
    pub scope_type: ScopeType,
    pub scope_id: Option<Uuid>,
    /// The role it comes through, or `direct`.
    pub source: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A user's effective permissions and roles.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserPermissionsResponse {
    pub user_id: Uuid,
    pub permissions: Vec<EffectivePermission>,
}
