//! Property: deciding never panics, and the compiled tree agrees with the
//! reference interpreter.
//!
//! One fixed policy set (the pet store from `policies/`, plus
//! `fuzz/policies/rich.gate` and `fuzz/policies/plain.gate`, which cover
//! conditions over every operand kind, typed parameters, `*`, `**`, IP
//! rules, trusted proxies, method override, hosts and shadow) decides a
//! fuzzed request: method, target, host, headers, peer IP and an optional
//! principal with scopes and JSON claims. `decide` must not panic, and
//! `decide` and `interpret` must agree on (allowed, status, reason,
//! endpoint); on a disagreement the target panics with both decisions.
//!
//! Requests are built from vocabularies of the words the policies use (so
//! that the fuzzer reaches deep endpoints) mixed with raw fuzzed strings.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use arbitrary::Arbitrary;
use gatehouse::{Decision, PolicySet, Principal, Request, Sources};
use serde_json::Value;

static POLICY: LazyLock<PolicySet> = LazyLock::new(|| {
    let mut sources = Sources::new();
    sources.add(
        "petstore.gate",
        include_str!("../../../policies/petstore.gate"),
    );
    sources.add(
        "rich.gate",
        include_str!("../../../fuzz/policies/rich.gate"),
    );
    sources.add(
        "plain.gate",
        include_str!("../../../fuzz/policies/plain.gate"),
    );
    match PolicySet::load(sources) {
        Ok(policy) => policy,
        Err(e) => panic!("the fuzz policy set does not load: {e}"),
    }
});

/// A word from a vocabulary, or anything.
#[derive(Arbitrary, Debug)]
enum Word {
    Known(u8),
    Raw(String),
}

impl Word {
    fn pick(&self, vocabulary: &[&str]) -> String {
        match self {
            Word::Known(i) => vocabulary
                .get(usize::from(*i) % vocabulary.len())
                .copied()
                .unwrap_or("")
                .to_string(),
            Word::Raw(s) => s.clone(),
        }
    }
}

const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "get", "BREW",
];

const SEGMENTS: &[&str] = &[
    "v1",
    "v2",
    "v3",
    "pets",
    "users",
    "admin",
    "health",
    "repos",
    "issues",
    "search",
    "orgs",
    "members",
    "files",
    "raw",
    "internal",
    "status",
    "alice",
    "bob",
    "acme",
    "7",
    "0",
    "42",
    "-1",
    "99999999999999999999",
    "1000000",
    "123e4567-e89b-12d3-a456-426614174000",
    "db-ok",
    "x",
    "..",
    ".",
    "%2e",
    "%2E%2e",
    "%2F",
    "%5c",
    "a%20b",
    "caf%C3%A9",
    "%C2%85",
    "%00",
    "%25",
    "%252e",
    "",
    "*",
    "**",
    "v1;x",
    "~",
    "%41",
];

const QUERY_KEYS: &[&str] = &["q", "limit", "a", "q%3D", "li+mit", "%zz"];
const QUERY_VALUES: &[&str] = &["abc", "a", "10", "100", "b+c", "%61bc", "%ff", ""];

const HOSTS: &[&str] = &[
    "api.example.com",
    "API.Example.COM:8443",
    "other.example.com",
    "api.example.com:",
    "[::1]:80",
    "",
];

const HEADER_NAMES: &[&str] = &[
    "X-API-Key",
    "X-Forwarded-For",
    "x-forwarded-for",
    "Forwarded",
    "X-Real-IP",
    "X-HTTP-Method-Override",
    "X-HTTP-Method",
    "X-Method-Override",
    "X-Tenant",
    "x-tenant",
    "X-Probe",
    "Accept",
    "Authorization",
];

const HEADER_VALUES: &[&str] = &[
    "GET",
    "DELETE",
    "PATCH",
    " get ",
    "10.1.2.3",
    "203.0.113.5",
    "203.0.113.5, 10.0.0.1",
    "1.2.3.4,10.0.0.2",
    "2001:db8::1",
    "::ffff:10.0.0.3",
    "garbage",
    ", ",
    "acme",
    "globex",
    "",
    "1",
];

const SCHEMES: &[&str] = &["user", "key", "service", "mtls", ""];
const SUBJECTS: &[&str] = &[
    "alice",
    "bob",
    "api.internal.example.com",
    "evil.example.com",
    "acme",
    "",
];
const SCOPES: &[&str] = &[
    "pets:read",
    "pets:write",
    "users:read",
    "admin",
    "repo:read",
    "repo:write",
    "org:admin",
    "audit",
    "read",
    "write",
    "Admin",
    "",
];
const CLAIMS: &[&str] = &[
    "tenant",
    "banned",
    "profile",
    "https://example.com/roles",
    "level",
    "sub",
];

#[derive(Arbitrary, Debug)]
enum Target {
    Built {
        segments: Vec<Word>,
        trailing_slash: bool,
        query: Option<Vec<(Word, Word)>>,
        fragment: bool,
    },
    Raw(String),
}

impl Target {
    fn render(&self) -> String {
        match self {
            Target::Raw(s) => s.clone(),
            Target::Built {
                segments,
                trailing_slash,
                query,
                fragment,
            } => {
                let mut out = String::new();
                for segment in segments {
                    out.push('/');
                    out.push_str(&segment.pick(SEGMENTS));
                }
                if out.is_empty() || *trailing_slash {
                    out.push('/');
                }
                if let Some(pairs) = query {
                    out.push('?');
                    for (i, (k, v)) in pairs.iter().enumerate() {
                        if i > 0 {
                            out.push('&');
                        }
                        out.push_str(&k.pick(QUERY_KEYS));
                        out.push('=');
                        out.push_str(&v.pick(QUERY_VALUES));
                    }
                }
                if *fragment {
                    out.push_str("#top");
                }
                out
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Peer {
    Known(u8),
    V4([u8; 4]),
    V6([u8; 16]),
}

const PEERS: &[&str] = &[
    "203.0.113.9",
    "10.0.0.1",
    "10.20.30.40",
    "127.0.0.1",
    "0.0.0.1",
    "198.51.100.7",
    "192.168.1.1",
    "::1",
    "::ffff:10.0.0.1",
    "::ffff:0.0.0.5",
    "2001:db8::5",
    "fe80::1",
];

impl Peer {
    fn ip(&self) -> IpAddr {
        match self {
            Peer::Known(i) => PEERS
                .get(usize::from(*i) % PEERS.len())
                .and_then(|s| s.parse().ok())
                .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            Peer::V4(b) => IpAddr::V4(Ipv4Addr::from(*b)),
            Peer::V6(b) => IpAddr::V6(Ipv6Addr::from(*b)),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Word),
    Array(Vec<Json>),
    Object(Vec<(Word, Json)>),
}

impl Json {
    fn value(&self, depth: usize) -> Value {
        if depth > 6 {
            return Value::Null;
        }
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Int(i) => Value::from(*i),
            Json::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Json::Str(w) => Value::String(w.pick(&["acme", "globex", "admin", "owner", "a", ""])),
            Json::Array(items) => Value::Array(items.iter().map(|j| j.value(depth + 1)).collect()),
            Json::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.pick(CLAIMS), v.value(depth + 1)))
                    .collect(),
            ),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct PrincipalInput {
    scheme: Word,
    subject: Word,
    scopes: Vec<Word>,
    claims: Vec<(Word, Json)>,
}

impl PrincipalInput {
    fn build(&self) -> Principal {
        let mut principal = Principal::new(self.scheme.pick(SCHEMES), self.subject.pick(SUBJECTS))
            .with_scopes(self.scopes.iter().map(|s| s.pick(SCOPES)));
        for (name, value) in &self.claims {
            principal = principal.with_claim(name.pick(CLAIMS), value.value(0));
        }
        principal
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    method: Word,
    target: Target,
    host: Option<Word>,
    headers: Vec<(Word, Word)>,
    peer: Peer,
    principal: Option<PrincipalInput>,
}

fn key(
    d: &Decision,
) -> (
    bool,
    u16,
    &'static str,
    Option<gatehouse_core::model::EndpointId>,
) {
    let d = d.internals();
    (d.allowed, d.status, d.reason.as_str(), d.endpoint)
}

/// Checks the property on one input, decoded as libfuzzer-sys decodes it;
/// panics when it does not hold.
pub fn run(data: &[u8]) {
    let Ok(input) =
        <Input as arbitrary::Arbitrary>::arbitrary_take_rest(arbitrary::Unstructured::new(data))
    else {
        return;
    };
    let policy = &*POLICY;
    let method = input.method.pick(METHODS);
    let target = input.target.render();
    let host = input.host.as_ref().map(|h| h.pick(HOSTS));
    let owned_headers: Vec<(String, String)> = input
        .headers
        .iter()
        .map(|(n, v)| (n.pick(HEADER_NAMES), v.pick(HEADER_VALUES)))
        .collect();
    let headers: Vec<(&str, &str)> = owned_headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let principal = input.principal.as_ref().map(PrincipalInput::build);

    let mut request = Request::new(&method, &target, input.peer.ip()).headers(&headers);
    if let Some(host) = &host {
        request = request.host(host);
    }
    if let Some(principal) = &principal {
        request = request.principal(principal);
    }

    let fast = policy.decide(&request);
    let reference = gatehouse_tools::interp::interpret(policy, &request);
    if key(&fast) != key(&reference) {
        panic!("decide and interpret disagree\nrequest: {request:#?}\ndecide:    {fast:#?}\ninterpret: {reference:#?}");
    }
    assert_eq!(
        fast.allowed(),
        fast.reason() == gatehouse::Reason::Allowed,
        "allowed and reason disagree: {fast:#?}"
    );
}
