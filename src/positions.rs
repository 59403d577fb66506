//! Gap-free order of rows within a parent: modules of a course, lessons of a module,
//! questions of an assessment. Positions are 0..n-1 and unique per parent by a constraint
//! checked at the end of each statement (`DEFERRABLE INITIALLY IMMEDIATE`), so every edit here
//! is one UPDATE and a gap or duplicate can never be committed. Callers lock the parent's
//! owner first (the course row), so edits of one parent run one at a time.

use kernel::{AppError, AppResult, ErrorCode, FieldError, db};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

/// The rows of one table that share a parent column.
#[derive(Debug, Clone, Copy)]
pub struct Siblings {
    pub table: &'static str,
    pub parent: &'static str,
}

fn position_error(max: i32) -> AppError {
    AppError::validation(vec![FieldError::new(
        "#/position",
        format!("must be between 0 and {max}"),
    )])
}

impl Siblings {
    pub const MODULES: Siblings = Siblings {
        table: "course_modules",
        parent: "course_id",
    };
    pub const LESSONS: Siblings = Siblings {
        table: "lessons",
        parent: "module_id",
    };
    pub const QUESTIONS: Siblings = Siblings {
        table: "questions",
        parent: "assessment_id",
    };

    /// How many rows the parent has.
    pub async fn count(self, txn: &DatabaseTransaction, parent: Uuid) -> AppResult<i32> {
        let n: i64 = db::scalar(
            txn,
            format!(
                "SELECT count(*) FROM {} WHERE {} = $1",
                self.table, self.parent
            ),
            [parent.into()],
        )
        .await?
        .unwrap_or(0);
        Ok(n as i32)
    }

    /// Opens a gap at `at` for a new row (or checks `at` is within 0..=count).
    pub async fn make_room(
        self,
        txn: &DatabaseTransaction,
        parent: Uuid,
        at: Option<i32>,
    ) -> AppResult<i32> {
        let count = self.count(txn, parent).await?;
        let at = at.unwrap_or(count);
        if !(0..=count).contains(&at) {
            return Err(position_error(count));
        }
        db::exec(
            txn,
            format!(
                "UPDATE {} SET position = position + 1 WHERE {} = $1 AND position >= $2",
                self.table, self.parent
            ),
            [parent.into(), at.into()],
        )
        .await?;
        Ok(at)
    }

    /// Moves row `id` from `from` to `to` among its siblings, in one statement.
    pub async fn move_to(
        self,
        txn: &DatabaseTransaction,
        parent: Uuid,
        id: Uuid,
        from: i32,
        to: i32,
    ) -> AppResult<()> {
        let count = self.count(txn, parent).await?;
        if !(0..count).contains(&to) {
            return Err(position_error(count - 1));
        }
        if from == to {
            return Ok(());
        }
        let (lo, hi, delta) = if to < from {
            (to, from - 1, 1)
        } else {
            (from + 1, to, -1)
        };
        db::exec(
            txn,
            format!(
                "UPDATE {} SET position = CASE WHEN id = $2 THEN $3 ELSE position + $6 END \
             WHERE {} = $1 AND (id = $2 OR position BETWEEN $4 AND $5)",
                self.table, self.parent
            ),
            [
                parent.into(),
                id.into(),
                to.into(),
                lo.into(),
                hi.into(),
                delta.into(),
            ],
        )
        .await?;
        Ok(())
    }

    /// Closes the gap a removed row left at `at`.
    pub async fn close_gap(
        self,
        txn: &DatabaseTransaction,
        parent: Uuid,
        at: i32,
    ) -> AppResult<()> {
        db::exec(
            txn,
            format!(
                "UPDATE {} SET position = position - 1 WHERE {} = $1 AND position > $2",
                self.table, self.parent
            ),
            [parent.into(), at.into()],
        )
        .await?;
        Ok(())
    }

    /// Sets the order of all rows of a parent: `ids` must hold each of them exactly once.
    pub async fn reorder(
        self,
        txn: &DatabaseTransaction,
        parent: Uuid,
        ids: &[Uuid],
    ) -> AppResult<()> {
        let current: Vec<Uuid> = db::column(
            txn,
            format!("SELECT id FROM {} WHERE {} = $1", self.table, self.parent),
            [parent.into()],
        )
        .await?;
        let mut errors = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            if !current.contains(id) {
                errors.push(FieldError::new(
                    format!("#/ids/{i}"),
                    "not one of this parent's items",
                ));
            } else if ids[..i].contains(id) {
                errors.push(FieldError::new(format!("#/ids/{i}"), "listed twice"));
            }
        }
        let missing = current.iter().filter(|id| !ids.contains(id)).count();
        if missing > 0 {
            errors.push(FieldError::new(
                "#/ids",
                format!("{missing} item(s) missing: list every item exactly once"),
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::new(
                ErrorCode::InvalidOrder,
                "the new order must list every item exactly once",
            )
            .with_errors(errors));
        }
        let list = ids
            .iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(",");
        db::exec(
            txn,
            format!(
                "UPDATE {t} x SET position = v.pos - 1, updated_at = now() \
             FROM unnest(string_to_array($2, ',')::uuid[]) WITH ORDINALITY AS v(id, pos) \
             WHERE x.id = v.id AND x.{p} = $1",
                t = self.table,
                p = self.parent
            ),
            [parent.into(), list.into()],
        )
        .await?;
        Ok(())
    }
}
