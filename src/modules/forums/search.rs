//! Full-text search over thread titles (weight A, on root posts) and post bodies (weight B),
//! ranked, with `ts_headline` snippets over the HTML-escaped body (`<mark>` the only tag),
//! limited to the forums the caller sees; deleted and hidden posts never match.

use kernel::pagination::{Page, Paging};
use kernel::{Actor, AppResult, db};
use sea_orm::FromQueryResult;

use super::access;
use super::dto::{SearchHit, SearchQuery};
use crate::state::AppState;

/// The posts that match: `$1` query text, `$2` visible forums, `$3`..`$7` filters. The
/// tsquery is written inline (not in a CTE) so that the planner estimates its matches.
const MATCHES: &str = "
    FROM forum_posts p JOIN forum_threads t ON t.id = p.thread_id
    WHERE p.search @@ websearch_to_tsquery('english', $1) AND t.forum_id = ANY ($2)
      AND p.deleted_at IS NULL AND p.hidden_at IS NULL AND t.hidden_at IS NULL AND t.merged_into_id IS NULL
      AND ($3::uuid IS NULL OR t.forum_id = $3) AND ($4::uuid IS NULL OR p.author_id = $4)
      AND ($5::timestamptz IS NULL OR p.created_at >= $5) AND ($6::timestamptz IS NULL OR p.created_at < $6)
      AND ($7::boolean IS NULL OR (t.accepted_post_id IS NOT NULL) = $7)";

/// The search (`$8` limit, `$9` offset): ranks every match (the count over narrow rows, so the
/// window never carries the `search` vectors), pages, and only the page's rows get a snippet.
fn search_sql() -> String {
    format!(
        "WITH ranked AS (SELECT p.id, ts_rank(p.search, websearch_to_tsquery('english', $1)) AS rank {MATCHES}),
hits AS (SELECT id, rank, count(*) OVER () AS total FROM ranked ORDER BY rank DESC, id DESC LIMIT $8 OFFSET $9)
SELECT p.id AS post_id, t.id AS thread_id, t.forum_id, t.title, p.number, p.author_id,
       u.display_name AS author_name,
       ts_headline('english', replace(replace(replace(p.body, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
                   websearch_to_tsquery('english', $1),
                   'StartSel=<mark>, StopSel=</mark>, MaxWords=35, MinWords=15, MaxFragments=2') AS snippet,
       h.rank, t.accepted_post_id IS NOT NULL AS answered, p.created_at, h.total
FROM hits h JOIN forum_posts p ON p.id = h.id JOIN forum_threads t ON t.id = p.thread_id
     JOIN users u ON u.id = p.author_id
ORDER BY h.rank DESC, p.id DESC"
    )
}

#[derive(FromQueryResult)]
struct Row {
    #[sea_orm(nested)]
    hit: SearchHit,
    total: i64,
}

pub async fn search(state: &AppState, actor: &Actor, q: SearchQuery) -> AppResult<Page<SearchHit>> {
    let paging = Paging::new(q.page, q.per_page)?;
    let visible = access::visible_forum_ids(state, actor).await?;
    let params = || -> Vec<sea_orm::Value> {
        vec![
            q.q.as_str().into(),
            visible.clone().into(),
            q.forum_id.into(),
            q.author_id.into(),
            q.since.into(),
            q.until.into(),
            q.answered.into(),
        ]
    };
    let mut values = params();
    values.push(paging.limit_i64().into());
    values.push(paging.offset_i64().into());
    let rows: Vec<Row> = db::rows(&state.db, search_sql(), values).await?;
    let total = match rows.first() {
        Some(r) => r.total as u64,
        // Past the last page: count without ranking.
        None if paging.page > 1 => {
            db::scalar::<i64, _>(&state.db, format!("SELECT count(*) {MATCHES}"), params())
                .await?
                .unwrap_or(0) as u64
        }
        None => 0,
    };
    Ok(paging.wrap(rows.into_iter().map(|r| r.hit).collect(), total))
}
