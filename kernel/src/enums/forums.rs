//! Values of the `forums` module.

crate::string_enum!(
    /// Who may start threads in a forum, or reply in it.
    PostingRule {
        /// Anyone who sees the forum (and holds `forum:post`).
        Members = "members",
        /// The forum's staff only: instructors of its course, admins of its organization,
        /// moderators.
        Staff = "staff",
        /// Nobody: read-only.
        Nobody = "nobody",
    }
);

crate::string_enum!(
    /// What a thread is.
    ThreadKind {
        /// A conversation.
        Discussion = "discussion",
        /// A question: replies are answers, which are voted on and one of which may be accepted.
        Question = "question",
    }
);

crate::string_enum!(
    /// How closely a user follows a forum or a thread.
    SubscriptionLevel {
        /// An event for every new post.
        Watching = "watching",
        /// Events for replies to one's posts and mentions (like `normal`; clients may show
        /// unread counts).
        Tracking = "tracking",
        /// Events for replies to one's posts and mentions.
        Normal = "normal",
        /// No events at all.
        Muted = "muted",
    }
);

crate::string_enum!(
    /// How a thread's posts are read.
    PostOrder {
        /// Depth-first: each post's replies follow it, oldest first.
        Tree = "tree",
        /// By time.
        Flat = "flat",
    }
);
