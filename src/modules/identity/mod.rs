//! `identity`: accounts and sign-in.
//!
//! Owns `users`, `email_tokens`, `sessions`, `refresh_tokens`, `mfa_totp`, `mfa_backup_codes`,
//! `mfa_challenges`, `login_attempts` and `api_keys`. Rules: emails are unique
//! case-insensitively among live accounts; passwords are argon2id-hashed on the blocking pool;
//! every secret token is random, single-use where it makes sense, and stored hashed; a session
//! is a refresh-token family, and replaying a spent refresh token ends it; the lockout state
//! is computed from `login_attempts`, so it holds across instances; `forgot` and `resend`
//! answer the same whether or not the address exists, and do their work after the response.
//!
//! Files: `accounts` (the account view, registration, verification), `sessions` (sessions and
//! their tokens), `signin` (both sign-in steps and the attempts behind the lockout), `passwords`
//! (strength, change, forgot, reset), `profile`, `mfa`, `api_keys`, `admin`, `authn` (the
//! `authenticate` hook), `seed` (the demo accounts); `lockout` and `tokens` are pure rules.

mod accounts;
mod admin;
mod api_keys;
mod authn;
mod dto;
mod email_tokens;
mod lockout;
mod mfa;
mod passwords;
mod profile;
mod routes;
mod seed;
mod sessions;
mod signin;
mod strength;
mod tokens;

pub use accounts::{NewAccount, find_user, has_accounts, register_in, require_live_user};
pub use authn::authenticate;
pub use seed::{demo_actor, seed_demo};

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(routes::register)
        .service(routes::verify_email)
        .service(routes::resend_verification)
        .service(routes::login)
        .service(routes::login_mfa)
        .service(routes::refresh)
        .service(routes::logout)
        .service(routes::forgot_password)
        .service(routes::reset_password)
        .service(routes::change_password)
        .service(routes::get_me)
        .service(routes::update_me)
        .service(routes::list_my_sessions)
        .service(routes::revoke_my_session)
        .service(routes::enroll_totp)
        .service(routes::confirm_totp)
        .service(routes::disable_totp)
        .service(routes::list_my_api_keys)
        .service(routes::create_my_api_key)
        .service(routes::revoke_my_api_key)
        .service(routes::list_users)
        .service(routes::get_user)
        .service(routes::update_user_status);
}
