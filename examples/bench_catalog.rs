//! Bench data for `bench/lms.sh`: a catalog of N published courses, inserted fast with plain
//! SQL (one multi-row `INSERT ... SELECT FROM unnest(...)` per batch) into a migrated database.
//!
//! Titles, summaries and descriptions are built from word lists: each course has one of 40
//! topics in its title and mentions another topic in half of the descriptions, so a search for
//! one topic keyword (`--print-words`) matches a few hundred of 10,000 courses. Each course has
//! 2-4 tags, 1-2 categories of a two-level tree, one instructor (among N/40 instructor users,
//! at least 10), 2 modules of 3 lessons, random rating counters, enrollment count and
//! publication date. The `search` tsvector is filled by the courses' trigger. Deterministic:
//! the same N gives the same catalog (ids and slugs differ per run).
//!
//! ```text
//! cargo run --release --example bench_catalog -- <database url> <n>
//! cargo run --release --example bench_catalog -- --print-sql <relevance|newest|rating|popularity|title>
//! cargo run --release --example bench_catalog -- --print-words
//! ```
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::Instant;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, TransactionTrait, Value};
use uuid::Uuid;

/// (title phrase, search keyword, category slug, topic tags).
const TOPICS: [(&str, &str, &str, &[&str]); 40] = [
    (
        "Python Programming",
        "python",
        "programming",
        &["python", "programming"],
    ),
    (
        "JavaScript",
        "javascript",
        "web-development",
        &["javascript", "web"],
    ),
    ("React", "react", "web-development", &["react", "frontend"]),
    (
        "Rust Systems Programming",
        "rust",
        "programming",
        &["rust", "systems"],
    ),
    (
        "Kotlin",
        "kotlin",
        "mobile-development",
        &["kotlin", "android"],
    ),
    (
        "SQL and Relational Databases",
        "sql",
        "databases",
        &["sql", "databases"],
    ),
    (
        "Machine Learning",
        "machine",
        "data-science",
        &["machine-learning", "ai"],
    ),
    (
        "Deep Learning and Neural Networks",
        "neural",
        "artificial-intelligence",
        &["deep-learning", "ai"],
    ),
    (
        "Data Visualization",
        "visualization",
        "data-science",
        &["data-visualization", "charts"],
    ),
    (
        "Statistics",
        "statistics",
        "mathematics",
        &["statistics", "probability"],
    ),
    (
        "Kubernetes",
        "kubernetes",
        "cloud-computing",
        &["kubernetes", "devops"],
    ),
    (
        "Docker and Containers",
        "docker",
        "cloud-computing",
        &["docker", "devops"],
    ),
    (
        "AWS Cloud Architecture",
        "aws",
        "cloud-computing",
        &["aws", "cloud"],
    ),
    (
        "Linux Administration",
        "linux",
        "cloud-computing",
        &["linux", "sysadmin"],
    ),
    (
        "Cybersecurity",
        "cybersecurity",
        "cybersecurity",
        &["security", "networks"],
    ),
    (
        "Ethical Hacking",
        "hacking",
        "cybersecurity",
        &["security", "penetration-testing"],
    ),
    (
        "Android App Development",
        "android",
        "mobile-development",
        &["android", "mobile"],
    ),
    (
        "iOS Development with Swift",
        "swift",
        "mobile-development",
        &["swift", "ios"],
    ),
    (
        "Flutter",
        "flutter",
        "mobile-development",
        &["flutter", "dart"],
    ),
    (
        "UX Research and Design",
        "ux",
        "ux-design",
        &["ux", "research"],
    ),
    (
        "Figma Prototyping",
        "figma",
        "ux-design",
        &["figma", "prototyping"],
    ),
    (
        "Graphic Design",
        "graphic",
        "graphic-design",
        &["graphic-design", "typography"],
    ),
    (
        "Digital Photography",
        "photography",
        "graphic-design",
        &["photography", "editing"],
    ),
    (
        "Digital Marketing",
        "marketing",
        "marketing",
        &["marketing", "social-media"],
    ),
    (
        "Search Engine Optimization",
        "seo",
        "marketing",
        &["seo", "content"],
    ),
    (
        "Entrepreneurship",
        "entrepreneurship",
        "entrepreneurship",
        &["startups", "business"],
    ),
    (
        "Personal Finance",
        "finance",
        "finance",
        &["finance", "investing"],
    ),
    (
        "Accounting",
        "accounting",
        "finance",
        &["accounting", "bookkeeping"],
    ),
    (
        "Agile Project Management",
        "agile",
        "leadership",
        &["agile", "scrum"],
    ),
    (
        "Leadership",
        "leadership",
        "leadership",
        &["leadership", "management"],
    ),
    (
        "Public Speaking",
        "speaking",
        "productivity",
        &["communication", "presentations"],
    ),
    (
        "Productivity",
        "productivity",
        "productivity",
        &["productivity", "habits"],
    ),
    (
        "Business English",
        "english",
        "english",
        &["english", "communication"],
    ),
    (
        "Conversational French",
        "french",
        "french",
        &["french", "conversation"],
    ),
    (
        "Swahili",
        "swahili",
        "swahili",
        &["swahili", "conversation"],
    ),
    (
        "Calculus",
        "calculus",
        "mathematics",
        &["calculus", "mathematics"],
    ),
    (
        "Linear Algebra",
        "algebra",
        "mathematics",
        &["linear-algebra", "mathematics"],
    ),
    ("Physics", "physics", "physics", &["physics", "science"]),
    (
        "Blockchain",
        "blockchain",
        "programming",
        &["blockchain", "web3"],
    ),
    (
        "Game Development with Unity",
        "unity",
        "programming",
        &["unity", "games"],
    ),
];

/// (slug, name, parent slug).
const CATEGORIES: [(&str, &str, Option<&str>); 27] = [
    ("technology", "Technology", None),
    ("business", "Business", None),
    ("design", "Design", None),
    ("languages", "Languages", None),
    ("science", "Science", None),
    ("personal-development", "Personal Development", None),
    ("programming", "Programming", Some("technology")),
    ("web-development", "Web Development", Some("technology")),
    (
        "mobile-development",
        "Mobile Development",
        Some("technology"),
    ),
    ("data-science", "Data Science", Some("technology")),
    (
        "artificial-intelligence",
        "Artificial Intelligence",
        Some("technology"),
    ),
    ("databases", "Databases", Some("technology")),
    ("cloud-computing", "Cloud Computing", Some("technology")),
    ("cybersecurity", "Cybersecurity", Some("technology")),
    ("entrepreneurship", "Entrepreneurship", Some("business")),
    ("marketing", "Marketing", Some("business")),
    ("finance", "Finance", Some("business")),
    ("leadership", "Leadership", Some("business")),
    ("ux-design", "UX Design", Some("design")),
    ("graphic-design", "Graphic Design", Some("design")),
    ("english", "English", Some("languages")),
    ("french", "French", Some("languages")),
    ("swahili", "Swahili", Some("languages")),
    ("mathematics", "Mathematics", Some("science")),
    ("physics", "Physics", Some("science")),
    ("biology", "Biology", Some("science")),
    ("productivity", "Productivity", Some("personal-development")),
];

const PREFIXES: [&str; 10] = [
    "Introduction to",
    "Practical",
    "Mastering",
    "Applied",
    "The Complete Guide to",
    "Hands-on",
    "Advanced",
    "Modern",
    "Essential",
    "Professional",
];
const SUFFIXES: [&str; 10] = [
    "",
    " for Beginners",
    " Bootcamp",
    ": From Zero to Hero",
    " in Practice",
    " Fundamentals",
    " Masterclass",
    " for Professionals",
    " Crash Course",
    " Through Projects",
];
const VERBS: [&str; 8] = [
    "Learn",
    "Understand",
    "Master",
    "Explore",
    "Get started with",
    "Build real skills in",
    "Go deeper into",
    "Discover",
];
const SKILLS: [&str; 12] = [
    "solve real problems step by step",
    "build a portfolio you can show employers",
    "work confidently in a professional team",
    "pass technical interviews",
    "write clean, maintainable work",
    "plan, build and ship a complete project",
    "explain your decisions clearly",
    "automate the boring parts of your job",
    "keep learning on your own",
    "design solutions that scale",
    "avoid the most common mistakes",
    "measure and improve your results",
];
/// Generic words of descriptions (none is a topic keyword).
const VOCABULARY: [&str; 48] = [
    "practical",
    "exercises",
    "quizzes",
    "community",
    "mentors",
    "feedback",
    "examples",
    "case",
    "studies",
    "workflow",
    "concepts",
    "principles",
    "patterns",
    "techniques",
    "tools",
    "habits",
    "careers",
    "industry",
    "teams",
    "clients",
    "portfolio",
    "confidence",
    "fundamentals",
    "assignments",
    "challenges",
    "solutions",
    "experiments",
    "insights",
    "strategies",
    "standards",
    "quality",
    "performance",
    "reliability",
    "creativity",
    "collaboration",
    "curiosity",
    "planning",
    "research",
    "reviews",
    "milestones",
    "deadlines",
    "interviews",
    "certificates",
    "workshops",
    "templates",
    "checklists",
    "notes",
    "stories",
];
const EXTRA_TAGS: [&str; 8] = [
    "beginner-friendly",
    "projects",
    "career",
    "certificate",
    "hands-on",
    "theory",
    "interview-prep",
    "self-paced",
];
const FIRST_NAMES: [&str; 24] = [
    "Thandi", "Sipho", "Lerato", "Amara", "Kwame", "Zanele", "Tendai", "Nomsa", "Chidi", "Aisha",
    "Mandla", "Naledi", "Tariq", "Ayesha", "Jabu", "Fatima", "Kofi", "Lindiwe", "Emeka", "Zodwa",
    "Thabo", "Palesa", "Musa", "Ngozi",
];
const LAST_NAMES: [&str; 20] = [
    "Dlamini", "Nkosi", "Mokoena", "Okafor", "Mensah", "Khumalo", "Ndlovu", "Adeyemi", "Banda",
    "Mahlangu", "Osei", "Naidoo", "Botha", "Mwangi", "Zulu", "Moyo", "Sithole", "Owusu", "Kamau",
    "Pillay",
];
const LEVELS: [&str; 4] = ["beginner", "intermediate", "advanced", "expert"];
const PRICES: [&str; 6] = ["9.99", "19.99", "29.99", "49.00", "79.00", "99.00"];
const BATCH: usize = 1000;

fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// Column arrays of one batch, bound as one array parameter per column.
#[derive(Default)]
struct Columns {
    uuids: Vec<Vec<Uuid>>,
    texts: Vec<Vec<String>>,
    ints: Vec<Vec<i32>>,
}

impl Columns {
    fn new(uuids: usize, texts: usize, ints: usize) -> Self {
        Columns {
            uuids: vec![Vec::new(); uuids],
            texts: vec![Vec::new(); texts],
            ints: vec![Vec::new(); ints],
        }
    }
    fn values(self) -> Vec<Value> {
        let mut v: Vec<Value> = Vec::new();
        v.extend(self.uuids.into_iter().map(Value::from));
        v.extend(self.texts.into_iter().map(Value::from));
        v.extend(self.ints.into_iter().map(Value::from));
        v
    }
}

async fn exec(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> u64 {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
    .await
    .unwrap_or_else(|e| panic!("{e}\nin: {sql}"))
    .rows_affected()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--print-sql") => {
            let sort = args.get(1).map_or("relevance", String::as_str);
            let sort = sort.parse().unwrap_or_else(|e| panic!("sort: {e}"));
            println!("{}", azora::modules::lms::search_sql(sort));
            return;
        }
        Some("--print-words") => {
            for (_, word, ..) in TOPICS {
                println!("{word}");
            }
            return;
        }
        Some(url) if args.len() == 2 => {
            let n: usize = args[1].parse().expect("<n> must be a number");
            generate(url, n).await;
        }
        _ => {
            eprintln!(
                "usage: bench_catalog <database url> <n> | --print-sql <sort> | --print-words"
            );
            std::process::exit(2);
        }
    }
}

async fn generate(url: &str, n: usize) {
    let started = Instant::now();
    let db = Database::connect(url).await.expect("connecting");
    let mut rng = StdRng::seed_from_u64(20_261_122);
    let run = format!("{:08x}", rand::random::<u32>());
    let txn = db.begin().await.expect("begin");

    // Categories (kept if they exist, e.g. from the demo seed).
    for (slug, name, parent) in CATEGORIES {
        exec(
            &txn,
            "INSERT INTO categories (id, parent_id, name, slug, position) \
             VALUES ($1, (SELECT id FROM categories WHERE slug = $2), $3, $4, \
                     (SELECT count(*)::int FROM categories WHERE parent_id IS NOT DISTINCT FROM (SELECT id FROM categories WHERE slug = $2))) \
             ON CONFLICT (slug) DO NOTHING",
            vec![
                Uuid::now_v7().into(),
                parent.map(str::to_owned).into(),
                name.into(),
                slug.into(),
            ],
        )
        .await;
    }

    // Instructors: verified users with the global instructor role; nobody signs in as them.
    let teachers = (n / 40).max(10);
    let mut users = Columns::new(1, 2, 0);
    for i in 0..teachers {
        let first = FIRST_NAMES.choose(&mut rng).expect("names");
        let last = LAST_NAMES.choose(&mut rng).expect("names");
        users.uuids[0].push(Uuid::now_v7());
        users.texts[0].push(format!("instructor{i}.{run}@bench.azora.test"));
        users.texts[1].push(format!("{first} {last}"));
    }
    let teacher_ids = users.uuids[0].clone();
    exec(
        &txn,
        "INSERT INTO users (id, email, display_name, password_hash, email_verified_at) \
         SELECT id, email, name, '!bench-no-login', now() FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t (id, email, name)",
        users.values(),
    )
    .await;
    exec(
        &txn,
        "INSERT INTO role_assignments (id, user_id, role_id, scope_type) \
         SELECT gen_random_uuid(), u, r.id, 'global' FROM unnest($1::uuid[]) AS u, roles r WHERE r.name IN ('student', 'instructor')",
        vec![teacher_ids.clone().into()],
    )
    .await;

    // Tags.
    let mut all_tags: Vec<String> = TOPICS
        .iter()
        .flat_map(|t| t.3.iter())
        .chain(EXTRA_TAGS.iter())
        .map(|t| (*t).to_owned())
        .collect();
    all_tags.sort();
    all_tags.dedup();
    let tag_ids: Vec<Uuid> = all_tags.iter().map(|_| Uuid::now_v7()).collect();
    exec(
        &txn,
        "INSERT INTO tags (id, name) SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT (name) DO NOTHING",
        vec![tag_ids.into(), all_tags.into()],
    )
    .await;

    let mut made = 0;
    while made < n {
        let size = BATCH.min(n - made);
        // courses: id, owner | title, slug, summary, description, level, language, price,
        //          hours, tags (comma-separated), cover
        //        | published days ago, rating_count, rating_sum, enrollment_count
        let mut c = Columns::new(2, 10, 4);
        // course_categories: course id | category slugs (comma-separated)
        let mut cc = Columns::new(1, 1, 0);
        let mut m = Columns::new(2, 2, 1);
        let mut l = Columns::new(3, 4, 3);
        for i in made..made + size {
            let topic = TOPICS.choose(&mut rng).expect("topics");
            let (phrase, _, category, topic_tags) = *topic;
            let title = format!(
                "{} {phrase}{}",
                PREFIXES.choose(&mut rng).expect("prefixes"),
                SUFFIXES.choose(&mut rng).expect("suffixes")
            );
            let skill = SKILLS.choose(&mut rng).expect("skills");
            let summary = format!(
                "{} {} and learn to {skill}.",
                VERBS.choose(&mut rng).expect("verbs"),
                phrase.to_lowercase()
            );
            let mut words = Vec::new();
            for _ in 0..rng.random_range(25..60) {
                words.push(*VOCABULARY.choose(&mut rng).expect("vocabulary"));
            }
            let mut description = format!(
                "This course covers {} with {} and {}. ",
                phrase.to_lowercase(),
                words[0],
                words[1]
            );
            for chunk in words[2..].chunks(8) {
                description.push_str(&format!(
                    "You will work through {} along the way. ",
                    chunk.join(", ")
                ));
            }
            if rng.random_bool(0.5) {
                let other = TOPICS.choose(&mut rng).expect("topics");
                description.push_str(&format!(
                    "It also touches on {} where it helps.",
                    other.0.to_lowercase()
                ));
            }
            let mut tags: Vec<&str> = topic_tags.to_vec();
            for _ in 0..rng.random_range(0..=2) {
                let extra = EXTRA_TAGS.choose(&mut rng).expect("tags");
                if !tags.contains(extra) {
                    tags.push(extra);
                }
            }
            let mut categories = vec![category];
            if rng.random_bool(0.3) {
                let other = TOPICS.choose(&mut rng).expect("topics").2;
                if other != category {
                    categories.push(other);
                }
            }
            let slug = format!("{}-{run}-{i}", slugify(&title));
            let price = if rng.random_bool(0.65) {
                "0".to_owned()
            } else {
                (*PRICES.choose(&mut rng).expect("prices")).to_owned()
            };
            let language = if rng.random_bool(0.85) {
                "en"
            } else {
                *["fr", "pt", "sw", "es"]
                    .choose(&mut rng)
                    .expect("languages")
            };
            let rating_count: i32 = if rng.random_bool(0.2) {
                0
            } else {
                rng.random_range(1..500)
            };
            let average = rng.random_range(3.0..5.0_f64);
            let rating_sum = (f64::from(rating_count) * average).round() as i32;
            let enrollment_count = (rng.random_range(0.0..1.0_f64).powi(3) * 20_000.0) as i32;
            let id = Uuid::now_v7();
            c.uuids[0].push(id);
            c.uuids[1].push(*teacher_ids.choose(&mut rng).expect("teachers"));
            c.texts[0].push(title);
            c.texts[1].push(slug.clone());
            c.texts[2].push(summary);
            c.texts[3].push(description);
            c.texts[4].push((*LEVELS.choose(&mut rng).expect("levels")).to_owned());
            c.texts[5].push(language.to_owned());
            c.texts[6].push(price);
            c.texts[7].push(format!(
                "{}.{}",
                rng.random_range(2..60),
                rng.random_range(0..10)
            ));
            c.texts[8].push(tags.join(","));
            cc.uuids[0].push(id);
            cc.texts[0].push(categories.join(","));
            c.texts[9].push(if rng.random_bool(0.8) {
                format!("https://cdn.azora.world/bench/{slug}.jpg")
            } else {
                String::new()
            });
            c.ints[0].push(rng.random_range(1..730));
            c.ints[1].push(rating_count);
            c.ints[2].push(rating_sum);
            c.ints[3].push(enrollment_count);
            for (pos, module_title) in [
                format!("Getting started with {phrase}"),
                format!("{phrase} in practice"),
            ]
            .into_iter()
            .enumerate()
            {
                let module_id = Uuid::now_v7();
                m.uuids[0].push(module_id);
                m.uuids[1].push(id);
                m.texts[0].push(module_title);
                m.texts[1].push(format!(
                    "Key {} and {} of {}.",
                    VOCABULARY.choose(&mut rng).expect("vocabulary"),
                    VOCABULARY.choose(&mut rng).expect("vocabulary"),
                    phrase.to_lowercase()
                ));
                m.ints[0].push(pos as i32);
                for lp in 0..3 {
                    let kind =
                        ["video", "text", "interactive", "assignment", "audio"][(lp + pos * 2) % 5];
                    l.uuids[0].push(Uuid::now_v7());
                    l.uuids[1].push(module_id);
                    l.uuids[2].push(id);
                    l.texts[0].push(format!(
                        "{} {} {}",
                        ["Understanding", "Working with", "Exploring", "Applying"]
                            .choose(&mut rng)
                            .expect("lesson words"),
                        phrase,
                        VOCABULARY.choose(&mut rng).expect("vocabulary")
                    ));
                    l.texts[1].push(kind.to_owned());
                    l.texts[2].push(format!(
                        "In this lesson you practise {} with {}.",
                        phrase.to_lowercase(),
                        words.choose(&mut rng).expect("words")
                    ));
                    l.texts[3].push(if matches!(kind, "video" | "audio") {
                        format!("https://cdn.azora.world/bench/{slug}/{pos}-{lp}.mp4")
                    } else {
                        String::new()
                    });
                    l.ints[0].push(rng.random_range(5..45));
                    l.ints[1].push(i32::from(pos == 0 && lp == 0));
                    l.ints[2].push(lp as i32);
                }
            }
        }
        exec(
            &txn,
            "INSERT INTO courses (id, owner_id, title, slug, summary, description, level, language, price, currency, \
               estimated_hours, tag_names, cover_image_url, status, published_at, submitted_at, created_at, updated_at, \
               rating_count, rating_sum, enrollment_count) \
             SELECT id, owner, title, slug, summary, description, level, language, price::numeric, 'USD', \
               hours::numeric, string_to_array(tags, ','), nullif(cover, ''), 'published', \
               now() - make_interval(days => days), now() - make_interval(days => days + 2), \
               now() - make_interval(days => days + 30), now() - make_interval(days => days), \
               rating_count, rating_sum, enrollment_count \
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], \
                         $9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::int[], $15::int[], $16::int[]) \
               AS t (id, owner, title, slug, summary, description, level, language, price, hours, tags, cover, \
                     days, rating_count, rating_sum, enrollment_count)",
            c.values(),
        )
        .await;
        exec(
            &txn,
            "INSERT INTO course_categories (course_id, category_id) \
             SELECT t.id, k.id FROM unnest($1::uuid[], $2::text[]) AS t (id, slugs) \
             JOIN categories k ON k.slug = ANY (string_to_array(t.slugs, ','))",
            cc.values(),
        )
        .await;
        exec(
            &txn,
            "INSERT INTO course_modules (id, course_id, title, description, position) \
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[])",
            m.values(),
        )
        .await;
        exec(
            &txn,
            "INSERT INTO lessons (id, module_id, course_id, title, kind, content, media_url, duration_minutes, preview, position) \
             SELECT id, module_id, course_id, title, kind, content, nullif(media, ''), minutes, preview = 1, position \
             FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::int[], $10::int[]) \
               AS t (id, module_id, course_id, title, kind, content, media, minutes, preview, position)",
            l.values(),
        )
        .await;
        made += size;
    }

    // Links that follow from the courses: owner, tags, the owner's course role.
    let ours = format!("%-{run}-%");
    exec(
        &txn,
        "INSERT INTO course_instructors (course_id, user_id, role, created_at) \
         SELECT id, owner_id, 'owner', created_at FROM courses WHERE slug LIKE $1",
        vec![ours.clone().into()],
    )
    .await;
    exec(
        &txn,
        "INSERT INTO course_tags (course_id, tag_id) \
         SELECT c.id, t.id FROM courses c JOIN tags t ON t.name = ANY (c.tag_names) WHERE c.slug LIKE $1",
        vec![ours.clone().into()],
    )
    .await;
    exec(
        &txn,
        "INSERT INTO role_assignments (id, user_id, role_id, scope_type, scope_id) \
         SELECT gen_random_uuid(), c.owner_id, r.id, 'course', c.id FROM courses c, roles r \
         WHERE c.slug LIKE $1 AND r.name = 'course_instructor'",
        vec![ours.into()],
    )
    .await;
    txn.commit().await.expect("commit");
    db.execute_unprepared("ANALYZE").await.expect("analyze");
    println!(
        "inserted {n} published courses ({} modules, {} lessons) taught by {teachers} instructors in {:.1} s",
        n * 2,
        n * 6,
        started.elapsed().as_secs_f64()
    );
}
