//! Why a credential was refused, in words that are safe to log and send.

use serde::Serialize;

/// Why a credential was refused: a stable, machine-readable code (the
/// `snake_case` name), documented in the language reference. New reasons
/// may be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RefusalReason {
    /// No credential for the scheme was sent.
    CredentialMissing,
    /// The same kind of credential was sent more than once (two
    /// `Authorization` headers, or an API key both in a header and in the
    /// query): ambiguous, so refused.
    CredentialAmbiguous,
    /// The credential is not well formed (bad base64, bad JSON, wrong
    /// number of parts, a key without the expected prefix), or too large.
    CredentialMalformed,
    /// A JWT whose `alg` is not on the scheme's allow-list (`none` never
    /// is).
    AlgorithmNotAllowed,
    /// A JWT whose `kid` names no key the scheme knows, even after
    /// refetching the keys.
    UnknownKey,
    /// A JWT whose signature does not verify.
    SignatureInvalid,
    /// A JWT past its `exp` (beyond the leeway).
    TokenExpired,
    /// A JWT before its `nbf` (beyond the leeway).
    TokenNotYetValid,
    /// A JWT whose `iss` is not the scheme's issuer.
    IssuerMismatch,
    /// A JWT whose `aud` does not hold the scheme's audience.
    AudienceMismatch,
    /// The scheme has no usable key (none configured, or they could not be
    /// fetched and the cached ones are past their grace deadline): refused,
    /// never allowed (fail closed).
    KeysUnavailable,
    /// An API key that the key store does not hold.
    KeyUnknown,
    /// An API key that was revoked, or whose rotation grace period is over.
    KeyRevoked,
    /// An API key past its expiry.
    KeyExpired,
    /// An API key used from a network its entry does not allow.
    KeyNetworkNotAllowed,
    /// A client certificate passed in a header by a peer that is not one
    /// of the API's trusted proxies.
    ClientCertificateUntrusted,
}

impl RefusalReason {
    /// Every reason, in the order of the language reference's table.
    pub const ALL: [RefusalReason; 16] = [
        RefusalReason::CredentialMissing,
        RefusalReason::CredentialAmbiguous,
        RefusalReason::CredentialMalformed,
        RefusalReason::AlgorithmNotAllowed,
        RefusalReason::UnknownKey,
        RefusalReason::SignatureInvalid,
        RefusalReason::TokenExpired,
        RefusalReason::TokenNotYetValid,
        RefusalReason::IssuerMismatch,
        RefusalReason::AudienceMismatch,
        RefusalReason::KeysUnavailable,
        RefusalReason::KeyUnknown,
        RefusalReason::KeyRevoked,
        RefusalReason::KeyExpired,
        RefusalReason::KeyNetworkNotAllowed,
        RefusalReason::ClientCertificateUntrusted,
    ];

    /// The reason's code: `token_expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalReason::CredentialMissing => "credential_missing",
            RefusalReason::CredentialAmbiguous => "credential_ambiguous",
            RefusalReason::CredentialMalformed => "credential_malformed",
            RefusalReason::AlgorithmNotAllowed => "algorithm_not_allowed",
            RefusalReason::UnknownKey => "unknown_key",
            RefusalReason::SignatureInvalid => "signature_invalid",
            RefusalReason::TokenExpired => "token_expired",
            RefusalReason::TokenNotYetValid => "token_not_yet_valid",
            RefusalReason::IssuerMismatch => "issuer_mismatch",
            RefusalReason::AudienceMismatch => "audience_mismatch",
            RefusalReason::KeysUnavailable => "keys_unavailable",
            RefusalReason::KeyUnknown => "key_unknown",
            RefusalReason::KeyRevoked => "key_revoked",
            RefusalReason::KeyExpired => "key_expired",
            RefusalReason::KeyNetworkNotAllowed => "key_network_not_allowed",
            RefusalReason::ClientCertificateUntrusted => "client_certificate_untrusted",
        }
    }

    /// The HTTP status a refusal is answered with: 401 (the client's
    /// credential is at fault, and a `WWW-Authenticate` challenge goes with
    /// it), except `keys_unavailable`, 503: no credential could be verified
    /// now, which is the operator's to fix, and a retry may succeed.
    pub fn status(self) -> u16 {
        match self {
            RefusalReason::KeysUnavailable => 503,
            _ => 401,
        }
    }

    /// A description for `error_description` and logs: what was wrong,
    /// never what was sent.
    pub fn description(self) -> &'static str {
        match self {
            RefusalReason::CredentialMissing => "no credential was sent",
            RefusalReason::CredentialAmbiguous => "more than one credential was sent",
            RefusalReason::CredentialMalformed => "the credential is malformed",
            RefusalReason::AlgorithmNotAllowed => "the token's algorithm is not accepted",
            RefusalReason::UnknownKey => "the token's key is unknown",
            RefusalReason::SignatureInvalid => "the token's signature is invalid",
            RefusalReason::TokenExpired => "the token has expired",
            RefusalReason::TokenNotYetValid => "the token is not valid yet",
            RefusalReason::IssuerMismatch => "the token's issuer is not accepted",
            RefusalReason::AudienceMismatch => "the token is not for this audience",
            RefusalReason::KeysUnavailable => "the keys to verify the token are unavailable",
            RefusalReason::KeyUnknown => "the API key is unknown",
            RefusalReason::KeyRevoked => "the API key was revoked",
            RefusalReason::KeyExpired => "the API key has expired",
            RefusalReason::KeyNetworkNotAllowed => "the API key may not be used from this network",
            RefusalReason::ClientCertificateUntrusted => {
                "a client certificate may only be passed by a trusted proxy"
            }
        }
    }
}

/// A refused credential: why, and which of the policy's schemes refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The scheme's name in the policy (`user` in `auth user = jwt(...)`).
    pub scheme: String,
    pub reason: RefusalReason,
}

impl Refusal {
    pub fn new(scheme: impl Into<String>, reason: RefusalReason) -> Refusal {
        Refusal {
            scheme: scheme.into(),
            reason,
        }
    }

    /// The challenge for the 401: `Bearer` with RFC 6750's
    /// `error="invalid_token"` and a fixed `error_description` for a bad
    /// bearer token, a bare `Bearer realm` when none was sent (RFC 6750,
    /// section 3.1: no error code then), and `ApiKey` for API-key schemes.
    /// Nothing the client sent is echoed.
    /// The realm is the scheme's name; [`Refusal::challenge_in`] names
    /// another (the evaluator's own challenges name the API).
    pub fn www_authenticate(&self, kind: ChallengeKind) -> String {
        self.challenge_in(&self.scheme, kind)
    }

    /// [`Refusal::www_authenticate`] with `realm` as the realm.
    pub fn challenge_in(&self, realm: &str, kind: ChallengeKind) -> String {
        let realm = quoted(realm);
        let scheme = match kind {
            ChallengeKind::Bearer => "Bearer",
            ChallengeKind::ApiKey => "ApiKey",
        };
        match self.reason {
            RefusalReason::CredentialMissing => format!("{scheme} realm={realm}"),
            reason => format!(
                "{scheme} realm={realm}, error=\"invalid_token\", error_description={}",
                quoted(reason.description())
            ),
        }
    }
}

impl std::fmt::Display for Refusal {
    /// `scheme `user`: the token has expired`: the scheme and the reason's
    /// description, nothing that was sent.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "scheme `{}`: {}",
            self.scheme.escape_debug(),
            self.reason.description()
        )
    }
}

impl std::error::Error for Refusal {}

/// Which challenge a scheme answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeKind {
    /// `Bearer` (RFC 6750): JWT schemes.
    Bearer,
    /// `ApiKey`: API-key schemes.
    ApiKey,
}

/// `text` as an RFC 9110 quoted-string: `"` and `\` escaped, and any
/// control character dropped (scheme names are identifiers, so none is
/// expected; this only keeps a header well formed whatever it is given).
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars().filter(|c| !c.is_control()) {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code is documented in the language reference's table, and
    /// serialises as its code.
    #[test]
    fn every_reason_is_in_the_reference() {
        let reference = include_str!("../../../grammar/REFERENCE.md");
        for reason in RefusalReason::ALL {
            let code = reason.as_str();
            assert!(
                reference.contains(&format!("`{code}`")),
                "grammar/REFERENCE.md does not document `{code}`"
            );
            assert_eq!(
                serde_json::to_value(reason).ok(),
                Some(serde_json::json!(code))
            );
        }
    }

    #[test]
    fn challenges_follow_rfc_6750() {
        let missing = Refusal::new("user", RefusalReason::CredentialMissing);
        assert_eq!(
            missing.www_authenticate(ChallengeKind::Bearer),
            "Bearer realm=\"user\""
        );
        let expired = Refusal::new("user", RefusalReason::TokenExpired);
        assert_eq!(
            expired.www_authenticate(ChallengeKind::Bearer),
            "Bearer realm=\"user\", error=\"invalid_token\", error_description=\"the token has expired\""
        );
        let odd = Refusal::new("a\"b\\c\n", RefusalReason::KeyRevoked);
        assert_eq!(
            odd.www_authenticate(ChallengeKind::ApiKey),
            "ApiKey realm=\"a\\\"b\\\\c\", error=\"invalid_token\", error_description=\"the API key was revoked\""
        );
    }
}
