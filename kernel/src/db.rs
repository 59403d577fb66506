//! Database helpers for the statements that stay explicit SQL (joins, row locks, full-text
//! search, the ledger): bind values to `$1, $2, ...` and read rows into
//! `#[derive(FromQueryResult)]` structs. Single-table CRUD goes through SeaORM entities instead.

use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, ExecResult, FromQueryResult, QueryResult, Statement, Value,
};

fn statement(sql: impl Into<String>, values: impl IntoIterator<Item = Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// `sql` read into `T`: every row.
pub async fn rows<T: FromQueryResult, C: ConnectionTrait>(
    db: &C,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Result<Vec<T>, DbErr> {
    T::find_by_statement(statement(sql, values)).all(db).await
}

/// `sql` read into `T`: at most one row.
pub async fn row<T: FromQueryResult, C: ConnectionTrait>(
    db: &C,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Result<Option<T>, DbErr> {
    T::find_by_statement(statement(sql, values)).one(db).await
}

/// The first column of the first row of `sql`, e.g. a `count(*)` or a `RETURNING id`.
pub async fn scalar<T: sea_orm::TryGetable, C: ConnectionTrait>(
    db: &C,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Result<Option<T>, DbErr> {
    match db.query_one_raw(statement(sql, values)).await? {
        Some(r) => Ok(Some(r.try_get_by_index(0)?)),
        None => Ok(None),
    }
}

/// The first column of every row of `sql`.
pub async fn column<T: sea_orm::TryGetable, C: ConnectionTrait>(
    db: &C,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Result<Vec<T>, DbErr> {
    db.query_all_raw(statement(sql, values))
        .await?
        .iter()
        .map(|r| r.try_get_by_index(0))
        .collect()
}

/// Whether `sql` returns a row.
pub async fn exists<C: ConnectionTrait>(
    db: &C,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Result<bool, DbErr> {
    Ok(db.query_one_raw(statement(sql, values)).await?.is_some())
}

/// `sql` as untyped rows: only for code that inspects columns generically (tests, tools).
pub async fn raw_rows<C: ConnectionTrait>(
    db: &C,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all_raw(statement(sql, values)).await
}

/// `sql` with `values` bound to `$1, $2, ...`, for its effect.
pub async fn exec<C: ConnectionTrait>(
    db: &C,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Result<ExecResult, DbErr> {
    db.execute_raw(statement(sql, values)).await
}

/// Takes the transaction-scoped advisory lock named `key` (released at commit or rollback):
/// callers that must not run together for one key take it first.
pub async fn advisory_lock<C: ConnectionTrait>(db: &C, key: &str) -> Result<(), DbErr> {
    exec(
        db,
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        [key.into()],
    )
    .await
    .map(|_| ())
}
