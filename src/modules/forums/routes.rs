//! Handlers of the forum routes (docs/forums.md). A forum id segment matches hex digits and
//! dashes only, so `/forums/search`, `/forums/threads/...` and `/forums/posts/...` are never
//! read as forum ids (a method they lack is a 405, not a malformed id).

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use kernel::enums::ReactionKind;
use kernel::pagination::Page;
use uuid::Uuid;

use super::dto::{
    AcceptRequest, BanRequest, BanResponse, CreateForumRequest, CreatePostRequest,
    CreateThreadRequest, EditPostRequest, ForumResponse, ListForumsQuery, ListPostsQuery,
    ListThreadsQuery, MergeRequest, PostPage, PostResponse, RevisionResponse, SearchHit,
    SearchQuery, SimilarQuery, SplitRequest, SubscriptionBody, ThreadPage, ThreadResponse,
    UpdateForumRequest, UpdateThreadRequest, VoteRequest,
};
use super::{boards, posts, search, threads};
use crate::http::ApiResult;
use crate::http::auth::{AuthUser, ClientInfo};
use crate::http::extract::{Json, Query};
use crate::modules::moderation::{FlagRequest, FlagResponse};
use crate::state::AppState;

/// The forums you see (site-wide, your organizations', your courses'), by position.
#[utoipa::path(tag = "forums", security(("api_key" = [])), params(ListForumsQuery), responses((status = 200, body = Vec<ForumResponse>)))]
#[get("/forums")]
pub async fn list_forums(
    state: web::Data<AppState>,
    user: AuthUser,
    q: Query<ListForumsQuery>,
) -> ApiResult<web::Json<Vec<ForumResponse>>> {
    Ok(web::Json(
        boards::list(&state, &user, q.into_inner()).await?,
    ))
}

/// Create a forum or a sub-forum (at most three levels); needs `forum:moderate` in its scope.
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:moderate"])), request_body = CreateForumRequest, responses((status = 201, body = ForumResponse)))]
#[post("/forums")]
pub async fn create_forum(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<CreateForumRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(boards::create(&state, &user, &client, body.into_inner()).await?))
}

/// Full-text search over the threads and posts you may see: ranked, with highlighted snippets.
#[utoipa::path(tag = "forums", security(("api_key" = [])), params(SearchQuery), responses((status = 200, body = Page<SearchHit>)))]
#[get("/forums/search")]
pub async fn search_forums(
    state: web::Data<AppState>,
    user: AuthUser,
    q: Query<SearchQuery>,
) -> ApiResult<web::Json<Page<SearchHit>>> {
    Ok(web::Json(
        search::search(&state, &user, q.into_inner()).await?,
    ))
}

/// A thread, with its accepted answer.
#[utoipa::path(tag = "forums", security(("api_key" = [])), params(("id" = Uuid, Path, description = "Thread id")), responses((status = 200, body = ThreadResponse)))]
#[get("/forums/threads/{id}")]
pub async fn get_thread(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ThreadResponse>> {
    Ok(web::Json(
        threads::get(&state, &user, id.into_inner()).await?,
    ))
}

/// Change a thread: title and links (its author or staff); pin, lock, hide or move it (staff).
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:post"])), params(("id" = Uuid, Path, description = "Thread id")), request_body = UpdateThreadRequest, responses((status = 200, body = ThreadResponse)))]
#[patch("/forums/threads/{id}")]
pub async fn update_thread(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<UpdateThreadRequest>,
) -> ApiResult<web::Json<ThreadResponse>> {
    Ok(web::Json(
        threads::update(&state, &user, &client, id.into_inner(), body.into_inner()).await?,
    ))
}

/// A thread's posts as a tree (depth-first) or flat (by time), keyset-paged.
#[utoipa::path(tag = "forums", security(("api_key" = [])), params(("id" = Uuid, Path, description = "Thread id"), ListPostsQuery), responses((status = 200, body = PostPage)))]
#[get("/forums/threads/{id}/posts")]
pub async fn list_posts(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    q: Query<ListPostsQuery>,
) -> ApiResult<web::Json<PostPage>> {
    Ok(web::Json(
        posts::list(&state, &user, id.into_inner(), q.into_inner()).await?,
    ))
}

/// Reply in a thread (to `parent_id`, or to its first post); watchers, the replied-to author and mentioned members get stream events.
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:post"])), params(("id" = Uuid, Path, description = "Thread id")), request_body = CreatePostRequest, responses((status = 201, body = PostResponse), (status = 409, description = "`thread_locked`, `thread_merged`"), (status = 429, description = "`rate_limited`: new accounts post slower")))]
#[post("/forums/threads/{id}/posts")]
pub async fn create_post(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<CreatePostRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(posts::reply(&state, &user, &client, id.into_inner(), body.into_inner()).await?))
}

/// Merge this thread into another (staff of both): every post moves there.
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:moderate"])), params(("id" = Uuid, Path, description = "Thread id")), request_body = MergeRequest, responses((status = 200, body = ThreadResponse), (status = 409, description = "`thread_merged`")))]
#[post("/forums/threads/{id}/merge")]
pub async fn merge_thread(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<MergeRequest>,
) -> ApiResult<web::Json<ThreadResponse>> {
    Ok(web::Json(
        threads::merge(&state, &user, &client, id.into_inner(), body.into_inner()).await?,
    ))
}

/// Accept an answer of a question thread (its author or staff).
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:post"])), params(("id" = Uuid, Path, description = "Thread id")), request_body = AcceptRequest, responses((status = 200, body = ThreadResponse)))]
#[put("/forums/threads/{id}/accepted-answer")]
pub async fn accept_answer(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<AcceptRequest>,
) -> ApiResult<web::Json<ThreadResponse>> {
    Ok(web::Json(
        threads::accept(
            &state,
            &user,
            &client,
            id.into_inner(),
            Some(body.into_inner()),
        )
        .await?,
    ))
}

/// Take the acceptance back (the thread's author or staff).
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:post"])), params(("id" = Uuid, Path, description = "Thread id")), responses((status = 200, body = ThreadResponse)))]
#[delete("/forums/threads/{id}/accepted-answer")]
pub async fn unaccept_answer(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ThreadResponse>> {
    Ok(web::Json(
        threads::accept(&state, &user, &client, id.into_inner(), None).await?,
    ))
}

/// Your level on a thread (it wins over the forum's).
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:post"])), params(("id" = Uuid, Path, description = "Thread id")), request_body = SubscriptionBody, responses((status = 200, body = SubscriptionBody)))]
#[put("/forums/threads/{id}/subscription")]
pub async fn subscribe_thread(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<SubscriptionBody>,
) -> ApiResult<web::Json<SubscriptionBody>> {
    let body = body.into_inner();
    posts::subscribe(&state, &user, id.into_inner(), body.level).await?;
    Ok(web::Json(body))
}

/// A post.
#[utoipa::path(tag = "forums", security(("api_key" = [])), params(("id" = Uuid, Path, description = "Post id")), responses((status = 200, body = PostResponse)))]
#[get("/forums/posts/{id}")]
pub async fn get_post(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<PostResponse>> {
    Ok(web::Json(posts::get(&state, &user, id.into_inner()).await?))
}

/// Edit a post (its author or staff); the earlier text is kept as a revision.
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:post"])), params(("id" = Uuid, Path, description = "Post id")), request_body = EditPostRequest, responses((status = 200, body = PostResponse), (status = 409, description = "`post_deleted`, `thread_locked`")))]
#[patch("/forums/posts/{id}")]
pub async fn edit_post(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<EditPostRequest>,
) -> ApiResult<web::Json<PostResponse>> {
    Ok(web::Json(
        posts::edit(&state, &user, &client, id.into_inner(), body.into_inner()).await?,
    ))
}

/// Delete a post (its author or staff): a placeholder keeps its place in the tree.
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:post"])), params(("id" = Uuid, Path, description = "Post id")), responses((status = 204, description = "Done")))]
#[delete("/forums/posts/{id}")]
pub async fn delete_post(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    posts::delete(&state, &user, &client, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The earlier texts of a post, oldest first.
#[utoipa::path(tag = "forums", security(("api_key" = [])), params(("id" = Uuid, Path, description = "Post id")), responses((status = 200, body = Vec<RevisionResponse>)))]
#[get("/forums/posts/{id}/revisions")]
pub async fn list_post_revisions(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Vec<RevisionResponse>>> {
    Ok(web::Json(
        posts::revisions(&state, &user, id.into_inner()).await?,
    ))
}

/// Split a reply and its replies off into a new thread (staff).
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:moderate"])), params(("id" = Uuid, Path, description = "Post id")), request_body = SplitRequest, responses((status = 201, body = ThreadResponse), (status = 409, description = "`thread_merged`")))]
#[post("/forums/posts/{id}/split")]
pub async fn split_post(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<SplitRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(threads::split(&state, &user, &client, id.into_inner(), body.into_inner()).await?))
}

/// React to a post (one per kind per person); answers the post with its counts.
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:post"])), params(("id" = Uuid, Path, description = "Post id"), ("kind" = inline(ReactionKind), Path, description = "Reaction")), responses((status = 200, body = PostResponse), (status = 409, description = "`post_deleted`")))]
#[put("/forums/posts/{id}/reactions/{kind}")]
pub async fn add_post_reaction(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, ReactionKind)>,
) -> ApiResult<web::Json<PostResponse>> {
    let (id, kind) = path.into_inner();
    Ok(web::Json(
        posts::react(&state, &user, id, kind, true).await?,
    ))
}

/// Take your reaction back; answers the post with its counts.
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:post"])), params(("id" = Uuid, Path, description = "Post id"), ("kind" = inline(ReactionKind), Path, description = "Reaction")), responses((status = 200, body = PostResponse)))]
#[delete("/forums/posts/{id}/reactions/{kind}")]
pub async fn remove_post_reaction(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, ReactionKind)>,
) -> ApiResult<web::Json<PostResponse>> {
    let (id, kind) = path.into_inner();
    Ok(web::Json(
        posts::react(&state, &user, id, kind, false).await?,
    ))
}

/// Vote on an answer (a reply in a question thread, not your own).
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:post"])), params(("id" = Uuid, Path, description = "Post id")), request_body = VoteRequest, responses((status = 200, body = PostResponse)))]
#[put("/forums/posts/{id}/vote")]
pub async fn vote_post(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<VoteRequest>,
) -> ApiResult<web::Json<PostResponse>> {
    Ok(web::Json(
        posts::vote(&state, &user, id.into_inner(), Some(body.into_inner())).await?,
    ))
}

/// Take your vote back.
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:post"])), params(("id" = Uuid, Path, description = "Post id")), responses((status = 200, body = PostResponse)))]
#[delete("/forums/posts/{id}/vote")]
pub async fn unvote_post(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<PostResponse>> {
    Ok(web::Json(
        posts::vote(&state, &user, id.into_inner(), None).await?,
    ))
}

/// Flag a post for the moderators (once per person); enough flags hide it until reviewed.
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:post"])), params(("id" = Uuid, Path, description = "Post id")), request_body = FlagRequest, responses((status = 201, body = FlagResponse), (status = 409, description = "`already_flagged`")))]
#[post("/forums/posts/{id}/flags")]
pub async fn flag_post(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<FlagRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(posts::flag(&state, &user, &client, id.into_inner(), body.into_inner()).await?))
}

/// A forum, with what you may do in it.
#[utoipa::path(tag = "forums", security(("api_key" = [])), params(("id" = Uuid, Path, description = "Forum id")), responses((status = 200, body = ForumResponse)))]
#[get("/forums/{id:[0-9a-fA-F-]+}")]
pub async fn get_forum(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ForumResponse>> {
    Ok(web::Json(
        boards::get(&state, &user, id.into_inner()).await?,
    ))
}

/// Change a forum's name, description, posting rules or position (staff).
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:moderate"])), params(("id" = Uuid, Path, description = "Forum id")), request_body = UpdateForumRequest, responses((status = 200, body = ForumResponse)))]
#[patch("/forums/{id:[0-9a-fA-F-]+}")]
pub async fn update_forum(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<UpdateForumRequest>,
) -> ApiResult<web::Json<ForumResponse>> {
    Ok(web::Json(
        boards::update(&state, &user, &client, id.into_inner(), body.into_inner()).await?,
    ))
}

/// A forum's threads: pinned first, then by latest post.
#[utoipa::path(tag = "forums", security(("api_key" = [])), params(("id" = Uuid, Path, description = "Forum id"), ListThreadsQuery), responses((status = 200, body = ThreadPage)))]
#[get("/forums/{id:[0-9a-fA-F-]+}/threads")]
pub async fn list_threads(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    q: Query<ListThreadsQuery>,
) -> ApiResult<web::Json<ThreadPage>> {
    Ok(web::Json(
        threads::list(&state, &user, id.into_inner(), q.into_inner()).await?,
    ))
}

/// Start a thread: its title and first post; a question takes answers, votes and an accepted answer.
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:post"])), params(("id" = Uuid, Path, description = "Forum id")), request_body = CreateThreadRequest, responses((status = 201, body = ThreadResponse), (status = 429, description = "`rate_limited`: new accounts post slower")))]
#[post("/forums/{id:[0-9a-fA-F-]+}/threads")]
pub async fn create_thread(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<CreateThreadRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(threads::create(&state, &user, &client, id.into_inner(), body.into_inner()).await?))
}

/// Threads of the forum whose titles resemble `title` (while writing a new one), best first.
#[utoipa::path(tag = "forums", security(("api_key" = [])), params(("id" = Uuid, Path, description = "Forum id"), SimilarQuery), responses((status = 200, body = Vec<ThreadResponse>)))]
#[get("/forums/{id:[0-9a-fA-F-]+}/similar")]
pub async fn similar_threads(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    q: Query<SimilarQuery>,
) -> ApiResult<web::Json<Vec<ThreadResponse>>> {
    Ok(web::Json(
        threads::similar(&state, &user, id.into_inner(), &q.title).await?,
    ))
}

/// Your level on a forum (its threads follow it unless you set theirs).
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:post"])), params(("id" = Uuid, Path, description = "Forum id")), request_body = SubscriptionBody, responses((status = 200, body = SubscriptionBody)))]
#[put("/forums/{id:[0-9a-fA-F-]+}/subscription")]
pub async fn subscribe_forum(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<SubscriptionBody>,
) -> ApiResult<web::Json<SubscriptionBody>> {
    Ok(web::Json(
        boards::subscribe(&state, &user, id.into_inner(), body.into_inner()).await?,
    ))
}

/// Who is banned from a forum (staff).
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:moderate"])), params(("id" = Uuid, Path, description = "Forum id")), responses((status = 200, body = Vec<BanResponse>)))]
#[get("/forums/{id:[0-9a-fA-F-]+}/bans")]
pub async fn list_forum_bans(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Vec<BanResponse>>> {
    Ok(web::Json(
        boards::bans(&state, &user, id.into_inner()).await?,
    ))
}

/// Ban someone from a forum and its sub-forums, for a time or until lifted (staff).
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:moderate"])), params(("id" = Uuid, Path, description = "Forum id")), request_body = BanRequest, responses((status = 201, body = BanResponse)))]
#[post("/forums/{id:[0-9a-fA-F-]+}/bans")]
pub async fn ban_from_forum(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
    body: Json<BanRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(boards::ban(&state, &user, &client, id.into_inner(), body.into_inner()).await?))
}

/// Lift a ban (staff).
#[utoipa::path(tag = "forums", security(("api_key" = ["forum:moderate"])), params(("id" = Uuid, Path, description = "Forum id"), ("user_id" = Uuid, Path, description = "Banned user")), responses((status = 204, description = "Done")))]
#[delete("/forums/{id:[0-9a-fA-F-]+}/bans/{user_id}")]
pub async fn lift_forum_ban(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (id, user_id) = path.into_inner();
    boards::unban(&state, &user, &client, id, user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The forum threads linked to a lesson that you may see, latest first.
#[utoipa::path(tag = "forums", security(("api_key" = [])), params(("id" = Uuid, Path, description = "Lesson id")), responses((status = 200, body = Vec<ThreadResponse>)))]
#[get("/lessons/{id}/threads")]
pub async fn list_lesson_threads(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Vec<ThreadResponse>>> {
    Ok(web::Json(
        threads::for_lesson(&state, &user, id.into_inner()).await?,
    ))
}
