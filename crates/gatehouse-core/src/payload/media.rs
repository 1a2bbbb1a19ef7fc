//! Content types: which `Content-Type` a body may have.
//!
//! The media type is the header's value before any `;` parameter, trimmed
//! and compared without regard to case. A pattern is `type/subtype`, where
//! the type may be `*`, and the subtype `*` (any) or `*+suffix` (any with
//! that structured-syntax suffix, such as `application/*+json`). A request
//! with no `Content-Type`, or with two that differ, has no acceptable type.

use crate::request::Request;

/// The accepted media types of one endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaTypes {
    patterns: Box<[(Box<str>, Box<str>)]>,
}

impl MediaTypes {
    /// From `body types` patterns (already checked and lowercased).
    pub fn new(patterns: &[String]) -> MediaTypes {
        MediaTypes {
            patterns: patterns
                .iter()
                .filter_map(|p| p.split_once('/'))
                .map(|(t, s)| (t.to_ascii_lowercase().into(), s.to_ascii_lowercase().into()))
                .collect(),
        }
    }

    /// What `body json` accepts without `body types`: `application/json`
    /// and `application/*+json`.
    pub fn json() -> MediaTypes {
        MediaTypes {
            patterns: Box::new([
                ("application".into(), "json".into()),
                ("application".into(), "*+json".into()),
            ]),
        }
    }

    /// Whether the media type `ty/subtype` (lowercase) is accepted.
    pub fn accepts(&self, ty: &str, subtype: &str) -> bool {
        self.patterns.iter().any(|(t, s)| {
            let type_ok = &**t == "*" || **t == *ty;
            let subtype_ok = match s.strip_prefix('*') {
                Some("") => true,
                Some(suffix) => subtype.len() > suffix.len() && subtype.ends_with(suffix),
                None => **s == *subtype,
            };
            type_ok && subtype_ok
        })
    }

    /// Whether the request's `Content-Type` is accepted.
    pub fn accepts_request(&self, request: &Request<'_>) -> bool {
        match content_type(request) {
            Some((ty, subtype)) => self.accepts(&ty, &subtype),
            None => false,
        }
    }
}

/// The request's media type, lowercase, split at `/`: `None` if it has no
/// `Content-Type`, one without `/`, or two that differ.
pub fn content_type(request: &Request<'_>) -> Option<(String, String)> {
    let mut found: Option<&str> = None;
    for value in request.header_values("content-type") {
        let media = value.split(';').next().unwrap_or("").trim();
        match found {
            Some(previous) if !previous.eq_ignore_ascii_case(media) => return None,
            _ => found = Some(media),
        }
    }
    let (ty, subtype) = found?.split_once('/')?;
    let (ty, subtype) = (ty.trim(), subtype.trim());
    if ty.is_empty() || subtype.is_empty() {
        return None;
    }
    Some((ty.to_ascii_lowercase(), subtype.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let json = MediaTypes::json();
        assert!(json.accepts("application", "json"));
        assert!(json.accepts("application", "merge-patch+json"));
        assert!(!json.accepts("application", "+json"));
        assert!(!json.accepts("text", "json"));
        let text = MediaTypes::new(&["text/*".into(), "*/xml".into()]);
        assert!(text.accepts("text", "plain"));
        assert!(text.accepts("application", "xml"));
        assert!(!text.accepts("application", "json"));
    }

    #[test]
    fn the_request_type() {
        let peer = "192.0.2.1".parse().unwrap();
        let headers = [("Content-Type", "Application/JSON; charset=utf-8")];
        let r = Request::new("POST", "/", peer).headers(&headers);
        assert_eq!(
            content_type(&r),
            Some(("application".into(), "json".into()))
        );
        let two = [
            ("Content-Type", "application/json"),
            ("content-type", "text/plain"),
        ];
        assert_eq!(
            content_type(&Request::new("POST", "/", peer).headers(&two)),
            None
        );
        let same = [
            ("Content-Type", "application/json"),
            ("content-type", "application/JSON"),
        ];
        assert!(content_type(&Request::new("POST", "/", peer).headers(&same)).is_some());
        assert_eq!(content_type(&Request::new("POST", "/", peer)), None);
    }
}
