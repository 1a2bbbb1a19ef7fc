//! Deciding a bodiless request against its peer, in one criterion run.
//!
//! `decide_bodiless/endpoints/{10,1000,10000}`: generated GitHub-like
//! policies (literal segments, `{owner}`/`{repo}`/`{id:int}` parameters,
//! mixed methods, an auth scheme, `require` with any-of groups, `deny from`
//! in the defaults and on some endpoints) decide an allowed request that
//! reaches a deep endpoint: `GET /repos/octocat/hello-world/res{k}/1347/comments`
//! with a principal holding the right scopes and a couple of headers.
//!
//! `peer_matchit_router/1000`: the design's peer, a hand-written router
//! with `matchit` over the same 1,000 routes (one router per method), a
//! required-scope bitmask per route, and the same request: route lookup,
//! the `{id}` integer check, the principal's scopes to a bitmask, and the
//! scope check.
//!
//! `decide_mix/endpoints/{10,1000,10000}`: the same policies deciding a mix
//! of 1,000 distinct requests taken round-robin (see `mix`): allowed, denied
//! for a missing scope, 404, 405 and malformed, from 64 callers.
//!
//! The design's targets: under 150 ns median at 1,000 endpoints, and
//! 10,000 endpoints within 1.5x of 10, for one request and on the mix.
//!
//! `cargo bench -p gatehouse --bench decide`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::net::IpAddr;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gatehouse::{PolicySet, Principal, Request};
use rustc_hash::FxHashMap;

const SCOPES: &[&str] = &[
    "repo",
    "public_repo",
    "repo:status",
    "delete_repo",
    "admin:org",
    "write:org",
    "read:org",
    "user",
    "read:user",
    "user:email",
    "gist",
    "workflow",
];

/// One generated route, in both notations, with its scope rule.
struct Route {
    method: &'static str,
    /// Gatehouse pattern: `/repos/{owner}/{repo}/res3/{id:int}`.
    pattern: String,
    /// matchit pattern: `/repos/{owner}/{repo}/res3/{id}`.
    matchit: String,
    /// `require` groups: all of the groups, one scope of each.
    require: Vec<Vec<&'static str>>,
    /// `deny from` on the endpoint, if any.
    deny: Option<&'static str>,
}

/// Ten route shapes per resource group `k`; `n` endpoints use `n / 10` groups.
fn routes(n: usize) -> Vec<Route> {
    let mut out = Vec::with_capacity(n);
    for k in 0..n / 10 {
        let repo = format!("/repos/{{owner}}/{{repo}}/res{k}");
        let item = format!("{repo}/{{id:int}}");
        let org = format!("/orgs/{{org}}/grp{k}/members");
        let user = format!("/users/{{username}}/lst{k}");
        let read = || vec![vec!["repo", "public_repo"]];
        let write = || vec![vec!["repo"]];
        out.extend([
            route("GET", &repo, read(), None),
            route("POST", &repo, write(), None),
            route("GET", &item, read(), None),
            route("PATCH", &item, write(), None),
            route(
                "DELETE",
                &item,
                vec![vec!["repo"], vec!["delete_repo"]],
                Some("203.0.113.0/24"),
            ),
            route("GET", &format!("{item}/comments"), read(), None),
            route("POST", &format!("{item}/comments"), write(), None),
            route(
                "GET",
                &org,
                vec![vec!["read:org", "write:org", "admin:org"]],
                None,
            ),
            route(
                "PUT",
                &format!("{org}/{{username}}"),
                vec![vec!["admin:org"]],
                Some("192.0.2.0/28"),
            ),
            route("GET", &user, vec![vec!["read:user", "user"]], None),
        ]);
    }
    out
}

fn route(
    method: &'static str,
    pattern: &str,
    require: Vec<Vec<&'static str>>,
    deny: Option<&'static str>,
) -> Route {
    Route {
        method,
        pattern: pattern.to_string(),
        matchit: pattern.replace(":int}", "}"),
        require,
        deny,
    }
}

/// The policy text for `n` endpoints.
fn policy(n: usize) -> String {
    let mut text = String::from(
        "api \"github\" version \"3\"\n\
         auth token = api_key(header: \"Authorization\")\n\
         auth app   = jwt(issuer: \"https://gh.example.com/apps\", audience: \"gh-api\")\n\
         scopes {\n",
    );
    for scope in SCOPES {
        writeln!(text, "  {scope} \"{scope}\"").unwrap();
    }
    text.push_str(
        "}\n\
         defaults {\n  authenticate token | app\n  deny from 0.0.0.0/8, 198.51.100.0/24, 2001:db8:dead::/48\n}\n",
    );
    for r in routes(n) {
        writeln!(text, "endpoint {} {} {{", r.method, r.pattern).unwrap();
        let groups: Vec<String> = r.require.iter().map(|g| g.join(" | ")).collect();
        writeln!(text, "  require {}", groups.join(", ")).unwrap();
        if let Some(net) = r.deny {
            writeln!(text, "  deny from {net}").unwrap();
        }
        text.push_str("}\n");
    }
    text
}

/// The deep endpoint the benchmarked request reaches: in the middle group.
fn target(n: usize) -> String {
    format!("/repos/octocat/hello-world/res{}/1347/comments", n / 20)
}

const HEADERS: &[(&str, &str)] = &[
    ("Accept", "application/vnd.github+json"),
    ("User-Agent", "gatehouse-bench/1.0"),
];

fn principal() -> Principal {
    Principal::new("token", "octocat").with_scopes(["repo", "read:org", "user:email"])
}

/// A small deterministic generator (xorshift), so every run sees the same
/// mix.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// 64 callers holding 1 to 6 of the scopes each, the first few of which
/// hold `repo` (most routes need it) more often than chance would.
fn callers() -> Vec<Principal> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..64)
        .map(|i| {
            let count = 1 + rng.below(6);
            let mut scopes: Vec<&str> = (0..count)
                .map(|_| SCOPES[rng.below(SCOPES.len())])
                .collect();
            if i % 4 != 0 {
                scopes.push("repo");
            }
            Principal::new("token", format!("caller{i}")).with_scopes(scopes)
        })
        .collect()
}

/// 1,000 distinct requests over the `n`-endpoint policy, taken round-robin:
/// a random route of a random resource group with its parameters filled
/// from a few hundred names and ids, from a random caller (so some lack a
/// scope); one in ten goes to a resource group the policy does not have
/// (404), one in thirty uses a method the path does not take (405), one in
/// fifty has a `..` segment (400).
fn mix(n: usize) -> Vec<(&'static str, String, usize)> {
    let routes = routes(n);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let names = |rng: &mut Rng, prefix: &str| format!("{prefix}{}", rng.below(300));
    (0..1_000)
        .map(|_| {
            let route = &routes[rng.below(routes.len())];
            let mut target = String::new();
            for segment in route.pattern.split('/').skip(1) {
                target.push('/');
                match segment {
                    "{owner}" | "{org}" | "{username}" => target.push_str(&names(&mut rng, "user")),
                    "{repo}" => target.push_str(&names(&mut rng, "repo")),
                    "{id:int}" => write!(target, "{}", rng.below(1_000_000)).unwrap(),
                    literal => target.push_str(literal),
                }
            }
            let roll = rng.below(300);
            let mut method = route.method;
            if roll < 30 {
                target = target
                    .replacen("/res", "/nores", 1)
                    .replacen("/grp", "/nogrp", 1)
                    .replacen("/lst", "/nolst", 1);
            } else if roll < 40 {
                method = "OPTIONS";
            } else if roll < 46 {
                target.push_str("/../x");
            }
            (method, target, rng.below(64))
        })
        .collect()
}

fn peer() -> IpAddr {
    IpAddr::from([192, 0, 2, 77])
}

/// The peer: one matchit router per method, a scope bitmask per route.
struct Peer {
    routers: [matchit::Router<Required>; 9],
    scopes: FxHashMap<&'static str, u32>,
}

/// All of `all`, and one of each any-of group in `any`.
struct Required {
    all: u64,
    any: Vec<u64>,
    int_param: bool,
}

fn method_index(method: &str) -> Option<usize> {
    Some(match method {
        "GET" => 0,
        "HEAD" => 1,
        "POST" => 2,
        "PUT" => 3,
        "PATCH" => 4,
        "DELETE" => 5,
        "OPTIONS" => 6,
        "TRACE" => 7,
        "CONNECT" => 8,
        _ => return None,
    })
}

impl Peer {
    fn new(routes: &[Route]) -> Peer {
        let scopes: FxHashMap<&'static str, u32> = SCOPES
            .iter()
            .enumerate()
            .map(|(i, s)| (*s, i as u32))
            .collect();
        let mut routers: [matchit::Router<Required>; 9] = Default::default();
        for r in routes {
            let mask = |g: &[&str]| g.iter().fold(0u64, |m, s| m | 1 << scopes[s]);
            let (all, any): (Vec<_>, Vec<_>) = r.require.iter().partition(|g| g.len() == 1);
            let required = Required {
                all: all.iter().fold(0, |m, g| m | mask(g)),
                any: any.iter().map(|g| mask(g)).collect(),
                int_param: r.pattern.contains(":int}"),
            };
            routers[method_index(r.method).unwrap()]
                .insert(r.matchit.clone(), required)
                .unwrap();
        }
        Peer { routers, scopes }
    }

    fn decide(&self, method: &str, path: &str, principal: &Principal) -> bool {
        let Some(router) = method_index(method).and_then(|i| self.routers.get(i)) else {
            return false;
        };
        let Ok(matched) = router.at(path) else {
            return false;
        };
        let required = matched.value;
        if required.int_param
            && matched
                .params
                .get("id")
                .is_none_or(|id| id.parse::<i64>().is_err())
        {
            return false;
        }
        let granted = principal
            .scopes
            .iter()
            .filter_map(|s| self.scopes.get(s.as_str()))
            .fold(0u64, |m, i| m | 1 << i);
        granted & required.all == required.all && required.any.iter().all(|g| granted & g != 0)
    }
}

fn bench(c: &mut Criterion) {
    let principal = principal();
    let mut group = c.benchmark_group("decide_bodiless");
    for n in [10usize, 1_000, 10_000] {
        let text = policy(n);
        let set = PolicySet::from_source("generated.gate", &text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            text.lines().filter(|l| l.starts_with("endpoint ")).count(),
            n
        );
        let target = target(n);
        let request = Request::new("GET", &target, peer())
            .headers(HEADERS)
            .principal(&principal);
        let decision = set.decide(&request);
        assert!(decision.allowed(), "{decision:?}");
        let endpoint = set.endpoint(&decision).unwrap();
        assert_eq!(
            endpoint.path(),
            format!(
                "/repos/{{owner}}/{{repo}}/res{}/{{id:int}}/comments",
                n / 20
            )
        );
        group.bench_with_input(BenchmarkId::new("endpoints", n), &request, |b, request| {
            b.iter(|| set.decide(black_box(request)))
        });
    }
    group.finish();

    // The same policies on a mix of requests (see `mix`).
    let callers = callers();
    let mut group = c.benchmark_group("decide_mix");
    for n in [10usize, 1_000, 10_000] {
        let set =
            PolicySet::from_source("generated.gate", &policy(n)).unwrap_or_else(|e| panic!("{e}"));
        let targets = mix(n);
        let requests: Vec<Request<'_>> = targets
            .iter()
            .map(|(method, target, caller)| {
                Request::new(method, target, peer())
                    .headers(HEADERS)
                    .principal(&callers[*caller])
            })
            .collect();
        let allowed = requests.iter().filter(|r| set.decide(r).allowed()).count();
        assert!(
            (500..=850).contains(&allowed),
            "{allowed} of 1,000 allowed at {n} endpoints"
        );
        group.bench_with_input(
            BenchmarkId::new("endpoints", n),
            &requests,
            |b, requests| {
                let mut i = 0;
                b.iter(|| {
                    let request = &requests[i % requests.len()];
                    i += 1;
                    set.decide(black_box(request))
                })
            },
        );
    }
    group.finish();

    let routes = routes(1_000);
    let peer_router = Peer::new(&routes);
    let target = target(1_000);
    assert!(peer_router.decide("GET", &target, &principal));
    assert!(!peer_router.decide("DELETE", &target, &principal));
    let mut group = c.benchmark_group("peer_matchit_router");
    group.bench_function("1000", |b| {
        b.iter(|| peer_router.decide(black_box("GET"), black_box(&target), black_box(&principal)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
