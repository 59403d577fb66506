-- The forums benchmark's data (bench/forums.sh; plain SQL on a freshly migrated database).
-- psql variables: threads, posts, authors. For a given size the texts, trees and counts are
-- the same every time (setseed); the ids are not.
--
-- Authors: :authors users, each a global `student` with a live session (the benchmark mints
-- their access tokens; no password signs in). Forums: four global forums. Threads: :threads,
-- their sizes heavy-tailed (a median of 13 posts, the largest about 240), :posts posts in all.
-- Each reply's parent is the root (40 %), the post just before it (30 %: conversations) or any
-- earlier post of the thread (30 %); `path` is the parent's path and the post's number,
-- `child_count` the number of children. Bodies are English-ish: stop words, content words of a
-- forum about learning and programming drawn with a Zipf-like skew (the commonest in about a
-- third of the posts, the rarest in 2 to 3 %), and in a quarter of the posts one rare made-up
-- name (a handful of posts each), so search has common, medium and selective terms.
-- Reactions on about a fifth of the posts, votes on answers, a few deleted, hidden and edited
-- posts, accepted answers on some questions, subscriptions of authors and repliers.
\set ON_ERROR_STOP 1
SELECT setseed(0.20261130);

BEGIN;
-- ---------------------------------------------------------------- vocabulary
CREATE TABLE bench_words (rank int PRIMARY KEY, word text NOT NULL);
INSERT INTO bench_words (rank, word)
SELECT row_number() OVER (), w
FROM regexp_split_to_table($words$
question answer course lesson python function error code problem example
help assignment exercise quiz data value list loop class variable string
module test result solution week video lecture project file output input
number type method object array program understand explain step chapter grade
deadline submission feedback review topic idea thanks issue bug syntax
return print script library package version install server database query
table column index model training network algorithm complexity recursion tree
graph node edge search sort merge binary integer float boolean dictionary
tuple exception import export compile runtime memory pointer reference
instructor teacher student team group discussion forum thread reply post
notebook assessment certificate badge exam midterm final score points percent
practice reading slide note summary homework tutorial guide documentation manual
link page website browser download upload account login password email
schedule calendar monday tuesday wednesday thursday friday weekend morning
evening time minute hour today tomorrow yesterday semester term year month
math algebra calculus geometry statistics probability matrix vector derivative
integral equation formula proof theorem lemma definition concept theory
physics chemistry biology history language grammar vocabulary essay paragraph
sentence word letter writing draft outline argument evidence source citation
research paper journal article study experiment hypothesis observation measure
design pattern interface inheritance polymorphism encapsulation abstraction
framework component service request response client api endpoint route
javascript typescript java rust golang kotlin swift ruby scala haskell
html css react angular vue node express django flask spring rails
linux windows terminal command shell bash editor vscode vim debugger
git commit branch repository pull push clone fork conflict rebase
docker container image cloud deploy pipeline build release config setting
performance speed cache latency throughput scale load benchmark profile optimize
security encryption token session permission role access admin user profile
mobile android iphone tablet laptop screen keyboard mouse camera microphone
audio sound volume subtitle caption transcript language translation accent
certificate transcript enrollment registration payment refund invoice discount
career job interview resume portfolio internship salary company industry
beginner intermediate advanced expert level difficulty easy hard simple
confusing unclear clear helpful useful great awesome amazing perfect wrong
correct right incorrect missing broken working failed passed finished started
stuck confused curious worried excited happy sorry grateful appreciate wonder
tried attempted changed fixed updated removed added replaced renamed moved
first second third last next previous earlier later already still
maybe probably definitely actually basically really quite almost exactly
instead however although because therefore otherwise meanwhile anyway
chart plot figure diagram visualization dashboard report spreadsheet excel
pandas numpy matplotlib scipy tensorflow pytorch keras sklearn jupyter colab
regression classification clustering neural layer gradient descent epoch batch
accuracy precision recall loss metric validation overfitting bias variance
feature label dataset sample distribution mean median deviation correlation
prime factorial fibonacci palindrome anagram permutation combination subset
stack queue heap hash linked pointer buffer stream socket thread process
mutex lock deadlock race async await promise callback event handler listener
parse format convert encode decode serialize validate sanitize escape
regex match replace split join trim upper lower slice substring character
unicode utf ascii byte bit hex octal decimal overflow underflow precision
timezone timestamp date clock timer sleep interval duration countdown
random seed shuffle sample choice generator iterator yield lambda closure
scope global local static constant immutable mutable null undefined
warning traceback stacktrace segfault crash freeze hang timeout retry
keyboard shortcut menu button dropdown checkbox radio slider modal popup
color font margin padding border layout grid flexbox responsive animation
accessibility screenreader contrast captioning keyboardnav transcript
mentor office hours appointment meeting zoom recording livestream webinar
extension late penalty policy plagiarism honesty integrity rubric criteria
rewrite refactor cleanup comment docstring naming convention style lint
unit integration coverage mock fixture assertion regression smoke
$words$, '\s+') AS w
WHERE w <> '';
-- A word may be listed twice: keep its first rank.
DELETE FROM bench_words a USING bench_words b WHERE a.word = b.word AND a.rank > b.rank;
-- The draws below index constant arrays (psql variables): a column's array would be
-- decompressed at every subscript.
SELECT array_agg(word ORDER BY rank)::text AS content, count(*) AS ncontent FROM bench_words \gset
\set stop '{the,a,an,and,or,but,to,of,in,on,for,with,is,it,this,that,I,you,we,my,your,be,was,are,have,has,not,do,does,can,if,so,at,as,by,from,when,what,how,why,which,there,then,than,just,also}'
-- Made-up names, three syllables (30 x 30 x 10 of them; 4,000 used: each in a handful of posts).
\set syl1 '{ka,lo,mi,ren,tor,vex,zu,qui,bra,del,fin,gor,hal,jin,kor,lum,nar,ost,pel,ras,sil,tam,ul,ven,wyn,xa,yor,zel,cor,dra}'
\set syl2 '{ba,ce,di,fo,gu,ha,ji,ke,lu,mo,ni,pa,qe,ri,so,tu,vi,wo,xe,yu,za,bo,cu,da,fe,gi,hu,ko,li,mu}'
\set syl3 '{n,r,l,x,m,th,sk,nd,rk,st}'
\set first '{Ada,Alan,Grace,Linus,Barbara,Ken,Dennis,Margaret,Edsger,Donald,John,Frances,Tim,Guido,Bjarne,James,Anita,Radia,Shafi,Leslie,Niklaus,Hedy,Katherine,Dorothy,Mary,Yukihiro,Rasmus,Brendan,Larry,Sophie,Karen,Joan,Adele,Lynn,Carol,Ivan,Tony,Robin,Fran,Jean}'
\set last '{Lovelace,Turing,Hopper,Torvalds,Liskov,Thompson,Ritchie,Hamilton,Dijkstra,Knuth,McCarthy,Allen,Berners,Rossum,Stroustrup,Gosling,Borg,Perlman,Goldwasser,Lamport,Wirth,Lamarr,Johnson,Vaughan,Jackson,Matsumoto,Lerdorf,Eich,Wall,Wilson,Jones,Clarke,Goldberg,Conway,Kay,Sutherland,Hoare,Milner,Adams,Sammet}'
CREATE TABLE bench_names (i int PRIMARY KEY, name text NOT NULL);
INSERT INTO bench_names (i, name)
SELECT i, (:'syl1'::text[])[1 + i % 30] || (:'syl2'::text[])[1 + (i / 30) % 30] || (:'syl3'::text[])[1 + i / 900]
FROM generate_series(0, 3999) AS i;
\set openers '{"How do I","Question about","Problem with","Help with","Thoughts on","Why does","Stuck on","Tips for","Confused by","Notes on"}'

-- ---------------------------------------------------------------- authors
CREATE TABLE bench_authors (
    n          int PRIMARY KEY,
    user_id    uuid NOT NULL DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL DEFAULT gen_random_uuid()
);
INSERT INTO bench_authors (n) SELECT generate_series(1, :authors);
INSERT INTO users (id, email, display_name, password_hash, email_verified_at, created_at, updated_at)
SELECT a.user_id, 'author' || a.n || '@forums.bench.azora.test',
       (:'first'::text[])[1 + a.n % 40] || ' ' || (:'last'::text[])[1 + (a.n / 40) % 40] || ' ' || a.n,
       '!bench-no-login', now() - interval '500 days', now() - interval '500 days' + a.n * interval '1 hour', now()
FROM bench_authors a;
INSERT INTO role_assignments (id, user_id, role_id, scope_type)
SELECT gen_random_uuid(), a.user_id, r.id, 'global' FROM bench_authors a, roles r WHERE r.name = 'student';
INSERT INTO sessions (id, user_id, user_agent, ip, expires_at)
SELECT session_id, user_id, 'bench/forums.sh', '127.0.0.1', now() + interval '2 days' FROM bench_authors;

-- ---------------------------------------------------------------- forums
CREATE TABLE bench_forums (n int PRIMARY KEY, id uuid NOT NULL DEFAULT gen_random_uuid(), name text NOT NULL, share float8 NOT NULL);
INSERT INTO bench_forums (n, name, share) VALUES
    (1, 'General discussion', 0.40), (2, 'Questions and answers', 0.30),
    (3, 'Study groups', 0.20), (4, 'Announcements', 0.10);
INSERT INTO forums (id, scope_type, name, description, position, created_by, created_at)
SELECT f.id, 'global', f.name, 'Benchmark forum ' || f.n, f.n, (SELECT user_id FROM bench_authors WHERE n = 1),
       now() - interval '450 days'
FROM bench_forums f;

-- ---------------------------------------------------------------- threads
-- Thread sizes: 1 root + replies; replies heavy-tailed (Pareto weights), :posts - :threads in all.
CREATE TABLE bench_threads_all (
    n          int PRIMARY KEY,
    id         uuid NOT NULL,
    forum_n    int NOT NULL,
    author_n   int NOT NULL,
    kind       text NOT NULL,
    created_at timestamptz NOT NULL,
    weight     float8 NOT NULL,
    replies    int
);
INSERT INTO bench_threads_all (n, id, forum_n, author_n, kind, created_at, weight)
SELECT n, gen_random_uuid(),
       CASE WHEN f < 0.40 THEN 1 WHEN f < 0.70 THEN 2 WHEN f < 0.90 THEN 3 ELSE 4 END,
       1 + floor(:authors * random() ^ 2)::int,
       CASE WHEN f >= 0.40 AND f < 0.70 OR random() < 0.1 THEN 'question' ELSE 'discussion' END,
       now() - interval '400 days' + random() * interval '380 days',
       least(random() ^ (-0.6), 30)
FROM (SELECT n, random() AS f FROM generate_series(1, :threads) AS n) s;
WITH c AS (
    SELECT n, round(sum(weight) OVER (ORDER BY n) / sum(weight) OVER () * (:posts - :threads))::int AS cum
    FROM bench_threads_all
)
UPDATE bench_threads_all t SET replies = c.cum - coalesce(lag_cum, 0)
FROM (SELECT n, cum, lag(cum) OVER (ORDER BY n) AS lag_cum FROM c) c
WHERE c.n = t.n;

-- ---------------------------------------------------------------- posts
-- Titles: an opener and 2 to 6 content words (skewed towards the top of the list).
CREATE TABLE bench_texts AS
SELECT t.n AS thread_n,
       (:'openers'::text[])[1 + floor(random() * 10)::int] || ' ' || array_to_string(ARRAY(
           SELECT (:'content'::text[])[1 + floor(:ncontent * random() ^ 1.5)::int]
           FROM generate_series(1, 2 + floor(random() * 5)::int + t.n * 0)), ' ') AS title
FROM bench_threads_all t;
-- Posts: numbers, parents, authors, times and bodies; paths next. A body is 12 to 121 words
-- (38 % stop words), with a made-up name at the end of a quarter of them.
CREATE TABLE bench_posts (
    thread_n   int NOT NULL,
    number     int NOT NULL,
    parent_n   int,
    author_n   int NOT NULL,
    created_at timestamptz NOT NULL,
    body       text NOT NULL,
    path       int[],
    PRIMARY KEY (thread_n, number)
);
INSERT INTO bench_posts (thread_n, number, parent_n, author_n, created_at, body)
SELECT t.n, k,
       CASE WHEN k = 1 THEN NULL
            WHEN r < 0.4 THEN 1
            WHEN r < 0.7 THEN k - 1
            ELSE 1 + floor(random() * (k - 1))::int END,
       CASE WHEN k = 1 THEN t.author_n ELSE 1 + floor(:authors * random() ^ 2)::int END,
       t.created_at + (k - 1) * interval '10 minutes' + random() * interval '10 minutes',
       upper(left(w.words, 1)) || substr(w.words, 2) || '.'
FROM bench_threads_all t
CROSS JOIN LATERAL (SELECT k, random() AS r FROM generate_series(1, 1 + t.replies) AS k) p
CROSS JOIN LATERAL (
    SELECT array_to_string(ARRAY(
               SELECT CASE WHEN random() < 0.38 THEN (:'stop'::text[])[1 + floor(46 * random())::int]
                           ELSE (:'content'::text[])[1 + floor(:ncontent * random() ^ 1.5)::int] END
               FROM generate_series(1, 12 + floor(random() ^ 2 * 110)::int + p.k * 0))
           || CASE WHEN random() < 0.25 THEN
                  (SELECT ARRAY[(:'syl1'::text[])[1 + i % 30] || (:'syl2'::text[])[1 + (i / 30) % 30]
                                || (:'syl3'::text[])[1 + i / 900]]
                   FROM (SELECT floor(4000 * random())::int + p.k * 0 AS i) n)
              ELSE '{}' END, ' ') AS words
) w;
CREATE INDEX ON bench_posts (thread_n, parent_n);
WITH RECURSIVE walk AS (
    SELECT thread_n, number, ARRAY[number] AS path FROM bench_posts WHERE number = 1
    UNION ALL
    SELECT c.thread_n, c.number, w.path || c.number
    FROM walk w JOIN bench_posts c ON c.thread_n = w.thread_n AND c.parent_n = w.number
)
UPDATE bench_posts p SET path = w.path FROM walk w WHERE w.thread_n = p.thread_n AND w.number = p.number;

-- ---------------------------------------------------------------- the forum tables
ALTER TABLE bench_posts ADD COLUMN id uuid;
-- Time-ordered ids (UUIDv7 layout: 48-bit milliseconds, version 7, variant, random), as the
-- server makes them: the flat order and its cursor go by id.
UPDATE bench_posts SET id = (lpad(to_hex((extract(epoch FROM created_at) * 1000)::bigint), 12, '0')
    || '7' || substr(md5(random()::text), 1, 3) || substr('89ab', 1 + floor(random() * 4)::int, 1)
    || substr(md5(random()::text), 1, 15))::uuid;

INSERT INTO forum_threads (id, forum_id, author_id, title, kind, lesson_id, pinned, locked, next_number,
                           post_count, last_posted_at, created_at)
SELECT t.id, f.id, a.user_id, x.title, t.kind, NULL, t.n % 997 = 0, t.n % 211 = 0, 2 + t.replies,
       1 + t.replies, (SELECT max(created_at) FROM bench_posts p WHERE p.thread_n = t.n), t.created_at
FROM bench_threads_all t
JOIN bench_forums f ON f.n = t.forum_n
JOIN bench_authors a ON a.n = t.author_n
JOIN bench_texts x ON x.thread_n = t.n;

INSERT INTO forum_posts (id, thread_id, number, parent_id, path, author_id, body, body_html, child_count,
                         search, edited_at, deleted_at, hidden_at, created_at)
SELECT p.id, t.id, p.number, pp.id, p.path, a.user_id,
       p.body, '<p>' || p.body || '</p>',
       (SELECT count(*) FROM bench_posts c WHERE c.thread_n = p.thread_n AND c.parent_n = p.number),
       CASE WHEN p.number = 1
            THEN setweight(to_tsvector('english', x.title), 'A') || setweight(to_tsvector('english', p.body), 'B')
            ELSE setweight(to_tsvector('english', p.body), 'B') END,
       CASE WHEN random() < 0.05 THEN p.created_at + interval '7 minutes' END,
       CASE WHEN p.number > 1 AND random() < 0.01 THEN p.created_at + interval '1 hour' END,
       CASE WHEN p.number > 1 AND random() < 0.003 THEN p.created_at + interval '2 hours' END,
       p.created_at
FROM bench_posts p
JOIN bench_threads_all t ON t.n = p.thread_n
JOIN bench_authors a ON a.n = p.author_n
JOIN bench_texts x ON x.thread_n = p.thread_n
LEFT JOIN bench_posts pp ON pp.thread_n = p.thread_n AND pp.number = p.parent_n;
-- Deleted posts keep their place with an empty body, as the server leaves them.
UPDATE forum_posts SET body = '', body_html = '', search = ''::tsvector WHERE deleted_at IS NOT NULL;

UPDATE forum_threads t SET root_post_id = p.id FROM bench_posts p
JOIN bench_threads_all b ON b.n = p.thread_n WHERE p.number = 1 AND t.id = b.id;

-- Reactions: on about a fifth of the posts (roots more often), 1 to 8 each.
ALTER TABLE bench_posts ADD COLUMN reacted boolean;
UPDATE bench_posts SET reacted = random() < CASE WHEN number = 1 THEN 0.5 ELSE 0.18 END;
INSERT INTO forum_reactions (post_id, user_id, kind, created_at)
SELECT p.id, a.user_id,
       (ARRAY['thumbs_up', 'thumbs_up', 'thumbs_up', 'heart', 'heart', 'laugh', 'celebrate', 'eyes', 'thinking'])[1 + floor(random() * 9)::int],
       p.created_at + random() * interval '2 days'
FROM bench_posts p
CROSS JOIN LATERAL (SELECT 1 + floor(:authors * random() + g * 0)::int AS an
                    FROM generate_series(1, 1 + floor(random() ^ 2 * 8)::int + p.number * 0) AS g) r
JOIN bench_authors a ON a.n = r.an
WHERE p.reacted
ON CONFLICT DO NOTHING;

-- Votes on the replies of questions (never one's own), and the score they make.
INSERT INTO forum_votes (post_id, user_id, value, created_at)
SELECT p.id, a.user_id, CASE WHEN random() < 0.85 THEN 1 ELSE -1 END, p.created_at + interval '1 day'
FROM bench_posts p
JOIN bench_threads_all t ON t.n = p.thread_n AND t.kind = 'question'
CROSS JOIN LATERAL (SELECT 1 + floor(:authors * random() + g * 0)::int AS an
                    FROM generate_series(1, floor(random() ^ 3 * 6)::int + p.number * 0) AS g) r
JOIN bench_authors a ON a.n = r.an
WHERE p.number > 1 AND a.n <> p.author_n
ON CONFLICT DO NOTHING;
UPDATE forum_posts p SET score = v.s FROM (SELECT post_id, sum(value) AS s FROM forum_votes GROUP BY post_id) v
WHERE v.post_id = p.id;

-- Accepted answers: the best-scored direct reply of 40 % of the questions.
UPDATE forum_threads t SET accepted_post_id = best.id
FROM (
    SELECT DISTINCT ON (p.thread_id) p.thread_id, p.id
    FROM forum_posts p JOIN forum_threads q ON q.id = p.thread_id AND q.kind = 'question'
    WHERE cardinality(p.path) = 2 AND p.deleted_at IS NULL AND p.hidden_at IS NULL
    ORDER BY p.thread_id, p.score DESC, p.number
) best
WHERE best.thread_id = t.id AND get_byte(uuid_send(t.id), 15) % 5 < 2;

-- Authors watch the threads they started or replied to.
INSERT INTO forum_subscriptions (user_id, target_type, target_id, level, updated_at)
SELECT DISTINCT p.author_id, 'thread', p.thread_id, 'watching', now() - interval '1 day'
FROM forum_posts p;

-- Counters of the forums.
UPDATE forums f SET thread_count = s.threads, post_count = s.posts, last_posted_at = s.last
FROM (SELECT forum_id, count(*) AS threads, sum(post_count) AS posts, max(last_posted_at) AS last
      FROM forum_threads GROUP BY forum_id) s
WHERE s.forum_id = f.id;

-- What the benchmark picks from: threads whose first page is full (20 posts), numbered.
CREATE TABLE bench_threads (n int PRIMARY KEY, id uuid NOT NULL, posts int NOT NULL);
INSERT INTO bench_threads (n, id, posts)
SELECT row_number() OVER (ORDER BY t.id), t.id, t.post_count
FROM forum_threads t WHERE t.post_count >= 20 AND t.hidden_at IS NULL AND t.merged_into_id IS NULL;

DROP TABLE bench_posts, bench_texts, bench_threads_all;
COMMIT;
