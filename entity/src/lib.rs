//! SeaORM entities: one file per table, no web or API types. The schema itself lives in the
//! `migration` crate; these structs mirror it.

pub mod platform_settings;
