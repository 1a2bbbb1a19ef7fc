//! The one registry of lint rules.
//!
//! Each rule has a stable code ([`Code`], `GH-L001`, never renumbered or
//! reused), which is the code of the diagnostics it reports: its severity
//! and one-line summary are in the code registry with the checker's codes.
//! What only the linter needs is here: a name saying what the rule flags
//! (`public-without-quota`) and its documentation, the `//!` doc comment of
//! its file in `rules/`, with the sections `## What it does`,
//! `## Why is this bad?` and `## Example` (a bad example, then `Use
//! instead:` and a good one); `gatehouse lint --explain` prints it and the
//! language reference reproduces it. A unit test checks every rule's doc.
//!
//! A rule's variant is named as its [`Code`]'s, which is how the two map.

use crate::diag::Code;

macro_rules! rules {
    ($( $variant:ident, $name:literal, $file:literal; )*) => {
        /// A lint rule. See the module docs.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $( $variant, )*
        }

        impl Rule {
            /// Every rule, in registry order.
            pub const ALL: &'static [Rule] = &[ $( Rule::$variant, )* ];

            /// The stable code of the rule's diagnostics, for example
            /// `GH-L001`; it also gives their severity and the rule's
            /// summary.
            pub fn code(self) -> Code {
                match self { $( Rule::$variant => Code::$variant, )* }
            }

            /// The rule that reports a code; `None` for the checker's codes.
            pub fn from_code(code: Code) -> Option<Rule> {
                match code {
                    $( Code::$variant => Some(Rule::$variant), )*
                    _ => None,
                }
            }

            /// The name: what the rule flags, in kebab case.
            pub fn name(self) -> &'static str {
                match self { $( Rule::$variant => $name, )* }
            }

            /// The rule's documentation, in Markdown: the `//!` doc comment
            /// of its source file.
            pub fn doc(self) -> String {
                doc_comment(match self { $( Rule::$variant => include_str!(concat!("rules/", $file)), )* })
            }
        }
    };
}

rules! {
    PublicWithoutQuota, "public-without-quota", "public_without_quota.rs";
    EndpointNeverAllowed, "endpoint-never-allowed", "endpoint_never_allowed.rs";
    WriteWithoutBodyLimit, "write-without-body-limit", "write_without_body_limit.rs";
    UnusedScope, "unused-scope", "unused_scope.rs";
    ShadowedRoute, "shadowed-route", "shadowed_route.rs";
    FallthroughToWeakerRoute, "fallthrough-to-weaker-route", "fallthrough_to_weaker_route.rs";
    PermissiveCidr, "permissive-cidr", "permissive_cidr.rs";
    UnrestrictedWildcardWrite, "unrestricted-wildcard-write", "unrestricted_wildcard_write.rs";
    UnmaskedSensitiveField, "unmasked-sensitive-field", "unmasked_sensitive_field.rs";
    MissingOwner, "missing-owner", "missing_owner.rs";
    UnversionedApi, "unversioned-api", "unversioned_api.rs";
    FailOpenOnStoreError, "fail-open-on-store-error", "fail_open_on_store_error.rs";
    JwtWithoutAudience, "jwt-without-audience", "jwt_without_audience.rs";
    ShadowEndpoint, "shadow-endpoint", "shadow_endpoint.rs";
    UnreachableMask, "unreachable-mask", "unreachable_mask.rs";
    PublicWrite, "public-write", "public_write.rs";
    AllowWithoutReason, "allow-without-reason", "allow_without_reason.rs";
    InvalidAllow, "invalid-allow", "invalid_allow.rs";
    UnusedAllow, "unused-allow", "unused_allow.rs";
    ForwardedDenyWithoutProxies, "forwarded-deny-without-proxies", "forwarded_deny_without_proxies.rs";
}

impl Rule {
    /// A rule by code (`GH-L001`, any case) or name (`public-without-quota`).
    pub fn find(text: &str) -> Option<Rule> {
        let text = text.trim();
        Code::from_code(text)
            .and_then(Rule::from_code)
            .or_else(|| Rule::ALL.iter().copied().find(|r| r.name() == text))
    }

    /// The rules about allow directives themselves, which cannot be allowed.
    pub fn is_directive_rule(self) -> bool {
        matches!(
            self,
            Rule::AllowWithoutReason | Rule::InvalidAllow | Rule::UnusedAllow
        )
    }
}

/// The leading `//!` lines of a source file, without the markers.
fn doc_comment(source: &str) -> String {
    let mut doc = String::new();
    for line in source.lines() {
        let Some(rest) = line.strip_prefix("//!") else {
            break;
        };
        doc.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        doc.push('\n');
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = std::collections::BTreeSet::new();
        let mut names = std::collections::BTreeSet::new();
        for (i, rule) in Rule::ALL.iter().enumerate() {
            let code = rule.code().as_str();
            assert!(codes.insert(code), "{code} is used twice");
            assert!(names.insert(rule.name()), "{} is used twice", rule.name());
            // Codes are numbered in registry order, from GH-L001.
            assert_eq!(code, format!("GH-L{:03}", i + 1));
            assert!(rule.code().is_lint(), "{code}");
            assert_eq!(Rule::from_code(rule.code()), Some(*rule));
            assert!(
                rule.name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                rule.name()
            );
            assert!(
                !rule.name().starts_with("no-") && !rule.name().starts_with("disallow"),
                "{}",
                rule.name()
            );
            assert_eq!(Rule::find(code), Some(*rule));
            assert_eq!(Rule::find(&code.to_lowercase()), Some(*rule));
            assert_eq!(Rule::find(rule.name()), Some(*rule));
        }
    }

    /// Every lint code of the code registry has its rule here, and no
    /// checker code has one.
    #[test]
    fn every_lint_code_has_a_rule() {
        for code in Code::ALL {
            assert_eq!(
                Rule::from_code(*code).is_some(),
                code.is_lint(),
                "{}",
                code.as_str()
            );
        }
    }

    /// Every rule's doc has the sections `--explain` and the reference rely on.
    #[test]
    fn every_rule_is_documented() {
        for rule in Rule::ALL {
            let doc = rule.doc();
            let heading = doc.lines().next().unwrap_or("");
            assert!(
                heading.starts_with("# ")
                    && heading.contains(rule.code().as_str())
                    && heading.contains(rule.name()),
                "{}: the doc must open with `# {} ({})`, found {heading:?}",
                rule.code(),
                rule.name(),
                rule.code()
            );
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "Use instead:",
            ] {
                assert!(
                    doc.contains(section),
                    "{}: the doc has no `{section}`",
                    rule.code()
                );
            }
            let example = doc.split("## Example").nth(1).unwrap_or("");
            let (bad, good) = example.split_once("Use instead:").unwrap_or(("", ""));
            assert!(
                bad.contains("```gate") && good.contains("```gate"),
                "{}: `## Example` needs a ```gate block before and after `Use instead:`",
                rule.code()
            );
        }
    }
}
