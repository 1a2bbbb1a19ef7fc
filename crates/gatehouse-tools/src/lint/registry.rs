//! The one registry of lint rules.
//!
//! Each rule has a stable code (`GH-L001`, never renumbered or reused), a
//! name saying what it flags (`public-without-quota`), a default level and
//! a one-line summary. Its documentation is the `//!` doc comment of its
//! file in `rules/`, with the sections `## What it does`,
//! `## Why is this bad?` and `## Example` (a bad example, then `Use
//! instead:` and a good one); `gatehouse lint --explain` prints it and the
//! language reference reproduces it. A unit test checks every rule's doc.

use crate::diag::Severity;

macro_rules! rules {
    ($( $variant:ident = $code:literal, $name:literal, $level:ident, $file:literal, $summary:literal; )*) => {
        /// A lint rule. See the module docs.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $( #[doc = $summary] $variant, )*
        }

        impl Rule {
            /// Every rule, in registry order.
            pub const ALL: &'static [Rule] = &[ $( Rule::$variant, )* ];

            /// The stable code, for example `GH-L001`.
            pub fn code(self) -> &'static str {
                match self { $( Rule::$variant => $code, )* }
            }

            /// The name: what the rule flags, in kebab case.
            pub fn name(self) -> &'static str {
                match self { $( Rule::$variant => $name, )* }
            }

            /// The level findings of this rule have.
            pub fn default_level(self) -> Severity {
                match self { $( Rule::$variant => Severity::$level, )* }
            }

            /// One line saying what the rule flags.
            pub fn summary(self) -> &'static str {
                match self { $( Rule::$variant => $summary, )* }
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
    PublicWithoutQuota = "GH-L001", "public-without-quota", Warning, "public_without_quota.rs",
        "a public endpoint has no quota";
    EndpointNeverAllowed = "GH-L002", "endpoint-never-allowed", Error, "endpoint_never_allowed.rs",
        "an endpoint's own rules deny every request";
    WriteWithoutBodyLimit = "GH-L003", "write-without-body-limit", Warning, "write_without_body_limit.rs",
        "an endpoint that accepts writes has no `body max`";
    UnusedScope = "GH-L004", "unused-scope", Warning, "unused_scope.rs",
        "a declared scope is never required or tested";
    ShadowedRoute = "GH-L005", "shadowed-route", Warning, "shadowed_route.rs",
        "more specific endpoints leave a `**` endpoint only its prefix, or nothing";
    FallthroughToWeakerRoute = "GH-L006", "fallthrough-to-weaker-route", Warning, "fallthrough_to_weaker_route.rs",
        "requests that just miss an endpoint reach a less specific, less protected one";
    PermissiveCidr = "GH-L007", "permissive-cidr", Warning, "permissive_cidr.rs",
        "an `allow from` or `trusted_proxies` network is very wide";
    UnrestrictedWildcardWrite = "GH-L008", "unrestricted-wildcard-write", Warning, "unrestricted_wildcard_write.rs",
        "a `**` endpoint accepts writes without mTLS or an IP allow-list";
    UnmaskedSensitiveField = "GH-L009", "unmasked-sensitive-field", Warning, "unmasked_sensitive_field.rs",
        "a sensitive-looking field can reach a response unmasked";
    MissingOwner = "GH-L010", "missing-owner", Warning, "missing_owner.rs",
        "the API names no `owner`";
    UnversionedApi = "GH-L011", "unversioned-api", Warning, "unversioned_api.rs",
        "the API has no `version`";
    FailOpenOnStoreError = "GH-L012", "fail-open-on-store-error", Warning, "fail_open_on_store_error.rs",
        "`on_store_error = allow` lets requests through when quotas cannot be counted";
    JwtWithoutAudience = "GH-L013", "jwt-without-audience", Warning, "jwt_without_audience.rs",
        "a JWT scheme accepts tokens minted for any audience";
    ShadowEndpoint = "GH-L014", "shadow-endpoint", Warning, "shadow_endpoint.rs",
        "an endpoint is in shadow mode, so it never decides a request";
    UnreachableMask = "GH-L015", "unreachable-mask", Warning, "unreachable_mask.rs",
        "a mask names fields that `response only` drops, so it never applies";
    PublicWrite = "GH-L016", "public-write", Warning, "public_write.rs",
        "a public endpoint accepts writes";
    AllowWithoutReason = "GH-L017", "allow-without-reason", Error, "allow_without_reason.rs",
        "an allow directive gives no reason";
    InvalidAllow = "GH-L018", "invalid-allow", Error, "invalid_allow.rs",
        "a `# gatehouse:` directive is malformed or names no lint rule";
    UnusedAllow = "GH-L019", "unused-allow", Warning, "unused_allow.rs",
        "an allow directive allows nothing";
}

impl Rule {
    /// A rule by code (`GH-L001`, any case) or name (`public-without-quota`).
    pub fn find(text: &str) -> Option<Rule> {
        let text = text.trim();
        Rule::ALL
            .iter()
            .copied()
            .find(|r| r.code().eq_ignore_ascii_case(text) || r.name() == text)
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
            assert!(codes.insert(rule.code()), "{} is used twice", rule.code());
            assert!(names.insert(rule.name()), "{} is used twice", rule.name());
            // Codes are numbered in registry order, from GH-L001.
            assert_eq!(rule.code(), format!("GH-L{:03}", i + 1));
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
            assert_eq!(Rule::find(rule.code()), Some(*rule));
            assert_eq!(Rule::find(&rule.code().to_lowercase()), Some(*rule));
            assert_eq!(Rule::find(rule.name()), Some(*rule));
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
                    && heading.contains(rule.code())
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
