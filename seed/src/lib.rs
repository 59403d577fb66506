//! The demo data of `azora seed`, as data only: the accounts, the organization, the password
//! and the platform settings. The steps that store it go through each module's services
//! (`identity::seed_demo`, `orgs::seed_demo`, `system::seed_demo`, ...), called from the
//! application's `seed::run_all`; other modules' demo data refers to these accounts by id.

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

/// The demo organization, owned by the educator: (id, name, slug).
pub const DEMO_ORG: (&str, &str, &str) = (
    "01936b2e-0004-7000-8000-000000000001",
    "Azora Academy",
    "azora-academy",
);

/// What the demo organization says about itself.
pub const DEMO_ORG_DESCRIPTION: &str = "The demo school of Azora";

/// The demo organization's members besides its owner: (index in [`DEMO_USERS`], title).
pub const DEMO_ORG_MEMBERS: [(usize, &str); 1] = [(0, "Learner")];

/// Public platform settings of a demo database: (id, key, value as JSON, description).
pub const DEMO_SETTINGS: [(&str, &str, &str, &str); 3] = [
    (
        "01936b2e-0000-7000-8000-000000000101",
        "platform.tagline",
        r#""Learn, earn and prove it""#,
        "Shown under the platform name",
    ),
    (
        "01936b2e-0000-7000-8000-000000000102",
        "platform.default_currency",
        r#""AZR""#,
        "Currency shown first in wallets",
    ),
    (
        "01936b2e-0000-7000-8000-000000000103",
        "platform.demo",
        "true",
        "This database holds demo data",
    ),
];

/// The demo badge of the demo organization, awarded by the educator to the student:
/// (id, name, description, criteria).
pub const DEMO_BADGE: (&str, &str, &str, &str) = (
    "01936b2e-0009-7000-8000-000000000101",
    "Azora Pioneer",
    "One of the first learners of Azora Academy.",
    "Joined Azora Academy in its first term and completed a course.",
);
