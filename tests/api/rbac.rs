//! Roles and permissions from the outside: hierarchy, scopes, expiry, direct grants,
//! escalation, custom roles, and who may see what.

use serde_json::{Value, json};

use crate::helpers::users::TestUser;
use crate::helpers::{TestApp, assert_problem};

async fn json(resp: reqwest::Response) -> Value {
    resp.json().await.expect("JSON body")
}

async fn effective(app: &TestApp, who: &TestUser, of: uuid::Uuid) -> Value {
    json(
        app.get_as(&format!("/api/v1/users/{of}/permissions"), who)
            .await,
    )
    .await
}

fn has(perms: &Value, permission: &str, scope_type: &str) -> bool {
    perms["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["permission"] == permission && p["scope_type"] == scope_type)
}

async fn org_of(app: &TestApp, owner: &TestUser, name: &str) -> String {
    let resp = app
        .post_as("/api/v1/organizations", owner, &json!({"name": name}))
        .await;
    assert_eq!(resp.status(), 201);
    json(resp).await["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn roles_inherit_their_parents_permissions() {
    let app = TestApp::spawn().await;
    let teacher = app
        .signup_with_role("teacher@example.com", "instructor")
        .await;
    let perms = effective(&app, &teacher, teacher.id).await;
    assert!(has(&perms, "course:create", "global"), "instructor's own");
    assert!(has(&perms, "course:enroll", "global"), "from student");
    assert!(
        has(&perms, "course:read", "global"),
        "from guest, two levels up"
    );
    assert!(!has(&perms, "audit:read", "global"));

    let roles = json(app.get_as("/api/v1/rbac/roles", &teacher).await).await;
    let instructor = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "instructor")
        .unwrap();
    assert_eq!(instructor["parent"], "student");
    assert_eq!(instructor["is_system"], true);
    let names: Vec<&str> = roles
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    for role in [
        "super_admin",
        "admin",
        "org_admin",
        "instructor",
        "moderator",
        "student",
        "employer",
        "guest",
    ] {
        assert!(names.contains(&role), "{role}");
    }
    let permissions = json(app.get_as("/api/v1/rbac/permissions", &teacher).await).await;
    assert!(
        permissions
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["key"] == "wallet:mint")
    );
}

#[tokio::test]
async fn org_scoped_grants_stay_in_their_org_and_escalation_is_refused() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let outsider_owner = app.signup("owner-b@example.com").await;
    let member = app.signup("member@example.com").await;
    let org_a = org_of(&app, &owner, "School A").await;
    let org_b = org_of(&app, &outsider_owner, "School B").await;

    // The owner is org_admin in A: may grant instructor there...
    let grant = |scope_id: &str, role: &str| json!({"user_id": member.id, "role": role, "scope_type": "organization", "scope_id": scope_id});
    let resp = app
        .post_as(
            "/api/v1/rbac/assignments",
            &owner,
            &grant(&org_a, "instructor"),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let assignment = json(resp).await;
    assert_eq!(assignment["role"], "instructor");
    assert_eq!(assignment["scope_type"], "organization");
    let perms = effective(&app, &member, member.id).await;
    assert!(has(&perms, "course:create", "organization"));
    assert!(!has(&perms, "course:create", "global"));

    // ... but not in B, not globally, and not a role above its own.
    assert_problem(
        app.post_as(
            "/api/v1/rbac/assignments",
            &owner,
            &grant(&org_b, "instructor"),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let global = json!({"user_id": member.id, "role": "instructor", "scope_type": "global"});
    assert_problem(
        app.post_as("/api/v1/rbac/assignments", &owner, &global)
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post_as(
            "/api/v1/rbac/assignments",
            &owner,
            &grant(&org_a, "super_admin"),
        )
        .await,
        403,
        "escalation_refused",
    )
    .await;
    assert_problem(
        app.post_as("/api/v1/rbac/assignments", &owner, &grant(&org_a, "admin"))
            .await,
        403,
        "escalation_refused",
    )
    .await;
    let mint = json!({"user_id": member.id, "permission": "wallet:mint", "scope_type": "organization", "scope_id": org_a});
    assert_problem(
        app.post_as("/api/v1/rbac/assignments", &owner, &mint).await,
        403,
        "escalation_refused",
    )
    .await;
    // Duplicate grant.
    assert_problem(
        app.post_as(
            "/api/v1/rbac/assignments",
            &owner,
            &grant(&org_a, "instructor"),
        )
        .await,
        409,
        "assignment_exists",
    )
    .await;
    // Nothing of the refused grants exists.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM role_assignments WHERE user_id = '{}'",
            member.id
        ))
        .await,
        2
    );

    // Someone with role:assign globally may grant anything, super_admin included.
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let resp = app
        .post_as(
            "/api/v1/rbac/assignments",
            &root,
            &grant(&org_b, "org_admin"),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let resp = app
        .post_as(
            "/api/v1/rbac/assignments",
            &root,
            &json!({"user_id": member.id, "role": "super_admin", "scope_type": "global"}),
        )
        .await;
    assert_eq!(resp.status(), 201);

    // Revoking needs role:assign in the grant's scope; another org's admin is not told it exists.
    let id = assignment["id"].as_str().unwrap();
    assert_problem(
        app.delete_as(&format!("/api/v1/rbac/assignments/{id}"), &outsider_owner)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.delete_as(&format!("/api/v1/rbac/assignments/{id}"), &owner)
            .await
            .status(),
        204
    );
    assert_problem(
        app.delete_as(&format!("/api/v1/rbac/assignments/{id}"), &owner)
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn bad_assignments_are_422_and_change_nothing() {
    let app = TestApp::spawn().await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let user = app.signup("someone@example.com").await;
    let cases = [
        (
            json!({"user_id": user.id, "scope_type": "global"}),
            "#/role",
        ),
        (
            json!({"user_id": user.id, "role": "student", "permission": "chat:use", "scope_type": "global"}),
            "#/role",
        ),
        (
            json!({"user_id": user.id, "role": "student", "scope_type": "organization"}),
            "#/scope_id",
        ),
        (
            json!({"user_id": user.id, "role": "student", "scope_type": "global", "scope_id": uuid::Uuid::now_v7()}),
            "#/scope_id",
        ),
        (
            json!({"user_id": user.id, "role": "wizard", "scope_type": "global"}),
            "#/role",
        ),
        (
            json!({"user_id": uuid::Uuid::now_v7(), "role": "student", "scope_type": "global"}),
            "#/user_id",
        ),
        (
            json!({"user_id": user.id, "role": "moderator", "scope_type": "global", "expires_at": "2001-01-01T00:00:00Z"}),
            "#/expires_at",
        ),
        (
            json!({"user_id": user.id, "role": "moderator", "scope_type": "planet"}),
            "#/scope_type",
        ),
    ];
    let before = app
        .count("SELECT count(*) AS n FROM role_assignments")
        .await;
    for (body, pointer) in cases {
        let problem = assert_problem(
            app.post_as("/api/v1/rbac/assignments", &root, &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{body}");
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM role_assignments")
            .await,
        before
    );
}

#[tokio::test]
async fn expired_grants_stop_at_once_and_direct_grants_work() {
    let app = TestApp::spawn().await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let auditor = app.signup("auditor@example.com").await;

    assert_problem(
        app.get_as("/api/v1/audit/logs", &auditor).await,
        403,
        "forbidden",
    )
    .await;
    let expires = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let resp = app
        .post_as("/api/v1/rbac/assignments", &root, &json!({"user_id": auditor.id, "permission": "audit:read", "scope_type": "global", "expires_at": expires}))
        .await;
    assert_eq!(resp.status(), 201);
    assert_eq!(
        app.get_as("/api/v1/audit/logs", &auditor).await.status(),
        200
    );
    let perms = effective(&app, &auditor, auditor.id).await;
    let direct = perms["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["permission"] == "audit:read")
        .unwrap()
        .clone();
    assert_eq!(direct["source"], "direct");
    assert!(direct["expires_at"].is_string());

    // Expiry passes: the grant stops applying on the very next request.
    app.count("WITH u AS (UPDATE role_assignments SET expires_at = now() - interval '1 second' WHERE permission_id IS NOT NULL RETURNING 1) SELECT count(*) AS n FROM u").await;
    assert_problem(
        app.get_as("/api/v1/audit/logs", &auditor).await,
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn custom_roles_and_visibility_of_grants() {
    let app = TestApp::spawn().await;
    let admin = app.signup_with_role("admin@example.com", "admin").await;
    let student = app.signup("student@example.com").await;

    let role =
        json!({"name": "grading_helper", "parent": "student", "permissions": ["course:grade"]});
    assert_problem(
        app.post_as("/api/v1/rbac/roles", &student, &role).await,
        403,
        "forbidden",
    )
    .await;
    let resp = app.post_as("/api/v1/rbac/roles", &admin, &role).await;
    assert_eq!(resp.status(), 201);
    let created = json(resp).await;
    assert_eq!(created["permissions"], json!(["course:grade"]));
    assert_eq!(created["is_system"], false);
    assert_problem(
        app.post_as("/api/v1/rbac/roles", &admin, &role).await,
        409,
        "role_exists",
    )
    .await;
    let bad = json!({"name": "Bad Name!", "permissions": []});
    assert_problem(
        app.post_as("/api/v1/rbac/roles", &admin, &bad).await,
        422,
        "validation_failed",
    )
    .await;
    let unknown = json!({"name": "ghostly", "permissions": ["ghost:haunt"]});
    let body = assert_problem(
        app.post_as("/api/v1/rbac/roles", &admin, &unknown).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["pointer"], "#/permissions/0");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM roles WHERE name = 'ghostly'")
            .await,
        0
    );

    let resp = app
        .post_as(
            "/api/v1/rbac/assignments",
            &admin,
            &json!({"user_id": student.id, "role": "grading_helper", "scope_type": "global"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    assert!(has(
        &effective(&app, &student, student.id).await,
        "course:grade",
        "global"
    ));

    // Own grants are visible; others' need role:read; others' permissions need user:read.
    let mine = json(
        app.get_as(
            &format!("/api/v1/rbac/assignments?user_id={}", student.id),
            &student,
        )
        .await,
    )
    .await;
    assert_eq!(mine.as_array().unwrap().len(), 2);
    assert_problem(
        app.get_as(
            &format!("/api/v1/rbac/assignments?user_id={}", admin.id),
            &student,
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get_as("/api/v1/rbac/assignments", &student).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get_as(&format!("/api/v1/users/{}/permissions", admin.id), &student)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.get_as(&format!("/api/v1/users/{}/permissions", student.id), &admin)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn course_scoped_grants_cover_one_course_and_its_org_admins_assign_them() {
    let app = TestApp::spawn().await;
    let head = app.signup("head@example.com").await;
    let org = org_of(&app, &head, "Course School").await;
    let ta = app.signup("ta@example.com").await;
    let outsider = app.signup("outsider@example.com").await;

    // The organization's admin creates a draft course there: org_admin inherits course:create.
    let resp = app
        .post_as(
            "/api/v1/courses",
            &head,
            &json!({"title": "Scoped Course", "organization_id": org}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let course = json(resp).await["id"].as_str().unwrap().to_owned();
    let other = json(
        app.post_as(
            "/api/v1/courses",
            &head,
            &json!({"title": "Other Course", "organization_id": org}),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A draft is hidden from those without a grant on it.
    assert_problem(
        app.get_as(&format!("/api/v1/courses/{course}"), &ta).await,
        404,
        "not_found",
    )
    .await;
    // The org admin covers the org's course, so may grant a course-scoped role there.
    let grant = json!({"user_id": ta.id, "role": "teaching_assistant", "scope_type": "course", "scope_id": course});
    assert_problem(
        app.post_as("/api/v1/rbac/assignments", &outsider, &grant)
            .await,
        403,
        "forbidden",
    )
    .await;
    let resp = app.post_as("/api/v1/rbac/assignments", &head, &grant).await;
    assert_eq!(resp.status(), 201);
    let perms = effective(&app, &ta, ta.id).await;
    assert!(
        perms["permissions"].as_array().unwrap().iter().any(|p| {
            p["permission"] == "course:grade"
                && p["scope_type"] == "course"
                && p["scope_id"] == course.as_str()
        }),
        "{perms}"
    );
    // The grant covers that course only.
    let resp = app.get_as(&format!("/api/v1/courses/{course}"), &ta).await;
    assert_eq!(resp.status(), 200);
    assert_problem(
        app.get_as(&format!("/api/v1/courses/{other}"), &ta).await,
        404,
        "not_found",
    )
    .await;
    // Grading is not editing.
    assert_problem(
        app.patch_as(
            &format!("/api/v1/courses/{course}"),
            &ta,
            &json!({"title": "Renamed"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    // An unknown course is a validation error, not a dangling grant.
    let unknown = json!({"user_id": ta.id, "role": "teaching_assistant", "scope_type": "course", "scope_id": uuid::Uuid::now_v7()});
    assert_problem(
        app.post_as("/api/v1/rbac/assignments", &head, &unknown)
            .await,
        422,
        "validation_failed",
    )
    .await;
}
