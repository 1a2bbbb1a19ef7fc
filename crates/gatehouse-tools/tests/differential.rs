//! Differential properties: the compiled decision tree and the reference
//! interpreter give the same decision on generated policies and requests,
//! hostile paths and hostile bodies included; deciding with the whole body
//! and streaming it in chunks agree; and encoding a path differently never
//! changes where it goes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::collections::BTreeSet;
use std::net::IpAddr;

use gatehouse::{Decision, PolicySet, Principal, Request};
use gatehouse_core::Detail;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

// ---------------------------------------------------------------- policies

#[derive(Clone, Debug)]
enum Seg {
    Lit(&'static str),
    Param,
    Int,
    Uuid,
    Star,
    Rest,
}

#[derive(Clone, Debug)]
struct GenEndpoint {
    method: &'static str,
    path: Vec<Seg>,
    access: u8,
    require: Vec<&'static str>,
    any_of: bool,
    conditions: Vec<(u8, u8)>,
    allow_from: bool,
    shadow: bool,
    shadow_require: bool,
    /// Which payload rules (see `PAYLOAD_RULES`).
    payload: usize,
    /// Which quota rules (see `QUOTA_RULES`).
    quota: usize,
}

/// Quota rules an endpoint may get: small enough that a handful of
/// requests uses them up, keyed every way, enforced and in shadow.
const QUOTA_RULES: &[&str] = &[
    "",
    "",
    "  quota 2/min by principal\n",
    "  quota 3/min burst 2 by ip\n",
    "  quota 2/min by claim.t, 5/min by header.h cost 2\n",
    "  quota 1/min by key\n  shadow { quota 1/min by principal }\n",
];

/// Payload rules an endpoint may get: body size, content types, JSON
/// limits and fields (enforced or in shadow), query and header rules.
const PAYLOAD_RULES: &[&str] = &[
    "",
    "",
    "  body max 96B\n  body json limits(depth: 3, array: 4, object: 6, key: 8, string: 16) {\n    name: string(1..8)\n    n?: int(0..9)\n    f?: number(0..1.5)\n    tags?: array(..2) of enum(\"a\", \"b\", 1)\n    o?: { k: bool, ... }\n    id?: uuid\n  }\n",
    "  body types \"text/plain\", \"application/*+json\"\n  body max 40B\n",
    "  query only {\n    q?: enum(\"1\", \"2\")\n    r?: array(..2) of int(0..5)\n  }\n  headers {\n    h?: string(1..1)\n  }\n",
    "  body max 48B\n  shadow { body json limits(depth: 2) { name: string } }\n",
    "  shadow { body max 8B }\n  body json { ... }\n",
];

#[derive(Clone, Debug)]
struct GenPolicy {
    base: bool,
    trusted_proxies: bool,
    method_override: bool,
    /// `forwarded = deny` (the default ignores forwarding headers from
    /// peers that are not trusted proxies).
    forwarded_deny: bool,
    strip_slash: bool,
    default_auth: bool,
    default_deny: bool,
    default_require: bool,
    endpoints: Vec<GenEndpoint>,
    /// `on_store_error = allow`.
    fail_open: bool,
    /// Decide with a quota store that cannot answer.
    store_down: bool,
}

fn seg() -> impl Strategy<Value = Seg> {
    prop_oneof![
        Just(Seg::Lit("x")),
        Just(Seg::Lit("y")),
        Just(Seg::Lit("7")),
        Just(Seg::Param),
        Just(Seg::Int),
        Just(Seg::Uuid),
        Just(Seg::Star),
        Just(Seg::Rest),
    ]
}

fn endpoint() -> impl Strategy<Value = GenEndpoint> {
    (
        select(vec!["GET", "POST", "DELETE", "HEAD", "*"]),
        prop::collection::vec(seg(), 0..4),
        0u8..4,
        subsequence(vec!["a", "b", "c"], 0..=2),
        any::<bool>(),
        prop::collection::vec((0u8..12, 0u8..3), 0..3),
        (
            any::<bool>(),
            prop::bool::weighted(0.15),
            prop::bool::weighted(0.2),
            0..PAYLOAD_RULES.len(),
        ),
        0..QUOTA_RULES.len(),
    )
        .prop_map(
            |(
                method,
                mut path,
                access,
                require,
                any_of,
                conditions,
                (allow_from, shadow, shadow_require, payload),
                quota,
            )| {
                // `**` only last.
                if let Some(i) = path.iter().position(|s| matches!(s, Seg::Rest)) {
                    path.truncate(i + 1);
                }
                GenEndpoint {
                    method,
                    path,
                    access,
                    require,
                    any_of,
                    conditions,
                    allow_from,
                    shadow,
                    shadow_require,
                    payload,
                    quota,
                }
            },
        )
}

fn policy() -> impl Strategy<Value = GenPolicy> {
    (
        prop::collection::vec(any::<bool>(), 8),
        prop::collection::vec(endpoint(), 1..10),
        (any::<bool>(), prop::bool::weighted(0.1)),
    )
        .prop_map(|(flags, endpoints, (fail_open, store_down))| GenPolicy {
            fail_open,
            store_down,
            base: flags[0],
            trusted_proxies: flags[1],
            method_override: flags[2],
            forwarded_deny: flags[3],
            strip_slash: flags[4],
            default_auth: flags[5],
            default_deny: flags[6],
            default_require: flags[7],
            endpoints,
        })
}

fn path_text(path: &[Seg]) -> String {
    if path.is_empty() {
        return "/".into();
    }
    path.iter()
        .enumerate()
        .map(|(i, s)| match s {
            Seg::Lit(l) => format!("/{l}"),
            Seg::Param => format!("/{{p{i}}}"),
            Seg::Int => format!("/{{n{i}:int}}"),
            Seg::Uuid => format!("/{{u{i}:uuid}}"),
            Seg::Star => "/*".into(),
            Seg::Rest => "/**".into(),
        })
        .collect()
}

/// The shape that decides conflicts: method and segment kinds.
fn shape(e: &GenEndpoint) -> String {
    let kinds: String = e
        .path
        .iter()
        .map(|s| match s {
            Seg::Lit(l) => format!("/{l}"),
            Seg::Param => "/{}".into(),
            Seg::Int => "/{int}".into(),
            Seg::Uuid => "/{uuid}".into(),
            Seg::Star => "/*".into(),
            Seg::Rest => "/**".into(),
        })
        .collect();
    format!("{} {kinds}", e.method)
}

/// A condition from a small pool; `public` endpoints get only those that
/// do not read the principal.
fn condition(e: &GenEndpoint, (pick, op): (u8, u8), public: bool) -> Option<String> {
    let param = e.path.iter().enumerate().find_map(|(i, s)| match s {
        Seg::Param => Some((format!("p{i}"), false)),
        Seg::Int => Some((format!("n{i}"), true)),
        Seg::Uuid => Some((format!("u{i}"), false)),
        _ => None,
    });
    let principal_free = [
        "header.h == \"v\"".to_string(),
        "query.q == \"1\"".to_string(),
        "header.h like \"v*\"".to_string(),
        "query.q in [\"1\", \"2\"]".to_string(),
    ];
    let with_principal = [
        "principal has b".to_string(),
        "claim.t == \"t1\"".to_string(),
        "claim.n >= 3".to_string(),
        "claim.n <= 4 and claim.n < 6".to_string(),
        "claim.n != 2 and claim.n > 1.5".to_string(),
        "claim.t like \"t*\"".to_string(),
        "\"a\" in claim.roles".to_string(),
        "principal.sub == \"x\" or principal has c".to_string(),
        "not (claim.t == \"t2\")".to_string(),
    ];
    let base = match (pick, &param) {
        (0, Some((name, true))) => format!("path.{name} > 5"),
        (0, Some((name, false))) if !public => format!("path.{name} == principal.sub"),
        (1, Some((name, false))) => format!("path.{name} != \"y\""),
        (p, _) if public => principal_free[usize::from(p) % principal_free.len()].clone(),
        (p, _) => {
            let all: Vec<&String> = principal_free.iter().chain(with_principal.iter()).collect();
            all[usize::from(p) % all.len()].clone()
        }
    };
    Some(match op {
        0 => base,
        1 => format!("({base}) and header.h != \"w\""),
        _ => format!("not ({base}) or query.q == \"2\""),
    })
}

fn render(p: &GenPolicy) -> String {
    let mut text = String::from("api \"gen\" version \"1\"\n");
    if p.base {
        text.push_str("base /b\n");
    }
    text.push_str("auth u = jwt(issuer: \"https://id.example\")\nauth s = mtls(subject: \"*.ok.example\")\nauth k = api_key(header: \"K\")\n");
    text.push_str("scopes { a b c }\n");
    text.push_str("options {\n");
    if p.trusted_proxies {
        text.push_str("  trusted_proxies = 10.0.0.0/8\n");
    }
    if p.method_override {
        text.push_str("  method_override = allow\n");
    }
    if p.forwarded_deny {
        text.push_str("  forwarded = deny\n");
    }
    if p.strip_slash {
        text.push_str("  trailing_slash = strip\n");
    }
    if p.fail_open {
        text.push_str("  on_store_error = allow\n");
    }
    text.push_str("}\ndefaults {\n");
    if p.default_auth {
        text.push_str("  authenticate u | k\n");
    }
    if p.default_deny {
        text.push_str("  deny from 192.0.2.0/24\n");
    }
    if p.default_require {
        text.push_str("  require a\n");
    }
    text.push_str("}\n");
    let mut seen = BTreeSet::new();
    for e in &p.endpoints {
        if !seen.insert(shape(e)) {
            continue;
        }
        text.push_str(&format!(
            "endpoint {} {} {{\n",
            e.method,
            path_text(&e.path)
        ));
        let public = e.access == 1;
        match e.access {
            1 => text.push_str("  public\n"),
            2 => text.push_str("  authenticate u | s\n"),
            3 => text.push_str("  authenticate k\n"),
            _ => {}
        }
        if !public && !e.require.is_empty() {
            let sep = if e.any_of { " | " } else { ", " };
            text.push_str(&format!("  require {}\n", e.require.join(sep)));
        }
        for c in &e.conditions {
            if let Some(c) = condition(e, *c, public) {
                text.push_str(&format!("  when {c}\n"));
            }
        }
        if e.allow_from {
            text.push_str("  allow from 10.0.0.0/8, 203.0.113.0/24\n");
        }
        if e.shadow {
            text.push_str("  shadow\n");
        }
        if e.shadow_require && !public {
            text.push_str("  shadow { require c }\n");
        }
        text.push_str(PAYLOAD_RULES[e.payload]);
        if !public
            || !QUOTA_RULES[e.quota].contains("principal")
                && !QUOTA_RULES[e.quota].contains("claim")
                && !QUOTA_RULES[e.quota].contains("by key")
        {
            text.push_str(QUOTA_RULES[e.quota]);
        }
        text.push_str("}\n");
    }
    text
}

// ---------------------------------------------------------------- requests

#[derive(Clone, Debug)]
struct GenRequest {
    method: &'static str,
    base: bool,
    segments: Vec<&'static str>,
    trailing_slash: bool,
    query: &'static str,
    fragment: bool,
    headers: Vec<(&'static str, &'static str)>,
    peer: &'static str,
    principal: Option<Principal>,
    body: Option<&'static [u8]>,
    /// The host forgot to pass the time.
    timeless: bool,
}

/// Bodies: valid and invalid for the rules above, hostile, and not JSON.
const BODIES: &[&[u8]] = &[
    br#"{"name":"ab"}"#,
    br#"{"name":"ab","n":3,"f":1.5,"tags":["a",1],"o":{"k":true,"z":null},"id":"123e4567-e89b-12d3-a456-426614174000"}"#,
    br#"{"name":""}"#,
    br#"{"name":"ab","x":1}"#,
    br#"{"name":"ab","n":10}"#,
    br#"{"name":"ab","n":1.5}"#,
    br#"{"name":"ab","n":99999999999999999999}"#,
    br#"{"name":"ab","f":1.6}"#,
    br#"{"name":"ab","tags":["c"]}"#,
    br#"{"name":"ab","tags":["a","b","a"]}"#,
    br#"{"name":"ab","o":{"k":1}}"#,
    br#"{"name":"ab","id":"nope"}"#,
    br#"{"n":1}"#,
    br#"{"name":"ab","name":"cd"}"#,
    br#"[[[[1]]]]"#,
    br#"[1,2,3,4,5]"#,
    br#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7}"#,
    br#"{"name":"ab","longer_key":1}"#,
    br#"{"name":"aaaaaaaaaaaaaaaaaaaaaaaaa"}"#,
    br#"{"name": "ab""#,
    br#"{"name":"\ud800"}"#,
    br#"{"name":"ab","n":1e400}"#,
    b"{\"name\":\"a\xffb\"}",
    br#"{"name":"ab"} []"#,
    b"hello",
    b"   ",
    br#"["padding to go over the limits of body max ninety-six bytes, one way or another, surely by now"]"#,
];

fn principal() -> impl Strategy<Value = Option<Principal>> {
    let some = (
        select(vec!["u", "s", "k", "zz"]),
        select(vec!["x", "a.ok.example", "7", "y"]),
        subsequence(vec!["a", "b", "c", "zz"], 0..=4),
        prop::option::of(select(vec!["t1", "t2"])),
        prop::option::of(select(vec![
            serde_json::json!(2),
            serde_json::json!(4),
            serde_json::json!(5),
            serde_json::json!("5"),
            serde_json::json!(1.5),
        ])),
        prop::option::of(prop_oneof![
            Just(serde_json::json!(["a"])),
            Just(serde_json::json!(["b", 1])),
            Just(serde_json::json!("a"))
        ]),
    )
        .prop_map(|(scheme, subject, scopes, t, n, roles)| {
            let mut p = Principal::new(scheme, subject).with_scopes(scopes);
            if let Some(t) = t {
                p = p.with_claim("t", serde_json::json!(t));
            }
            if let Some(n) = n {
                p = p.with_claim("n", n);
            }
            if let Some(roles) = roles {
                p = p.with_claim("roles", roles);
            }
            p
        });
    prop::option::weighted(0.8, some)
}

fn request() -> impl Strategy<Value = GenRequest> {
    // Mostly well-formed segments, so that requests get past normalisation
    // and exercise routing and rules; hostile ones one time in eight.
    let good = select(vec![
        "x",
        "y",
        "7",
        "42",
        "-3",
        "abc",
        "123e4567-e89b-12d3-a456-426614174000",
        "%78",
        "%37",
        "%7A",
    ]);
    let hostile = select(vec![
        "..", ".", "%2e", "%2F", "", "a%20b", "%ff", "%252e", "a\\b", "%00", "%C2%85", "..;", ";x",
    ]);
    let segment = prop_oneof![8 => good, 1 => hostile];
    let segments = prop_oneof![
        30 => prop::collection::vec(segment, 0..5),
        1 => Just(vec!["x"; 70]),
        1 => Just([vec!["x"; 64], vec!["."]].concat()),
        1 => Just([vec!["x"; 65], vec![""]].concat()),
    ];
    let header = |pair: (&'static str, &'static str), p: f64| prop::option::weighted(p, Just(pair));
    let headers = (
        header(("h", "v"), 0.4),
        header(("H", "w"), 0.15),
        header(("h", "v2"), 0.1),
        prop::option::weighted(
            0.1,
            select(vec![
                ("X-Forwarded-For", "198.51.100.7, 10.0.0.2"),
                ("X-Forwarded-For", "junk"),
            ]),
        ),
        header(("X-HTTP-Method-Override", "DELETE"), 0.05),
    )
        .prop_map(|(a, b, c, d, e)| [a, b, c, d, e].into_iter().flatten().collect::<Vec<_>>());
    (
        select(vec!["GET", "GET", "HEAD", "POST", "DELETE", "PUT", "FOO"]),
        prop::bool::weighted(0.6),
        segments,
        prop::bool::weighted(0.05),
        select(vec![
            "",
            "",
            "",
            "?q=1",
            "?q=2",
            "?q=1&q=2",
            "?q=%zz",
            "?r=1",
            "?q=3",
            "?r=1&r=2",
            "?r=1&r=2&r=3",
            "?r=x",
            "?s=1",
        ]),
        prop::bool::weighted(0.03),
        headers,
        select(vec![
            "203.0.113.5",
            "10.1.2.3",
            "10.1.2.3",
            "192.0.2.9",
            "::ffff:10.0.0.1",
            "2001:db8::1",
        ]),
        principal(),
        (
            prop::option::weighted(0.6, select(BODIES.to_vec())),
            body_headers(),
            prop::bool::weighted(0.04),
        ),
    )
        .prop_map(
            |(
                method,
                base,
                segments,
                trailing_slash,
                query,
                fragment,
                mut headers,
                peer,
                principal,
                (body, extra, timeless),
            )| {
                headers.extend(extra);
                GenRequest {
                    timeless,
                    method,
                    base,
                    segments,
                    trailing_slash,
                    query,
                    fragment,
                    headers,
                    peer,
                    principal,
                    body,
                }
            },
        )
}

/// `Content-Type` and `Content-Length` headers, good and bad.
fn body_headers() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
    (
        prop::option::weighted(
            0.7,
            select(vec![
                "application/json",
                "application/json; charset=utf-8",
                "text/plain",
                "application/merge-patch+json",
            ]),
        ),
        prop::option::weighted(0.1, select(vec!["10", "1000", "x1", "5, 6"])),
    )
        .prop_map(|(ty, len)| {
            let mut out = Vec::new();
            if let Some(ty) = ty {
                out.push(("Content-Type", ty));
            }
            if let Some(len) = len {
                out.push(("Content-Length", len));
            }
            out
        })
}

/// Requests aimed at the policy: half of them take their path from one of
/// its endpoints' patterns, so routing and rules are reached often.
fn aimed_requests(policy: &GenPolicy) -> impl Strategy<Value = Vec<GenRequest>> {
    let patterns: Vec<(&'static str, Vec<Seg>)> = policy
        .endpoints
        .iter()
        .map(|e| (e.method, e.path.clone()))
        .collect();
    let base = policy.base;
    let aimed = (
        request(),
        select(patterns),
        select(vec!["x", "abc", "42", "7"]),
        0usize..3,
    )
        .prop_map(move |(mut r, (method, pattern), word, rest)| {
            r.base = base;
            if method != "*" {
                r.method = method;
            }
            r.segments = pattern
                .iter()
                .flat_map(|s| match s {
                    Seg::Lit(l) => vec![*l],
                    Seg::Param | Seg::Star => vec![word],
                    Seg::Int => vec!["42"],
                    Seg::Uuid => vec!["123e4567-e89b-12d3-a456-426614174000"],
                    Seg::Rest => vec!["y"; rest],
                })
                .collect();
            r
        });
    prop::collection::vec(prop_oneof![request(), aimed], 1..12)
}

fn target(r: &GenRequest) -> String {
    let mut t = String::new();
    if r.base {
        t.push_str("/b");
    }
    for s in &r.segments {
        t.push('/');
        t.push_str(s);
    }
    if t.is_empty() || r.trailing_slash {
        t.push('/');
    }
    t.push_str(r.query);
    if r.fragment {
        t.push_str("#f");
    }
    t
}

/// The parts of a decision both implementations must agree on. Which path
/// problem is named first may differ (they check in different orders).
fn essence(d: &Decision) -> impl PartialEq + std::fmt::Debug {
    let d = d.internals();
    let detail = match d.detail {
        Detail::Path { .. } => Detail::None,
        other => other,
    };
    let shadow: Vec<_> = d
        .shadow
        .iter()
        .map(|f| (f.reason, f.rule, d.violation(&f.detail).cloned()))
        .collect();
    (
        d.allowed,
        d.status,
        d.reason,
        detail,
        d.api,
        d.endpoint,
        d.rule,
        shadow,
        d.client_ip,
        d.own_violation().cloned(),
    )
}

/// The time generated requests arrive at.
const NOW_MS: u64 = 1_735_689_600_000;

/// A request from its generated parts, at [`NOW_MS`] unless it is timeless.
fn build<'a>(r: &'a GenRequest, target: &'a str) -> Request<'a> {
    let mut request = Request::new(r.method, target, r.peer.parse().unwrap()).headers(&r.headers);
    if let Some(p) = &r.principal {
        request = request.principal(p);
    }
    if let Some(body) = r.body {
        request = request.body(body);
    }
    if !r.timeless {
        request = request.at(NOW_MS);
    }
    request
}

/// A quota store that never answers.
struct DownStore;

impl gatehouse::QuotaStore for DownStore {
    fn check(
        &self,
        _: u64,
        _: &[gatehouse::quota::QuotaCheck<'_>],
        _: &mut [gatehouse::quota::QuotaState],
    ) -> Result<(), gatehouse::quota::StoreError> {
        Err(gatehouse::quota::StoreError::Unavailable("down".into()))
    }
}

/// A fresh quota store for the policy: in memory, or one that is down.
fn stores(policy: &GenPolicy) -> std::sync::Arc<dyn gatehouse::QuotaStore + Send + Sync> {
    if policy.store_down {
        std::sync::Arc::new(DownStore)
    } else {
        std::sync::Arc::new(gatehouse::MemoryStore::new())
    }
}

/// Deciding with the whole body, and streaming it in chunks of a given
/// size, give the same decision.
fn streamed(set: &PolicySet, request: &Request<'_>, body: &[u8], chunk: usize) -> Decision {
    match set.begin(request) {
        gatehouse::Begin::Decided(d) => d,
        gatehouse::Begin::Body(mut check) => {
            for piece in body.chunks(chunk.max(1)) {
                if let Some(d) = check.feed(piece) {
                    return d;
                }
            }
            check.finish()
        }
    }
}

/// A generated policy and requests aimed at its endpoints.
fn policy_and_requests() -> impl Strategy<Value = (GenPolicy, Vec<GenRequest>)> {
    policy().prop_flat_map(|p| {
        let r = aimed_requests(&p);
        (Just(p), r)
    })
}

/// The tree and the interpreter agree on every request, and streaming the
/// body agrees with deciding it whole. Returns how many requests it compared.
fn agree(policy: &GenPolicy, requests: &[GenRequest]) -> Result<usize, TestCaseError> {
    let text = render(policy);
    let set = match PolicySet::from_source("gen.gate", &text) {
        Ok(set) => set,
        Err(e) => panic!("generated policy must check:\n{text}\n{e}"),
    };
    // Each side counts quotas in its own store, over the same sequence.
    let (fast_store, slow_store) = (stores(policy), stores(policy));
    for r in requests {
        let target = target(r);
        let request = build(r, &target);
        let fast = set.decide_with(&request, &*fast_store);
        let slow = gatehouse_tools::interp::interpret_with(&set, &request, &*slow_store);
        prop_assert_eq!(
            essence(&fast),
            essence(&slow),
            "policy:\n{}\nrequest: {:?} {}",
            text,
            r,
            target
        );
        // Streaming, compared with deciding the whole body, each from
        // fresh quota counters.
        let fresh = set.decide_with(&request, &*stores(policy));
        // The principal resolved in advance decides the same.
        if let Some(principal) = &r.principal {
            let resolved = set.resolve(principal.clone());
            let with_resolved = request.resolved_principal(&resolved);
            prop_assert_eq!(
                &set.decide_with(&with_resolved, &*stores(policy)),
                &fresh,
                "resolved principal: policy:\n{}\nrequest: {:?} {}",
                text,
                r,
                target
            );
        }
        let body = r.body.unwrap_or_default();
        for chunk in [1, 3, 7, 64] {
            let alone = set.clone().with_quota_store(stores(policy));
            prop_assert_eq!(
                &streamed(&alone, &request, body, chunk),
                &fresh,
                "chunks of {}: policy:\n{}\nrequest: {:?} {}",
                chunk,
                text,
                r,
                target
            );
        }
    }
    Ok(requests.len())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn tree_and_interpreter_agree((policy, requests) in policy_and_requests()) {
        agree(&policy, &requests)?;
    }

    /// Percent-encoding characters that need no encoding changes nothing:
    /// the canonical path decides.
    #[test]
    fn encoding_does_not_change_the_route(policy in policy(), segments in prop::collection::vec(select(vec!["x", "y", "7", "42", "z"]), 0..4), mask in any::<u16>()) {
        let text = render(&policy);
        let set = PolicySet::from_source("gen.gate", &text).unwrap();
        let plain: String = if segments.is_empty() { "/".into() } else { segments.iter().map(|s| format!("/{s}")).collect() };
        let encoded: String = plain
            .chars()
            .enumerate()
            .map(|(i, c)| if c != '/' && mask & (1 << (i % 16)) != 0 { format!("%{:02X}", c as u32) } else { c.to_string() })
            .collect();
        let alice = Principal::new("u", "x").with_scopes(["a", "b", "c"]);
        let peer: IpAddr = "10.1.2.3".parse().unwrap();
        let a = set.decide(&Request::new("GET", &plain, peer).principal(&alice));
        let b = set.decide(&Request::new("GET", &encoded, peer).principal(&alice));
        prop_assert_eq!(essence(&a), essence(&b), "{} vs {}", plain, encoded);
    }

    /// Arbitrary requests never make the evaluator panic.
    #[test]
    fn arbitrary_requests_never_panic(method in "\\PC{0,8}", target in "\\PC{0,40}", name in "\\PC{0,12}", value in "\\PC{0,20}") {
        let set = PolicySet::from_source("pets.gate", include_str!("../../../policies/petstore.gate")).unwrap();
        let headers = [(name.as_str(), value.as_str())];
        let request = Request::new(&method, &target, "203.0.113.5".parse().unwrap()).headers(&headers);
        let fast = set.decide(&request);
        let slow = gatehouse_tools::interp::interpret(&set, &request);
        prop_assert_eq!(essence(&fast), essence(&slow));
    }
}

/// The generators must reach every kind of decision, or the agreement
/// above would prove little. Samples a fixed number of cases and counts
/// the reasons, shadow findings and matched endpoints.
#[test]
fn generators_reach_every_reason() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let mut reasons = std::collections::BTreeMap::new();
    let mut shadowed = 0;
    let mut shadowed_violations = 0;
    let mut allowed_with_endpoint = 0;
    for _ in 0..400 {
        let policy = policy().new_tree(&mut runner).unwrap().current();
        let set = PolicySet::from_source("gen.gate", &render(&policy))
            .unwrap()
            .with_quota_store(stores(&policy));
        for r in aimed_requests(&policy)
            .new_tree(&mut runner)
            .unwrap()
            .current()
        {
            let target = target(&r);
            let request = build(&r, &target);
            let d = set.decide(&request);
            shadowed_violations += d
                .internals()
                .shadow
                .iter()
                .filter(|f| d.internals().violation(&f.detail).is_some())
                .count();
            *reasons.entry(d.reason().as_str()).or_insert(0usize) += 1;
            shadowed += usize::from(!d.internals().shadow.is_empty());
            allowed_with_endpoint += usize::from(d.allowed() && d.internals().endpoint.is_some());
        }
    }
    println!("{reasons:#?}\nshadow findings: {shadowed}, allowed: {allowed_with_endpoint}");
    for reason in gatehouse::Reason::ALL {
        assert!(
            reasons.contains_key(reason.as_str()),
            "no generated request was decided `{}`: {reasons:#?}",
            reason.as_str()
        );
    }
    assert!(
        shadowed > 0 && allowed_with_endpoint > 20 && shadowed_violations > 0,
        "{shadowed_violations}"
    );
}

/// The differential property at scale, outside CI (see the README):
/// `GATEHOUSE_DIFF_PAIRS=1000000 cargo test --release -p gatehouse-tools
/// --test differential -- --ignored --nocapture differential_at_scale`
/// generates policies until that many policy/request pairs have been
/// compared (default 20,000), from a random seed it prints so a failure can
/// be replayed with `GATEHOUSE_DIFF_SEED`.
#[test]
#[ignore = "a long run; the README gives the command"]
fn differential_at_scale() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};

    let wanted: usize = std::env::var("GATEHOUSE_DIFF_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let seed: u64 = std::env::var("GATEHOUSE_DIFF_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(7, |d| d.as_secs())
        });
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        proptest::test_runner::Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let started = std::time::Instant::now();
    let (mut pairs, mut policies) = (0usize, 0usize);
    while pairs < wanted {
        let (policy, requests) = policy_and_requests()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        match agree(&policy, &requests) {
            Ok(compared) => pairs += compared,
            Err(e) => panic!("seed {seed}, policy {policies}: {e}"),
        }
        policies += 1;
    }
    println!(
        "{pairs} policy/request pairs over {policies} generated policies agreed (seed {seed}, {:.0} s)",
        started.elapsed().as_secs_f64()
    );
}
