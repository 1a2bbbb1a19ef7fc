//! The traffic workload of `benches/traffic.rs`: the routes of
//! `policies/github.gate`, the policy both sides decide, the matchit floor,
//! the 64 callers and the 1,000 requests, and the check that Gatehouse
//! answers each request as its kind says and agrees with the floor.
//!
//! Also included, by `#[path]`, by the peer benchmark in
//! `crates/gatehouse-peers-bench` (a workspace of its own, so that Cedar and
//! regorus stay out of this workspace's build and tests): both benches see
//! exactly the same requests. Everything here is deterministic (fixed seeds).
//!
//! The including crate root allows `unwrap`, `expect`, `panic` and indexing.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::IpAddr;

use gatehouse::{PolicySet, Principal, Reason, Request};
use rustc_hash::FxHashMap;

pub const GITHUB: &str = include_str!("../../../../policies/github.gate");
pub const BASE: &str = "/gh/v3";

/// One endpoint of the policy: method, path pattern and scope rule.
pub struct Route {
    pub method: String,
    /// As the policy writes it: `/repos/{owner}/{repo}/issues/{issue_number:int}`.
    pub pattern: String,
    /// `None` for a public endpoint; else all of the groups, one scope of each.
    pub require: Option<Vec<Vec<String>>>,
}

/// The endpoints of `policies/github.gate`, read from its text.
pub fn routes() -> Vec<Route> {
    let mut routes: Vec<Route> = Vec::new();
    for line in GITHUB.lines() {
        if let Some(rest) = line.strip_prefix("endpoint ") {
            let mut words = rest.split_whitespace();
            let method = words.next().unwrap().to_string();
            let pattern = words.next().unwrap().to_string();
            routes.push(Route {
                method,
                pattern,
                require: Some(Vec::new()),
            });
        } else if let Some(route) = routes.last_mut() {
            let line = line.trim();
            if line == "public" {
                route.require = None;
            } else if let Some(rule) = line.strip_prefix("require ") {
                let groups = rule
                    .split(',')
                    .map(|g| g.split('|').map(|s| s.trim().to_string()).collect())
                    .collect();
                route.require = Some(groups);
            }
        }
    }
    // matchit cannot hold every route set Gatehouse can: a catch-all beside
    // literal segments at the same place (`contents/**` and
    // `contents/.github/workflows/**`), `*` beside `**` (`tarball/*`,
    // `tarball/**`), two parameters of different types at one place
    // (`/users/{username}`, `/users/{account_id:int}`). Both sides get the
    // routes the floor's router takes, in the policy's order.
    let mut probe: FxHashMap<String, matchit::Router<()>> = FxHashMap::default();
    routes.retain(|r| {
        probe
            .entry(r.method.clone())
            .or_default()
            .insert(matchit_pattern(&r.pattern), ())
            .is_ok()
    });
    routes
}

/// The scopes the policy declares, in its order.
pub fn scopes() -> Vec<String> {
    let block = GITHUB
        .split("scopes {")
        .nth(1)
        .unwrap()
        .split('}')
        .next()
        .unwrap();
    block
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// The policy both sides decide: the routes and their scope rules only.
pub fn policy(routes: &[Route], scopes: &[String]) -> String {
    let mut text = String::from("api \"github\" version \"3\"\nbase /gh/v3\n");
    text.push_str("auth token = api_key(header: \"Authorization\")\nscopes {\n");
    for scope in scopes {
        writeln!(text, "  {scope} \"{scope}\"").unwrap();
    }
    text.push_str("}\ndefaults {\n  authenticate token\n}\n");
    for r in routes {
        writeln!(text, "endpoint {} {} {{", r.method, r.pattern).unwrap();
        match &r.require {
            None => text.push_str("  public\n"),
            Some(groups) if groups.is_empty() => {}
            Some(groups) => {
                let groups: Vec<String> = groups.iter().map(|g| g.join(" | ")).collect();
                writeln!(text, "  require {}", groups.join(", ")).unwrap();
            }
        }
        text.push_str("}\n");
    }
    text
}

// ------------------------------------------------------------ the floor

/// One matchit router per method, a scope bitmask per route.
pub struct Floor {
    routers: FxHashMap<String, matchit::Router<Required>>,
    scopes: FxHashMap<String, u32>,
}

pub struct Required {
    /// `None`: public.
    groups: Option<Vec<u64>>,
    /// Parameters that must be integers.
    int_params: Vec<String>,
}

impl Floor {
    pub fn new(routes: &[Route], scopes: &[String]) -> Floor {
        let scopes: FxHashMap<String, u32> = scopes
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i as u32))
            .collect();
        let mut routers: FxHashMap<String, matchit::Router<Required>> = FxHashMap::default();
        let required = |r: &Route| Required {
            groups: r.require.as_ref().map(|groups| {
                groups
                    .iter()
                    .map(|g| g.iter().fold(0u64, |m, s| m | 1 << scopes[s]))
                    .collect()
            }),
            int_params: int_params(&r.pattern),
        };
        for r in routes {
            let path = format!("{BASE}{}", matchit_pattern(&r.pattern));
            let router = routers.entry(r.method.clone()).or_default();
            router.insert(path.clone(), required(r)).unwrap();
            // HEAD is answered by GET.
            if r.method == "GET" {
                routers
                    .entry("HEAD".into())
                    .or_default()
                    .insert(path, required(r))
                    .unwrap();
            }
        }
        Floor { routers, scopes }
    }

    /// Whether a route of this method matches the path.
    pub fn routes_with(&self, method: &str, path: &str) -> bool {
        self.routers.get(method).is_some_and(|r| r.at(path).is_ok())
    }

    /// Whether any route of any method matches the path.
    pub fn routes(&self, path: &str) -> bool {
        self.routers.values().any(|r| r.at(path).is_ok())
    }

    /// The caller's scopes as a bitmask: what a host computes once per token.
    pub fn grant(&self, scopes: &[String]) -> u64 {
        scopes
            .iter()
            .filter_map(|s| self.scopes.get(s))
            .fold(0, |m, i| m | 1 << i)
    }

    pub fn allows(&self, method: &str, path: &str, granted: u64) -> bool {
        let Some(router) = self.routers.get(method) else {
            return false;
        };
        let path = path.split('?').next().unwrap_or(path);
        let Ok(matched) = router.at(path) else {
            return false;
        };
        let required = matched.value;
        if required.int_params.iter().any(|p| {
            matched
                .params
                .get(p)
                .is_none_or(|v| v.parse::<i64>().is_err())
        }) {
            return false;
        }
        match &required.groups {
            None => true,
            Some(groups) => groups.iter().all(|g| granted & g != 0),
        }
    }
}

/// `/repos/{owner}/{repo}/issues/{issue_number:int}` in matchit's notation,
/// each parameter named by its position (`{p2}`; matchit wants one name per
/// place across routes), `**` a catch-all.
pub fn matchit_pattern(pattern: &str) -> String {
    let mut path = String::new();
    for (i, segment) in pattern.split('/').skip(1).enumerate() {
        path.push('/');
        match segment {
            "**" => path.push_str("{*rest}"),
            s if s == "*" || s.starts_with('{') => write!(path, "{{p{i}}}").unwrap(),
            s => path.push_str(s),
        }
    }
    path
}

/// The positional names of the parameters that must be integers.
pub fn int_params(pattern: &str) -> Vec<String> {
    pattern
        .split('/')
        .skip(1)
        .enumerate()
        .filter(|(_, s)| s.starts_with('{') && s.ends_with(":int}"))
        .map(|(i, _)| format!("p{i}"))
        .collect()
}

// ------------------------------------------------------------ the traffic

/// A small deterministic generator (xorshift), so every run sees the same
/// traffic.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const NAMES: &[&str] = &[
    "octocat",
    "torvalds",
    "rust-lang",
    "serde-rs",
    "tokio-rs",
    "alice",
    "bob",
    "acme-corp",
    "hello-world",
    "linux",
    "regex",
    "gatehouse",
    "docs",
    "infra",
    "web",
    "api",
];

/// A concrete path for a route pattern: parameters filled in.
pub fn fill(pattern: &str, rng: &mut Rng) -> String {
    let mut path = String::from(BASE);
    for segment in pattern.split('/').skip(1) {
        path.push('/');
        match segment {
            "**" => {
                let depth = 1 + rng.below(3);
                let parts: Vec<&str> = (0..depth).map(|_| *rng.pick(NAMES)).collect();
                write!(path, "{}.md", parts.join("/")).unwrap();
            }
            "*" => {
                let name: &&str = rng.pick(NAMES);
                path.push_str(name);
            }
            s if s.ends_with(":int}") => write!(path, "{}", 1 + rng.below(99_999)).unwrap(),
            s if s.starts_with('{') => {
                write!(path, "{}-{}", rng.pick(NAMES), rng.below(100)).unwrap()
            }
            s => path.push_str(s),
        }
    }
    path
}

/// What a request is meant to exercise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Allowed,
    ScopeMissing,
    NoRoute,
    WrongMethod,
    Malformed,
}

pub struct Traffic {
    /// Method, path and the caller's index.
    pub requests: Vec<(String, String, usize)>,
    pub kinds: Vec<Kind>,
}

/// 64 callers holding 1 to 6 scopes each.
pub fn callers(scopes: &[String], rng: &mut Rng) -> Vec<Vec<String>> {
    (0..64)
        .map(|_| {
            let n = 1 + rng.below(6);
            let mut held = BTreeSet::new();
            while held.len() < n {
                held.insert(rng.pick(scopes).clone());
            }
            held.into_iter().collect()
        })
        .collect()
}

pub fn traffic(routes: &[Route], callers: &[Vec<String>], floor: &Floor, rng: &mut Rng) -> Traffic {
    let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    let mut requests = Vec::new();
    let mut kinds = Vec::new();
    let granted: Vec<u64> = callers.iter().map(|c| floor.grant(c)).collect();
    while requests.len() < 1_000 {
        let roll = rng.below(100);
        let (kind, method, path, caller) = match roll {
            // Allowed, or denied for a missing scope: a route, and a caller
            // who holds (or lacks) what it requires.
            0..87 => {
                let route = rng.pick(routes);
                let path = fill(&route.pattern, rng);
                let want_allowed = roll < 70;
                let Some(caller) = (0..callers.len())
                    .map(|_| rng.below(callers.len()))
                    .find(|&c| floor.allows(&route.method, &path, granted[c]) == want_allowed)
                else {
                    continue;
                };
                let kind = if want_allowed {
                    Kind::Allowed
                } else {
                    Kind::ScopeMissing
                };
                (kind, route.method.clone(), path, caller)
            }
            // No route: a real path with one literal segment misspelt
            // (`/repos/o/r/isues/7`), as clients and scanners send.
            87..95 => {
                let route = rng.pick(routes);
                let path = fill(&route.pattern, rng);
                let literals: Vec<&str> = route
                    .pattern
                    .split('/')
                    .filter(|s| !s.is_empty() && !s.starts_with('{') && !s.contains('*'))
                    .collect();
                if literals.is_empty() {
                    continue;
                }
                let literal = *rng.pick(&literals);
                let typo = format!("/{}{}/", &literal[..literal.len() - 1], "_");
                let path = format!("{path}/").replacen(&format!("/{literal}/"), &typo, 1);
                let path = path.trim_end_matches('/').to_string();
                if floor.routes(&path) {
                    continue;
                }
                (
                    Kind::NoRoute,
                    "GET".to_string(),
                    path,
                    rng.below(callers.len()),
                )
            }
            // A method the path does not take.
            95..98 => {
                let route = rng.pick(routes);
                let path = fill(&route.pattern, rng);
                let Some(method) = methods.iter().find(|m| !floor.routes_with(m, &path)) else {
                    continue;
                };
                (
                    Kind::WrongMethod,
                    method.to_string(),
                    path,
                    rng.below(callers.len()),
                )
            }
            // Malformed: a dot segment, an encoded slash, an empty segment.
            _ => {
                let route = rng.pick(routes);
                let path = fill(&route.pattern, rng);
                let path = match rng.below(3) {
                    0 => path.replacen("/gh/v3/", "/gh/v3/x/../", 1),
                    1 => format!("{path}%2Fadmin"),
                    _ => path.replacen("/gh/v3/", "/gh/v3//", 1),
                };
                (
                    Kind::Malformed,
                    route.method.clone(),
                    path,
                    rng.below(callers.len()),
                )
            }
        };
        requests.push((method, path, caller));
        kinds.push(kind);
    }
    Traffic { requests, kinds }
}

pub fn peer() -> IpAddr {
    IpAddr::from([203, 0, 113, 77])
}

/// Everything a bench of this traffic needs, built once.
pub struct Workload {
    /// The routes both sides hold, in the policy's order.
    pub routes: Vec<Route>,
    /// The policy of routes and scope rules only, compiled.
    pub set: PolicySet,
    pub floor: Floor,
    /// Each caller's scopes.
    pub callers: Vec<Vec<String>>,
    pub traffic: Traffic,
    /// Each caller's principal, built once.
    pub principals: Vec<Principal>,
    /// Each caller's scopes as the floor's bitmask, computed once.
    pub granted: Vec<u64>,
}

impl Workload {
    pub fn new() -> Workload {
        let routes = routes();
        let scopes = scopes();
        let text = policy(&routes, &scopes);
        let set =
            PolicySet::from_source("github-routes.gate", &text).unwrap_or_else(|e| panic!("{e}"));
        let floor = Floor::new(&routes, &scopes);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let callers = callers(&scopes, &mut rng);
        let traffic = traffic(&routes, &callers, &floor, &mut rng);
        let principals: Vec<Principal> = callers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Principal::new("token", format!("user-{i}")).with_scopes(s.iter().cloned())
            })
            .collect();
        let granted: Vec<u64> = callers.iter().map(|c| floor.grant(c)).collect();
        Workload {
            routes,
            set,
            floor,
            callers,
            traffic,
            principals,
            granted,
        }
    }

    /// The 1,000 requests, each with its caller's principal.
    pub fn requests(&self) -> Vec<Request<'_>> {
        self.traffic
            .requests
            .iter()
            .map(|(method, path, caller)| {
                Request::new(method, path, peer()).principal(&self.principals[*caller])
            })
            .collect()
    }

    /// Gatehouse decides every request as its kind says, the floor agrees
    /// with it on every request whose path is not malformed, and the mix is
    /// what the docs say. Panics otherwise.
    pub fn verify(&self, requests: &[Request<'_>]) {
        let mut counts = std::collections::BTreeMap::new();
        for (i, request) in requests.iter().enumerate() {
            let decision = self.set.decide(request);
            let kind = self.traffic.kinds[i];
            *counts.entry(kind).or_insert(0) += 1;
            let expected = match kind {
                Kind::Allowed => Reason::Allowed,
                Kind::ScopeMissing => Reason::InsufficientScope,
                Kind::NoRoute => Reason::RouteNotFound,
                Kind::WrongMethod => Reason::MethodNotAllowed,
                Kind::Malformed => Reason::PathMalformed,
            };
            assert_eq!(
                decision.reason(),
                expected,
                "{:?} {} {}",
                kind,
                request.method,
                request.target
            );
            if kind != Kind::Malformed {
                let (method, path, caller) = &self.traffic.requests[i];
                assert_eq!(
                    self.floor.allows(method, path, self.granted[*caller]),
                    decision.allowed(),
                    "{method} {path}"
                );
            }
        }
        let share = |kind| counts.get(&kind).copied().unwrap_or(0);
        assert!(self.routes.len() > 200, "{} routes", self.routes.len());
        assert!((650..750).contains(&share(Kind::Allowed)), "{counts:?}");
        assert!(
            (130..210).contains(&share(Kind::ScopeMissing)),
            "{counts:?}"
        );
        assert!((60..110).contains(&share(Kind::NoRoute)), "{counts:?}");
        assert!((15..50).contains(&share(Kind::WrongMethod)), "{counts:?}");
        assert!((10..40).contains(&share(Kind::Malformed)), "{counts:?}");
    }
}
