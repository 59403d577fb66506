//! Values of the `chat`, `realtime` and `moderation` modules.

crate::string_enum!(
    /// What a chat room is.
    RoomKind {
        /// Two people; one room per pair.
        Direct = "direct",
        /// People invited by its owner or admins.
        Group = "group",
        /// A course's channel: its learners and instructors, following enrollments.
        Course = "course",
        /// An organization's channel: its members, following membership.
        Organization = "organization",
    }
);

crate::string_enum!(
    /// A member's role in a room.
    RoomRole {
        /// Created the room; manages it and its members.
        Owner = "owner",
        /// Manages members and moderates messages.
        Admin = "admin",
        Member = "member",
    }
);

crate::string_enum!(
    /// The fixed set of reactions.
    ReactionKind {
        ThumbsUp = "thumbs_up",
        Heart = "heart",
        Laugh = "laugh",
        Celebrate = "celebrate",
        Eyes = "eyes",
        Thinking = "thinking",
    }
);

crate::string_enum!(
    /// Why something was flagged.
    FlagReason {
        Spam = "spam",
        Harassment = "harassment",
        Inappropriate = "inappropriate",
        OffTopic = "off_topic",
        Other = "other",
    }
);

crate::string_enum!(
    /// Where a flag stands.
    FlagState {
        Open = "open",
        Resolved = "resolved",
    }
);

crate::string_enum!(
    /// How a moderator resolved a flag.
    FlagAction {
        /// The content stays but only moderators see it.
        Hide = "hide",
        /// The content is deleted (a placeholder stays).
        Delete = "delete",
        /// Nothing wrong: the flag is closed.
        Dismiss = "dismiss",
    }
);

crate::string_enum!(
    /// What a flag points at.
    FlagTarget {
        ChatMessage = "chat_message",
        ForumPost = "forum_post",
    }
);

crate::string_enum!(
    /// Whether someone is around.
    PresenceStatus {
        Online = "online",
        Idle = "idle",
        Offline = "offline",
    }
);
