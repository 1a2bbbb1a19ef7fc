//! The bearer token of a request's `Authorization` header (RFC 6750,
//! section 2.1).

use crate::{Refusal, RefusalReason};

/// The bearer token in `headers` (names in any case), for the scheme named
/// `scheme` (which a refusal names):
///
/// - `Ok(Some(token))` for one `Authorization: Bearer TOKEN` (`Bearer` in
///   any case);
/// - `Ok(None)` when there is no `Authorization` header or it holds another
///   scheme (`Basic ...`): no bearer credential was sent;
/// - `credential_ambiguous` for two `Authorization` headers, whatever they
///   hold;
/// - `credential_malformed` for `Bearer` without a token, or with one that
///   is not RFC 6750's `b64token` (spaces, commas, quotes...).
pub fn bearer_token<'h>(
    scheme: &str,
    headers: &[(&str, &'h str)],
) -> Result<Option<&'h str>, Refusal> {
    match bearer_candidate(scheme, headers)? {
        Some(token) if !is_b64token(token) => {
            Err(Refusal::new(scheme, RefusalReason::CredentialMalformed))
        }
        found => Ok(found),
    }
}

/// [`bearer_token`] without the `b64token` test, for a caller that hands
/// the token straight to a [`Verifier`](super::Verifier): its cache holds
/// only tokens that passed the test when first verified, and it tests any
/// other token itself, so a cached token is not scanned twice.
pub(crate) fn bearer_candidate<'h>(
    scheme: &str,
    headers: &[(&str, &'h str)],
) -> Result<Option<&'h str>, Refusal> {
    let mut authorization = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| *value);
    let Some(value) = authorization.next() else {
        return Ok(None);
    };
    if authorization.next().is_some() {
        return Err(Refusal::new(scheme, RefusalReason::CredentialAmbiguous));
    }
    let value = value.trim_matches([' ', '\t']);
    let (auth_scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !auth_scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    Ok(Some(rest.trim_start_matches(' ')))
}

/// RFC 6750's `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+"
/// / "/" ) *"="`.
pub(crate) fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    // Every byte is tested and the answers folded with `&`, no early exit:
    // branch-free range tests the compiler turns into vector compares, for
    // a check that runs on every bearer request.
    let all_allowed = body.bytes().fold(true, |ok, b| {
        let alpha = (b | 0x20).wrapping_sub(b'a') < 26;
        let digit = b.wrapping_sub(b'0') < 10;
        let symbol =
            (b == b'-') | (b == b'.') | (b == b'_') | (b == b'~') | (b == b'+') | (b == b'/');
        ok & (alpha | digit | symbol)
    });
    !body.is_empty() && all_allowed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(result: Result<Option<&str>, Refusal>) -> Option<RefusalReason> {
        result.err().map(|refusal| refusal.reason)
    }

    #[test]
    fn finds_one_bearer_token() {
        let found = |headers: &[(&str, &'static str)]| bearer_token("user", headers);
        assert_eq!(
            found(&[("Authorization", "Bearer a.b.c")]),
            Ok(Some("a.b.c"))
        );
        assert_eq!(
            found(&[("authorization", "bEaReR  a.b.c ")]),
            Ok(Some("a.b.c"))
        );
        assert_eq!(
            found(&[("AUTHORIZATION", "Bearer abc==")]),
            Ok(Some("abc=="))
        );
        assert_eq!(found(&[("Accept", "x")]), Ok(None));
        assert_eq!(found(&[("Authorization", "Basic dXNlcjpwYXNz")]), Ok(None));
        assert_eq!(found(&[("Authorization", "Bearertoken")]), Ok(None));
        assert_eq!(found(&[]), Ok(None));
    }

    #[test]
    fn refuses_ambiguous_and_malformed() {
        let two = [("Authorization", "Bearer a"), ("authorization", "Bearer b")];
        assert_eq!(
            reason(bearer_token("user", &two)),
            Some(RefusalReason::CredentialAmbiguous)
        );
        let mixed = [("Authorization", "Basic x"), ("Authorization", "Bearer b")];
        assert_eq!(
            reason(bearer_token("user", &mixed)),
            Some(RefusalReason::CredentialAmbiguous)
        );
        for bad in [
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer a,b",
            "Bearer \"a\"",
            "Bearer ==",
            "Bearer a=b",
        ] {
            assert_eq!(
                reason(bearer_token("user", &[("Authorization", bad)])),
                Some(RefusalReason::CredentialMalformed),
                "{bad}"
            );
        }
    }

    proptest::proptest! {
        /// The branch-free test is RFC 6750's grammar, byte for byte.
        #[test]
        fn b64token_is_the_grammar(token in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let token = String::from_utf8_lossy(&token);
            let body = token.trim_end_matches('=');
            let expected = !body.is_empty()
                && body.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
            proptest::prop_assert_eq!(is_b64token(&token), expected);
        }

        #[test]
        fn b64token_accepts_the_whole_alphabet(token in "[A-Za-z0-9._~+/-]{1,64}={0,2}") {
            proptest::prop_assert!(is_b64token(&token));
        }
    }
}
