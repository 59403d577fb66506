//! The wallet from the outside: wallets, the double-entry ledger and its history, mint,
//! transfers (idempotency, fees, every refusal leaving the books untouched), staking and its
//! daily job, rewards, reconciliation (clean and tampered), metrics, and a burst of concurrent
//! transfers that must neither deadlock nor lose or create money.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use reqwest::Response;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::users::{PASSWORD, TestUser};
use crate::helpers::{TestApp, assert_problem};

async fn json(resp: Response) -> Value {
    resp.json().await.expect("JSON body")
}

/// A JSON decimal string as a number (`"12.50"` -> 12.50); panics on anything else.
fn dec(v: &Value) -> Decimal {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("a decimal string, got {v}"));
    Decimal::from_str(s).unwrap_or_else(|e| panic!("`{s}` is not a decimal: {e}"))
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn uuid_of(v: &Value) -> Uuid {
    v.as_str()
        .unwrap_or_else(|| panic!("a uuid string, got {v}"))
        .parse()
        .unwrap()
}

fn time_of(v: &Value) -> DateTime<Utc> {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("an RFC 3339 time, got {v}: {e}"))
}

/// A fresh Idempotency-Key.
fn new_key() -> String {
    Uuid::now_v7().to_string()
}

/// `POST /wallets`; asserts 201 and returns the wallet.
async fn open_wallet(app: &TestApp, user: &TestUser, currency: &str) -> Value {
    let resp = app
        .post_as("/api/v1/wallets", user, &json!({"currency": currency}))
        .await;
    assert_eq!(resp.status(), 201, "open {currency} wallet");
    json(resp).await
}

/// `POST /wallet/mint` by `minter` (a super_admin); asserts 201 and returns the transaction.
async fn mint(app: &TestApp, minter: &TestUser, to: Uuid, currency: &str, amount: &str) -> Value {
    let resp = app
        .post_as(
            "/api/v1/wallet/mint",
            minter,
            &json!({"user_id": to, "currency": currency, "amount": amount, "description": "test funds"}),
        )
        .await;
    let status = resp.status();
    let body = json(resp).await;
    assert_eq!(status, 201, "mint: {body}");
    body
}

/// `POST /wallet/transfers` with an `Idempotency-Key` (none when `key` is `None`).
async fn transfer(app: &TestApp, user: &TestUser, key: Option<&str>, body: &Value) -> Response {
    let mut req = app
        .client
        .post(app.url("/api/v1/wallet/transfers"))
        .bearer_auth(&user.access_token)
        .json(body);
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    req.send().await.expect("request sent")
}

/// A transfer that must succeed; returns the transaction.
async fn transfer_ok(app: &TestApp, user: &TestUser, body: &Value) -> Value {
    let resp = transfer(app, user, Some(&new_key()), body).await;
    let status = resp.status();
    let body = json(resp).await;
    assert_eq!(status, 201, "transfer: {body}");
    body
}

/// A wallet's cached balance, read directly.
async fn balance(app: &TestApp, wallet: Uuid) -> Decimal {
    app.db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT balance FROM wallets WHERE id = $1",
            [wallet.into()],
        ))
        .await
        .unwrap()
        .expect("the wallet exists")
        .try_get("", "balance")
        .unwrap()
}

/// A system wallet's balance (`fees`, `treasury`, ...).
async fn system_balance(app: &TestApp, kind: &str, currency: &str) -> Decimal {
    app.db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT balance FROM wallets WHERE system_kind = $1 AND currency = $2",
            [kind.into(), currency.into()],
        ))
        .await
        .unwrap()
        .expect("the system wallet exists")
        .try_get("", "balance")
        .unwrap()
}

/// A user's balance in `currency` through the API (`GET /wallets`), zero without a wallet.
async fn api_balance(app: &TestApp, user: &TestUser, currency: &str) -> Decimal {
    let wallets = json(app.get_as("/api/v1/wallets", user).await).await;
    wallets
        .as_array()
        .expect("an array of wallets")
        .iter()
        .find(|w| w["currency"] == currency)
        .map(|w| dec(&w["balance"]))
        .unwrap_or_default()
}

/// Everything money is made of: every wallet's balance and the size of the journal.
#[derive(Debug, PartialEq)]
struct Books {
    balances: BTreeMap<Uuid, Decimal>,
    transactions: i64,
    entries: i64,
    stakes: Vec<(Uuid, String, Decimal)>,
}

async fn books(app: &TestApp) -> Books {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT id, balance FROM wallets",
        ))
        .await
        .unwrap();
    let balances = rows
        .iter()
        .map(|r| {
            (
                r.try_get("", "id").unwrap(),
                r.try_get("", "balance").unwrap(),
            )
        })
        .collect();
    let stakes = app
        .db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT id, status, accrued FROM stakes ORDER BY id",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get("", "id").unwrap(),
                r.try_get("", "status").unwrap(),
                r.try_get("", "accrued").unwrap(),
            )
        })
        .collect();
    Books {
        balances,
        transactions: app
            .count("SELECT count(*) AS n FROM ledger_transactions")
            .await,
        entries: app.count("SELECT count(*) AS n FROM ledger_entries").await,
        stakes,
    }
}

async fn wallet_audit_count(app: &TestApp) -> i64 {
    app.count("SELECT count(*) AS n FROM audit_logs WHERE action LIKE 'wallet.%'")
        .await
}

/// `GET /wallet/reconcile` as `auditor`; asserts 200.
async fn reconcile(app: &TestApp, auditor: &TestUser) -> Value {
    let resp = app.get_as("/api/v1/wallet/reconcile", auditor).await;
    let status = resp.status();
    let body = json(resp).await;
    assert_eq!(status, 200, "reconcile: {body}");
    body
}

async fn assert_reconciles(app: &TestApp, auditor: &TestUser) {
    let report = reconcile(app, auditor).await;
    assert_eq!(report["ok"], true, "reconcile: {report}");
    assert_eq!(report["violations"], json!([]), "reconcile: {report}");
}

/// Asserts a 422 `validation_failed` naming `pointer`.
async fn assert_invalid(resp: Response, pointer: &str) -> Value {
    let body = assert_problem(resp, 422, "validation_failed").await;
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|f| f["pointer"].as_str()).collect())
        .unwrap_or_default();
    assert!(pointers.contains(&pointer), "{pointer} in {body}");
    body
}

async fn run_accrual(app: &TestApp, day: chrono::NaiveDate) -> u64 {
    azora::modules::wallet::accrue_stakes(&app.db, day)
        .await
        .expect("the staking job runs")
}

#[tokio::test]
async fn wallets_open_once_per_currency_and_stay_private() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;

    let zar = open_wallet(&app, &alice, "ZAR").await;
    assert_eq!(zar["currency"], "ZAR");
    assert_eq!(dec(&zar["balance"]), Decimal::ZERO);
    time_of(&zar["created_at"]);
    let zar_id = uuid_of(&zar["id"]);
    let usd = open_wallet(&app, &alice, "USD").await;

    assert_problem(
        app.post_as("/api/v1/wallets", &alice, &json!({"currency": "ZAR"}))
            .await,
        409,
        "wallet_exists",
    )
    .await;
    let body = assert_invalid(
        app.post_as("/api/v1/wallets", &alice, &json!({"currency": "XYZ"}))
            .await,
        "#/currency",
    )
    .await;
    assert_eq!(body["errors"][0]["pointer"], "#/currency");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM wallets WHERE owner_id IS NOT NULL")
            .await,
        2
    );

    // Mine only: both of mine, none of Bob's.
    let bobs = open_wallet(&app, &bob, "ZAR").await;
    let mine = json(app.get_as("/api/v1/wallets", &alice).await).await;
    let mut ids: Vec<Value> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].clone())
        .collect();
    ids.sort_by_key(|v| v.to_string());
    let mut expected = vec![zar["id"].clone(), usd["id"].clone()];
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(ids, expected);

    let resp = app
        .get_as(&format!("/api/v1/wallets/{zar_id}"), &alice)
        .await;
    assert_eq!(resp.status(), 200);
    let one = json(resp).await;
    assert_eq!(one["id"], zar["id"]);
    assert_eq!(one["currency"], "ZAR");

    // Someone else's wallet and its history do not exist for me; neither does a made-up one.
    let bobs_id = uuid_of(&bobs["id"]);
    for path in [
        format!("/api/v1/wallets/{bobs_id}"),
        format!("/api/v1/wallets/{bobs_id}/transactions"),
        format!("/api/v1/wallets/{}", Uuid::now_v7()),
        format!("/api/v1/wallets/{}/transactions", Uuid::now_v7()),
    ] {
        assert_problem(app.get_as(&path, &alice).await, 404, "not_found").await;
    }
    assert_problem(app.get("/api/v1/wallets").await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn mint_needs_the_permission_and_opens_the_wallet() {
    let app = TestApp::spawn().await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let admin = app.signup_with_role("admin@example.com", "admin").await;
    let alice = app.signup("alice@example.com").await;

    let before = books(&app).await;
    for who in [&alice, &admin] {
        let resp = app
            .post_as(
                "/api/v1/wallet/mint",
                who,
                &json!({"user_id": alice.id, "currency": "ZAR", "amount": "100.00", "description": ""}),
            )
            .await;
        assert_problem(resp, 403, "forbidden").await;
    }
    assert_eq!(books(&app).await, before, "a refused mint moves nothing");

    let audits = wallet_audit_count(&app).await;
    let tx = mint(&app, &root, alice.id, "ZAR", "100.00").await;
    assert_eq!(tx["kind"], "mint");
    assert_eq!(tx["currency"], "ZAR");
    assert_eq!(dec(&tx["amount"]), d("100"));
    assert_eq!(dec(&tx["fee"]), Decimal::ZERO);
    assert_eq!(tx["description"], "test funds");
    uuid_of(&tx["id"]);
    time_of(&tx["created_at"]);
    assert!(wallet_audit_count(&app).await > audits, "mint is audited");

    // The mint opened Alice's ZAR wallet; its balance is shown with the currency's scale.
    let wallets = json(app.get_as("/api/v1/wallets", &alice).await).await;
    let wallets = wallets.as_array().unwrap();
    assert_eq!(wallets.len(), 1, "{wallets:?}");
    assert_eq!(wallets[0]["currency"], "ZAR");
    assert_eq!(wallets[0]["balance"], "100.00");
    assert_eq!(wallets[0]["id"], tx["to_wallet_id"]);
    assert_eq!(system_balance(&app, "treasury", "ZAR").await, d("-100"));

    // A second mint into the existing wallet.
    mint(&app, &root, alice.id, "ZAR", "0.50").await;
    assert_eq!(api_balance(&app, &alice, "ZAR").await, d("100.50"));

    let history = json(
        app.get_as(
            &format!(
                "/api/v1/wallets/{}/transactions",
                wallets[0]["id"].as_str().unwrap()
            ),
            &alice,
        )
        .await,
    )
    .await;
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["kind"], "mint");
    assert_eq!(dec(&items[0]["amount"]), d("0.50"));
    assert_eq!(dec(&items[0]["balance_after"]), d("100.50"));
    assert_eq!(dec(&items[1]["amount"]), d("100"));
    assert_eq!(dec(&items[1]["balance_after"]), d("100"));
    assert_eq!(items[1]["transaction_id"], tx["id"]);
    assert!(history["next_cursor"].is_null());
    assert_reconciles(&app, &root).await;
}

#[tokio::test]
async fn transfers_by_wallet_and_by_email_move_money_and_show_in_history() {
    let app = TestApp::spawn().await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let a = uuid_of(&mint(&app, &root, alice.id, "ZAR", "100.00").await["to_wallet_id"]);
    let b = uuid_of(&open_wallet(&app, &bob, "ZAR").await["id"]);

    let audits = wallet_audit_count(&app).await;
    let tx = transfer_ok(
        &app,
        &alice,
        &json!({"from_wallet_id": a, "to_wallet_id": b, "amount": "10.50", "description": "lunch"}),
    )
    .await;
    assert_eq!(tx["kind"], "transfer");
    assert_eq!(tx["currency"], "ZAR");
    assert_eq!(dec(&tx["amount"]), d("10.50"));
    assert_eq!(dec(&tx["fee"]), Decimal::ZERO);
    assert_eq!(uuid_of(&tx["from_wallet_id"]), a);
    assert_eq!(uuid_of(&tx["to_wallet_id"]), b);
    assert_eq!(dec(&tx["balance_after"]), d("89.50"));
    assert_eq!(tx["description"], "lunch");
    assert!(
        wallet_audit_count(&app).await > audits,
        "transfer is audited"
    );

    // By email (any case), into Bob's wallet in the sender's currency.
    let tx2 = transfer_ok(
        &app,
        &alice,
        &json!({"from_wallet_id": a, "to_email": "bob@example.com", "amount": "5", "description": ""}),
    )
    .await;
    assert_eq!(uuid_of(&tx2["to_wallet_id"]), b);
    assert_eq!(dec(&tx2["balance_after"]), d("84.50"));

    assert_eq!(api_balance(&app, &alice, "ZAR").await, d("84.50"));
    assert_eq!(api_balance(&app, &bob, "ZAR").await, d("15.50"));
    assert_eq!(balance(&app, a).await, d("84.50"));
    assert_eq!(balance(&app, b).await, d("15.50"));

    // Both sides see it, signed, newest first.
    let mine = json(
        app.get_as(&format!("/api/v1/wallets/{a}/transactions"), &alice)
            .await,
    )
    .await;
    let items = mine["items"].as_array().unwrap();
    let amounts: Vec<Decimal> = items.iter().map(|i| dec(&i["amount"])).collect();
    assert_eq!(amounts, vec![d("-5"), d("-10.50"), d("100")]);
    let after: Vec<Decimal> = items.iter().map(|i| dec(&i["balance_after"])).collect();
    assert_eq!(after, vec![d("84.50"), d("89.50"), d("100")]);
    assert_eq!(items[0]["transaction_id"], tx2["id"]);
    assert_eq!(items[1]["kind"], "transfer");
    assert_eq!(items[1]["description"], "lunch");
    uuid_of(&items[0]["entry_id"]);
    time_of(&items[0]["created_at"]);
    let theirs = json(
        app.get_as(&format!("/api/v1/wallets/{b}/transactions"), &bob)
            .await,
    )
    .await;
    let amounts: Vec<Decimal> = theirs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| dec(&i["amount"]))
        .collect();
    assert_eq!(amounts, vec![d("5"), d("10.50")]);

    // Currencies of scale 8 take 8 places.
    let a_azr = uuid_of(&mint(&app, &root, alice.id, "AZR", "1").await["to_wallet_id"]);
    let b_azr = uuid_of(&open_wallet(&app, &bob, "AZR").await["id"]);
    transfer_ok(
        &app,
        &alice,
        &json!({"from_wallet_id": a_azr, "to_wallet_id": b_azr, "amount": "0.00000001"}),
    )
    .await;
    assert_eq!(balance(&app, b_azr).await, d("0.00000001"));
    assert_eq!(balance(&app, a_azr).await, d("0.99999999"));
    assert_reconciles(&app, &root).await;
}

#[tokio::test]
async fn ledger_history_pages_with_a_keyset_cursor() {
    let app = TestApp::spawn().await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let alice = app.signup("alice@example.com").await;
    let mut wallet = None;
    for amount in ["1", "2", "3", "4", "5"] {
        wallet = Some(uuid_of(
            &mint(&app, &root, alice.id, "ZAR", amount).await["to_wallet_id"],
        ));
    }
    let wallet = wallet.unwrap();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = format!("/api/v1/wallets/{wallet}/transactions?limit=2");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={}", url_encode(c)));
        }
        let resp = app.get_as(&path, &alice).await;
        assert_eq!(resp.status(), 200, "{path}");
        let page = json(resp).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2, "limit is honoured: {page}");
        seen.extend(
            items
                .iter()
                .map(|i| (i["entry_id"].clone(), dec(&i["amount"]))),
        );
        pages += 1;
        assert!(pages <= 5, "the cursor must end");
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let amounts: Vec<Decimal> = seen.iter().map(|(_, a)| *a).collect();
    assert_eq!(amounts, vec![d("5"), d("4"), d("3"), d("2"), d("1")]);
    let mut ids: Vec<String> = seen.iter().map(|(id, _)| id.to_string()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 5, "no entry twice");
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_retried_transfer_returns_the_first_result_and_moves_nothing_more() {
    let app = TestApp::spawn().await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let a = uuid_of(&mint(&app, &root, alice.id, "ZAR", "100.00").await["to_wallet_id"]);
    let b = uuid_of(&mint(&app, &root, bob.id, "ZAR", "100.00").await["to_wallet_id"]);
    let body =
        json!({"from_wallet_id": a, "to_wallet_id": b, "amount": "10.00", "description": "rent"});

    // No key: refused before anything happens.
    let before = books(&app).await;
    assert_problem(
        transfer(&app, &alice, None, &body).await,
        400,
        "idempotency_key_required",
    )
    .await;
    assert_eq!(books(&app).await, before);

    let key = new_key();
    let first = transfer(&app, &alice, Some(&key), &body).await;
    assert_eq!(first.status(), 201);
    let first = json(first).await;
    let after_first = books(&app).await;
    assert_eq!(after_first.transactions, before.transactions + 1);

    let again = transfer(&app, &alice, Some(&key), &body).await;
    assert_eq!(again.status(), 201, "a retry answers like the first time");
    assert_eq!(json(again).await, first, "the identical response");
    assert_eq!(books(&app).await, after_first, "and nothing moves again");
    assert_eq!(balance(&app, a).await, d("90"));

    // The same key with another body is a client bug.
    let other =
        json!({"from_wallet_id": a, "to_wallet_id": b, "amount": "11.00", "description": "rent"});
    assert_problem(
        transfer(&app, &alice, Some(&key), &other).await,
        409,
        "idempotency_key_reused",
    )
    .await;
    assert_eq!(books(&app).await, after_first);

    // Keys belong to their user: Bob may use the same string for his own transfer.
    let bobs = transfer(
        &app,
        &bob,
        Some(&key),
        &json!({"from_wallet_id": b, "to_wallet_id": a, "amount": "1.00", "description": "rent"}),
    )
    .await;
    assert_eq!(bobs.status(), 201);
    assert_ne!(json(bobs).await["id"], first["id"]);
    assert_eq!(balance(&app, a).await, d("91"));
    assert_eq!(balance(&app, b).await, d("109"));

    // The same request raced with itself (a client retrying while the first attempt is still
    // in flight) moves money once and answers like the first, even when it takes the whole
    // balance, so that a second execution would be refused.
    let key = new_key();
    let body =
        json!({"from_wallet_id": a, "to_wallet_id": b, "amount": "91.00", "description": "race"});
    let before = books(&app).await;
    let sends = (0..6).map(|_| transfer(&app, &alice, Some(&key), &body));
    let mut ids = Vec::new();
    for resp in futures_util::future::join_all(sends).await {
        let status = resp.status().as_u16();
        let body = json(resp).await;
        match status {
            201 => ids.push(body["id"].clone()),
            409 => {}
            _ => panic!("a raced retry answered {status}: {body}"),
        }
    }
    assert!(!ids.is_empty(), "at least one of the racers succeeds");
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one transaction: {ids:?}"
    );
    assert_eq!(
        books(&app).await.transactions,
        before.transactions + 1,
        "moved once"
    );
    assert_eq!(balance(&app, a).await, Decimal::ZERO);
    assert_eq!(balance(&app, b).await, d("200"));
    assert_reconciles(&app, &root).await;
}

/// A refused transfer: what it shows, its body, and the expected status, code and pointer.
type Case = (&'static str, Value, u16, &'static str, Option<&'static str>);

#[tokio::test]
async fn refused_transfers_leave_the_books_untouched() {
    let app = TestApp::spawn().await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let carol = app.signup("carol@example.com").await;
    let a = uuid_of(&mint(&app, &root, alice.id, "ZAR", "100.00").await["to_wallet_id"]);
    let a_azr = uuid_of(&mint(&app, &root, alice.id, "AZR", "1").await["to_wallet_id"]);
    let b = uuid_of(&mint(&app, &root, bob.id, "ZAR", "50.00").await["to_wallet_id"]);
    let b_usd = uuid_of(&open_wallet(&app, &bob, "USD").await["id"]);
    let b_azr = uuid_of(&open_wallet(&app, &bob, "AZR").await["id"]);
    open_wallet(&app, &carol, "USD").await; // but no ZAR wallet

    let to_b = |amount: &str| json!({"from_wallet_id": a, "to_wallet_id": b, "amount": amount});
    // (what, body, status, code, pointer)
    let cases: Vec<Case> = vec![
        ("overdraft", to_b("100.01"), 422, "insufficient_funds", None),
        (
            "far overdraft",
            to_b("1000000"),
            422,
            "insufficient_funds",
            None,
        ),
        (
            "other currency",
            json!({"from_wallet_id": a, "to_wallet_id": b_usd, "amount": "1.00"}),
            422,
            "currency_mismatch",
            None,
        ),
        (
            "zero",
            to_b("0"),
            422,
            "validation_failed",
            Some("#/amount"),
        ),
        (
            "negative",
            to_b("-1"),
            422,
            "validation_failed",
            Some("#/amount"),
        ),
        (
            "not a number",
            to_b("abc"),
            422,
            "validation_failed",
            Some("#/amount"),
        ),
        (
            "too many places for ZAR",
            to_b("1.001"),
            422,
            "validation_failed",
            Some("#/amount"),
        ),
        (
            "too many places for AZR",
            json!({"from_wallet_id": a_azr, "to_wallet_id": b_azr, "amount": "0.000000001"}),
            422,
            "validation_failed",
            Some("#/amount"),
        ),
        (
            "someone else's wallet",
            json!({"from_wallet_id": b, "to_wallet_id": a, "amount": "1.00"}),
            404,
            "not_found",
            None,
        ),
        (
            "unknown source",
            json!({"from_wallet_id": Uuid::now_v7(), "to_wallet_id": b, "amount": "1.00"}),
            404,
            "not_found",
            None,
        ),
        (
            "unknown recipient wallet",
            json!({"from_wallet_id": a, "to_wallet_id": Uuid::now_v7(), "amount": "1.00"}),
            404,
            "not_found",
            None,
        ),
        (
            "recipient without a wallet in the currency",
            json!({"from_wallet_id": a, "to_email": "carol@example.com", "amount": "1.00"}),
            404,
            "not_found",
            None,
        ),
        (
            "unknown email",
            json!({"from_wallet_id": a, "to_email": "nobody@example.com", "amount": "1.00"}),
            404,
            "not_found",
            None,
        ),
        (
            "both recipients",
            json!({"from_wallet_id": a, "to_wallet_id": b, "to_email": "bob@example.com", "amount": "1.00"}),
            422,
            "validation_failed",
            None,
        ),
        (
            "no recipient",
            json!({"from_wallet_id": a, "amount": "1.00"}),
            422,
            "validation_failed",
            None,
        ),
        (
            "to myself",
            json!({"from_wallet_id": a, "to_wallet_id": a, "amount": "1.00"}),
            422,
            "self_transfer",
            None,
        ),
        (
            "to myself by email",
            json!({"from_wallet_id": a, "to_email": "alice@example.com", "amount": "1.00"}),
            422,
            "self_transfer",
            None,
        ),
    ];

    let audits = wallet_audit_count(&app).await;
    let before = books(&app).await;
    for (name, body, status, code, pointer) in cases {
        let resp = transfer(&app, &alice, Some(&new_key()), &body).await;
        let problem = assert_problem(resp, status, code).await;
        if let Some(pointer) = pointer {
            let pointers: Vec<&str> = problem["errors"]
                .as_array()
                .map(|e| e.iter().filter_map(|f| f["pointer"].as_str()).collect())
                .unwrap_or_default();
            assert!(pointers.contains(&pointer), "{name}: {problem}");
        }
        assert_eq!(books(&app).await, before, "{name} moved money");
    }

    // The whole balance may go (the check is `>=`, not `>`).
    transfer_ok(&app, &alice, &to_b("100.00")).await;
    assert_eq!(balance(&app, a).await, Decimal::ZERO);
    assert_eq!(balance(&app, b).await, d("150"));
    assert!(wallet_audit_count(&app).await > audits);

    // An unverified sender is refused even with money in the wallet.
    let resp = app
        .register("dave@example.com", PASSWORD, "Dave Unverified")
        .await;
    assert_eq!(resp.status(), 201);
    let dave = app.signin("dave@example.com", PASSWORD).await;
    let dv = uuid_of(&mint(&app, &root, dave.id, "ZAR", "20.00").await["to_wallet_id"]);
    let before = books(&app).await;
    assert_problem(
        transfer(
            &app,
            &dave,
            Some(&new_key()),
            &json!({"from_wallet_id": dv, "to_wallet_id": b, "amount": "1.00"}),
        )
        .await,
        403,
        "email_not_verified",
    )
    .await;
    assert_eq!(books(&app).await, before);
    assert_reconciles(&app, &root).await;
}

#[tokio::test]
async fn a_transfer_fee_is_charged_on_top_and_lands_in_the_fees_wallet() {
    let app = TestApp::spawn_with(|s| s.wallet.transfer_fee_rate = "0.01".parse().unwrap()).await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let a = uuid_of(&mint(&app, &root, alice.id, "ZAR", "10.10").await["to_wallet_id"]);
    let b = uuid_of(&open_wallet(&app, &bob, "ZAR").await["id"]);
    let fees_before = system_balance(&app, "fees", "ZAR").await;

    let tx = transfer_ok(
        &app,
        &alice,
        &json!({"from_wallet_id": a, "to_wallet_id": b, "amount": "10.00"}),
    )
    .await;
    assert_eq!(dec(&tx["amount"]), d("10.00"));
    assert_eq!(tx["fee"], "0.10");
    assert_eq!(dec(&tx["balance_after"]), Decimal::ZERO);
    assert_eq!(balance(&app, a).await, Decimal::ZERO, "10.00 + 0.10 left");
    assert_eq!(
        balance(&app, b).await,
        d("10.00"),
        "the recipient gets the amount"
    );
    assert_eq!(
        system_balance(&app, "fees", "ZAR").await - fees_before,
        d("0.10")
    );

    // The fee counts against the balance: 10.09 cannot pay 10.00 + 0.10.
    mint(&app, &root, alice.id, "ZAR", "10.09").await;
    let before = books(&app).await;
    assert_problem(
        transfer(
            &app,
            &alice,
            Some(&new_key()),
            &json!({"from_wallet_id": a, "to_wallet_id": b, "amount": "10.00"}),
        )
        .await,
        422,
        "insufficient_funds",
    )
    .await;
    assert_eq!(books(&app).await, before);
    assert_reconciles(&app, &root).await;
}

#[tokio::test]
async fn staking_locks_azr_until_maturity_and_returns_it_with_the_yield() {
    let app = TestApp::spawn().await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let azr = uuid_of(&mint(&app, &root, alice.id, "AZR", "100").await["to_wallet_id"]);

    // Refusals first: each leaves the books as they were.
    let before = books(&app).await;
    for term in [0, 29, 45, 365] {
        assert_invalid(
            app.post_as(
                "/api/v1/wallet/stakes",
                &alice,
                &json!({"amount": "50", "term_days": term}),
            )
            .await,
            "#/term_days",
        )
        .await;
    }
    for amount in ["0", "-5", "abc", "0.000000001"] {
        assert_invalid(
            app.post_as(
                "/api/v1/wallet/stakes",
                &alice,
                &json!({"amount": amount, "term_days": 30}),
            )
            .await,
            "#/amount",
        )
        .await;
    }
    assert_problem(
        app.post_as(
            "/api/v1/wallet/stakes",
            &alice,
            &json!({"amount": "100.00000001", "term_days": 30}),
        )
        .await,
        422,
        "insufficient_funds",
    )
    .await;
    assert_eq!(books(&app).await, before);

    let audits = wallet_audit_count(&app).await;
    let resp = app
        .post_as(
            "/api/v1/wallet/stakes",
            &alice,
            &json!({"amount": "50", "term_days": 30}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let stake = json(resp).await;
    assert_eq!(dec(&stake["amount"]), d("50"));
    assert_eq!(stake["term_days"], 30);
    assert!(dec(&stake["apr"]) >= Decimal::ZERO);
    assert_eq!(stake["status"], "active");
    assert_eq!(dec(&stake["accrued"]), Decimal::ZERO);
    assert!(stake["unstaked_at"].is_null());
    let term = time_of(&stake["matures_at"]) - time_of(&stake["started_at"]);
    assert_eq!(term.num_days(), 30, "{stake}");
    assert_eq!(
        balance(&app, azr).await,
        d("50"),
        "the stake left the wallet"
    );
    assert!(
        wallet_audit_count(&app).await > audits,
        "staking is audited"
    );
    let id = stake["id"].as_str().unwrap().to_owned();

    let list = json(app.get_as("/api/v1/wallet/stakes", &alice).await).await;
    let list = list.as_array().expect("an array of stakes");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], stake["id"]);
    let theirs = json(app.get_as("/api/v1/wallet/stakes", &bob).await).await;
    assert_eq!(theirs, json!([]), "others' stakes are not listed");

    // Not before maturity, and never someone else's.
    let unstake = format!("/api/v1/wallet/stakes/{id}/unstake");
    let before = books(&app).await;
    assert_problem(
        app.post_as(&unstake, &alice, &json!({})).await,
        422,
        "stake_not_matured",
    )
    .await;
    assert_problem(
        app.post_as(&unstake, &bob, &json!({})).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.post_as(
            &format!("/api/v1/wallet/stakes/{}/unstake", Uuid::now_v7()),
            &alice,
            &json!({}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(books(&app).await, before);

    // Matured: principal and yield come back, once.
    mature(&app, &id).await;
    let audits = wallet_audit_count(&app).await;
    let resp = app.post_as(&unstake, &alice, &json!({})).await;
    assert_eq!(resp.status(), 200);
    let done = json(resp).await;
    assert_eq!(done["status"], "unstaked");
    assert_eq!(done["id"], stake["id"]);
    time_of(&done["unstaked_at"]);
    let accrued = dec(&done["accrued"]);
    assert!(accrued >= Decimal::ZERO);
    assert_eq!(balance(&app, azr).await, d("100") + accrued);
    assert!(
        wallet_audit_count(&app).await > audits,
        "unstaking is audited"
    );

    let after = books(&app).await;
    assert_problem(
        app.post_as(&unstake, &alice, &json!({})).await,
        409,
        "already_unstaked",
    )
    .await;
    assert_eq!(books(&app).await, after);
    assert_reconciles(&app, &root).await;
}

/// Moves a stake's term into the past.
async fn mature(app: &TestApp, stake: &str) {
    app.db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE stakes SET started_at = started_at - interval '31 days', \
             matures_at = now() - interval '1 day' WHERE id = $1",
            [Uuid::parse_str(stake).unwrap().into()],
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_daily_staking_job_pays_each_day_once() {
    let app = TestApp::spawn().await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let alice = app.signup("alice@example.com").await;
    let azr = uuid_of(&mint(&app, &root, alice.id, "AZR", "1000").await["to_wallet_id"]);
    let resp = app
        .post_as(
            "/api/v1/wallet/stakes",
            &alice,
            &json!({"amount": "1000", "term_days": 90}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let stake = json(resp).await;
    let id = Uuid::parse_str(stake["id"].as_str().unwrap()).unwrap();
    let apr = dec(&stake["apr"]);
    app.db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE stakes SET started_at = started_at - interval '3 days' WHERE id = $1",
            [id.into()],
        ))
        .await
        .unwrap();

    let today = Utc::now().date_naive();
    let audits = wallet_audit_count(&app).await;
    assert_eq!(run_accrual(&app, today).await, 1, "one stake paid today");
    let accrued = stake_accrued(&app, &alice).await;
    let days = app.count("SELECT count(*) AS n FROM stake_accruals").await;
    assert!(
        (1..=3).contains(&days),
        "at most the 3 days since the start: {days}"
    );
    let paid: Decimal = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT coalesce(sum(amount), 0) AS s FROM stake_accruals",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "s")
        .unwrap();
    assert_eq!(accrued, paid, "the stake shows what its accruals paid");
    if apr > Decimal::ZERO {
        let per_day = (d("1000") * apr / d("365"))
            .round_dp_with_strategy(8, rust_decimal::RoundingStrategy::ToZero);
        assert!(accrued > Decimal::ZERO, "{days} days of {apr} on 1000 AZR");
        assert_eq!(accrued, per_day * Decimal::from(days));
    }
    assert_eq!(
        balance(&app, azr).await,
        Decimal::ZERO,
        "the yield stays in the stake"
    );
    assert!(
        wallet_audit_count(&app).await > audits,
        "the yield is a money move: audited"
    );
    assert_reconciles(&app, &root).await;

    // The job runs again (a retry, a second node): the day is already paid.
    let after = books(&app).await;
    assert_eq!(run_accrual(&app, today).await, 0);
    assert_eq!(stake_accrued(&app, &alice).await, accrued);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM stake_accruals").await,
        days
    );
    assert_eq!(books(&app).await, after);
    assert_reconciles(&app, &root).await;

    // At maturity the principal and everything accrued come back.
    mature(&app, &id.to_string()).await;
    let resp = app
        .post_as(
            &format!("/api/v1/wallet/stakes/{id}/unstake"),
            &alice,
            &json!({}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let done = json(resp).await;
    assert!(dec(&done["accrued"]) >= accrued);
    assert_eq!(balance(&app, azr).await, d("1000") + dec(&done["accrued"]));
    assert_reconciles(&app, &root).await;
}

async fn stake_accrued(app: &TestApp, user: &TestUser) -> Decimal {
    let list = json(app.get_as("/api/v1/wallet/stakes", user).await).await;
    dec(&list[0]["accrued"])
}

#[tokio::test]
async fn a_reward_is_paid_once_per_dedupe_key() {
    let app = TestApp::spawn().await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let alice = app.signup("alice@example.com").await;
    open_wallet(&app, &alice, "AZR").await;
    let key = format!("course_completed:demo:{}", alice.id);

    let audits = wallet_audit_count(&app).await;
    let paid = azora::modules::wallet::reward(&app.db, alice.id, d("5"), "course completed", &key)
        .await
        .expect("the reward is paid");
    let tx = paid.expect("a transaction the first time");
    assert!(
        wallet_audit_count(&app).await > audits,
        "rewards are audited"
    );
    assert_eq!(api_balance(&app, &alice, "AZR").await, d("5"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM ledger_transactions WHERE id = '{tx}' AND kind = 'reward'"
        ))
        .await,
        1
    );

    let after = books(&app).await;
    let again = azora::modules::wallet::reward(&app.db, alice.id, d("5"), "course completed", &key)
        .await
        .expect("a repeated reward is not an error");
    assert_eq!(again, None, "nothing the second time");
    assert_eq!(books(&app).await, after);
    assert_eq!(api_balance(&app, &alice, "AZR").await, d("5"));
    assert_eq!(
        app.count("SELECT count(*) AS n FROM reward_grants").await,
        1
    );

    // Another key pays again.
    let other = azora::modules::wallet::reward(
        &app.db,
        alice.id,
        d("2.5"),
        "lesson streak",
        &format!("streak:7:{}", alice.id),
    )
    .await
    .expect("another reward");
    assert!(other.is_some());
    assert_eq!(api_balance(&app, &alice, "AZR").await, d("7.5"));
    assert_reconciles(&app, &root).await;
}

#[tokio::test]
async fn reconcile_is_for_auditors_and_catches_a_tampered_balance() {
    let app = TestApp::spawn().await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let admin = app.signup_with_role("admin@example.com", "admin").await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let a = uuid_of(&mint(&app, &root, alice.id, "ZAR", "100.00").await["to_wallet_id"]);
    let b = uuid_of(&open_wallet(&app, &bob, "ZAR").await["id"]);
    transfer_ok(
        &app,
        &alice,
        &json!({"from_wallet_id": a, "to_wallet_id": b, "amount": "25.00"}),
    )
    .await;

    assert_problem(
        app.get_as("/api/v1/wallet/reconcile", &alice).await,
        403,
        "forbidden",
    )
    .await;
    let clean = reconcile(&app, &admin).await;
    assert_eq!(clean["ok"], true, "{clean}");
    assert_eq!(clean["violations"], json!([]));
    assert!(
        clean["checked_transactions"].as_i64().unwrap() >= 2,
        "{clean}"
    );
    assert!(clean["checked_wallets"].as_i64().unwrap() >= 2, "{clean}");

    app.db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE wallets SET balance = balance + 1 WHERE id = $1",
            [b.into()],
        ))
        .await
        .unwrap();
    let report = reconcile(&app, &root).await;
    assert_eq!(report["ok"], false, "{report}");
    let violations = report["violations"].as_array().unwrap();
    let hit = violations
        .iter()
        .find(|v| v["kind"] == "balance_mismatch" && v["wallet_id"] == json!(b))
        .unwrap_or_else(|| panic!("a balance_mismatch for {b}: {report}"));
    assert_eq!(hit["currency"], "ZAR");
    assert!(hit["detail"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(
        violations
            .iter()
            .all(|v| v["wallet_id"] != json!(a) || v["kind"] != "balance_mismatch"),
        "only the tampered wallet: {report}"
    );
}

#[tokio::test]
async fn metrics_show_supply_staking_and_volume_per_currency() {
    let app = TestApp::spawn().await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    assert_problem(
        app.get("/api/v1/wallet/metrics").await,
        401,
        "unauthenticated",
    )
    .await;
    let before = metrics(&app, &bob).await;

    let a = uuid_of(&mint(&app, &root, alice.id, "ZAR", "100.00").await["to_wallet_id"]);
    let b = uuid_of(&open_wallet(&app, &bob, "ZAR").await["id"]);
    transfer_ok(
        &app,
        &alice,
        &json!({"from_wallet_id": a, "to_wallet_id": b, "amount": "10.00"}),
    )
    .await;
    mint(&app, &root, alice.id, "AZR", "100").await;
    let resp = app
        .post_as(
            "/api/v1/wallet/stakes",
            &alice,
            &json!({"amount": "40", "term_days": 90}),
        )
        .await;
    assert_eq!(resp.status(), 201);

    // Deltas: the migration's initial rewards-pool issue is part of the AZR figures.
    let after = metrics(&app, &bob).await;
    let today = Utc::now().date_naive().format("%Y-%m-%d").to_string();
    let (zar0, zar) = (of(&before, "ZAR"), of(&after, "ZAR"));
    assert_eq!(zar["day"], today.as_str());
    assert_eq!(
        dec(&zar0["supply"]),
        Decimal::ZERO,
        "nothing issued yet: {zar0}"
    );
    assert_eq!(dec(&zar["supply"]), d("100"), "{zar}");
    assert_eq!(dec(&zar["staked"]), Decimal::ZERO, "{zar}");
    assert_eq!(
        zar["transactions"].as_i64().unwrap() - zar0["transactions"].as_i64().unwrap(),
        2,
        "a mint and a transfer: {zar}"
    );
    assert_eq!(
        dec(&zar["volume_24h"]) - dec(&zar0["volume_24h"]),
        d("110"),
        "{zar}"
    );
    let (azr0, azr) = (of(&before, "AZR"), of(&after, "AZR"));
    assert_eq!(
        dec(&azr["supply"]) - dec(&azr0["supply"]),
        d("100"),
        "{azr}"
    );
    assert_eq!(dec(&azr["staked"]) - dec(&azr0["staked"]), d("40"), "{azr}");
    assert_eq!(
        azr["transactions"].as_i64().unwrap() - azr0["transactions"].as_i64().unwrap(),
        2,
        "a mint and a stake: {azr}"
    );
}

/// `GET /wallet/metrics`, its shape checked.
async fn metrics(app: &TestApp, user: &TestUser) -> Value {
    let resp = app.get_as("/api/v1/wallet/metrics", user).await;
    assert_eq!(resp.status(), 200);
    let metrics = json(resp).await;
    let today = metrics["today"].as_array().expect("today: an array");
    let history = metrics["history"].as_array().expect("history: an array");
    for m in today.iter().chain(history) {
        assert!(m["currency"].is_string(), "{m}");
        dec(&m["supply"]);
        dec(&m["staked"]);
        dec(&m["volume_24h"]);
        assert!(m["transactions"].is_i64(), "{m}");
        chrono::NaiveDate::parse_from_str(m["day"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    }
    metrics
}

/// One currency's figures of `today`.
fn of(metrics: &Value, currency: &str) -> Value {
    metrics["today"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["currency"] == currency)
        .unwrap_or_else(|| panic!("{currency} in {metrics}"))
        .clone()
}

/// A small deterministic generator (xorshift64*), so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[tokio::test]
async fn concurrent_transfers_neither_deadlock_nor_create_or_lose_money() {
    // A burst of 200 requests queues for the pool: give it the production size and let the
    // queue wait, so the test is about the ledger, not about pool timeouts on a busy machine.
    let app = TestApp::spawn_with(|s| {
        s.database.max_connections = 16;
        s.database.acquire_timeout_secs = 30;
    })
    .await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    const USERS: usize = 8;
    let mut users = Vec::new();
    let mut wallets = Vec::new();
    for i in 0..USERS {
        let user = app.signup(&format!("user{i}@example.com")).await;
        let tx = mint(&app, &root, user.id, "ZAR", "100.00").await;
        wallets.push(uuid_of(&tx["to_wallet_id"]));
        users.push(user);
    }
    let total = d("100") * Decimal::from(USERS);

    // (sender, recipient, amount in cents, must fail), in groups sent back to back.
    let mut rng = Rng(0x5EED_2026_1122_0004);
    let mut groups: Vec<Vec<(usize, usize, i64, bool)>> = Vec::new();
    for k in 0..30 {
        // Opposite pairs at the same time: the classic lock-order deadlock.
        let x = k % USERS;
        let y = (x + 1 + rng.below(USERS - 1)) % USERS;
        let cents = 1 + rng.below(3000) as i64;
        groups.push(vec![(x, y, cents, false), (y, x, cents, false)]);
    }
    for _ in 0..20 {
        // More than all the money there is: must fail whatever else happens.
        let x = rng.below(USERS);
        let y = (x + 1 + rng.below(USERS - 1)) % USERS;
        groups.push(vec![(x, y, 100_000 + rng.below(100_000) as i64, true)]);
    }
    for _ in 0..120 {
        let x = rng.below(USERS);
        let y = (x + 1 + rng.below(USERS - 1)) % USERS;
        groups.push(vec![(x, y, 1 + rng.below(5000) as i64, false)]);
    }
    for i in (1..groups.len()).rev() {
        groups.swap(i, rng.below(i + 1));
    }
    let ops: Vec<(usize, usize, i64, bool)> = groups.into_iter().flatten().collect();
    assert_eq!(ops.len(), 200);

    let before_transfers = app
        .count("SELECT count(*) AS n FROM ledger_transactions WHERE kind = 'transfer'")
        .await;
    let mut set = tokio::task::JoinSet::new();
    for (i, &(from, to, cents, _)) in ops.iter().enumerate() {
        let req = app
            .client
            .post(app.url("/api/v1/wallet/transfers"))
            .bearer_auth(&users[from].access_token)
            .header("Idempotency-Key", format!("burst-{i}"))
            .json(&json!({
                "from_wallet_id": wallets[from],
                "to_wallet_id": wallets[to],
                "amount": Decimal::new(cents, 2).to_string(),
                "description": format!("burst {i}"),
            }));
        set.spawn(async move {
            let resp = req.send().await.expect("request sent");
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            (i, status, body)
        });
    }
    let mut results = HashMap::new();
    while let Some(done) = set.join_next().await {
        let (i, status, body) = done.expect("the request task");
        results.insert(i, (status, body));
    }

    let mut unexpected = Vec::new();
    let mut delta = [Decimal::ZERO; USERS];
    let mut ok = 0;
    for (i, &(from, to, cents, must_fail)) in ops.iter().enumerate() {
        let (status, body) = &results[&i];
        match status {
            201 if !must_fail => {
                ok += 1;
                let amount = Decimal::new(cents, 2);
                assert_eq!(dec(&body["amount"]), amount, "{body}");
                delta[from] -= amount;
                delta[to] += amount;
            }
            422 if body["code"] == "insufficient_funds" => {}
            _ => unexpected.push(format!("#{i} {from}->{to} {cents}c: {status} {body}")),
        }
    }
    assert!(
        unexpected.is_empty(),
        "unexpected answers:\n{}",
        unexpected.join("\n")
    );
    assert!(ok > 0, "some transfers succeed");

    // Exactly what was answered 201 was posted, and each balance is its start plus its moves.
    assert_eq!(
        app.count("SELECT count(*) AS n FROM ledger_transactions WHERE kind = 'transfer'")
            .await
            - before_transfers,
        ok
    );
    let mut sum = Decimal::ZERO;
    for (i, user) in users.iter().enumerate() {
        let cached = balance(&app, wallets[i]).await;
        assert!(cached >= Decimal::ZERO, "user{i} is at {cached}");
        assert_eq!(cached, d("100") + delta[i], "user{i}");
        assert_eq!(api_balance(&app, user, "ZAR").await, cached);
        sum += cached;
    }
    assert_eq!(sum, total, "money is neither created nor lost");
    let rows = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COALESCE(sum(balance), 0) AS s, count(*) FILTER (WHERE balance < 0) AS neg \
             FROM wallets WHERE owner_id IS NOT NULL AND currency = 'ZAR'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rows.try_get::<Decimal>("", "s").unwrap(), total);
    assert_eq!(rows.try_get::<i64>("", "neg").unwrap(), 0);
    assert_reconciles(&app, &root).await;
}

#[tokio::test]
async fn pay_and_refund_move_money_once_inside_the_callers_transaction() {
    use azora::modules::wallet::{pay, refund};
    use sea_orm::TransactionTrait;

    let app = TestApp::spawn().await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let learner = app.signup("learner@example.com").await;
    let wallet = uuid_of(&mint(&app, &root, learner.id, "ZAR", "100.00").await["to_wallet_id"]);
    let revenue = system_balance(&app, "course_revenue", "ZAR").await;

    // A payment that the caller then rolls back moves nothing.
    let txn = app.db.begin().await.unwrap();
    pay(
        &txn,
        learner.id,
        "ZAR",
        d("30.00"),
        "enrollment:rolled-back",
        "Course",
    )
    .await
    .unwrap();
    txn.rollback().await.unwrap();
    assert_eq!(balance(&app, wallet).await, d("100.00"));

    let txn = app.db.begin().await.unwrap();
    let payment = pay(
        &txn,
        learner.id,
        "ZAR",
        d("30.00"),
        "enrollment:1",
        "Course",
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(balance(&app, wallet).await, d("70.00"));
    assert_eq!(
        system_balance(&app, "course_revenue", "ZAR").await,
        revenue + d("30.00")
    );

    // Too little money, an amount finer than the scale, or no wallet: refused, nothing moves.
    let txn = app.db.begin().await.unwrap();
    let err = pay(
        &txn,
        learner.id,
        "ZAR",
        d("70.01"),
        "enrollment:2",
        "Course",
    )
    .await
    .unwrap_err();
    assert_eq!(err.code().as_str(), "insufficient_funds");
    let err = pay(
        &txn,
        learner.id,
        "ZAR",
        d("1.001"),
        "enrollment:3",
        "Course",
    )
    .await
    .unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_amount");
    let err = pay(&txn, learner.id, "USD", d("1.00"), "enrollment:4", "Course")
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "insufficient_funds");
    txn.rollback().await.unwrap();
    assert_eq!(balance(&app, wallet).await, d("70.00"));

    // A refund reverses the payment once.
    let txn = app.db.begin().await.unwrap();
    let refund_id = refund(&txn, payment, "Dropped within the window")
        .await
        .unwrap();
    txn.commit().await.unwrap();
    assert_ne!(refund_id, payment);
    assert_eq!(balance(&app, wallet).await, d("100.00"));
    assert_eq!(system_balance(&app, "course_revenue", "ZAR").await, revenue);
    let txn = app.db.begin().await.unwrap();
    let err = refund(&txn, payment, "again").await.unwrap_err();
    assert_eq!(err.code().as_str(), "already_refunded");
    let err = refund(&txn, refund_id, "a refund is not a payment")
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "not_found");
    txn.rollback().await.unwrap();
    assert_eq!(balance(&app, wallet).await, d("100.00"));
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM audit_logs WHERE action IN ('wallet.pay', 'wallet.refund')"
        )
        .await,
        2
    );
    assert_reconciles(&app, &root).await;
}

#[tokio::test]
async fn a_suspended_sender_is_refused_even_with_an_api_key() {
    let app = TestApp::spawn().await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let sender = app.signup("sender@example.com").await;
    let receiver = app.signup("receiver@example.com").await;
    let from = uuid_of(&mint(&app, &root, sender.id, "ZAR", "50.00").await["to_wallet_id"]);
    let to = uuid_of(&open_wallet(&app, &receiver, "ZAR").await["id"]);
    let key = json(
        app.post_as(
            "/api/v1/me/api-keys",
            &sender,
            &json!({"name": "payments", "permissions": ["wallet:transfer"]}),
        )
        .await,
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    // Suspended after the key was made (arranged directly; suspension itself is tested in identity).
    app.count(&format!(
        "WITH u AS (UPDATE users SET status = 'suspended' WHERE id = '{}' RETURNING 1) SELECT count(*) AS n FROM u",
        sender.id
    ))
    .await;
    let before = books(&app).await;
    let resp = app
        .client
        .post(app.url("/api/v1/wallet/transfers"))
        .header("X-Api-Key", key)
        .header("Idempotency-Key", new_key())
        .json(&json!({"from_wallet_id": from, "to_wallet_id": to, "amount": "1.00"}))
        .send()
        .await
        .unwrap();
    assert_problem(resp, 403, "account_suspended").await;
    assert_eq!(books(&app).await, before);
}

#[tokio::test]
async fn wallet_entities_decode_every_column_of_their_tables() {
    use entity::{
        currencies, economic_snapshots, ledger_entries, ledger_transactions, reward_grants,
        stake_accruals, stakes, wallets,
    };
    use kernel::enums::{LedgerKind, StakeStatus, SystemWalletKind};
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};

    // Arrange: a row in every wallet table, through the API and the module's functions.
    let app = TestApp::spawn().await;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let alice = app.signup("alice@example.com").await;
    mint(&app, &root, alice.id, "AZR", "100").await;
    let resp = app
        .post_as(
            "/api/v1/wallet/stakes",
            &alice,
            &json!({"amount": "50", "term_days": 30}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let stake_id = uuid_of(&json(resp).await["id"]);
    let tomorrow = Utc::now().date_naive() + chrono::Duration::days(1);
    assert_eq!(run_accrual(&app, tomorrow).await, 1);
    azora::modules::wallet::reward(&app.db, alice.id, d("1"), "entities", "entities:1")
        .await
        .unwrap()
        .expect("a reward");
    economic_snapshots::ActiveModel {
        day: Set(tomorrow),
        currency: Set("AZR".into()),
        supply: Set(d("10000100")),
        staked: Set(d("50.01369863")),
        volume_24h: Set(d("151")),
        transactions: Set(4),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();

    // Act: every column of every row, read through the entities.
    let currencies = currencies::Entity::find().all(&app.db).await.unwrap();
    let wallets = wallets::Entity::find().all(&app.db).await.unwrap();
    let transactions = ledger_transactions::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    let entries = ledger_entries::Entity::find().all(&app.db).await.unwrap();
    let grants = reward_grants::Entity::find().all(&app.db).await.unwrap();
    let stake = stakes::Entity::find_by_id(stake_id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("the stake");
    let accruals = stake_accruals::Entity::find().all(&app.db).await.unwrap();
    let snapshots = economic_snapshots::Entity::find()
        .all(&app.db)
        .await
        .unwrap();

    // Assert
    assert!(currencies.iter().any(|c| c.code == "ZAR" && c.scale == 2));
    assert!(
        wallets
            .iter()
            .any(|w| w.system_kind == Some(SystemWalletKind::Treasury) && w.owner_id.is_none())
    );
    assert!(
        wallets
            .iter()
            .any(|w| w.owner_id == Some(alice.id) && w.currency == "AZR")
    );
    for kind in [
        LedgerKind::Mint,
        LedgerKind::Stake,
        LedgerKind::StakeReward,
        LedgerKind::Reward,
    ] {
        assert!(transactions.iter().any(|t| t.kind == kind), "{kind}");
    }
    assert_eq!(entries.len(), 2 * transactions.len());
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].user_id, alice.id);
    assert_eq!(stake.status, StakeStatus::Active);
    assert_eq!(stake.amount, d("50"));
    assert_eq!(stake.user_id, alice.id);
    assert_eq!(accruals.len(), 1);
    assert!(accruals[0].transaction_id.is_some());
    let snapshot = snapshots
        .iter()
        .find(|s| s.day == tomorrow && s.currency == "AZR")
        .expect("the snapshot");
    assert_eq!(snapshot.transactions, 4);
    assert_eq!(snapshot.staked, d("50.01369863"));
}
