//! Demo data of the LMS for `azora seed` (and the auto-seed of an empty development database):
//! a category tree, five courses of the demo educator (four published, one under review) with
//! modules, lessons, tags and categories, two learning paths, enrollments with progress,
//! reviews and a reply.
//!
//! Catalog rows are plain inserts; everything that moves money or completes a course goes
//! through the real services: `learning::enroll_in` (the paid course is paid through the
//! wallet) and `learning::complete_lesson_for` (completion pays the AZR reward through
//! `wallet::service::reward` and publishes `CourseCompleted`). The student holds no USD after
//! the wallet's seed, so 100.00 USD is minted to them from the treasury first (a ledger
//! `mint` with reference `seed:demo-lms`). All in one transaction; a second run finds the demo
//! courses and creates nothing.

use rust_decimal::Decimal;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

use super::access::course_row;
use super::enrollments::enroll_in;
use super::progress::complete_lesson_for;
use crate::db;
use crate::modules::rbac::{self, Scope};
use crate::modules::wallet::service::{Posting, ensure_wallet, post, system_wallet};
use crate::state::AppState;
use kernel::{AppError, AppResult};

/// (slug, name, parent slug, description); positions follow the order among siblings.
const CATEGORIES: [(&str, &str, Option<&str>, &str); 5] = [
    (
        "technology",
        "Technology",
        None,
        "Software, data and the machines that run them",
    ),
    (
        "programming",
        "Programming",
        Some("technology"),
        "Languages, frameworks and the craft of building software",
    ),
    (
        "data-science",
        "Data Science",
        Some("technology"),
        "Statistics, machine learning and artificial intelligence",
    ),
    (
        "business",
        "Business",
        None,
        "Entrepreneurship, management and working in teams",
    ),
    (
        "languages",
        "Languages",
        None,
        "Speak, read and write with confidence",
    ),
];

struct LessonSpec {
    title: &'static str,
    kind: &'static str,
    minutes: i32,
    preview: bool,
    /// File name under the course's media folder (video and audio lessons).
    media: Option<&'static str>,
    content: &'static str,
}

struct ModuleSpec {
    title: &'static str,
    description: &'static str,
    lessons: &'static [LessonSpec],
}

struct CourseSpec {
    slug: &'static str,
    title: &'static str,
    summary: &'static str,
    description: &'static str,
    level: &'static str,
    /// Tenths of an hour.
    hours_tenths: i64,
    /// USD cents; 0 is free.
    price_cents: i64,
    /// AZR paid on completion; `None` uses `lms.completion_reward`.
    reward: Option<i64>,
    status: &'static str,
    /// Published (or submitted, for a course under review) this many days ago.
    days_ago: i32,
    in_org: bool,
    categories: &'static [&'static str],
    tags: &'static [&'static str],
    modules: &'static [ModuleSpec],
}

const fn lesson(
    title: &'static str,
    kind: &'static str,
    minutes: i32,
    media: Option<&'static str>,
    content: &'static str,
) -> LessonSpec {
    LessonSpec {
        title,
        kind,
        minutes,
        preview: false,
        media,
        content,
    }
}

const fn preview(
    title: &'static str,
    kind: &'static str,
    minutes: i32,
    media: Option<&'static str>,
    content: &'static str,
) -> LessonSpec {
    LessonSpec {
        preview: true,
        ..lesson(title, kind, minutes, media, content)
    }
}

const AI: usize = 0;
const WEB: usize = 1;
const DATA: usize = 2;
const ENGLISH: usize = 3;
const DEEP: usize = 4;

const COURSES: [CourseSpec; 5] = [
    CourseSpec {
        slug: "intro-ai-ml",
        title: "Introduction to AI and Machine Learning",
        summary: "Understand what artificial intelligence can and cannot do, then train and evaluate your first machine-learning model in Python.",
        description: "Artificial intelligence is changing how we learn, work and build. This course starts from first principles: what intelligence means for a machine, how models learn from examples, and why data matters more than algorithms.\n\nYou will set up Python and Jupyter, train a linear regression on real data, measure how good it is, and finish with a small project that predicts house prices. Along the way we discuss bias, privacy and how to explain a model's decisions.\n\nNo prior machine-learning experience is needed; basic Python helps.",
        level: "beginner",
        hours_tenths: 125,
        price_cents: 0,
        reward: Some(25),
        status: "published",
        days_ago: 60,
        in_org: true,
        categories: &["data-science"],
        tags: &["ai", "machine-learning", "python"],
        modules: &[
            ModuleSpec {
                title: "Foundations of AI",
                description: "What AI is, where it came from and how machines learn.",
                lessons: &[
                    preview(
                        "Welcome to the course",
                        "video",
                        6,
                        Some("welcome.mp4"),
                        "Meet your instructor and see what you will build by the end of the course.",
                    ),
                    lesson(
                        "A short history of artificial intelligence",
                        "text",
                        15,
                        None,
                        "# From Turing to transformers\n\nIn 1950 Alan Turing asked whether machines can think. Since then AI has gone through waves of optimism and *AI winters*: symbolic reasoning, expert systems, statistical learning and, today, deep learning.\n\nThe common thread: each wave found a better way to turn **data** into **decisions**.",
                    ),
                    lesson(
                        "Supervised, unsupervised and reinforcement learning",
                        "text",
                        20,
                        None,
                        "# Three ways to learn\n\n- **Supervised**: learn from labelled examples (email -> spam or not).\n- **Unsupervised**: find structure in unlabelled data (customer segments).\n- **Reinforcement**: learn by trial, error and reward (game-playing agents).",
                    ),
                ],
            },
            ModuleSpec {
                title: "Your first model",
                description: "From a CSV file to a trained, evaluated model.",
                lessons: &[
                    lesson(
                        "Setting up Python and Jupyter",
                        "video",
                        12,
                        Some("setup-python-jupyter.mp4"),
                        "Install Python, create a virtual environment and start a Jupyter notebook.",
                    ),
                    lesson(
                        "Training a linear regression",
                        "interactive",
                        30,
                        None,
                        "Load the housing data set with pandas, split it into training and test sets and fit a `LinearRegression` with scikit-learn.",
                    ),
                    lesson(
                        "Measuring what your model learned",
                        "text",
                        18,
                        None,
                        "# Evaluation\n\nA model is only as good as its performance on data it has **not** seen. We compare mean absolute error, RMSE and R² and look at the residuals.",
                    ),
                ],
            },
            ModuleSpec {
                title: "Responsible AI",
                description: "Bias, privacy and explaining model decisions.",
                lessons: &[
                    lesson(
                        "Bias in data and models",
                        "audio",
                        14,
                        Some("bias-in-data.mp3"),
                        "A conversation about how historical data carries historical bias, and what to do about it.",
                    ),
                    lesson(
                        "Project: predict house prices",
                        "assignment",
                        60,
                        None,
                        "Train a model on the provided data, report its error on the test set and write one paragraph on its limitations.",
                    ),
                ],
            },
        ],
    },
    CourseSpec {
        slug: "fullstack-web-react-node",
        title: "Full-Stack Web Development with React and Node.js",
        summary: "Build and ship a complete web application: a React front end, a Node.js and Express API, authentication and deployment.",
        description: "This hands-on course takes you from modern JavaScript to a deployed full-stack application.\n\nYou will write components and hooks in React, design a REST API with Node.js and Express, secure it with JSON Web Tokens and put it all online. Every module ends with working code you can reuse.\n\nYou should be comfortable with HTML, CSS and basic JavaScript.",
        level: "intermediate",
        hours_tenths: 240,
        price_cents: 4900,
        reward: None,
        status: "published",
        days_ago: 30,
        in_org: false,
        categories: &["programming"],
        tags: &["javascript", "react", "nodejs", "web-development"],
        modules: &[
            ModuleSpec {
                title: "Modern JavaScript",
                description: "The language features and tools every project uses.",
                lessons: &[
                    preview(
                        "Course tour and project overview",
                        "video",
                        8,
                        Some("course-tour.mp4"),
                        "A walk through the application you will build: a course-review site with accounts.",
                    ),
                    lesson(
                        "ES modules, promises and async/await",
                        "text",
                        25,
                        None,
                        "# Asynchronous JavaScript\n\n`async` functions return promises; `await` pauses until one settles. Combine them with `Promise.all` to run requests in parallel.",
                    ),
                    lesson(
                        "Tooling: npm, Vite and ESLint",
                        "video",
                        15,
                        Some("tooling.mp4"),
                        "Create the project with Vite, add ESLint and Prettier, and learn the npm scripts you will run every day.",
                    ),
                ],
            },
            ModuleSpec {
                title: "Building the front end with React",
                description: "Components, state, data fetching and routing.",
                lessons: &[
                    lesson(
                        "Components, props and state",
                        "video",
                        22,
                        Some("components-props-state.mp4"),
                        "Break the interface into components and decide where each piece of state lives.",
                    ),
                    lesson(
                        "Fetching data with hooks",
                        "interactive",
                        35,
                        None,
                        "Write a `useCourses` hook with `useEffect`, handle loading and error states and cancel stale requests.",
                    ),
                    lesson(
                        "Routing and forms",
                        "text",
                        20,
                        None,
                        "# Pages and forms\n\nAdd React Router, build a controlled review form and validate it before it reaches the server.",
                    ),
                ],
            },
            ModuleSpec {
                title: "APIs with Node.js and Express",
                description: "A secure REST API and a deployed application.",
                lessons: &[
                    lesson(
                        "A REST API in 50 lines",
                        "video",
                        18,
                        Some("rest-api.mp4"),
                        "Routes, middleware and JSON responses with Express.",
                    ),
                    lesson(
                        "Authentication with JSON Web Tokens",
                        "text",
                        25,
                        None,
                        "# Sign-in\n\nHash passwords with argon2, issue short-lived access tokens and check them in a middleware.",
                    ),
                    lesson(
                        "Capstone: ship a full-stack app",
                        "assignment",
                        120,
                        None,
                        "Deploy your application and submit its URL with a short write-up of one design decision.",
                    ),
                ],
            },
        ],
    },
    CourseSpec {
        slug: "data-analysis-python-sql",
        title: "Data Analysis with Python and SQL",
        summary: "Ask questions of real data with SQL and pandas, clean it, and present what you find in clear charts.",
        description: "Data analysts turn raw tables into decisions. In this course you query databases with SQL, load and clean data with pandas and tell a story with charts.\n\nEach lesson uses a real data set, from city bike trips to school results, and ends with a short exercise.",
        level: "beginner",
        hours_tenths: 160,
        price_cents: 0,
        reward: None,
        status: "published",
        days_ago: 45,
        in_org: true,
        categories: &["data-science", "programming"],
        tags: &["python", "sql", "data-analysis", "pandas"],
        modules: &[
            ModuleSpec {
                title: "Asking questions of data",
                description: "SQL from the first SELECT to joins and aggregates.",
                lessons: &[
                    preview(
                        "What a data analyst does",
                        "video",
                        7,
                        Some("what-analysts-do.mp4"),
                        "A day in the life of a data analyst, and the questions this course teaches you to answer.",
                    ),
                    lesson(
                        "SELECT, WHERE and ORDER BY",
                        "interactive",
                        30,
                        None,
                        "Query the bike-trips table in the browser: filter, sort and limit results.",
                    ),
                    lesson(
                        "Joins and aggregates",
                        "text",
                        25,
                        None,
                        "# Combining tables\n\n`JOIN` connects rows that share a key; `GROUP BY` with `count`, `sum` and `avg` summarises them.",
                    ),
                ],
            },
            ModuleSpec {
                title: "pandas in practice",
                description: "Loading, cleaning and charting data in Python.",
                lessons: &[
                    lesson(
                        "DataFrames from CSV and SQL",
                        "video",
                        20,
                        Some("dataframes.mp4"),
                        "Read data with `read_csv` and `read_sql`, inspect it and select columns.",
                    ),
                    lesson(
                        "Cleaning messy data",
                        "text",
                        25,
                        None,
                        "# Cleaning\n\nMissing values, duplicates, wrong types and inconsistent spellings: find them and fix them reproducibly.",
                    ),
                    lesson(
                        "Charts that tell a story",
                        "interactive",
                        30,
                        None,
                        "Choose the right chart for the question and label it so it needs no explanation.",
                    ),
                ],
            },
        ],
    },
    CourseSpec {
        slug: "business-english-tech",
        title: "Business English for Tech Professionals",
        summary: "Speak up in meetings, give clear status updates and write emails and pull requests your team understands.",
        description: "English is the working language of most technology teams. This practical course focuses on the situations you meet every week: stand-ups, meetings, emails and code reviews.\n\nEvery lesson has phrases to reuse and a short speaking or writing task.",
        level: "beginner",
        hours_tenths: 80,
        price_cents: 0,
        reward: None,
        status: "published",
        days_ago: 20,
        in_org: true,
        categories: &["business", "languages"],
        tags: &["english", "communication", "career"],
        modules: &[
            ModuleSpec {
                title: "Meetings and stand-ups",
                description: "Introduce yourself, report progress and take part in discussions.",
                lessons: &[
                    preview(
                        "Introducing yourself to a new team",
                        "audio",
                        10,
                        Some("introductions.mp3"),
                        "Listen to three introductions and record your own.",
                    ),
                    lesson(
                        "Giving a status update",
                        "video",
                        12,
                        Some("status-update.mp4"),
                        "Yesterday, today, blockers: a clear structure for the daily stand-up.",
                    ),
                    lesson(
                        "Agreeing and disagreeing politely",
                        "text",
                        15,
                        None,
                        "# Useful phrases\n\n- *I see your point, but...*\n- *Could we look at it from another angle?*\n- *That makes sense to me.*",
                    ),
                ],
            },
            ModuleSpec {
                title: "Writing at work",
                description: "Emails and pull requests that get answered.",
                lessons: &[
                    lesson(
                        "Clear emails in five steps",
                        "text",
                        20,
                        None,
                        "# Five steps\n\nSubject that says the ask, context in one sentence, the ask, the deadline, a friendly close.",
                    ),
                    lesson(
                        "Writing a pull-request description",
                        "assignment",
                        30,
                        None,
                        "Rewrite the given pull-request description so a reviewer understands the change in one minute.",
                    ),
                ],
            },
        ],
    },
    CourseSpec {
        slug: "deep-learning-neural-networks",
        title: "Deep Learning with Neural Networks",
        summary: "Go beyond classic machine learning: build, train and tune neural networks for images and text.",
        description: "Deep learning powers image recognition, translation and chat assistants. This course explains how neural networks learn, from a single perceptron to convolutional networks and transformers, and how to train them on a GPU.\n\nYou finish by building an image classifier. Completing *Introduction to AI and Machine Learning* first is required.",
        level: "advanced",
        hours_tenths: 300,
        price_cents: 0,
        reward: Some(50),
        status: "under_review",
        days_ago: 3,
        in_org: true,
        categories: &["data-science"],
        tags: &["ai", "deep-learning", "neural-networks", "python"],
        modules: &[
            ModuleSpec {
                title: "Neural network fundamentals",
                description: "Neurons, layers, loss functions and backpropagation.",
                lessons: &[
                    preview(
                        "From perceptrons to deep networks",
                        "video",
                        20,
                        Some("perceptrons.mp4"),
                        "How stacking simple units creates models that can learn almost any function.",
                    ),
                    lesson(
                        "Backpropagation by hand",
                        "text",
                        35,
                        None,
                        "# The chain rule at work\n\nWe compute the gradients of a two-layer network step by step, then let PyTorch do it for us.",
                    ),
                    lesson(
                        "Training on a GPU",
                        "video",
                        25,
                        Some("gpu-training.mp4"),
                        "Move tensors to the GPU, choose a batch size and watch the loss fall.",
                    ),
                ],
            },
            ModuleSpec {
                title: "Architectures",
                description: "Convolutional networks and transformers.",
                lessons: &[
                    lesson(
                        "Convolutional networks for images",
                        "video",
                        30,
                        Some("cnn.mp4"),
                        "Filters, pooling and why convolutions suit images.",
                    ),
                    lesson(
                        "Transformers and attention",
                        "text",
                        40,
                        None,
                        "# Attention is all you need\n\nQueries, keys and values: how a transformer decides which words matter for each other.",
                    ),
                    lesson(
                        "Project: an image classifier",
                        "assignment",
                        90,
                        None,
                        "Train a classifier on the provided image set and report its accuracy and its most common mistakes.",
                    ),
                ],
            },
        ],
    },
];

/// (slug, title, description, in the demo organization, [(course, required)]).
type PathSpec = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [(usize, bool)],
);

const PATHS: [PathSpec; 2] = [
    (
        "ai-practitioner",
        "AI Practitioner",
        "From your first SQL query to a trained machine-learning model, with an optional detour into shipping it on the web.",
        true,
        &[(DATA, true), (AI, true), (WEB, false)],
    ),
    (
        "full-stack-developer",
        "Full-Stack Developer",
        "Build complete web applications, and learn to communicate about them in an international team.",
        false,
        &[(WEB, true), (DATA, false), (ENGLISH, false)],
    ),
];

fn parse_id(raw: &str) -> AppResult<Uuid> {
    raw.parse().map_err(AppError::internal)
}

async fn user_exists(txn: &DatabaseTransaction, id: Uuid) -> AppResult<bool> {
    Ok(db::one(
        txn,
        "SELECT 1 AS one FROM users WHERE id = $1 AND deleted_at IS NULL",
        [id.into()],
    )
    .await?
    .is_some())
}

/// A created course: its id and its lessons in order.
struct Seeded {
    id: Uuid,
    lessons: Vec<Uuid>,
}

/// Inserts the LMS demo data once; returns how many rows it created (0 when the demo courses
/// exist already or the demo users are missing).
pub async fn seed_demo(state: &AppState) -> AppResult<u64> {
    let (db, _settings) = (&state.db, &*state.settings);
    let txn = db.begin().await?;
    db::advisory_lock(&txn, "seed:demo-lms").await?;
    let student = parse_id(seed::DEMO_USERS[0].0)?;
    let educator = parse_id(seed::DEMO_USERS[1].0)?;
    let employer = parse_id(seed::DEMO_USERS[2].0)?;
    let slugs: Vec<String> = COURSES.iter().map(|c| c.slug.to_owned()).collect();
    let done = db::one(
        &txn,
        "SELECT 1 AS one FROM courses WHERE slug = ANY ($1)",
        [slugs.into()],
    )
    .await?
    .is_some();
    if done {
        return Ok(0);
    }
    for user in [student, educator, employer] {
        if !user_exists(&txn, user).await? {
            return Ok(0);
        }
    }
    let org_id = parse_id(seed::DEMO_ORG.0)?;
    let org = db::one(
        &txn,
        "SELECT id FROM organizations WHERE id = $1",
        [org_id.into()],
    )
    .await?
    .map(|_| org_id);
    let mut created = 0u64;

    // --- Categories (kept when an operator created one with the same slug) ---
    for (slug, name, parent, description) in CATEGORIES {
        let res = db::exec(
            &txn,
            "INSERT INTO categories (id, parent_id, name, slug, description, position) \
             VALUES ($1, (SELECT id FROM categories WHERE slug = $2), $3, $4, $5, \
                     (SELECT count(*)::int FROM categories WHERE parent_id IS NOT DISTINCT FROM (SELECT id FROM categories WHERE slug = $2))) \
             ON CONFLICT (slug) DO NOTHING",
            [
                Uuid::now_v7().into(),
                parent.map(str::to_owned).into(),
                name.into(),
                slug.into(),
                description.into(),
            ],
        )
        .await?;
        created += res.rows_affected();
    }

    // --- Courses with their team, categories, tags, modules and lessons ---
    let mut courses = Vec::with_capacity(COURSES.len());
    for spec in &COURSES {
        let id = Uuid::now_v7();
        let organization_id = if spec.in_org { org } else { None };
        let tags: Vec<String> = spec.tags.iter().map(|t| (*t).to_owned()).collect();
        let published = spec.status == "published";
        db::exec(
            &txn,
            "INSERT INTO courses (id, title, slug, summary, description, level, language, organization_id, \
               cover_image_url, estimated_hours, price, currency, completion_reward, status, owner_id, tag_names, \
               submitted_at, published_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'en', $7, $8, $9, $10, 'USD', $11, $12, $13, $14, \
               now() - make_interval(days => $15 + 2), \
               CASE WHEN $16 THEN now() - make_interval(days => $15) END, \
               now() - make_interval(days => $15 + 14), now() - make_interval(days => $15))",
            [
                id.into(),
                spec.title.into(),
                spec.slug.into(),
                spec.summary.into(),
                spec.description.into(),
                spec.level.into(),
                organization_id.into(),
                format!("https://cdn.azora.world/courses/{}/cover.jpg", spec.slug).into(),
                Decimal::new(spec.hours_tenths, 1).into(),
                Decimal::new(spec.price_cents, 2).into(),
                spec.reward.map(Decimal::from).into(),
                spec.status.into(),
                educator.into(),
                tags.into(),
                if published { spec.days_ago } else { spec.days_ago - 2 }.into(),
                published.into(),
            ],
        )
        .await?;
        db::exec(
            &txn,
            "INSERT INTO course_instructors (course_id, user_id, role, created_at) \
             SELECT id, owner_id, 'owner', created_at FROM courses WHERE id = $1",
            [id.into()],
        )
        .await?;
        rbac::assign_role(
            &txn,
            educator,
            "course_instructor",
            Scope::Course {
                id,
                organization_id,
            },
            None,
        )
        .await?;
        created += 3;
        for slug in spec.categories {
            let res = db::exec(
                &txn,
                "INSERT INTO course_categories (course_id, category_id) SELECT $1, id FROM categories WHERE slug = $2",
                [id.into(), (*slug).into()],
            )
            .await?;
            created += res.rows_affected();
        }
        for tag in spec.tags {
            let res = db::exec(
                &txn,
                "INSERT INTO tags (id, name) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                [Uuid::now_v7().into(), (*tag).into()],
            )
            .await?;
            let linked = db::exec(
                &txn,
                "INSERT INTO course_tags (course_id, tag_id) SELECT $1, id FROM tags WHERE name = $2",
                [id.into(), (*tag).into()],
            )
            .await?;
            created += res.rows_affected() + linked.rows_affected();
        }
        let mut lessons = Vec::new();
        for (m, module) in spec.modules.iter().enumerate() {
            let module_id = Uuid::now_v7();
            db::exec(
                &txn,
                "INSERT INTO course_modules (id, course_id, title, description, position) VALUES ($1, $2, $3, $4, $5)",
                [
                    module_id.into(),
                    id.into(),
                    module.title.into(),
                    module.description.into(),
                    (m as i32).into(),
                ],
            )
            .await?;
            created += 1;
            for (l, spec_lesson) in module.lessons.iter().enumerate() {
                let lesson_id = Uuid::now_v7();
                let media = spec_lesson
                    .media
                    .map(|file| format!("https://cdn.azora.world/courses/{}/{file}", spec.slug));
                db::exec(
                    &txn,
                    "INSERT INTO lessons (id, module_id, course_id, title, kind, content, media_url, duration_minutes, preview, required, position) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, true, $10)",
                    [
                        lesson_id.into(),
                        module_id.into(),
                        id.into(),
                        spec_lesson.title.into(),
                        spec_lesson.kind.into(),
                        spec_lesson.content.into(),
                        media.into(),
                        spec_lesson.minutes.into(),
                        spec_lesson.preview.into(),
                        (l as i32).into(),
                    ],
                )
                .await?;
                lessons.push(lesson_id);
                created += 1;
            }
        }
        courses.push(Seeded { id, lessons });
    }
    // The advanced course builds on the introduction.
    db::exec(
        &txn,
        "INSERT INTO course_prerequisites (course_id, prerequisite_id) VALUES ($1, $2)",
        [courses[DEEP].id.into(), courses[AI].id.into()],
    )
    .await?;
    created += 1;

    // --- Learning paths ---
    let mut paths = Vec::new();
    for (slug, title, description, in_org, steps) in PATHS {
        let id = Uuid::now_v7();
        db::exec(
            &txn,
            "INSERT INTO learning_paths (id, title, slug, description, organization_id, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            [
                id.into(),
                title.into(),
                slug.into(),
                description.into(),
                if in_org { org } else { None }.into(),
                educator.into(),
            ],
        )
        .await?;
        created += 1;
        for (position, (course, required)) in steps.iter().enumerate() {
            db::exec(
                &txn,
                "INSERT INTO learning_path_courses (path_id, course_id, position, required) VALUES ($1, $2, $3, $4)",
                [
                    id.into(),
                    courses[*course].id.into(),
                    (position as i32).into(),
                    (*required).into(),
                ],
            )
            .await?;
            created += 1;
        }
        paths.push(id);
    }

    // --- The student's money for the paid course: 100.00 USD from the treasury ---
    let usd_wallet = ensure_wallet(&txn, student, "USD").await?;
    let treasury = system_wallet(&txn, "treasury", "USD").await?;
    let amount = Decimal::new(10_000, 2);
    post(
        &txn,
        Posting {
            kind: "mint",
            currency: "USD",
            amount,
            description: "demo data: course budget",
            reference: Some("seed:demo-lms"),
            initiated_by: None,
            reverses: None,
            legs: vec![(treasury, -amount), (usd_wallet, amount)],
        },
    )
    .await?;
    created += 1;

    // --- Enrollments and progress, through the learning service ---
    // The student follows the AI Practitioner path: data analysis in progress (2 of 6 lessons),
    // the AI introduction completed (its reward is paid); and bought the web course (1 lesson).
    db::exec(
        &txn,
        "INSERT INTO learning_path_enrollments (id, path_id, user_id) VALUES ($1, $2, $3)",
        [Uuid::now_v7().into(), paths[0].into(), student.into()],
    )
    .await?;
    created += 1;
    let plan: [(Uuid, usize, Option<Uuid>, usize); 5] = [
        (student, DATA, Some(paths[0]), 2),
        (student, AI, Some(paths[0]), usize::MAX),
        (student, WEB, None, 1),
        (employer, AI, None, 3),
        (employer, ENGLISH, None, 2),
    ];
    for (user, course, path, lessons_done) in plan {
        let row = course_row(&txn, courses[course].id).await?;
        enroll_in(&txn, user, &row, path).await?;
        created += 1;
        for lesson_id in courses[course].lessons.iter().take(lessons_done) {
            complete_lesson_for(&txn, state, user, *lesson_id).await?;
            created += 1;
        }
    }

    // --- Reviews (with the course counters) and an instructor's reply ---
    let reviews: [(usize, Uuid, i32, &str, Option<&str>); 4] = [
        (
            AI,
            student,
            5,
            "Clear explanations and a great first project. I finally understand how a model learns from data.",
            None,
        ),
        (
            AI,
            employer,
            4,
            "A solid introduction that my whole team could follow. I would like more on deploying models.",
            Some("Thank you! A module on deploying models is coming next term."),
        ),
        (
            DATA,
            student,
            4,
            "The SQL exercises in the browser are excellent; the pandas part moves a little fast.",
            None,
        ),
        (
            ENGLISH,
            employer,
            5,
            "Practical and to the point. The stand-up phrases helped me from day one.",
            None,
        ),
    ];
    for (course, user, rating, body, reply) in reviews {
        let course_id = courses[course].id;
        db::exec(
            &txn,
            "INSERT INTO course_reviews (id, course_id, user_id, rating, body, reply, replied_by, replied_at) \
             VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6::text IS NOT NULL THEN $7::uuid END, \
                     CASE WHEN $6::text IS NOT NULL THEN now() END)",
            [
                Uuid::now_v7().into(),
                course_id.into(),
                user.into(),
                (rating as i16).into(),
                body.into(),
                reply.map(str::to_owned).into(),
                educator.into(),
            ],
        )
        .await?;
        db::exec(
            &txn,
            "UPDATE courses SET rating_sum = rating_sum + $2, rating_count = rating_count + 1 WHERE id = $1",
            [course_id.into(), rating.into()],
        )
        .await?;
        created += 1;
    }
    txn.commit().await?;
    tracing::info!(created, "seeded the LMS demo data");
    Ok(created)
}
