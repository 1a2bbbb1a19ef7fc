//! The semantic diff of two policy sets: what a change widens or narrows.
//! What `gatehouse diff` prints, the review aid for a policy pull request.
//!
//! APIs are matched by name and endpoints by method and path shape
//! (parameter names aside: `/users/{uid}` and `/users/{id}` are one route),
//! with defaults already merged into every endpoint. Each [`Change`] is
//! classified:
//!
//! - **widen**: someone may now do or see something they could not: an
//!   endpoint added or made public, a scheme accepted, a scope or condition
//!   or allow-list dropped, an any-of group widened, a quota loosened, a
//!   body limit raised, a mask removed or weakened, a shadow endpoint made
//!   enforcing, an option that trusts the client more;
//! - **narrow**: the reverse;
//! - **neutral**: changes to what is only reported (shadow rules), to
//!   declarations, or whose effect is not access.
//!
//! Changes that cannot be ordered (a condition rewritten, a field type
//! changed, a JWT issuer replaced) are reported as a removal and an
//! addition, or as widening: a reviewer should look at them.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Source;
use crate::model::{
    Access, Api, AuthKind, Endpoint, FieldsSchema, JsonLimits, JwtAlgorithm, MaskStrategy, Quota,
    RuleMeta, Segment, JWT_DEFAULT_LEEWAY_SECONDS,
};
use crate::span::Span;
use crate::text;
use crate::CompiledSet;

/// The version of the JSON shape of [`Diff`].
pub const SCHEMA: &str = "gatehouse.diff/v1";

/// Whether a change gives more access or less.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    Widen,
    Narrow,
    Neutral,
}

impl Impact {
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::Widen => "widen",
            Impact::Narrow => "narrow",
            Impact::Neutral => "neutral",
        }
    }
}

macro_rules! kinds {
    ($( $variant:ident = $code:literal; )*) => {
        /// What changed. The codes are stable.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Kind {
            $( $variant, )*
        }

        impl Kind {
            pub const ALL: &'static [Kind] = &[ $( Kind::$variant, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( Kind::$variant => $code, )* }
            }
        }
    };
}

kinds! {
    ApiAdded = "api_added";
    ApiRemoved = "api_removed";
    ApiChanged = "api_changed";
    OptionChanged = "option_changed";
    SchemeChanged = "scheme_changed";
    ScopeDeclared = "scope_declared";
    EndpointAdded = "endpoint_added";
    EndpointRemoved = "endpoint_removed";
    ShadowToggled = "shadow_toggled";
    AccessChanged = "access_changed";
    SchemesAdded = "schemes_added";
    SchemesRemoved = "schemes_removed";
    ScopesRemoved = "scopes_removed";
    ScopesAdded = "scopes_added";
    ScopesWidened = "scopes_widened";
    ScopesNarrowed = "scopes_narrowed";
    ConditionRemoved = "condition_removed";
    ConditionAdded = "condition_added";
    IpAllowChanged = "ip_allow_changed";
    IpDenyChanged = "ip_deny_changed";
    QuotaLoosened = "quota_loosened";
    QuotaTightened = "quota_tightened";
    QuotaRemoved = "quota_removed";
    QuotaAdded = "quota_added";
    QuotaChanged = "quota_changed";
    BodyLimitChanged = "body_limit_changed";
    BodyTypesChanged = "body_types_changed";
    BodyRulesChanged = "body_rules_changed";
    MaskRemoved = "mask_removed";
    MaskAdded = "mask_added";
    MaskChanged = "mask_changed";
    AllowListChanged = "allow_list_changed";
    ShadowRuleChanged = "shadow_rule_changed";
}

/// One change, with where it is written before and after.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    pub impact: Impact,
    pub kind: Kind,
    pub api: String,
    /// `GET /v1/pets/{id:int}`; absent for API-level changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// What changed, in words: ``no longer requires `pets:read` ``.
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Source>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Counts {
    pub widen: usize,
    pub narrow: usize,
    pub neutral: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    /// [`SCHEMA`].
    pub schema: &'static str,
    pub counts: Counts,
    pub changes: Vec<Change>,
}

impl Diff {
    pub fn widens(&self) -> bool {
        self.counts.widen > 0
    }
}

/// Compares two policy sets.
pub fn diff(old: &gatehouse::PolicySet, new: &gatehouse::PolicySet) -> Diff {
    diff_core(old.internals(), new.internals())
}

fn diff_core(old: &CompiledSet, new: &CompiledSet) -> Diff {
    let mut d = Differ {
        old,
        new,
        changes: Vec::new(),
    };
    for new_api in &new.model().apis {
        match old.model().apis.iter().find(|a| a.name == new_api.name) {
            Some(old_api) => d.api(old_api, new_api),
            None => {
                d.push_api(
                    Impact::Widen,
                    Kind::ApiAdded,
                    &new_api.name,
                    format!(
                        "new API with {} endpoint{}",
                        new_api.endpoints.len(),
                        plural(new_api.endpoints.len())
                    ),
                    None,
                    Some(new_api.span),
                );
                for e in &new_api.endpoints {
                    d.endpoint_added(new_api, e);
                }
            }
        }
    }
    for old_api in &old.model().apis {
        if !new.model().apis.iter().any(|a| a.name == old_api.name) {
            d.push_api(
                Impact::Narrow,
                Kind::ApiRemoved,
                &old_api.name,
                "API removed: all its endpoints answer 404".into(),
                Some(old_api.span),
                None,
            );
        }
    }
    let mut counts = Counts::default();
    for c in &d.changes {
        match c.impact {
            Impact::Widen => counts.widen += 1,
            Impact::Narrow => counts.narrow += 1,
            Impact::Neutral => counts.neutral += 1,
        }
    }
    Diff {
        schema: SCHEMA,
        counts,
        changes: d.changes,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn quote_list<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    items
        .into_iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The route an endpoint answers, parameter names aside.
fn route_key(e: &Endpoint) -> String {
    let mut key = format!("{} ", e.method.as_str());
    for s in &e.path {
        key.push('/');
        match s {
            Segment::Literal(l) => key.push_str(l),
            Segment::Param { ty, .. } => key.push_str(&format!("{{:{}}}", ty.as_str())),
            Segment::Star => key.push('*'),
            Segment::Rest => key.push_str("**"),
        }
    }
    key
}

struct Differ<'p> {
    old: &'p CompiledSet,
    new: &'p CompiledSet,
    changes: Vec<Change>,
}

/// The two versions of one endpoint.
#[derive(Clone, Copy)]
struct Pair<'a> {
    old_api: &'a Api,
    new_api: &'a Api,
    old: &'a Endpoint,
    new: &'a Endpoint,
}

/// How a `jwt` scheme's keys changed: another key source, more accepted
/// algorithms or more leeway widen what it accepts.
fn jwt_keys_change(name: &str, old: &AuthKind, new: &AuthKind) -> Option<(Impact, String)> {
    let (
        AuthKind::Jwt {
            jwks: old_jwks,
            algorithms: old_algorithms,
            leeway_seconds: old_leeway,
            ..
        },
        AuthKind::Jwt {
            jwks: new_jwks,
            algorithms: new_algorithms,
            leeway_seconds: new_leeway,
            ..
        },
    ) = (old, new)
    else {
        return None;
    };
    let (before, after) = (
        JwtAlgorithm::accepted(old_algorithms),
        JwtAlgorithm::accepted(new_algorithms),
    );
    let added: Vec<&str> = after
        .iter()
        .filter(|a| !before.contains(a))
        .map(|a| a.as_str())
        .collect();
    if !added.is_empty() {
        return Some((
            Impact::Widen,
            format!(
                "`{name}` also accepts tokens signed with {}",
                added.join(", ")
            ),
        ));
    }
    if old_jwks != new_jwks {
        let source = |jwks: &Option<String>| {
            jwks.as_deref()
                .map_or("the issuer's discovery document".to_string(), |j| {
                    format!("`{j}`")
                })
        };
        return Some((
            Impact::Widen,
            format!(
                "`{name}` takes its keys from {} instead of {}",
                source(new_jwks),
                source(old_jwks)
            ),
        ));
    }
    let leeway = |l: &Option<u32>| l.unwrap_or(JWT_DEFAULT_LEEWAY_SECONDS);
    if leeway(new_leeway) > leeway(old_leeway) {
        return Some((
            Impact::Widen,
            format!(
                "`{name}` accepts tokens {} s past their expiry (was {} s)",
                leeway(new_leeway),
                leeway(old_leeway)
            ),
        ));
    }
    None
}

impl<'p> Differ<'p> {
    fn source_old(&self, span: Option<Span>) -> Option<Source> {
        span.map(|s| Source::new(self.old.sources(), s))
    }

    fn source_new(&self, span: Option<Span>) -> Option<Source> {
        span.map(|s| Source::new(self.new.sources(), s))
    }

    fn push_api(
        &mut self,
        impact: Impact,
        kind: Kind,
        api: &str,
        summary: String,
        old: Option<Span>,
        new: Option<Span>,
    ) {
        let (old, new) = (self.source_old(old), self.source_new(new));
        self.changes.push(Change {
            impact,
            kind,
            api: api.to_string(),
            endpoint: None,
            summary,
            old,
            new,
        });
    }

    /// An endpoint's change. A rule present on one side only has one
    /// location, so that a change to a rule in `defaults` has the same
    /// locations for every endpoint and can be listed once.
    fn push(
        &mut self,
        p: Pair<'_>,
        impact: Impact,
        kind: Kind,
        summary: String,
        old: Option<Span>,
        new: Option<Span>,
    ) {
        let (old, new) = match (old, new) {
            (None, None) => (Some(p.old.span), Some(p.new.span)),
            spans => spans,
        };
        let (old, new) = (self.source_old(old), self.source_new(new));
        self.changes.push(Change {
            impact,
            kind,
            api: p.new_api.name.clone(),
            endpoint: Some(format!(
                "{} {}",
                p.new.method.as_str(),
                text::full_path(p.new_api, p.new)
            )),
            summary,
            old,
            new,
        });
    }

    fn endpoint_added(&mut self, api: &Api, e: &Endpoint) {
        let (impact, summary) = if e.shadow.is_some() {
            (
                Impact::Neutral,
                "new endpoint, in shadow mode: evaluated for the record, never decides".to_string(),
            )
        } else if matches!(e.access, Access::Closed) {
            (
                Impact::Neutral,
                "new endpoint with no access rule: it denies every request".to_string(),
            )
        } else {
            (
                Impact::Widen,
                format!("new endpoint ({})", access_words(api, &e.access)),
            )
        };
        let new = self.source_new(Some(e.span));
        self.changes.push(Change {
            impact,
            kind: Kind::EndpointAdded,
            api: api.name.clone(),
            endpoint: Some(format!("{} {}", e.method.as_str(), text::full_path(api, e))),
            summary,
            old: None,
            new,
        });
    }

    fn api(&mut self, old: &'p Api, new: &'p Api) {
        let name = new.name.as_str();
        if old.base != new.base || old.host != new.host {
            let place = |a: &Api| {
                format!(
                    "{}{}",
                    a.host.as_ref().map(|h| format!("{h} ")).unwrap_or_default(),
                    a.base_text()
                )
            };
            self.push_api(
                Impact::Neutral,
                Kind::ApiChanged,
                name,
                format!("served at {} instead of {}", place(new), place(old)),
                Some(old.span),
                Some(new.span),
            );
        }
        if old.owner != new.owner || old.version != new.version {
            let show = |a: &Api| {
                format!(
                    "version {}, owner {}",
                    a.version.as_deref().unwrap_or("none"),
                    a.owner.as_deref().unwrap_or("none")
                )
            };
            self.push_api(
                Impact::Neutral,
                Kind::ApiChanged,
                name,
                format!("{} (was {})", show(new), show(old)),
                Some(old.span),
                Some(new.span),
            );
        }
        self.options(old, new);
        self.schemes(old, new);
        let old_scopes: BTreeSet<&String> = old.scopes.iter().map(|s| &s.name).collect();
        let new_scopes: BTreeSet<&String> = new.scopes.iter().map(|s| &s.name).collect();
        let added: Vec<&String> = new_scopes.difference(&old_scopes).copied().collect();
        let removed: Vec<&String> = old_scopes.difference(&new_scopes).copied().collect();
        if !added.is_empty() {
            self.push_api(
                Impact::Neutral,
                Kind::ScopeDeclared,
                name,
                format!("scopes declared: {}", quote_list(added)),
                None,
                Some(new.span),
            );
        }
        if !removed.is_empty() {
            self.push_api(
                Impact::Neutral,
                Kind::ScopeDeclared,
                name,
                format!("scopes no longer declared: {}", quote_list(removed)),
                Some(old.span),
                None,
            );
        }

        let old_by_key: BTreeMap<String, &Endpoint> =
            old.endpoints.iter().map(|e| (route_key(e), e)).collect();
        let new_keys: BTreeSet<String> = new.endpoints.iter().map(route_key).collect();
        for e in &new.endpoints {
            match old_by_key.get(&route_key(e)) {
                Some(o) => self.endpoint(Pair {
                    old_api: old,
                    new_api: new,
                    old: o,
                    new: e,
                }),
                None => self.endpoint_added(new, e),
            }
        }
        for o in &old.endpoints {
            if new_keys.contains(&route_key(o)) {
                continue;
            }
            let impact = if o.shadow.is_some() {
                Impact::Neutral
            } else {
                Impact::Narrow
            };
            let old_src = self.source_old(Some(o.span));
            self.changes.push(Change {
                impact,
                kind: Kind::EndpointRemoved,
                api: new.name.clone(),
                endpoint: Some(format!("{} {}", o.method.as_str(), text::full_path(old, o))),
                summary:
                    "endpoint removed: its requests go to a less specific endpoint, or are denied"
                        .into(),
                old: old_src,
                new: None,
            });
        }
    }

    fn options(&mut self, old: &Api, new: &Api) {
        let (o, n) = (&old.options, &new.options);
        let name = new.name.as_str();
        let spans = (Some(old.span), Some(new.span));
        let flag = |this: &mut Self, changed: bool, widened: bool, what: String| {
            if changed {
                let impact = if widened {
                    Impact::Widen
                } else {
                    Impact::Narrow
                };
                this.push_api(impact, Kind::OptionChanged, name, what, spans.0, spans.1);
            }
        };
        flag(
            self,
            o.method_override != n.method_override,
            n.method_override,
            format!(
                "method_override: {} -> {}",
                allow_deny(o.method_override),
                allow_deny(n.method_override)
            ),
        );
        flag(
            self,
            o.forwarded != n.forwarded,
            n.forwarded == crate::model::ForwardedPolicy::Ignore,
            format!(
                "forwarded: {} -> {}",
                json_word(&o.forwarded),
                json_word(&n.forwarded)
            ),
        );
        flag(
            self,
            o.trailing_slash != n.trailing_slash,
            n.trailing_slash == crate::model::TrailingSlash::Strip,
            format!(
                "trailing_slash: {} -> {}",
                json_word(&o.trailing_slash),
                json_word(&n.trailing_slash)
            ),
        );
        flag(
            self,
            o.on_store_error != n.on_store_error,
            n.on_store_error == crate::model::StoreErrorPolicy::Allow,
            format!(
                "on_store_error: {} -> {}",
                json_word(&o.on_store_error),
                json_word(&n.on_store_error)
            ),
        );
        let old_proxies: BTreeSet<String> =
            o.trusted_proxies.iter().map(ToString::to_string).collect();
        let new_proxies: BTreeSet<String> =
            n.trusted_proxies.iter().map(ToString::to_string).collect();
        let added: Vec<&String> = new_proxies.difference(&old_proxies).collect();
        let removed: Vec<&String> = old_proxies.difference(&new_proxies).collect();
        if !added.is_empty() {
            self.push_api(
                Impact::Widen,
                Kind::OptionChanged,
                name,
                format!(
                    "trusted_proxies: now trusts {} to name the client address",
                    quote_list(added)
                ),
                spans.0,
                spans.1,
            );
        }
        if !removed.is_empty() {
            self.push_api(
                Impact::Narrow,
                Kind::OptionChanged,
                name,
                format!("trusted_proxies: no longer trusts {}", quote_list(removed)),
                spans.0,
                spans.1,
            );
        }
    }

    fn schemes(&mut self, old: &Api, new: &Api) {
        let name = new.name.as_str();
        for n in &new.schemes {
            let Some(o) = old.schemes.iter().find(|s| s.name == n.name) else {
                continue;
            };
            let found: Option<(Impact, String)> = match (&o.kind, &n.kind) {
                (
                    old_jwt @ AuthKind::Jwt {
                        issuer: oi,
                        audience: oa,
                        ..
                    },
                    new_jwt @ AuthKind::Jwt {
                        issuer: ni,
                        audience: na,
                        ..
                    },
                ) => jwt_keys_change(&n.name, old_jwt, new_jwt).or_else(|| {
                    if oi != ni {
                        Some((
                            Impact::Widen,
                            format!(
                                "`{}` accepts tokens from issuer `{ni}` instead of `{oi}`",
                                n.name
                            ),
                        ))
                    } else {
                        match (oa, na) {
                            (Some(a), None) => Some((
                                Impact::Widen,
                                format!("`{}` no longer checks the audience (was `{a}`)", n.name),
                            )),
                            (None, Some(a)) => Some((
                                Impact::Narrow,
                                format!("`{}` now checks the audience `{a}`", n.name),
                            )),
                            (Some(a), Some(b)) if a != b => Some((
                                Impact::Widen,
                                format!(
                                    "`{}` accepts tokens for audience `{b}` instead of `{a}`",
                                    n.name
                                ),
                            )),
                            _ => None,
                        }
                    }
                }),
                (AuthKind::Mtls { header: oh, .. }, AuthKind::Mtls { header: nh, .. }) if oh != nh => Some(match nh {
                    Some(header) => (
                        Impact::Widen,
                        format!(
                            "`{}` accepts client certificates that trusted proxies pass in `{header}`",
                            n.name
                        ),
                    ),
                    None => (
                        Impact::Narrow,
                        format!(
                            "`{}` no longer accepts client certificates passed by proxies",
                            n.name
                        ),
                    ),
                }),
                (AuthKind::Mtls { subject: os, .. }, AuthKind::Mtls { subject: ns, .. }) => {
                    let (os, ns) = (
                        os.as_ref().map(|g| g.text.clone()),
                        ns.as_ref().map(|g| g.text.clone()),
                    );
                    match (os, ns) {
                        (Some(a), None) => Some((
                            Impact::Widen,
                            format!("`{}` accepts any certificate subject (was `{a}`)", n.name),
                        )),
                        (None, Some(b)) => Some((
                            Impact::Narrow,
                            format!("`{}` now requires subjects matching `{b}`", n.name),
                        )),
                        (Some(a), Some(b)) if a != b => Some((
                            Impact::Widen,
                            format!(
                                "`{}` accepts subjects matching `{b}` instead of `{a}`",
                                n.name
                            ),
                        )),
                        _ => None,
                    }
                }
                (
                    AuthKind::ApiKey {
                        header: oh,
                        query: oq,
                    },
                    AuthKind::ApiKey {
                        header: nh,
                        query: nq,
                    },
                ) => (oh != nh || oq != nq).then(|| {
                    (
                        Impact::Neutral,
                        format!("`{}` reads the key from another place", n.name),
                    )
                }),
                (ok, nk) => Some((
                    Impact::Widen,
                    format!("`{}` is now {} (was {})", n.name, nk.name(), ok.name()),
                )),
            };
            if let Some((impact, summary)) = found {
                self.push_api(
                    impact,
                    Kind::SchemeChanged,
                    name,
                    summary,
                    Some(o.span),
                    Some(n.span),
                );
            }
        }
    }

    fn endpoint(&mut self, p: Pair<'_>) {
        match (p.old.shadow.is_some(), p.new.shadow.is_some()) {
            (true, false) => self.push(
                p,
                Impact::Widen,
                Kind::ShadowToggled,
                "no longer in shadow mode: the endpoint now decides its requests".into(),
                p.old.shadow,
                None,
            ),
            (false, true) => self.push(
                p,
                Impact::Narrow,
                Kind::ShadowToggled,
                "now in shadow mode: it no longer decides; its requests go to a less specific endpoint, or are denied".into(),
                None,
                p.new.shadow,
            ),
            _ => {}
        }
        self.access(p);
        self.scopes(p);
        self.conditions(p);
        self.ip(p);
        self.quotas(p);
        self.body(p);
        self.response(p);
    }

    fn access(&mut self, p: Pair<'_>) {
        let span = |e: &Endpoint| match &e.access {
            Access::Public(s) => Some(*s),
            Access::Authenticated { meta, .. } => Some(meta.span),
            Access::Closed => None,
        };
        let (os, ns) = (span(p.old), span(p.new));
        match (&p.old.access, &p.new.access) {
            (Access::Public(_), Access::Public(_)) | (Access::Closed, Access::Closed) => {}
            (
                Access::Authenticated { schemes: o, .. },
                Access::Authenticated { schemes: n, .. },
            ) => {
                let names = |api: &Api, ids: &[crate::model::SchemeId]| -> BTreeSet<String> {
                    ids.iter().map(|s| text::scheme_name(api, *s)).collect()
                };
                let (o, n) = (names(p.old_api, o), names(p.new_api, n));
                let added: Vec<&String> = n.difference(&o).collect();
                let removed: Vec<&String> = o.difference(&n).collect();
                if !added.is_empty() {
                    self.push(
                        p,
                        Impact::Widen,
                        Kind::SchemesAdded,
                        format!(
                            "also accepts principals authenticated by {}",
                            quote_list(added)
                        ),
                        os,
                        ns,
                    );
                }
                if !removed.is_empty() {
                    self.push(
                        p,
                        Impact::Narrow,
                        Kind::SchemesRemoved,
                        format!(
                            "no longer accepts principals authenticated by {}",
                            quote_list(removed)
                        ),
                        os,
                        ns,
                    );
                }
            }
            (o, n) => {
                let rank = |a: &Access| match a {
                    Access::Closed => 0,
                    Access::Authenticated { .. } => 1,
                    Access::Public(_) => 2,
                };
                let impact = if rank(n) > rank(o) {
                    Impact::Widen
                } else {
                    Impact::Narrow
                };
                let summary = match n {
                    Access::Public(_) => "made public: no principal needed".to_string(),
                    Access::Closed => {
                        "no access rule any more: it denies every request".to_string()
                    }
                    Access::Authenticated { .. } => format!(
                        "now needs a principal ({}; was {})",
                        access_words(p.new_api, n),
                        access_words(p.old_api, o)
                    ),
                };
                self.push(p, impact, Kind::AccessChanged, summary, os, ns);
            }
        }
    }

    fn scopes(&mut self, p: Pair<'_>) {
        type Group = (BTreeSet<String>, RuleMeta);
        let groups = |api: &Api, e: &Endpoint, shadow: bool| -> Vec<Group> {
            e.scopes
                .iter()
                .filter(|r| r.meta.shadow == shadow)
                .flat_map(|r| {
                    r.groups.iter().map(move |g| {
                        (
                            g.iter().map(|s| text::scope_name(api, *s)).collect(),
                            r.meta,
                        )
                    })
                })
                .collect()
        };
        let show = |g: &BTreeSet<String>| g.iter().cloned().collect::<Vec<_>>().join(" | ");
        for shadow in [false, true] {
            let mut old = groups(p.old_api, p.old, shadow);
            let mut new = groups(p.new_api, p.new, shadow);
            // Unchanged groups.
            old.retain(|(g, _)| {
                if let Some(i) = new.iter().position(|(h, _)| h == g) {
                    new.remove(i);
                    false
                } else {
                    true
                }
            });
            if shadow {
                for (g, meta) in &old {
                    self.push(
                        p,
                        Impact::Neutral,
                        Kind::ShadowRuleChanged,
                        format!("shadow rule `require {}` removed", show(g)),
                        Some(meta.span),
                        None,
                    );
                }
                for (g, meta) in &new {
                    self.push(
                        p,
                        Impact::Neutral,
                        Kind::ShadowRuleChanged,
                        format!("shadow rule `require {}` added", show(g)),
                        None,
                        Some(meta.span),
                    );
                }
                continue;
            }
            let mut unmatched_old = Vec::new();
            for (g, meta) in old {
                if let Some(i) = new.iter().position(|(h, _)| g.is_subset(h)) {
                    let (h, new_meta) = new.remove(i);
                    let extra: Vec<&String> = h.difference(&g).collect();
                    self.push(
                        p,
                        Impact::Widen,
                        Kind::ScopesWidened,
                        format!(
                            "any-of widened: `{}` -> `{}` ({} now enough)",
                            show(&g),
                            show(&h),
                            quote_list(extra)
                        ),
                        Some(meta.span),
                        Some(new_meta.span),
                    );
                } else if let Some(i) = new.iter().position(|(h, _)| h.is_subset(&g)) {
                    let (h, new_meta) = new.remove(i);
                    let gone: Vec<&String> = g.difference(&h).collect();
                    self.push(
                        p,
                        Impact::Narrow,
                        Kind::ScopesNarrowed,
                        format!(
                            "any-of narrowed: `{}` -> `{}` ({} no longer enough)",
                            show(&g),
                            show(&h),
                            quote_list(gone)
                        ),
                        Some(meta.span),
                        Some(new_meta.span),
                    );
                } else {
                    unmatched_old.push((g, meta));
                }
            }
            for (g, meta) in unmatched_old {
                self.push(
                    p,
                    Impact::Widen,
                    Kind::ScopesRemoved,
                    format!("no longer requires `{}`", show(&g)),
                    Some(meta.span),
                    None,
                );
            }
            for (h, meta) in new {
                self.push(
                    p,
                    Impact::Narrow,
                    Kind::ScopesAdded,
                    format!("now requires `{}`", show(&h)),
                    None,
                    Some(meta.span),
                );
            }
        }
    }

    fn conditions(&mut self, p: Pair<'_>) {
        let texts = |api: &Api, e: &Endpoint, shadow: bool| -> Vec<(String, Span)> {
            e.conditions
                .iter()
                .filter(|c| c.meta.shadow == shadow)
                .map(|c| (text::condition(api, &c.expr), c.meta.span))
                .collect()
        };
        for shadow in [false, true] {
            let old = texts(p.old_api, p.old, shadow);
            let new = texts(p.new_api, p.new, shadow);
            for (t, span) in &old {
                if !new.iter().any(|(n, _)| n == t) {
                    let (impact, kind, summary) = if shadow {
                        (
                            Impact::Neutral,
                            Kind::ShadowRuleChanged,
                            format!("shadow rule `when {t}` removed"),
                        )
                    } else {
                        (
                            Impact::Widen,
                            Kind::ConditionRemoved,
                            format!("condition removed: `when {t}`"),
                        )
                    };
                    self.push(p, impact, kind, summary, Some(*span), None);
                }
            }
            for (t, span) in &new {
                if !old.iter().any(|(o, _)| o == t) {
                    let (impact, kind, summary) = if shadow {
                        (
                            Impact::Neutral,
                            Kind::ShadowRuleChanged,
                            format!("shadow rule `when {t}` added"),
                        )
                    } else {
                        (
                            Impact::Narrow,
                            Kind::ConditionAdded,
                            format!("condition added: `when {t}`"),
                        )
                    };
                    self.push(p, impact, kind, summary, None, Some(*span));
                }
            }
        }
    }

    fn ip(&mut self, p: Pair<'_>) {
        let nets = |r: &crate::model::IpRule| {
            r.nets
                .iter()
                .map(ToString::to_string)
                .collect::<BTreeSet<String>>()
        };
        match (
            p.old.ip_allow.as_ref().filter(|r| !r.meta.shadow),
            p.new.ip_allow.as_ref().filter(|r| !r.meta.shadow),
        ) {
            (None, None) => {}
            (Some(o), None) => self.push(
                p,
                Impact::Widen,
                Kind::IpAllowChanged,
                format!(
                    "allow-list removed: any address may call (was {})",
                    quote_list(&nets(o))
                ),
                Some(o.meta.span),
                None,
            ),
            (None, Some(n)) => self.push(
                p,
                Impact::Narrow,
                Kind::IpAllowChanged,
                format!("allow-list added: only {}", quote_list(&nets(n))),
                None,
                Some(n.meta.span),
            ),
            (Some(o), Some(n)) => {
                let (on, nn) = (nets(o), nets(n));
                let added: Vec<&String> = nn.difference(&on).collect();
                let removed: Vec<&String> = on.difference(&nn).collect();
                if !added.is_empty() {
                    self.push(
                        p,
                        Impact::Widen,
                        Kind::IpAllowChanged,
                        format!("allow-list admits {}", quote_list(added)),
                        Some(o.meta.span),
                        Some(n.meta.span),
                    );
                }
                if !removed.is_empty() {
                    self.push(
                        p,
                        Impact::Narrow,
                        Kind::IpAllowChanged,
                        format!("allow-list no longer admits {}", quote_list(removed)),
                        Some(o.meta.span),
                        Some(n.meta.span),
                    );
                }
            }
        }
        let deny = |e: &Endpoint| -> BTreeMap<String, Span> {
            e.ip_deny
                .iter()
                .filter(|r| !r.meta.shadow)
                .flat_map(|r| r.nets.iter().map(move |n| (n.to_string(), r.meta.span)))
                .collect()
        };
        let (od, nd) = (deny(p.old), deny(p.new));
        for (net, span) in &od {
            if !nd.contains_key(net) {
                self.push(
                    p,
                    Impact::Widen,
                    Kind::IpDenyChanged,
                    format!("`{net}` no longer denied"),
                    Some(*span),
                    None,
                );
            }
        }
        for (net, span) in &nd {
            if !od.contains_key(net) {
                self.push(
                    p,
                    Impact::Narrow,
                    Kind::IpDenyChanged,
                    format!("`{net}` now denied"),
                    None,
                    Some(*span),
                );
            }
        }
    }

    fn quotas(&mut self, p: Pair<'_>) {
        let mut old: Vec<&Quota> = p.old.quotas.iter().filter(|q| !q.meta.shadow).collect();
        let mut new: Vec<&Quota> = p.new.quotas.iter().filter(|q| !q.meta.shadow).collect();
        // Unchanged quotas.
        old.retain(|q| {
            if let Some(i) = new.iter().position(|n| text::quota(n) == text::quota(q)) {
                new.remove(i);
                false
            } else {
                true
            }
        });
        let mut leftover = Vec::new();
        for q in old {
            // The same key and window, else the same key.
            let i = new
                .iter()
                .position(|n| n.key == q.key && n.window_secs == q.window_secs)
                .or_else(|| new.iter().position(|n| n.key == q.key));
            match i {
                Some(i) => {
                    let n = new.remove(i);
                    let per_sec = |q: &Quota| q.rate as f64 / q.window_secs.max(1) as f64;
                    let looser = [per_sec(n) > per_sec(q), n.burst > q.burst, n.cost < q.cost];
                    let tighter = [per_sec(n) < per_sec(q), n.burst < q.burst, n.cost > q.cost];
                    let (impact, kind, word) =
                        match (looser.iter().any(|b| *b), tighter.iter().any(|b| *b)) {
                            (true, false) => (Impact::Widen, Kind::QuotaLoosened, "loosened"),
                            (false, true) => (Impact::Narrow, Kind::QuotaTightened, "tightened"),
                            // Looser in one way and tighter in another.
                            _ => (
                                Impact::Widen,
                                Kind::QuotaChanged,
                                "changed (looser in some way)",
                            ),
                        };
                    self.push(
                        p,
                        impact,
                        kind,
                        format!("quota {word}: `{}` -> `{}`", text::quota(q), text::quota(n)),
                        Some(q.meta.span),
                        Some(n.meta.span),
                    );
                }
                None => leftover.push(q),
            }
        }
        for q in leftover {
            self.push(
                p,
                Impact::Widen,
                Kind::QuotaRemoved,
                format!("quota removed: `{}`", text::quota(q)),
                Some(q.meta.span),
                None,
            );
        }
        for n in new {
            self.push(
                p,
                Impact::Narrow,
                Kind::QuotaAdded,
                format!("quota added: `{}`", text::quota(n)),
                None,
                Some(n.meta.span),
            );
        }
    }

    fn body(&mut self, p: Pair<'_>) {
        let (ob, nb) = (&p.old.body, &p.new.body);
        match (&ob.max, &nb.max) {
            (Some((o, om)), Some((n, nm))) if o != n => {
                let impact = if n > o { Impact::Widen } else { Impact::Narrow };
                let word = if n > o { "raised" } else { "lowered" };
                self.push(
                    p,
                    impact,
                    Kind::BodyLimitChanged,
                    format!(
                        "body limit {word}: {} -> {}",
                        text::size(*o),
                        text::size(*n)
                    ),
                    Some(om.span),
                    Some(nm.span),
                );
            }
            (Some((o, om)), None) => self.push(
                p,
                Impact::Widen,
                Kind::BodyLimitChanged,
                format!("body limit removed (was {})", text::size(*o)),
                Some(om.span),
                None,
            ),
            (None, Some((n, nm))) => self.push(
                p,
                Impact::Narrow,
                Kind::BodyLimitChanged,
                format!("body limit added: {}", text::size(*n)),
                None,
                Some(nm.span),
            ),
            _ => {}
        }
        match (&ob.types, &nb.types) {
            (Some((o, om)), Some((n, nm))) => {
                let added: Vec<&String> = n.iter().filter(|t| !o.contains(t)).collect();
                let removed: Vec<&String> = o.iter().filter(|t| !n.contains(t)).collect();
                if !added.is_empty() {
                    self.push(
                        p,
                        Impact::Widen,
                        Kind::BodyTypesChanged,
                        format!("body types admit {}", quote_list(added)),
                        Some(om.span),
                        Some(nm.span),
                    );
                }
                if !removed.is_empty() {
                    self.push(
                        p,
                        Impact::Narrow,
                        Kind::BodyTypesChanged,
                        format!("body types no longer admit {}", quote_list(removed)),
                        Some(om.span),
                        Some(nm.span),
                    );
                }
            }
            (Some((o, om)), None) => self.push(
                p,
                Impact::Widen,
                Kind::BodyTypesChanged,
                format!("any body type accepted (was {})", quote_list(o)),
                Some(om.span),
                None,
            ),
            (None, Some((n, nm))) => self.push(
                p,
                Impact::Narrow,
                Kind::BodyTypesChanged,
                format!("body types restricted to {}", quote_list(n)),
                None,
                Some(nm.span),
            ),
            (None, None) => {}
        }
        match (&ob.json, &nb.json) {
            (Some(o), None) => self.push(
                p,
                Impact::Widen,
                Kind::BodyRulesChanged,
                "`body json` rules removed: any JSON body accepted".into(),
                Some(o.meta.span),
                None,
            ),
            (None, Some(n)) => self.push(
                p,
                Impact::Narrow,
                Kind::BodyRulesChanged,
                "`body json` rules added".into(),
                None,
                Some(n.meta.span),
            ),
            (Some(o), Some(n)) => {
                let spans = (Some(o.meta.span), Some(n.meta.span));
                for (impact, summary) in limits(&o.limits, &n.limits) {
                    self.push(p, impact, Kind::BodyRulesChanged, summary, spans.0, spans.1);
                }
                if let (Some(os), Some(ns)) = (&o.schema, &n.schema) {
                    for (impact, summary) in fields("body", os, ns) {
                        self.push(p, impact, Kind::BodyRulesChanged, summary, spans.0, spans.1);
                    }
                } else if o.schema.is_some() != n.schema.is_some() {
                    let (impact, summary) = if n.schema.is_some() {
                        (Impact::Narrow, "body fields now checked".to_string())
                    } else {
                        (Impact::Widen, "body fields no longer checked".to_string())
                    };
                    self.push(p, impact, Kind::BodyRulesChanged, summary, spans.0, spans.1);
                }
            }
            (None, None) => {}
        }
        for (what, o, n) in [
            ("query", &p.old.query, &p.new.query),
            ("headers", &p.old.headers, &p.new.headers),
        ] {
            match (o, n) {
                (Some(o), Some(n)) => {
                    for (impact, summary) in fields(what, &o.schema, &n.schema) {
                        self.push(
                            p,
                            impact,
                            Kind::BodyRulesChanged,
                            summary,
                            Some(o.meta.span),
                            Some(n.meta.span),
                        );
                    }
                }
                (Some(o), None) => self.push(
                    p,
                    Impact::Widen,
                    Kind::BodyRulesChanged,
                    format!("`{what}` rules removed"),
                    Some(o.meta.span),
                    None,
                ),
                (None, Some(n)) => self.push(
                    p,
                    Impact::Narrow,
                    Kind::BodyRulesChanged,
                    format!("`{what}` rules added"),
                    None,
                    Some(n.meta.span),
                ),
                (None, None) => {}
            }
        }
    }

    fn response(&mut self, p: Pair<'_>) {
        // Masks by path: the least revealing strategy for each.
        let masks = |e: &Endpoint| -> BTreeMap<String, (MaskStrategy, Span)> {
            let mut out: BTreeMap<String, (MaskStrategy, Span)> = BTreeMap::new();
            for m in &e.masks {
                for path in &m.paths {
                    let entry = out
                        .entry(path.text.clone())
                        .or_insert((m.strategy, m.meta.span));
                    if reveals(m.strategy) < reveals(entry.0) {
                        *entry = (m.strategy, m.meta.span);
                    }
                }
            }
            out
        };
        let (om, nm) = (masks(p.old), masks(p.new));
        for (path, (o, os)) in &om {
            match nm.get(path) {
                None => self.push(
                    p,
                    Impact::Widen,
                    Kind::MaskRemoved,
                    format!(
                        "`{path}` no longer masked (was `{}`)",
                        text::mask_strategy(*o)
                    ),
                    Some(*os),
                    None,
                ),
                Some((n, ns)) if reveals(*n) != reveals(*o) => {
                    let (impact, word) = if reveals(*n) > reveals(*o) {
                        (Impact::Widen, "weakened")
                    } else {
                        (Impact::Narrow, "strengthened")
                    };
                    self.push(
                        p,
                        impact,
                        Kind::MaskChanged,
                        format!(
                            "mask on `{path}` {word}: `{}` -> `{}`",
                            text::mask_strategy(*o),
                            text::mask_strategy(*n)
                        ),
                        Some(*os),
                        Some(*ns),
                    );
                }
                Some(_) => {}
            }
        }
        for (path, (n, ns)) in &nm {
            if !om.contains_key(path) {
                self.push(
                    p,
                    Impact::Narrow,
                    Kind::MaskAdded,
                    format!("`{path}` now masked `{}`", text::mask_strategy(*n)),
                    None,
                    Some(*ns),
                );
            }
        }
        let only = |e: &Endpoint| {
            e.response_only.as_ref().map(|r| {
                (
                    r.paths
                        .iter()
                        .map(|p| p.text.clone())
                        .collect::<BTreeSet<String>>(),
                    r.meta.span,
                )
            })
        };
        match (only(p.old), only(p.new)) {
            (Some((o, os)), None) => self.push(
                p,
                Impact::Widen,
                Kind::AllowListChanged,
                format!(
                    "`response only` removed: every field is returned (was {})",
                    quote_list(&o)
                ),
                Some(os),
                None,
            ),
            (None, Some((n, ns))) => self.push(
                p,
                Impact::Narrow,
                Kind::AllowListChanged,
                format!("`response only` added: only {} returned", quote_list(&n)),
                None,
                Some(ns),
            ),
            (Some((o, os)), Some((n, ns))) => {
                let added: Vec<&String> = n.difference(&o).collect();
                let removed: Vec<&String> = o.difference(&n).collect();
                if !added.is_empty() {
                    self.push(
                        p,
                        Impact::Widen,
                        Kind::AllowListChanged,
                        format!("`response only` now returns {}", quote_list(added)),
                        Some(os),
                        Some(ns),
                    );
                }
                if !removed.is_empty() {
                    self.push(
                        p,
                        Impact::Narrow,
                        Kind::AllowListChanged,
                        format!("`response only` no longer returns {}", quote_list(removed)),
                        Some(os),
                        Some(ns),
                    );
                }
            }
            (None, None) => {}
        }
    }
}

fn access_words(api: &Api, access: &Access) -> String {
    match access {
        Access::Public(_) => "public".into(),
        Access::Closed => "no access rule".into(),
        Access::Authenticated { .. } => format!("authenticate {}", text::access(api, access)),
    }
}

fn allow_deny(b: bool) -> &'static str {
    if b {
        "allow"
    } else {
        "deny"
    }
}

fn json_word<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// How much a mask strategy reveals: higher reveals more.
fn reveals(s: MaskStrategy) -> u64 {
    match s {
        MaskStrategy::Remove => 0,
        MaskStrategy::Null => 1,
        MaskStrategy::Redact => 2,
        MaskStrategy::Hash => 3,
        MaskStrategy::Email => 4,
        MaskStrategy::Keep { count, .. } => 5 + u64::from(count),
    }
}

/// JSON limits: raised widens, lowered narrows; a limit set where the
/// default applied (or back to the default) cannot be ordered here.
fn limits(o: &JsonLimits, n: &JsonLimits) -> Vec<(Impact, String)> {
    let pairs = [
        ("depth", o.depth, n.depth),
        ("array", o.array, n.array),
        ("object", o.object, n.object),
        ("key", o.key, n.key),
        ("string", o.string, n.string),
    ];
    let mut out = Vec::new();
    for (name, o, n) in pairs {
        let show = |v: Option<u64>| v.map_or_else(|| "the default".to_string(), |v| v.to_string());
        match (o, n) {
            (Some(a), Some(b)) if a != b => {
                let (impact, word) = if b > a {
                    (Impact::Widen, "raised")
                } else {
                    (Impact::Narrow, "lowered")
                };
                out.push((impact, format!("JSON limit `{name}` {word}: {a} -> {b}")));
            }
            (a, b) if a != b => out.push((
                Impact::Neutral,
                format!("JSON limit `{name}`: {} -> {}", show(a), show(b)),
            )),
            _ => {}
        }
    }
    out
}

/// Top-level field rules of a body, query or header block.
fn fields(what: &str, o: &FieldsSchema, n: &FieldsSchema) -> Vec<(Impact, String)> {
    let mut out = Vec::new();
    for nf in &n.fields {
        match o.fields.iter().find(|f| f.name == nf.name) {
            None if nf.optional => out.push((
                Impact::Widen,
                format!("{what} accepts a new optional field `{}`", nf.name),
            )),
            None => out.push((
                Impact::Narrow,
                format!("{what} requires a new field `{}`", nf.name),
            )),
            Some(of) => {
                if of.optional && !nf.optional {
                    out.push((
                        Impact::Narrow,
                        format!("{what} field `{}` is now required", nf.name),
                    ));
                } else if !of.optional && nf.optional {
                    out.push((
                        Impact::Widen,
                        format!("{what} field `{}` is now optional", nf.name),
                    ));
                }
                let (ot, nt) = (text::type_schema(&of.ty), text::type_schema(&nf.ty));
                if ot != nt {
                    out.push((Impact::Widen, format!("{what} field `{}` changed: `{ot}` -> `{nt}` (review: treated as widening)", nf.name)));
                }
            }
        }
    }
    for of in &o.fields {
        if !n.fields.iter().any(|f| f.name == of.name) {
            let impact = if n.allow_unknown {
                Impact::Neutral
            } else {
                Impact::Narrow
            };
            let tail = if n.allow_unknown {
                " (unknown fields are allowed)"
            } else {
                ": it is now rejected"
            };
            out.push((impact, format!("{what} field `{}` removed{tail}", of.name)));
        }
    }
    if o.allow_unknown != n.allow_unknown {
        if n.allow_unknown {
            out.push((
                Impact::Widen,
                format!("{what} now accepts unknown fields (`...`)"),
            ));
        } else {
            out.push((Impact::Narrow, format!("{what} now rejects unknown fields")));
        }
    }
    out
}
