//! `notifications`: what the platform tells its users. Today: transactional mail through the
//! outbox (`mail`); in-app notifications and preferences come with their issue.

pub mod mail;
