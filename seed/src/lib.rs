//! Idempotent demo data for `azora seed`: running it twice leaves the same rows as once.
//!
//! Each module adds its own step here as it lands; a step inserts rows with fixed ids or
//! natural keys and `ON CONFLICT DO NOTHING`, so it never duplicates or overwrites what an
//! operator changed.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, TransactionTrait};

/// What one seed run inserted, per step.
#[derive(Debug, Default, Clone)]
pub struct SeedReport {
    pub steps: Vec<(&'static str, u64)>,
}

/// The password of every demo account (they are exempt from the strength rules).
pub const DEMO_PASSWORD: &str = "Azora2025!";

/// The demo accounts: (id, email, display name, global role).
pub const DEMO_USERS: [(&str, &str, &str, &str); 4] = [
    (
        "01936b2e-0003-7000-8000-000000000001",
        "student@azora.world",
        "Thandi Student",
        "student",
    ),
    (
        "01936b2e-0003-7000-8000-000000000002",
        "educator@azora.world",
        "Sipho Educator",
        "instructor",
    ),
    (
        "01936b2e-0003-7000-8000-000000000003",
        "employer@azora.world",
        "Lerato Employer",
        "employer",
    ),
    (
        "01936b2e-0003-7000-8000-000000000004",
        "admin@azora.world",
        "Azora Admin",
        "super_admin",
    ),
];

/// The demo organization, owned by the educator.
pub const DEMO_ORG: (&str, &str, &str) = (
    "01936b2e-0004-7000-8000-000000000001",
    "Azora Academy",
    "azora-academy",
);

/// What the seed needs from the application.
pub struct SeedInput {
    /// The argon2 hash of [`DEMO_PASSWORD`] with the configured parameters.
    pub demo_password_hash: String,
}

/// Inserts the demo data in one transaction.
pub async fn run(db: &DatabaseConnection, input: &SeedInput) -> Result<SeedReport, DbErr> {
    let txn = db.begin().await?;
    let mut report = SeedReport::default();
    report
        .steps
        .push(("platform_settings", platform_settings(&txn).await?));
    report
        .steps
        .push(("users", demo_users(&txn, &input.demo_password_hash).await?));
    report.steps.push(("organizations", demo_org(&txn).await?));
    txn.commit().await?;
    Ok(report)
}

/// True when no account exists yet (development serves seed such a database).
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT NOT EXISTS (SELECT 1 FROM users) AS empty",
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<bool>("", "empty"))
        .transpose()?
        .unwrap_or(true))
}

fn uuid(s: &str) -> Result<uuid::Uuid, DbErr> {
    s.parse()
        .map_err(|e| DbErr::Custom(format!("bad seed id {s}: {e}")))
}

async fn grant<C: ConnectionTrait>(
    db: &C,
    user: uuid::Uuid,
    role: &str,
    scope: (&str, Option<uuid::Uuid>),
) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO role_assignments (id, user_id, role_id, scope_type, scope_id) \
         SELECT $1, $2, id, $3, $4 FROM roles WHERE name = $5 ON CONFLICT DO NOTHING",
        [
            uuid::Uuid::now_v7().into(),
            user.into(),
            scope.0.into(),
            scope.1.into(),
            role.into(),
        ],
    ))
    .await?;
    Ok(())
}

async fn demo_users<C: ConnectionTrait>(db: &C, hash: &str) -> Result<u64, DbErr> {
    let mut inserted = 0;
    for (id, email, name, role) in DEMO_USERS {
        let id = uuid(id)?;
        let res = db
            .execute_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "INSERT INTO users (id, email, display_name, password_hash, email_verified_at) \
                 VALUES ($1, $2, $3, $4, now()) ON CONFLICT DO NOTHING",
                [id.into(), email.into(), name.into(), hash.into()],
            ))
            .await?;
        if res.rows_affected() == 1 {
            grant(db, id, "student", ("global", None)).await?;
            grant(db, id, role, ("global", None)).await?;
        }
        inserted += res.rows_affected();
    }
    tracing::info!(inserted, "seeded demo accounts");
    Ok(inserted)
}

async fn demo_org<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    let (id, name, slug) = DEMO_ORG;
    let id = uuid(id)?;
    let owner = uuid(DEMO_USERS[1].0)?;
    let res = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO organizations (id, name, slug, kind, description, owner_id) \
             SELECT $1, $2, $3, 'school', 'The demo school of Azora', $4 \
             WHERE EXISTS (SELECT 1 FROM users WHERE id = $4) ON CONFLICT DO NOTHING",
            [id.into(), name.into(), slug.into(), owner.into()],
        ))
        .await?;
    if res.rows_affected() == 1 {
        for (member, title) in [(owner, "Owner"), (uuid(DEMO_USERS[0].0)?, "Learner")] {
            db.execute_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "INSERT INTO organization_members (id, organization_id, user_id, title) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                [
                    uuid::Uuid::now_v7().into(),
                    id.into(),
                    member.into(),
                    title.into(),
                ],
            ))
            .await?;
        }
        grant(db, owner, "org_admin", ("organization", Some(id))).await?;
    }
    Ok(res.rows_affected())
}

async fn platform_settings<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    let rows: [(&str, &str, serde_json::Value, &str); 3] = [
        (
            "01936b2e-0000-7000-8000-000000000101",
            "platform.tagline",
            serde_json::json!("Learn, earn and prove it"),
            "Shown under the platform name",
        ),
        (
            "01936b2e-0000-7000-8000-000000000102",
            "platform.default_currency",
            serde_json::json!("AZR"),
            "Currency shown first in wallets",
        ),
        (
            "01936b2e-0000-7000-8000-000000000103",
            "platform.demo",
            serde_json::json!(true),
            "This database holds demo data",
        ),
    ];
    let mut inserted = 0;
    for (id, key, value, description) in rows {
        let id: uuid::Uuid = id
            .parse()
            .map_err(|e| DbErr::Custom(format!("bad seed id {id}: {e}")))?;
        let res = db
            .execute_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "INSERT INTO platform_settings (id, key, value, description, is_public) \
                 VALUES ($1, $2, $3, $4, true) ON CONFLICT (key) DO NOTHING",
                [id.into(), key.into(), value.into(), description.into()],
            ))
            .await?;
        inserted += res.rows_affected();
    }
    tracing::info!(inserted, "seeded platform settings");
    Ok(inserted)
}
