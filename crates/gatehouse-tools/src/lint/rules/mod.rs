//! The lint rules, one per file, and the small helpers they share.
//!
//! Each file's `//!` doc comment is the rule's documentation (see
//! [`super::registry`]); its functions are called by [`super::checker`] at
//! the dispatch points they are named after: `api`, `scheme`, `endpoint`.

pub(crate) mod allow_without_reason;
pub(crate) mod endpoint_never_allowed;
pub(crate) mod fail_open_on_store_error;
pub(crate) mod fallthrough_to_weaker_route;
pub(crate) mod forwarded_deny_without_proxies;
pub(crate) mod invalid_allow;
pub(crate) mod jwt_without_audience;
pub(crate) mod missing_owner;
pub(crate) mod permissive_cidr;
pub(crate) mod public_without_quota;
pub(crate) mod public_write;
pub(crate) mod shadow_endpoint;
pub(crate) mod shadowed_route;
pub(crate) mod unmasked_sensitive_field;
pub(crate) mod unreachable_mask;
pub(crate) mod unrestricted_wildcard_write;
pub(crate) mod unused_allow;
pub(crate) mod unused_scope;
pub(crate) mod unversioned_api;
pub(crate) mod write_without_body_limit;

use crate::model::{Api, Endpoint, JsonStep, Method, MethodSel, ParamType, RuleMeta, Segment};

/// A rule outside `shadow { }`: one that is enforced.
pub(crate) fn enforced(meta: &RuleMeta) -> bool {
    !meta.shadow
}

/// Whether the endpoint serves a method that changes state.
pub(crate) fn accepts_writes(endpoint: &Endpoint) -> bool {
    match endpoint.method {
        MethodSel::Any => true,
        MethodSel::One(method) => method.is_write(),
    }
}

/// The methods an endpoint serves directly (`GET` also serves `HEAD`, which
/// is left out: it never reaches another endpoint that `GET` would not).
pub(crate) fn methods(endpoint: &Endpoint) -> Vec<Method> {
    match endpoint.method {
        MethodSel::Any => Method::ALL.to_vec(),
        MethodSel::One(method) => vec![method],
    }
}

/// A segment value no policy uses as a literal: it stands for "any other
/// segment" when probing where a request goes.
pub(crate) const PROBE: &str = "gatehouse~probe";

/// A request path the endpoint matches, segment by segment: literals as
/// written, typed parameters with a value of their type, anything else with
/// [`PROBE`]; `**` takes `rest` more segments.
pub(crate) fn probe_path(endpoint: &Endpoint, rest: usize) -> Vec<String> {
    let mut path = Vec::new();
    for segment in &endpoint.path {
        match segment {
            Segment::Literal(text) => path.push(text.clone()),
            Segment::Param {
                ty: ParamType::Int, ..
            } => path.push("1".into()),
            Segment::Param {
                ty: ParamType::Uuid,
                ..
            } => path.push("00000000-0000-4000-8000-000000000000".into()),
            Segment::Param {
                ty: ParamType::Any, ..
            }
            | Segment::Star => path.push(PROBE.into()),
            Segment::Rest => path.extend(std::iter::repeat_n(PROBE.to_string(), rest)),
        }
    }
    path
}

/// The endpoint that takes a request (shadow endpoints never do), as the
/// evaluator would choose it.
pub(crate) fn route<'a>(api: &'a Api, method: Method, path: &[String]) -> Option<&'a Endpoint> {
    let segments: Vec<&str> = path.iter().map(String::as_str).collect();
    crate::interp::best_endpoint(api, method, &segments, false)
}

/// `/v1/pets/{id}` for messages: the path with the API's base.
pub(crate) fn full_path(api: &Api, endpoint: &Endpoint) -> String {
    if api.base.is_empty() {
        endpoint.path_text.clone()
    } else if endpoint.path_text == "/" {
        api.base_text()
    } else {
        format!("{}{}", api.base_text(), endpoint.path_text)
    }
}

// ---------------------------------------------------------------- JSON paths

/// Whether a mask (or allow-list) path `cover` selects everything `target`
/// selects: `target` itself or something inside what `cover` selects. Only
/// certain answers count: an index (`[0]`) covers one element, not all.
pub(crate) fn covers(cover: &[JsonStep], target: &[JsonStep]) -> bool {
    let Some((first, rest)) = cover.split_first() else {
        return true;
    };
    match first {
        // `..name`: `name` at this depth or any deeper one.
        JsonStep::Descend(name) => (0..target.len()).any(|skip| {
            matches!(target.get(skip), Some(JsonStep::Child(n) | JsonStep::Descend(n)) if n == name)
                && covers(rest, target.get(skip + 1..).unwrap_or(&[]))
        }),
        _ => {
            let Some((head, tail)) = target.split_first() else {
                return false;
            };
            let step_covers = match (first, head) {
                (
                    JsonStep::Wildcard,
                    JsonStep::Child(_) | JsonStep::Wildcard | JsonStep::Index(_),
                ) => true,
                (JsonStep::Child(a), JsonStep::Child(b)) => a == b,
                (JsonStep::Index(a), JsonStep::Index(b)) => a == b,
                _ => false,
            };
            step_covers && covers(rest, tail)
        }
    }
}

/// Whether two paths may select related values: one selects something the
/// other selects, or something inside or around it. When in doubt (`..`),
/// yes.
pub(crate) fn may_overlap(a: &[JsonStep], b: &[JsonStep]) -> bool {
    if a.iter().chain(b).any(|s| matches!(s, JsonStep::Descend(_))) {
        return true;
    }
    a.iter().zip(b).all(|pair| match pair {
        (JsonStep::Wildcard, _) | (_, JsonStep::Wildcard) => true,
        (JsonStep::Child(x), JsonStep::Child(y)) => x == y,
        (JsonStep::Index(x), JsonStep::Index(y)) => x == y,
        _ => false,
    })
}

// ---------------------------------------------------------------- sensitive names

/// Words that name secrets or personal data, compared after splitting a
/// field name into lowercase words (`cardNumber`, `card_number` and
/// `card-number` are `card` `number`) and dropping a plural `s`.
const SENSITIVE_WORDS: &[&str] = &[
    "ssn",
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "card",
    "pan",
    "cvv",
    "cvc",
    "iban",
    "dob",
    "pin",
    "passport",
    "apikey",
    "otp",
];

/// Runs of words that together name sensitive data.
const SENSITIVE_PHRASES: &[&[&str]] = &[
    &["date", "of", "birth"],
    &["birth", "date"],
    &["birthdate"],
    &["api", "key"],
    &["private", "key"],
    &["social", "security"],
    &["tax", "id"],
    &["national", "id"],
    &["account", "number"],
    &["credit", "card"],
];

/// Whether a field name looks like it holds a secret or sensitive
/// personal data: `ssn`, `password`, `apiKey`, `card_number`, `dob`, ...
pub(crate) fn is_sensitive(name: &str) -> bool {
    let words = words(name);
    words.iter().any(|w| SENSITIVE_WORDS.contains(&w.as_str()))
        || SENSITIVE_PHRASES.iter().any(|phrase| {
            words
                .windows(phrase.len())
                .any(|w| w.iter().zip(phrase.iter()).all(|(a, b)| a == b))
        })
}

fn words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    // ASCII only: the sensitive words are English, and a non-ASCII letter
    // separating words costs nothing but Unicode tables in the WebAssembly
    // module.
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
        .into_iter()
        .map(|w| match w.strip_suffix('s') {
            Some(stem) if stem.len() >= 3 && !w.ends_with("ss") => stem.to_string(),
            _ => w,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_names() {
        for name in [
            "ssn",
            "password",
            "apiKey",
            "api_key",
            "card_number",
            "cardNumber",
            "cards",
            "iban",
            "dob",
            "date_of_birth",
            "birthDate",
            "client_secret",
            "accessToken",
            "refresh-tokens",
            "pan",
            "cvv",
            "Password",
        ] {
            assert!(is_sensitive(name), "{name}");
        }
        for name in [
            "name",
            "email",
            "pinned",
            "company",
            "span",
            "tokenizer_version",
            "birthday_party",
            "id",
            "class",
            "address",
        ] {
            assert!(!is_sensitive(name), "{name}");
        }
    }

    fn path(text: &str) -> Vec<JsonStep> {
        text.split('.')
            .skip(1)
            .map(|s| match s {
                "*" => JsonStep::Wildcard,
                s if s.starts_with('~') => JsonStep::Descend(s[1..].to_string()),
                s if s.starts_with('#') => JsonStep::Index(s[1..].parse().unwrap()),
                s => JsonStep::Child(s.to_string()),
            })
            .collect()
    }

    #[test]
    fn json_path_coverage() {
        assert!(covers(&path("$.a"), &path("$.a.b")));
        assert!(covers(&path("$.a.b"), &path("$.a.b")));
        assert!(!covers(&path("$.a.b"), &path("$.a")));
        assert!(covers(&path("$.*.b"), &path("$.x.b")));
        assert!(covers(&path("$.~b"), &path("$.x.*.b.c")));
        assert!(!covers(&path("$.#0.b"), &path("$.*.b")));
        assert!(!covers(&path("$.a.b"), &path("$.*.b")));
        assert!(may_overlap(&path("$.a.b"), &path("$.a")));
        assert!(may_overlap(&path("$.*.b"), &path("$.x.b.c")));
        assert!(!may_overlap(&path("$.a.b"), &path("$.a.c")));
        assert!(may_overlap(&path("$.~x"), &path("$.a")));
    }
}
