//! `azora-kernel`: what every Azora module and the web layer share, with no web framework in
//! it, so services, background jobs and seeds use the same types.
//!
//! - [`error`]: `AppError`, `FieldError`, `AppResult` and the closed `ErrorCode` list.
//! - [`actor`]: `Actor` (the authenticated principal) and `RequestMeta` (where a request comes from).
//! - [`scope`]: `Scope` and `GrantSet`, the pure rules of authorization.
//! - [`db`]: helpers for explicit SQL read into typed rows.
//! - [`event`]: `DomainEvent`, the facts modules publish to each other.
//! - [`money`], [`text`]: value types parsed once at the edge (`Amount`, `Line<N>`, `Text<N>`).
//! - [`pagination`], [`idempotency`], [`crypto`], [`rate_limit`]: shared mechanisms.

pub mod actor;
pub mod crypto;
pub mod db;
pub mod enums;
pub mod error;
pub mod event;
pub mod idempotency;
pub mod money;
pub mod pagination;
pub mod rate_limit;
pub mod scope;
pub mod slug;
pub mod text;

pub use actor::{Actor, ApiKeyLimit, RequestMeta};
pub use error::{AppError, AppResult, ErrorCode, FieldError};
pub use scope::{Grant, GrantSet, HeldRole, Scope, ScopeType};
