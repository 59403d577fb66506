//! Azora's integration tests: one binary, one file per module, all against a real Postgres
//! and the real server over HTTP. See `helpers` for the harness.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod assessments;
mod audit;
mod audit_sealing;
mod certificates;
mod chat;
mod cli;
mod entities;
mod entrypoint;
mod errors;
mod forums;
mod hardening;
mod identity;
mod lms;
mod mail;
mod openapi;
mod orgs;
mod rbac;
mod realtime;
mod resilience;
mod system;
mod wallet;
mod wire;
