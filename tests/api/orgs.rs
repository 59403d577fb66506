//! Organizations from the outside: creation makes an owner, management needs `org:manage`
//! there, member lists are for members, and the owner stays.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

async fn json(resp: reqwest::Response) -> Value {
    resp.json().await.expect("JSON body")
}

#[tokio::test]
async fn organizations_lifecycle_and_authorization() {
    let app = TestApp::spawn().await;
    let owner = app.signup("head@example.com").await;
    let teacher = app.signup("teacher@example.com").await;
    let stranger = app.signup("stranger@example.com").await;

    let resp = app
        .post_as("/api/v1/organizations", &owner, &json!({"name": "Soweto Science Academy", "kind": "school", "website": "https://ssa.example.org"}))
        .await;
    assert_eq!(resp.status(), 201);
    let org = json(resp).await;
    assert_eq!(org["slug"], "soweto-science-academy");
    assert_eq!(org["member_count"], 1);
    let id = org["id"].as_str().unwrap().to_owned();

    // Public reads.
    assert_eq!(
        json(app.get(&format!("/api/v1/organizations/{id}")).await).await["name"],
        "Soweto Science Academy"
    );
    let list = json(app.get("/api/v1/organizations?q=science").await).await;
    assert_eq!(list["total"], 1);
    assert_problem(
        app.get(&format!("/api/v1/organizations/{}", uuid::Uuid::now_v7()))
            .await,
        404,
        "not_found",
    )
    .await;

    // Slug clash and bad input change nothing.
    let clash = app
        .post_as(
            "/api/v1/organizations",
            &stranger,
            &json!({"name": "Soweto Science Academy"}),
        )
        .await;
    assert_problem(clash, 409, "slug_taken").await;
    let bad = app
        .post_as(
            "/api/v1/organizations",
            &stranger,
            &json!({"name": "", "kind": "castle", "website": "ftp://x"}),
        )
        .await;
    let body = assert_problem(bad, 422, "validation_failed").await;
    assert!(body["errors"].as_array().unwrap().len() >= 3);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM organizations").await,
        1
    );

    // Only the owner (org_admin there) manages it.
    let members_path = format!("/api/v1/organizations/{id}/members");
    assert_problem(
        app.patch_as(
            &format!("/api/v1/organizations/{id}"),
            &stranger,
            &json!({"name": "Mine now"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post_as(&members_path, &stranger, &json!({"user_id": stranger.id}))
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(app.get_as(&members_path, &stranger).await, 403, "forbidden").await;

    let updated = json(
        app.patch_as(
            &format!("/api/v1/organizations/{id}"),
            &owner,
            &json!({"description": "Maths and science", "website": null}),
        )
        .await,
    )
    .await;
    assert_eq!(updated["description"], "Maths and science");
    assert_eq!(updated["website"], Value::Null);

    let resp = app
        .post_as(
            &members_path,
            &owner,
            &json!({"user_id": teacher.id, "title": "Physics teacher"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let members = json(resp).await;
    assert_eq!(members.as_array().unwrap().len(), 2);
    assert_problem(
        app.post_as(&members_path, &owner, &json!({"user_id": teacher.id}))
            .await,
        409,
        "already_member",
    )
    .await;
    assert_problem(
        app.post_as(
            &members_path,
            &owner,
            &json!({"user_id": uuid::Uuid::now_v7()}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;

    // Members see the list; a plain member cannot manage.
    let seen = json(app.get_as(&members_path, &teacher).await).await;
    let owner_row = seen
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["is_owner"] == true)
        .unwrap()
        .clone();
    assert_eq!(owner_row["title"], "Owner");
    assert_problem(
        app.delete_as(&format!("{members_path}/{}", owner.id), &teacher)
            .await,
        403,
        "forbidden",
    )
    .await;

    // The owner cannot be removed; a member can, and loses their grants there.
    assert_problem(
        app.delete_as(&format!("{members_path}/{}", owner.id), &owner)
            .await,
        422,
        "cannot_remove_owner",
    )
    .await;
    app.grant_role(teacher.id, "instructor", Some(id.parse().unwrap()))
        .await;
    assert_eq!(
        app.delete_as(&format!("{members_path}/{}", teacher.id), &owner)
            .await
            .status(),
        204
    );
    assert_eq!(
        app.count(&format!("SELECT count(*) AS n FROM role_assignments WHERE user_id = '{}' AND scope_type = 'organization'", teacher.id)).await,
        0
    );
    assert_problem(
        app.delete_as(&format!("{members_path}/{}", teacher.id), &owner)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM audit_logs WHERE action LIKE 'org.%'")
            .await,
        4
    );
}
