//! Markdown bodies (chat messages, forum posts): rendered to HTML that is safe to insert into a page (ammonia's
//! allow-list; client HTML is never trusted, links get `rel="noopener noreferrer nofollow"`),
//! and the `@handle` mentions a body names.

use pulldown_cmark::{Options, Parser, html};

/// The sanitized HTML of a Markdown body.
pub fn markdown_to_html(body: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TABLES);
    let mut out = String::with_capacity(body.len() * 3 / 2);
    html::push_html(&mut out, Parser::new_ext(body, options));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&out)
        .to_string()
}

/// The distinct `@handle`s of a body, lower-cased (a handle: letters, digits, `.`, `_`, `-`,
/// `+`, as in an email's local part).
pub fn mentioned_handles(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i] == '@' && (i == 0 || !is_handle_char(chars[i - 1]));
        if starts {
            let handle: String = chars[i + 1..]
                .iter()
                .take_while(|c| is_handle_char(**c))
                .collect();
            let handle = handle.trim_end_matches(['.', '-']).to_lowercase();
            i += handle.chars().count() + 1;
            if !handle.is_empty() && handle.len() <= 64 && !out.contains(&handle) {
                out.push(handle);
            }
        } else {
            i += 1;
        }
    }
    out
}

fn is_handle_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_scripts_never_survive() {
        let html = markdown_to_html("**bold** <script>alert(1)</script> [x](javascript:alert(1))");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn handles_are_found_once_and_emails_are_not_mentions() {
        assert_eq!(
            mentioned_handles("hi @Ada.L and @bob, mail ada@example.com @ada.l."),
            vec!["ada.l".to_owned(), "bob".to_owned()]
        );
    }
}
