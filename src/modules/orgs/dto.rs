//! Request and response types of the organization routes.

use chrono::{DateTime, Utc};
use kernel::enums::Choice;
use kernel::enums::OrganizationKind;
use kernel::text::{Line, Name, Text};
use sea_orm::FromQueryResult;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A school or company.
#[derive(Debug, Serialize, ToSchema, FromQueryResult)]
pub struct OrganizationResponse {
    pub id: Uuid,
    #[schema(example = "Azora Academy")]
    pub name: String,
    #[schema(example = "azora-academy")]
    pub slug: String,
    pub kind: OrganizationKind,
    pub description: String,
    pub website: Option<String>,
    pub owner_id: Uuid,
    pub member_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganizationRequest {
    #[schema(example = "Azora Academy")]
    pub name: Name<200>,
    /// Lower-case words joined by `-`; derived from the name when absent.
    #[schema(value_type = Option<String>, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 60)]
    pub slug: Option<Line<60>>,
    /// `school` when absent.
    #[schema(value_type = Option<OrganizationKind>)]
    pub kind: Option<Choice<OrganizationKind>>,
    pub description: Option<Text<5000>>,
    /// An `https://` URL.
    #[schema(value_type = Option<String>, max_length = 2048, pattern = "^https?://[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$")]
    pub website: Option<Line<2048>>,
}

/// Fields to change; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganizationRequest {
    pub name: Option<Name<200>>,
    #[schema(value_type = Option<OrganizationKind>)]
    pub kind: Option<Choice<OrganizationKind>>,
    pub description: Option<Text<5000>>,
    #[serde(default, deserialize_with = "kernel::text::double_option")]
    #[schema(value_type = Option<String>, max_length = 2048, pattern = "^https?://[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$")]
    pub website: Option<Option<Line<2048>>>,
}

/// Filters of `GET /organizations`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListOrganizationsQuery {
    /// Matches the name.
    pub q: Option<Line<200>>,
    pub kind: Option<OrganizationKind>,
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// A member of an organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResponse {
    pub user_id: Uuid,
    pub display_name: String,
    pub email: String,
    #[schema(example = "Head of Mathematics")]
    pub title: String,
    pub is_owner: bool,
    pub joined_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    pub user_id: Uuid,
    #[serde(default)]
    pub title: Line<100>,
}
