//! Small field rules shared by the modules' validation.

use kernel::FieldError;

/// An absolute `http` or `https` URL with a host.
pub fn is_http_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
}

/// Pushes an error at `pointer` unless `value`, trimmed, has 1 to `max` characters.
pub fn check_name(pointer: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    let n = value.trim().chars().count();
    if n == 0 || n > max {
        errors.push(FieldError::new(
            pointer,
            format!("must be 1 to {max} characters"),
        ));
    }
}
