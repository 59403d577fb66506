//! The demo catalog `seed` writes through the LMS services: categories, five courses of the
//! demo educator with their modules and lessons, and two learning paths.

use kernel::enums::{CourseLevel, CourseStatus, LessonKind};

/// (slug, name, parent slug, description); positions follow the order among siblings.
pub(super) const CATEGORIES: [(&str, &str, Option<&str>, &str); 5] = [
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

pub(super) struct LessonSpec {
    pub(super) title: &'static str,
    pub(super) kind: LessonKind,
    pub(super) minutes: i32,
    pub(super) preview: bool,
    /// File name under the course's media folder (video and audio lessons).
    pub(super) media: Option<&'static str>,
    pub(super) content: &'static str,
}

pub(super) struct ModuleSpec {
    pub(super) title: &'static str,
    pub(super) description: &'static str,
    pub(super) lessons: &'static [LessonSpec],
}

pub(super) struct CourseSpec {
    pub(super) slug: &'static str,
    pub(super) title: &'static str,
    pub(super) summary: &'static str,
    pub(super) description: &'static str,
    pub(super) level: CourseLevel,
    /// Tenths of an hour.
    pub(super) hours_tenths: i64,
    /// USD cents; 0 is free.
    pub(super) price_cents: i64,
    /// AZR paid on completion; `None` uses `lms.completion_reward`.
    pub(super) reward: Option<i64>,
    pub(super) status: CourseStatus,
    /// Published (or submitted, for a course under review) this many days ago.
    pub(super) days_ago: i32,
    pub(super) in_org: bool,
    pub(super) categories: &'static [&'static str],
    pub(super) tags: &'static [&'static str],
    pub(super) modules: &'static [ModuleSpec],
}

pub(super) const fn lesson(
    title: &'static str,
    kind: LessonKind,
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

pub(super) const fn preview(
    title: &'static str,
    kind: LessonKind,
    minutes: i32,
    media: Option<&'static str>,
    content: &'static str,
) -> LessonSpec {
    LessonSpec {
        preview: true,
        ..lesson(title, kind, minutes, media, content)
    }
}

pub(super) const AI: usize = 0;
pub(super) const WEB: usize = 1;
pub(super) const DATA: usize = 2;
pub(super) const ENGLISH: usize = 3;
pub(super) const DEEP: usize = 4;

pub(super) const COURSES: [CourseSpec; 5] = [
    CourseSpec {
        slug: "intro-ai-ml",
        title: "Introduction to AI and Machine Learning",
        summary: "Understand what artificial intelligence can and cannot do, then train and evaluate your first machine-learning model in Python.",
        description: "Artificial intelligence is changing how we learn, work and build. This course starts from first principles: what intelligence means for a machine, how models learn from examples, and why data matters more than algorithms.\n\nYou will set up Python and Jupyter, train a linear regression on real data, measure how good it is, and finish with a small project that predicts house prices. Along the way we discuss bias, privacy and how to explain a model's decisions.\n\nNo prior machine-learning experience is needed; basic Python helps.",
        level: CourseLevel::Beginner,
        hours_tenths: 125,
        price_cents: 0,
        reward: Some(25),
        status: CourseStatus::Published,
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
                        LessonKind::Video,
                        6,
                        Some("welcome.mp4"),
                        "Meet your instructor and see what you will build by the end of the course.",
                    ),
                    lesson(
                        "A short history of artificial intelligence",
                        LessonKind::Text,
                        15,
                        None,
                        "# From Turing to transformers\n\nIn 1950 Alan Turing asked whether machines can think. Since then AI has gone through waves of optimism and *AI winters*: symbolic reasoning, expert systems, statistical learning and, today, deep learning.\n\nThe common thread: each wave found a better way to turn **data** into **decisions**.",
                    ),
                    lesson(
                        "Supervised, unsupervised and reinforcement learning",
                        LessonKind::Text,
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
                        LessonKind::Video,
                        12,
                        Some("setup-python-jupyter.mp4"),
                        "Install Python, create a virtual environment and start a Jupyter notebook.",
                    ),
                    lesson(
                        "Training a linear regression",
                        LessonKind::Interactive,
                        30,
                        None,
                        "Load the housing data set with pandas, split it into training and test sets and fit a `LinearRegression` with scikit-learn.",
                    ),
                    lesson(
                        "Measuring what your model learned",
                        LessonKind::Text,
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
                        LessonKind::Audio,
                        14,
                        Some("bias-in-data.mp3"),
                        "A conversation about how historical data carries historical bias, and what to do about it.",
                    ),
                    lesson(
                        "Project: predict house prices",
                        LessonKind::Assignment,
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
        level: CourseLevel::Intermediate,
        hours_tenths: 240,
        price_cents: 4900,
        reward: None,
        status: CourseStatus::Published,
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
                        LessonKind::Video,
                        8,
                        Some("course-tour.mp4"),
                        "A walk through the application you will build: a course-review site with accounts.",
                    ),
                    lesson(
                        "ES modules, promises and async/await",
                        LessonKind::Text,
                        25,
                        None,
                        "# Asynchronous JavaScript\n\n`async` functions return promises; `await` pauses until one settles. Combine them with `Promise.all` to run requests in parallel.",
                    ),
                    lesson(
                        "Tooling: npm, Vite and ESLint",
                        LessonKind::Video,
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
                        LessonKind::Video,
                        22,
                        Some("components-props-state.mp4"),
                        "Break the interface into components and decide where each piece of state lives.",
                    ),
                    lesson(
                        "Fetching data with hooks",
                        LessonKind::Interactive,
                        35,
                        None,
                        "Write a `useCourses` hook with `useEffect`, handle loading and error states and cancel stale requests.",
                    ),
                    lesson(
                        "Routing and forms",
                        LessonKind::Text,
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
                        LessonKind::Video,
                        18,
                        Some("rest-api.mp4"),
                        "Routes, middleware and JSON responses with Express.",
                    ),
                    lesson(
                        "Authentication with JSON Web Tokens",
                        LessonKind::Text,
                        25,
                        None,
                        "# Sign-in\n\nHash passwords with argon2, issue short-lived access tokens and check them in a middleware.",
                    ),
                    lesson(
                        "Capstone: ship a full-stack app",
                        LessonKind::Assignment,
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
        level: CourseLevel::Beginner,
        hours_tenths: 160,
        price_cents: 0,
        reward: None,
        status: CourseStatus::Published,
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
                        LessonKind::Video,
                        7,
                        Some("what-analysts-do.mp4"),
                        "A day in the life of a data analyst, and the questions this course teaches you to answer.",
                    ),
                    lesson(
                        "SELECT, WHERE and ORDER BY",
                        LessonKind::Interactive,
                        30,
                        None,
                        "Query the bike-trips table in the browser: filter, sort and limit results.",
                    ),
                    lesson(
                        "Joins and aggregates",
                        LessonKind::Text,
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
                        LessonKind::Video,
                        20,
                        Some("dataframes.mp4"),
                        "Read data with `read_csv` and `read_sql`, inspect it and select columns.",
                    ),
                    lesson(
                        "Cleaning messy data",
                        LessonKind::Text,
                        25,
                        None,
                        "# Cleaning\n\nMissing values, duplicates, wrong types and inconsistent spellings: find them and fix them reproducibly.",
                    ),
                    lesson(
                        "Charts that tell a story",
                        LessonKind::Interactive,
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
        level: CourseLevel::Beginner,
        hours_tenths: 80,
        price_cents: 0,
        reward: None,
        status: CourseStatus::Published,
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
                        LessonKind::Audio,
                        10,
                        Some("introductions.mp3"),
                        "Listen to three introductions and record your own.",
                    ),
                    lesson(
                        "Giving a status update",
                        LessonKind::Video,
                        12,
                        Some("status-update.mp4"),
                        "Yesterday, today, blockers: a clear structure for the daily stand-up.",
                    ),
                    lesson(
                        "Agreeing and disagreeing politely",
                        LessonKind::Text,
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
                        LessonKind::Text,
                        20,
                        None,
                        "# Five steps\n\nSubject that says the ask, context in one sentence, the ask, the deadline, a friendly close.",
                    ),
                    lesson(
                        "Writing a pull-request description",
                        LessonKind::Assignment,
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
        level: CourseLevel::Advanced,
        hours_tenths: 300,
        price_cents: 0,
        reward: Some(50),
        status: CourseStatus::UnderReview,
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
                        LessonKind::Video,
                        20,
                        Some("perceptrons.mp4"),
                        "How stacking simple units creates models that can learn almost any function.",
                    ),
                    lesson(
                        "Backpropagation by hand",
                        LessonKind::Text,
                        35,
                        None,
                        "# The chain rule at work\n\nWe compute the gradients of a two-layer network step by step, then let PyTorch do it for us.",
                    ),
                    lesson(
                        "Training on a GPU",
                        LessonKind::Video,
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
                        LessonKind::Video,
                        30,
                        Some("cnn.mp4"),
                        "Filters, pooling and why convolutions suit images.",
                    ),
                    lesson(
                        "Transformers and attention",
                        LessonKind::Text,
                        40,
                        None,
                        "# Attention is all you need\n\nQueries, keys and values: how a transformer decides which words matter for each other.",
                    ),
                    lesson(
                        "Project: an image classifier",
                        LessonKind::Assignment,
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
pub(super) type PathSpec = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [(usize, bool)],
);

pub(super) const PATHS: [PathSpec; 2] = [
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
