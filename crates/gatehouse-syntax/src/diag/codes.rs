//! The one registry of diagnostic codes.
//!
//! A code is stable once released: it is never renumbered or reused.
//!
//! The checker's errors are `GH-E....`, its warnings `GH-W....`. The
//! hundreds group them by stage: 0 syntax, 1 declarations, 2 references,
//! 3 routes, 4 access rules, 5 quotas, 6 bodies, 7 responses.
//! `grammar/REFERENCE.md` documents each one; a test keeps that list and
//! this one in step.
//!
//! The linter's codes are `GH-L...`, numbered in order from `GH-L001`,
//! whatever their severity ([`Code::is_lint`]): a lint rule's code is the
//! code of the diagnostics it reports. The rest of a rule (its name, its
//! documentation, the code that runs it) is the linter's, in
//! `gatehouse-tools`.
// Re-exported by the `gatehouse` facade: every public item is documented.
#![warn(missing_docs)]

use serde::Serialize;

/// How serious a diagnostic is; its code decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The policy does not load (or, for a lint rule, fails the lint run).
    Error,
    /// The policy loads; the finding is worth a look.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! codes {
    (
        checker { $( $variant:ident = $code:literal, $severity:ident, $summary:literal; )* }
        lint { $( $lint:ident = $lint_code:literal, $lint_severity:ident, $lint_summary:literal; )* }
    ) => {
        /// A diagnostic code. See the module docs for the numbering.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $( #[doc = $summary] $variant, )*
            $( #[doc = $lint_summary] $lint, )*
        }

        impl Code {
            /// Every code, in registry order: the checker's, then the linter's.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* $( Code::$lint, )* ];

            /// The stable code, for example `GH-E0202` or `GH-L001`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Code::$variant => $code, )*
                    $( Code::$lint => $lint_code, )*
                }
            }

            /// Whether a diagnostic with this code is an error or a warning.
            pub fn severity(self) -> Severity {
                match self {
                    $( Code::$variant => Severity::$severity, )*
                    $( Code::$lint => Severity::$lint_severity, )*
                }
            }

            /// One line saying what the code is about.
            pub fn summary(self) -> &'static str {
                match self {
                    $( Code::$variant => $summary, )*
                    $( Code::$lint => $lint_summary, )*
                }
            }

            /// Whether a lint rule reports this code, rather than the checker.
            /// Whether this is a lint rule's code (`GH-L…`), not the checker's.
            pub fn is_lint(self) -> bool {
                matches!(self, $( Code::$lint )|*)
            }

            /// The code written as text (`GH-E0202`, any case).
            pub fn from_code(code: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|c| c.as_str().eq_ignore_ascii_case(code))
            }
        }
    };
}

codes! {
    checker {
        // 0: syntax
        Syntax = "GH-E0001", Error, "the text is not valid Gatehouse syntax";
        InvalidEscape = "GH-E0002", Error, "a string contains an unknown escape sequence";
        NumberOutOfRange = "GH-E0003", Error, "a number or size does not fit";

        // 1: declarations
        MissingApi = "GH-E0101", Error, "a policy file has no `api` declaration";
        DuplicateDeclaration = "GH-E0102", Error, "a declaration that may appear once appears twice";
        InvalidBase = "GH-E0103", Error, "`base` must be a path of literal segments";
        InvalidHost = "GH-E0104", Error, "`host` is not a valid host name";
        UnknownAuthKind = "GH-E0110", Error, "an auth scheme has an unknown kind";
        InvalidAuthArgument = "GH-E0111", Error, "an auth scheme has an unknown or invalid argument";
        MissingAuthArgument = "GH-E0112", Error, "an auth scheme lacks a required argument";
        DuplicateAuthScheme = "GH-E0113", Error, "two auth schemes have the same name";
        DuplicateScope = "GH-E0120", Error, "a scope is declared twice";
        TooManyScopes = "GH-E0121", Error, "an API declares more scopes than the evaluator supports";
        UnknownOption = "GH-E0130", Error, "`options` names an unknown option";
        InvalidOptionValue = "GH-E0131", Error, "an option has an invalid value";

        // 2: references
        UnknownAuthScheme = "GH-E0201", Error, "a rule names an auth scheme that is not declared";
        UnknownScope = "GH-E0202", Error, "a rule names a scope that is not declared";
        UnknownReference = "GH-E0203", Error, "a condition refers to something that does not exist";
        UnknownPathParameter = "GH-E0204", Error, "a condition names a path parameter the endpoint does not have";
        TypeMismatch = "GH-E0205", Error, "a condition compares values of different types";
        InvalidGlob = "GH-E0206", Error, "a glob pattern is invalid";
        InvalidCidr = "GH-E0207", Error, "an IP network is invalid";

        // 3: routes
        UnknownMethod = "GH-E0301", Error, "an endpoint has an unknown HTTP method";
        InvalidPath = "GH-E0302", Error, "an endpoint path is malformed";
        UnknownParameterType = "GH-E0303", Error, "a path parameter has an unknown type";
        DuplicateParameter = "GH-E0304", Error, "two path parameters of one endpoint have the same name";
        ConflictingEndpoints = "GH-E0305", Error, "two endpoints can match the same request with equal specificity";
        ShadowedEndpoint = "GH-W0306", Warning, "an endpoint can never be selected";
        OverlappingApis = "GH-E0307", Error, "two APIs in one set can receive the same request";

        // 4: access rules
        PublicWithAuthentication = "GH-E0401", Error, "an endpoint is both `public` and authenticated";
        NotAllowedInDefaults = "GH-E0402", Error, "a rule cannot be a default";
        RepeatedRule = "GH-E0403", Error, "a rule that may appear once in a block appears twice";
        NotAllowedInShadow = "GH-E0404", Error, "a rule cannot be put in a `shadow` block";
        NoAccessRule = "GH-W0405", Warning, "an endpoint is neither public nor authenticated, so it denies every request";
        PrincipalOnPublic = "GH-E0406", Error, "a public endpoint has a rule that needs a principal";
        InvalidCondition = "GH-E0407", Error, "a condition is not well-formed";

        // 5: quotas
        InvalidQuota = "GH-E0501", Error, "a quota is invalid";

        // 6: bodies, queries and headers
        InvalidBodyRule = "GH-E0601", Error, "a body, query or header rule is invalid";
        InvalidJsonLimit = "GH-E0602", Error, "a JSON limit is unknown, repeated or out of range";
        UnknownFieldType = "GH-E0603", Error, "a field rule names an unknown type or format";
        InvalidRange = "GH-E0604", Error, "a range is empty or has bounds that do not suit its type";
        InvalidPattern = "GH-E0605", Error, "a `matches` pattern is not a valid regular expression";
        InvalidMediaType = "GH-E0606", Error, "`body types` lists something that is not a media type";
        NotAParameterType = "GH-E0607", Error, "a query or header rule has a type that parameters cannot hold";

        // 7: responses
        InvalidJsonPath = "GH-E0701", Error, "a JSON path is invalid";
        UnknownMaskStrategy = "GH-E0702", Error, "a mask names an unknown strategy";
    }
    // The rules behind these codes are in `gatehouse-tools`' lint registry.
    lint {
        PublicWithoutQuota = "GH-L001", Warning, "a public endpoint has no quota";
        EndpointNeverAllowed = "GH-L002", Error, "an endpoint's own rules deny every request";
        WriteWithoutBodyLimit = "GH-L003", Warning, "an endpoint that accepts writes has no `body max`";
        UnusedScope = "GH-L004", Warning, "a declared scope is never required or tested";
        ShadowedRoute = "GH-L005", Warning, "more specific endpoints leave a `**` endpoint only its prefix, or nothing";
        FallthroughToWeakerRoute = "GH-L006", Warning, "requests that just miss an endpoint reach a less specific, less protected one";
        PermissiveCidr = "GH-L007", Warning, "an `allow from` or `trusted_proxies` network is very wide";
        UnrestrictedWildcardWrite = "GH-L008", Warning, "a `**` endpoint accepts writes without mTLS or an IP allow-list";
        UnmaskedSensitiveField = "GH-L009", Warning, "a sensitive-looking field can reach a response unmasked";
        MissingOwner = "GH-L010", Warning, "the API names no `owner`";
        UnversionedApi = "GH-L011", Warning, "the API has no `version`";
        FailOpenOnStoreError = "GH-L012", Warning, "`on_store_error = allow` lets requests through when quotas cannot be counted";
        JwtWithoutAudience = "GH-L013", Warning, "a JWT scheme accepts tokens minted for any audience";
        ShadowEndpoint = "GH-L014", Warning, "an endpoint is in shadow mode, so it never decides a request";
        UnreachableMask = "GH-L015", Warning, "a mask names fields that `response only` drops, so it never applies";
        PublicWrite = "GH-L016", Warning, "a public endpoint accepts writes";
        AllowWithoutReason = "GH-L017", Error, "an allow directive gives no reason";
        InvalidAllow = "GH-L018", Error, "a `# gatehouse:` directive is malformed or names no lint rule";
        UnusedAllow = "GH-L019", Warning, "an allow directive allows nothing";
        ForwardedDenyWithoutProxies = "GH-L020", Warning, "`forwarded = deny` without `trusted_proxies` turns away every client behind a proxy";
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_prefixed_by_severity() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(
                seen.insert(code.as_str()),
                "{} is used twice",
                code.as_str()
            );
            let prefix = match (code.is_lint(), code.severity()) {
                (true, _) => "GH-L",
                (false, Severity::Error) => "GH-E",
                (false, Severity::Warning) => "GH-W",
            };
            assert!(code.as_str().starts_with(prefix), "{}", code.as_str());
        }
    }

    /// Lint codes come after the checker's and are numbered in order, so the
    /// next rule's code is obvious and none is skipped.
    #[test]
    fn lint_codes_are_numbered_in_order() {
        let lint: Vec<&str> = Code::ALL
            .iter()
            .skip_while(|c| !c.is_lint())
            .map(|c| c.as_str())
            .collect();
        let numbered: Vec<String> = (1..=lint.len()).map(|n| format!("GH-L{n:03}")).collect();
        assert_eq!(lint, numbered);
    }
}
