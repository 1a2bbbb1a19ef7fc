//! Finding the API key in a request: the header or query parameter the
//! scheme names (`api_key(header: "X-API-Key")`, `api_key(query:
//! "api_key")`).

use crate::{Refusal, RefusalReason};

/// The key a request carries for scheme `scheme`: the value of the header
/// `header_name` (names compared case-insensitively, the value trimmed of
/// spaces and tabs) or of the query parameter `query_param` (`query` is
/// the request target's query, without `?`; the value is taken as sent,
/// not percent-decoded: keys need no escaping). For the `Authorization`
/// header, a leading `Bearer ` or `token ` is dropped, so the key can be
/// sent the way bearer tokens are.
///
/// `Ok(None)` when the request carries none, so that the caller can try
/// its other schemes or refuse with `credential_missing`. A key sent twice
/// (two headers, two parameters, or a header and a parameter) is
/// `credential_ambiguous`: which one to check would be a guess, and an
/// intermediary that adds or keeps one of them must not decide it.
pub fn api_key_from_request<'r>(
    scheme: &str,
    headers: &[(&'r str, &'r str)],
    query: Option<&'r str>,
    header_name: Option<&str>,
    query_param: Option<&str>,
) -> Result<Option<&'r str>, Refusal> {
    let mut found: Option<&'r str> = None;
    let mut keep = |value: &'r str| {
        if found.replace(value).is_some() {
            return Err(Refusal::new(scheme, RefusalReason::CredentialAmbiguous));
        }
        Ok(())
    };
    if let Some(name) = header_name {
        let bearer = name.eq_ignore_ascii_case("authorization");
        for (_, value) in headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)) {
            let value = value.trim_matches([' ', '\t']);
            keep(if bearer {
                strip_auth_scheme(value)
            } else {
                value
            })?;
        }
    }
    if let (Some(name), Some(query)) = (query_param, query) {
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if key == name {
                keep(value)?;
            }
        }
    }
    Ok(found)
}

/// `value` without a leading `Bearer ` or `token ` (any case).
fn strip_auth_scheme(value: &str) -> &str {
    for scheme in ["bearer", "token"] {
        let Some(head) = value.get(..scheme.len()) else {
            continue;
        };
        let rest = value.get(scheme.len()..).unwrap_or_default();
        if head.eq_ignore_ascii_case(scheme) && rest.starts_with([' ', '\t']) {
            return rest.trim_start_matches([' ', '\t']);
        }
    }
    value
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn reason(result: Result<Option<&str>, Refusal>) -> RefusalReason {
        result.unwrap_err().reason
    }

    #[test]
    fn the_header_is_read_whatever_its_case() {
        let headers = [("accept", "*/*"), ("x-api-key", " gk_abc \t")];
        let key = api_key_from_request("key", &headers, None, Some("X-API-Key"), None);
        assert_eq!(key.unwrap(), Some("gk_abc"));
    }

    #[test]
    fn the_query_parameter_is_read() {
        let key = api_key_from_request(
            "key",
            &[],
            Some("a=1&api_key=gk_abc&b"),
            Some("X-API-Key"),
            Some("api_key"),
        );
        assert_eq!(key.unwrap(), Some("gk_abc"));
        // A parameter whose name only starts the same is another one.
        let other = api_key_from_request("key", &[], Some("api_key2=x"), None, Some("api_key"));
        assert_eq!(other.unwrap(), None);
    }

    #[test]
    fn nothing_sent_is_none() {
        let headers = [("x-other", "v")];
        let key = api_key_from_request("key", &headers, Some("q=1"), Some("X-API-Key"), Some("k"));
        assert_eq!(key.unwrap(), None);
        assert_eq!(
            api_key_from_request("key", &headers, None, None, None).unwrap(),
            None
        );
    }

    #[test]
    fn a_key_sent_twice_is_ambiguous() {
        let twice = [("X-API-Key", "a"), ("x-api-key", "b")];
        let r = api_key_from_request("key", &twice, None, Some("X-API-Key"), None);
        assert_eq!(reason(r), RefusalReason::CredentialAmbiguous);
        // Even the same value twice: a proxy may have added one.
        let same = [("X-API-Key", "a"), ("X-API-Key", "a")];
        let r = api_key_from_request("key", &same, None, Some("X-API-Key"), None);
        assert_eq!(reason(r), RefusalReason::CredentialAmbiguous);
        let both = [("X-API-Key", "a")];
        let r = api_key_from_request("key", &both, Some("k=a"), Some("X-API-Key"), Some("k"));
        let refusal = r.unwrap_err();
        assert_eq!(refusal.reason, RefusalReason::CredentialAmbiguous);
        assert_eq!(refusal.scheme, "key");
        let r = api_key_from_request("key", &[], Some("k=a&k=b"), None, Some("k"));
        assert_eq!(reason(r), RefusalReason::CredentialAmbiguous);
    }

    #[test]
    fn authorization_drops_the_auth_scheme() {
        for value in ["Bearer gk_abc", "token gk_abc", "BEARER \tgk_abc", "gk_abc"] {
            let headers = [("Authorization", value)];
            let key = api_key_from_request("t", &headers, None, Some("Authorization"), None);
            assert_eq!(key.unwrap(), Some("gk_abc"), "{value}");
        }
        // Only for `Authorization`.
        let headers = [("X-API-Key", "Bearer gk_abc")];
        let key = api_key_from_request("t", &headers, None, Some("X-API-Key"), None);
        assert_eq!(key.unwrap(), Some("Bearer gk_abc"));
    }
}
