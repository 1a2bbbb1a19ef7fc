//! The one registry of diagnostic codes.
//!
//! A code is stable once released: it is never renumbered or reused. Errors
//! are `GH-E....`, warnings `GH-W....`. The hundreds group them by stage:
//! 0 syntax, 1 declarations, 2 references, 3 routes, 4 access rules,
//! 5 quotas, 6 bodies, 7 responses. `grammar/REFERENCE.md` documents each
//! one; a test keeps that list and this one in step.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! codes {
    ($( $variant:ident = $code:literal, $severity:ident, $summary:literal; )*) => {
        /// A diagnostic code. See the module docs for the numbering.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $( #[doc = $summary] $variant, )*
        }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable code, for example `GH-E0202`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$severity, )* }
            }

            /// One line saying what the code is about.
            pub fn summary(self) -> &'static str {
                match self { $( Code::$variant => $summary, )* }
            }

            pub fn from_code(code: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|c| c.as_str().eq_ignore_ascii_case(code))
            }
        }
    };
}

codes! {
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
            let prefix = match code.severity() {
                Severity::Error => "GH-E",
                Severity::Warning => "GH-W",
            };
            assert!(code.as_str().starts_with(prefix), "{}", code.as_str());
        }
    }
}
