//! The `auth` schemes of a loaded policy, as a credential verifier reads
//! them (`gatehouse-credentials`, or a host's own): which credential each
//! scheme takes and how it must be checked.

use gatehouse_core::model::{self, AuthKind};
use gatehouse_syntax::span::Location;

use crate::PolicySet;

pub use gatehouse_core::model::{
    JwtAlgorithm, UnknownAlgorithm, JWT_DEFAULT_ALGORITHMS, JWT_DEFAULT_LEEWAY_SECONDS,
};

/// One `auth NAME = KIND(...)` declaration of a loaded policy.
#[derive(Clone, Copy, Debug)]
pub struct AuthSchemeRef<'p> {
    policy: &'p PolicySet,
    api: &'p model::Api,
    scheme: &'p model::AuthScheme,
}

/// What a scheme takes, with the policy's arguments.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum AuthSchemeKind<'p> {
    /// `api_key(header: ..., query: ...)`: at least one of the two is set.
    ApiKey {
        /// The header that carries the key (`X-API-Key`).
        header: Option<&'p str>,
        /// The query parameter that carries the key.
        query: Option<&'p str>,
    },
    /// `jwt(issuer: ..., ...)`.
    Jwt(JwtSchemeRef<'p>),
    /// `mtls(subject: ...)`: the certificate subject's host-name pattern,
    /// as written.
    Mtls {
        /// The pattern, if the scheme has one.
        subject: Option<&'p str>,
        /// The header in which a trusted proxy passes the certificate, if
        /// the scheme accepts one (see [`AuthSchemeRef::trusts_proxy`]).
        header: Option<&'p str>,
    },
}

/// The arguments of a `jwt` scheme, with the defaults of the language
/// reference applied where the policy says nothing.
#[derive(Clone, Copy, Debug)]
pub struct JwtSchemeRef<'p> {
    issuer: &'p str,
    audience: Option<&'p str>,
    jwks: Option<&'p str>,
    algorithms: &'p [JwtAlgorithm],
    leeway_seconds: Option<u32>,
    scope_claim: Option<&'p str>,
}

impl<'p> JwtSchemeRef<'p> {
    /// The issuer a token's `iss` must equal.
    pub fn issuer(&self) -> &'p str {
        self.issuer
    }

    /// The audience a token's `aud` must hold, if the scheme names one.
    pub fn audience(&self) -> Option<&'p str> {
        self.audience
    }

    /// Where the keys are, as written (an `https` URL, a loopback `http`
    /// URL, or a file path relative to the policy file); `None`: the
    /// issuer's OpenID discovery document.
    pub fn jwks(&self) -> Option<&'p str> {
        self.jwks
    }

    /// The accepted algorithms: the policy's list, else
    /// [`JWT_DEFAULT_ALGORITHMS`]. Never `none`.
    pub fn algorithms(&self) -> &'p [JwtAlgorithm] {
        JwtAlgorithm::accepted(self.algorithms)
    }

    /// The clock skew allowed on `exp` and `nbf`, in seconds.
    pub fn leeway_seconds(&self) -> u32 {
        self.leeway_seconds.unwrap_or(JWT_DEFAULT_LEEWAY_SECONDS)
    }

    /// The claim that holds the scopes, if the policy names one (else
    /// `scope`, space-separated, then `scp`).
    pub fn scope_claim(&self) -> Option<&'p str> {
        self.scope_claim
    }
}

impl<'p> AuthSchemeRef<'p> {
    /// The name of the scheme's API (`api "petstore"`).
    pub fn api(&self) -> &'p str {
        &self.api.name
    }

    /// The scheme's name (`user` in `auth user = jwt(...)`): a principal
    /// it authenticates carries this name as its `scheme`.
    pub fn name(&self) -> &'p str {
        &self.scheme.name
    }

    /// The kind and its arguments.
    pub fn kind(&self) -> AuthSchemeKind<'p> {
        match &self.scheme.kind {
            AuthKind::ApiKey { header, query } => AuthSchemeKind::ApiKey {
                header: header.as_deref(),
                query: query.as_deref(),
            },
            AuthKind::Jwt {
                issuer,
                audience,
                jwks,
                algorithms,
                leeway_seconds,
                scope_claim,
            } => AuthSchemeKind::Jwt(JwtSchemeRef {
                issuer,
                audience: audience.as_deref(),
                jwks: jwks.as_deref(),
                algorithms,
                leeway_seconds: *leeway_seconds,
                scope_claim: scope_claim.as_deref(),
            }),
            AuthKind::Mtls { subject, header } => AuthSchemeKind::Mtls {
                subject: subject.as_ref().map(|glob| glob.text.as_str()),
                header: header.as_deref(),
            },
        }
    }

    /// Whether `subject` (a host name from a client certificate) is one
    /// this scheme accepts: always for a scheme without a `subject`
    /// pattern, never for a scheme that is not `mtls`. The evaluator checks
    /// the same when it decides; a verifier uses it to pick, among a
    /// certificate's names, the one to present as the principal's subject.
    pub fn accepts_subject(&self, subject: &str) -> bool {
        match &self.scheme.kind {
            AuthKind::Mtls { subject: None, .. } => true,
            AuthKind::Mtls {
                subject: Some(pattern),
                ..
            } => pattern.is_match(subject),
            AuthKind::ApiKey { .. } | AuthKind::Jwt { .. } => false,
        }
    }

    /// Whether `peer` is one of the API's `trusted_proxies`: only those
    /// may pass a client certificate (or anything else about the client)
    /// in a header.
    pub fn trusts_proxy(&self, peer: std::net::IpAddr) -> bool {
        self.api
            .options
            .trusted_proxies
            .iter()
            .any(|net| net.contains(&peer))
    }

    /// Where the scheme is declared (a `jwks` file path is relative to
    /// this file).
    pub fn location(&self) -> Location {
        self.policy.compiled().sources().locate(self.scheme.span)
    }
}

impl PolicySet {
    /// Every `auth` scheme of every API in the set, in the order of the
    /// files and declarations.
    pub fn auth_schemes(&self) -> impl Iterator<Item = AuthSchemeRef<'_>> + '_ {
        self.compiled().model().apis.iter().flat_map(move |api| {
            api.schemes.iter().map(move |scheme| AuthSchemeRef {
                policy: self,
                api,
                scheme,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_are_listed_with_their_arguments_and_defaults() {
        let policy = PolicySet::from_source(
            "pets.gate",
            r#"api "pets" version "1"
auth key  = api_key(header: "X-API-Key")
auth user = jwt(issuer: "https://id.example.com", audience: "pets")
auth app  = jwt(issuer: "https://apps.example.com", jwks: "keys/jwks.json", algorithms: "ES256", leeway: "30s", scope_claim: "scp")
auth svc  = mtls(subject: "*.internal.example.com")

endpoint GET /pets {
  authenticate key | user | app | svc
}
"#,
        )
        .unwrap();
        let schemes: Vec<_> = policy.auth_schemes().collect();
        let names: Vec<_> = schemes.iter().map(|s| (s.api(), s.name())).collect();
        assert_eq!(
            names,
            [
                ("pets", "key"),
                ("pets", "user"),
                ("pets", "app"),
                ("pets", "svc")
            ]
        );
        assert!(matches!(
            schemes[0].kind(),
            AuthSchemeKind::ApiKey {
                header: Some("X-API-Key"),
                query: None
            }
        ));
        let AuthSchemeKind::Jwt(user) = schemes[1].kind() else {
            panic!("user is a jwt scheme");
        };
        assert_eq!(user.issuer(), "https://id.example.com");
        assert_eq!(user.audience(), Some("pets"));
        assert_eq!(user.jwks(), None);
        assert_eq!(user.algorithms(), JWT_DEFAULT_ALGORITHMS);
        assert_eq!(user.algorithms().len(), 9);
        assert!(user.algorithms().iter().all(|a| !a.is_hmac()));
        assert_eq!(user.leeway_seconds(), JWT_DEFAULT_LEEWAY_SECONDS);
        assert_eq!(user.scope_claim(), None);
        let AuthSchemeKind::Jwt(app) = schemes[2].kind() else {
            panic!("app is a jwt scheme");
        };
        assert_eq!(app.jwks(), Some("keys/jwks.json"));
        assert_eq!(app.algorithms(), [JwtAlgorithm::ES256]);
        assert_eq!(app.leeway_seconds(), 30);
        assert_eq!(app.scope_claim(), Some("scp"));
        assert_eq!(app.audience(), None);
        assert!(matches!(
            schemes[3].kind(),
            AuthSchemeKind::Mtls {
                subject: Some("*.internal.example.com"),
                header: None
            }
        ));
        assert!(schemes[3].accepts_subject("api.internal.example.com"));
        assert!(!schemes[3].accepts_subject("api.example.com"));
        assert!(!schemes[0].accepts_subject("api.internal.example.com"));
        assert!(!schemes[3].trusts_proxy("10.0.0.1".parse().unwrap()));
        assert_eq!(schemes[2].location().line, 4);
    }
}
