//! Gatehouse against peer deciders on the traffic workload of
//! `crates/gatehouse/benches/traffic.rs`, in one criterion run.
//!
//! The workload is that bench's, included from
//! `crates/gatehouse/benches/traffic/workload.rs`: the 208 endpoints of
//! `policies/github.gate` less the few that the matchit floor cannot hold
//! (~205 routes under `/gh/v3`), each with its `public` or `require` rule;
//! 1,000 distinct requests taken round-robin (about 70% allowed, 17% denied
//! for a missing scope, 8% to no route, 3% with a method the path does not
//! take, 2% malformed) from 64 callers holding 1 to 6 scopes. The same
//! seeds, so the same requests, as `traffic`.
//!
//! The rows (group `peers`):
//!
//! - `peers/gatehouse_decide`: `PolicySet::decide`, each caller's principal
//!   built once; the same code as `traffic/gatehouse_decide`.
//! - `peers/floor_matchit`: the hand-written floor (one `matchit` router per
//!   method, a scope bitmask per route, the caller's bitmask computed once);
//!   the same code as `traffic/floor_matchit`.
//! - `peers/cedar_presliced`: Cedar with the host doing the routing, the
//!   least work Cedar can be given: the host routes with `matchit` (one
//!   router per method, integer parameters checked, as the floor; unlike the
//!   floor, a `**` also matches zero segments) to the endpoint, then asks
//!   Cedar with a policy set holding only that endpoint's one policy (one
//!   set per route, built before measuring):
//!   `permit (principal, action == Action::"GET", resource == Route::"99")
//!   when { principal.scopes.containsAny(["repo", "public_repo"]) };`.
//!   The principal is a `User` entity whose `scopes` attribute is the
//!   caller's scopes as a set; each caller's `Entities` are built once. The
//!   action is the method, the resource the route's id; the request
//!   (`cedar_policy::Request`, empty context) is built per request.
//! - `peers/cedar_idiomatic`: one Cedar policy set with one `permit` per
//!   route, matching the request the way HTTP rules are written in Cedar,
//!   which has no router: on the method and the path in the context, with
//!   `like` patterns (see [`cedar_idiomatic`] for an example permit).
//!   `like`'s `*` also matches `/`, so each permit pins the number of path
//!   segments too, which the host puts in the context beside the method and
//!   the path (`context.segments`); where a more specific route of the same
//!   method could match the same path (`GET /gists/starred` beside
//!   `GET /gists/{gist_id}`), the permit has an `unless` for it, which is
//!   how Gatehouse's "most specific route wins" is written in Cedar. The
//!   context is built per request (what a host does for each HTTP request);
//!   the caller's entities once. Not exact where Cedar cannot be: `like`
//!   cannot check that a segment is an integer, so `{id:int}` is `*`, and a
//!   `*` before a `**` may span segments.
//! - `peers/regorus`: regorus (Rego) with the routing in the policy: the
//!   path is split into segments once per evaluation, and one `allow` rule
//!   per route checks the method, the number of segments, each literal
//!   segment, that integer parameters are integers, and the scopes, with a
//!   `not` for each more specific route of the same method that could match
//!   the same path (see [`rego_text`] for an example rule). One `Engine` is
//!   prepared before measuring (policy added, first evaluation done) and
//!   reused: per request the host builds the input (`method`, `path`, and
//!   the caller's `scopes` array, built once per caller), calls
//!   `set_input` and evaluates `data.gatehouse.allow`. (Cloning a prepared
//!   engine is regorus's way to share it between threads; one thread needs
//!   no clone. A clone per request measured the same, within the noise.)
//!
//! The Cedar and Rego texts are generated from the route list when the
//! bench starts (nothing generated is checked in). Neither peer models
//! authentication (every request of this traffic has a caller, so
//! Gatehouse's `authenticate token` never denies one) nor `HEAD` answered by
//! `GET` (no request of this traffic is a `HEAD`).
//!
//! Before measuring, every row decides every request of the traffic and its
//! answer is compared with Gatehouse's; the bench panics on any
//! disagreement. The comparison is of allowed or not only: the peers answer
//! allow or deny, and cannot tell a 404 from a 405 from a 403 without more
//! policy than people write for them. Malformed paths (`..`, `%2F`, `//`)
//! are left out of the comparison, as in `traffic` (only Gatehouse looks
//! for them).
//!
//! The three peers are also checked, the same way, on about 5,000 more
//! requests made for the check only and not measured: every route's path
//! (parameters filled in) by 16 callers, and with each other method by 2.
//! The traffic seldom reaches the places where the peers' policies could go
//! wrong: the route precedence (a caller without `gist` on
//! `GET /gists/starred`), a `**` matching zero segments, a literal where an
//! integer parameter is expected. For idiomatic Cedar, which cannot check
//! an integer, the reference there is Gatehouse on the same policy with
//! each `{name:int}` written `{name}`. (The floor is left out of this
//! check: its `**` needs a segment.)
//!
//! The idiomatic Cedar and the regorus rows are about three orders of
//! magnitude slower than the others, so they take fewer samples (set
//! below), and a whole run finishes in about a minute:
//!
//! `cargo bench --manifest-path crates/gatehouse-peers-bench/Cargo.toml`
//!
//! With `GATEHOUSE_PEERS_DUMP=<dir>` set, the bench also writes the
//! generated policies there (`idiomatic.cedar`, `presliced.cedar`, one
//! route's policy after another, and `gatehouse.rego`) for reading.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::hint::black_box;
use std::str::FromStr;
use std::time::Duration;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityUid, PolicySet as CedarPolicySet,
    Request as CedarRequest, RestrictedExpression,
};
use criterion::{criterion_group, criterion_main, Criterion};
use gatehouse::Request;
use rustc_hash::FxHashMap;

/// The workload of `benches/traffic.rs` (not every item is used here).
#[allow(dead_code)]
#[path = "../../gatehouse/benches/traffic/workload.rs"]
mod workload;

use workload::{fill, int_params, matchit_pattern, peer, Kind, Rng, Route, Workload, BASE};

// ------------------------------------------------- the routes' precedence

/// One segment of a route pattern, by kind.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Seg<'a> {
    Literal(&'a str),
    Int,
    /// `{name}` or `{name:string}`.
    Param,
    /// `*`: one segment, not readable.
    Star,
    /// `**`: zero or more trailing segments.
    CatchAll,
}

impl Seg<'_> {
    /// Gatehouse's specificity: literal > typed parameter > parameter > `*`
    /// > `**`.
    fn rank(self) -> u8 {
        match self {
            Seg::Literal(_) => 4,
            Seg::Int => 3,
            Seg::Param => 2,
            Seg::Star => 1,
            Seg::CatchAll => 0,
        }
    }
}

fn segments(pattern: &str) -> Vec<Seg<'_>> {
    pattern
        .split('/')
        .skip(1)
        .map(|s| match s {
            "**" => Seg::CatchAll,
            "*" => Seg::Star,
            s if s.starts_with('{') && s.ends_with(":int}") => Seg::Int,
            s if s.starts_with('{') => Seg::Param,
            s => Seg::Literal(s),
        })
        .collect()
}

/// Whether some path matches both patterns. `ints_checked`: whether the
/// matcher can tell an integer segment (Rego can, Cedar's `like` cannot).
fn overlap(a: &[Seg<'_>], b: &[Seg<'_>], ints_checked: bool) -> bool {
    let mut i = 0;
    loop {
        match (a.get(i), b.get(i)) {
            (None, None) => return true,
            (Some(Seg::CatchAll), _) | (_, Some(Seg::CatchAll)) => return true,
            (None, Some(_)) | (Some(_), None) => return false,
            (Some(&x), Some(&y)) => {
                let compatible = match (x, y) {
                    (Seg::Literal(x), Seg::Literal(y)) => x == y,
                    (Seg::Literal(l), Seg::Int) | (Seg::Int, Seg::Literal(l)) => {
                        !ints_checked || l.parse::<i64>().is_ok()
                    }
                    _ => true,
                };
                if !compatible {
                    return false;
                }
            }
        }
        i += 1;
    }
}

/// Whether `a` wins over `b` for a path both match: at the first place where
/// their kinds differ, the more specific kind wins (a pattern that ends
/// there wins over a `**` that would match nothing).
fn more_specific(a: &[Seg<'_>], b: &[Seg<'_>]) -> bool {
    for i in 0.. {
        match (a.get(i), b.get(i)) {
            (None, None) => return false,
            (None, Some(_)) => return true,
            (Some(_), None) => return false,
            (Some(x), Some(y)) if x.rank() != y.rank() => return x.rank() > y.rank(),
            _ => {}
        }
    }
    unreachable!()
}

/// For each route, the routes of the same method that win over it on some
/// path it matches: the ones its permit or rule must exclude.
fn shadows(routes: &[Route], ints_checked: bool) -> Vec<Vec<usize>> {
    let segs: Vec<Vec<Seg<'_>>> = routes.iter().map(|r| segments(&r.pattern)).collect();
    (0..routes.len())
        .map(|r| {
            (0..routes.len())
                .filter(|&s| {
                    s != r
                        && routes[s].method == routes[r].method
                        && overlap(&segs[r], &segs[s], ints_checked)
                        && more_specific(&segs[s], &segs[r])
                })
                .collect()
        })
        .collect()
}

// ------------------------------------------------------------ Cedar

/// A Cedar string literal.
fn cedar_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The scope condition of a route (`None`: none needed), one conjunct per
/// `require` group.
fn cedar_scopes(route: &Route) -> Option<String> {
    let groups = route.require.as_ref()?;
    if groups.is_empty() {
        return None;
    }
    let conjuncts: Vec<String> = groups
        .iter()
        .map(|g| match g.as_slice() {
            [one] => format!("principal.scopes.contains({})", cedar_str(one)),
            any => {
                let list: Vec<String> = any.iter().map(|s| cedar_str(s)).collect();
                format!("principal.scopes.containsAny([{}])", list.join(", "))
            }
        })
        .collect();
    Some(conjuncts.join(" && "))
}

/// Presliced: the policy of one route, which the host has already found.
fn cedar_presliced(index: usize, route: &Route) -> String {
    let head = format!(
        "permit (principal, action == Action::{}, resource == Route::\"{index}\")",
        cedar_str(&route.method)
    );
    match cedar_scopes(route) {
        None => format!("{head};\n"),
        Some(cond) => format!("{head}\nwhen {{ {cond} }};\n"),
    }
}

/// The path condition of a route in `like` patterns: the path matches the
/// pattern (each parameter a `*`) and has the route's number of segments
/// (`like`'s `*` also matches `/`); a `**` at the end is zero segments
/// (the path without it) or more (a `*` after the prefix).
fn cedar_path(pattern: &str) -> String {
    let base_segments = BASE.split('/').skip(1).count();
    let mut like = String::from(BASE);
    let segs = segments(pattern);
    for (seg, text) in segs.iter().zip(pattern.split('/').skip(1)) {
        match seg {
            Seg::Literal(_) => {
                like.push('/');
                like.push_str(&text.replace('*', "\\*"));
            }
            Seg::CatchAll => {
                let n = base_segments + segs.len() - 1;
                return format!(
                    "((context.segments == {n} && context.path like {}) || \
                     (context.segments > {n} && context.path like {}))",
                    cedar_str(&like),
                    cedar_str(&format!("{like}/*"))
                );
            }
            _ => like.push_str("/*"),
        }
    }
    format!(
        "context.segments == {} && context.path like {}",
        base_segments + segs.len(),
        cedar_str(&like)
    )
}

/// Idiomatic: one permit per route, matching method and path from the
/// context. For `GET /repos/{owner}/{repo}/issues/{issue_number:int}`:
///
/// ```cedar
/// permit (principal, action, resource)
/// when {
///   context.method == "GET" &&
///   context.segments == 7 && context.path like "/gh/v3/repos/*/*/issues/*" &&
///   principal.scopes.containsAny(["repo", "public_repo"])
/// }
/// unless { context.method == "GET" &&
///   context.segments == 7 && context.path like "/gh/v3/repos/*/*/issues/comments" }
/// unless { context.method == "GET" &&
///   context.segments == 7 && context.path like "/gh/v3/repos/*/*/issues/events" };
/// ```
///
/// (the `unless` clauses: the more specific routes that `like` cannot tell
/// from this one, since it cannot check for an integer).
fn cedar_idiomatic(routes: &[Route]) -> String {
    let shadows = shadows(routes, false);
    let mut text = String::new();
    for (r, route) in routes.iter().enumerate() {
        let method = format!("context.method == {}", cedar_str(&route.method));
        writeln!(text, "// {} {}", route.method, route.pattern).unwrap();
        text.push_str("permit (principal, action, resource)\nwhen {\n");
        write!(text, "  {method} &&\n  {}", cedar_path(&route.pattern)).unwrap();
        if let Some(scopes) = cedar_scopes(route) {
            write!(text, " &&\n  {scopes}").unwrap();
        }
        text.push_str("\n}");
        for &s in &shadows[r] {
            write!(
                text,
                "\nunless {{ {method} &&\n  {} }}",
                cedar_path(&routes[s].pattern)
            )
            .unwrap();
        }
        text.push_str(";\n\n");
    }
    text
}

fn cedar_set(text: &str) -> CedarPolicySet {
    CedarPolicySet::from_str(text).unwrap_or_else(|e| panic!("{e:?}\n{text}"))
}

fn uid(text: &str) -> EntityUid {
    EntityUid::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Each caller as a Cedar entity store: one `User` with its scopes.
fn cedar_entities(callers: &[Vec<String>]) -> (Vec<EntityUid>, Vec<Entities>) {
    callers
        .iter()
        .enumerate()
        .map(|(i, scopes)| {
            let principal = uid(&format!("User::\"user-{i}\""));
            let attrs = HashMap::from([(
                "scopes".to_string(),
                RestrictedExpression::new_set(
                    scopes
                        .iter()
                        .map(|s| RestrictedExpression::new_string(s.clone())),
                ),
            )]);
            let entity = Entity::new(principal.clone(), attrs, HashSet::new()).unwrap();
            (principal, Entities::from_entities([entity], None).unwrap())
        })
        .unzip()
}

/// The host's router for presliced Cedar: the route's index, integer
/// parameters checked (as the floor does).
struct HostRouter {
    routers: FxHashMap<String, matchit::Router<usize>>,
    int_params: Vec<Vec<String>>,
}

impl HostRouter {
    fn new(routes: &[Route]) -> HostRouter {
        let mut routers: FxHashMap<String, matchit::Router<usize>> = FxHashMap::default();
        for (i, r) in routes.iter().enumerate() {
            let path = format!("{BASE}{}", matchit_pattern(&r.pattern));
            routers
                .entry(r.method.clone())
                .or_default()
                .insert(path.clone(), i)
                .unwrap();
            if r.method == "GET" {
                routers
                    .entry("HEAD".into())
                    .or_default()
                    .insert(path, i)
                    .unwrap();
            }
        }
        // matchit's catch-all takes one segment or more, Gatehouse's `**`
        // zero or more: the path without its `**` goes to the same route,
        // unless a route of its own is there (that one wins in Gatehouse
        // too). (The floor leaves this out; the traffic has no such path.)
        for (i, r) in routes.iter().enumerate() {
            let Some(prefix) = r.pattern.strip_suffix("/**") else {
                continue;
            };
            let path = format!("{BASE}{}", matchit_pattern(prefix));
            for method in [r.method.as_str(), "HEAD"] {
                if method == r.method || r.method == "GET" {
                    // A conflict: the route of its own.
                    let _ = routers
                        .entry(method.to_string())
                        .or_default()
                        .insert(path.clone(), i);
                }
            }
        }
        HostRouter {
            routers,
            int_params: routes.iter().map(|r| int_params(&r.pattern)).collect(),
        }
    }

    fn route(&self, method: &str, path: &str) -> Option<usize> {
        let path = path.split('?').next().unwrap_or(path);
        let matched = self.routers.get(method)?.at(path).ok()?;
        let route = *matched.value;
        let ints_ok = self.int_params[route].iter().all(|p| {
            matched
                .params
                .get(p)
                .is_some_and(|v| v.parse::<i64>().is_ok())
        });
        ints_ok.then_some(route)
    }
}

struct CedarPresliced {
    router: HostRouter,
    sets: Vec<CedarPolicySet>,
    resources: Vec<EntityUid>,
    actions: FxHashMap<String, EntityUid>,
    authorizer: Authorizer,
}

impl CedarPresliced {
    fn new(routes: &[Route]) -> CedarPresliced {
        let mut actions = FxHashMap::default();
        for r in routes {
            actions
                .entry(r.method.clone())
                .or_insert_with(|| uid(&format!("Action::{}", cedar_str(&r.method))));
        }
        // HEAD is answered by the GET routes.
        actions.insert("HEAD".to_string(), uid("Action::\"GET\""));
        CedarPresliced {
            router: HostRouter::new(routes),
            sets: routes
                .iter()
                .enumerate()
                .map(|(i, r)| cedar_set(&cedar_presliced(i, r)))
                .collect(),
            resources: (0..routes.len())
                .map(|i| uid(&format!("Route::\"{i}\"")))
                .collect(),
            actions,
            authorizer: Authorizer::new(),
        }
    }

    fn allows(&self, method: &str, path: &str, principal: &EntityUid, entities: &Entities) -> bool {
        let Some(route) = self.router.route(method, path) else {
            return false;
        };
        let request = CedarRequest::new(
            principal.clone(),
            self.actions[method].clone(),
            self.resources[route].clone(),
            Context::empty(),
            None,
        )
        .unwrap();
        self.authorizer
            .is_authorized(&request, &self.sets[route], entities)
            .decision()
            == Decision::Allow
    }
}

struct CedarIdiomatic {
    set: CedarPolicySet,
    action: EntityUid,
    resource: EntityUid,
    authorizer: Authorizer,
}

impl CedarIdiomatic {
    fn new(routes: &[Route]) -> CedarIdiomatic {
        CedarIdiomatic {
            set: cedar_set(&cedar_idiomatic(routes)),
            action: uid("Action::\"request\""),
            resource: uid("Api::\"github\""),
            authorizer: Authorizer::new(),
        }
    }

    fn allows(&self, method: &str, path: &str, principal: &EntityUid, entities: &Entities) -> bool {
        let path = path.split('?').next().unwrap_or(path);
        let context = Context::from_pairs([
            (
                "method".to_string(),
                RestrictedExpression::new_string(method.to_string()),
            ),
            (
                "path".to_string(),
                RestrictedExpression::new_string(path.to_string()),
            ),
            (
                "segments".to_string(),
                RestrictedExpression::new_long(path.split('/').skip(1).count() as i64),
            ),
        ])
        .unwrap();
        let request = CedarRequest::new(
            principal.clone(),
            self.action.clone(),
            self.resource.clone(),
            context,
            None,
        )
        .unwrap();
        self.authorizer
            .is_authorized(&request, &self.set, entities)
            .decision()
            == Decision::Allow
    }
}

// ------------------------------------------------------------ Rego

/// A Rego string literal.
fn rego_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The body lines that match a route: method, number of segments, literal
/// segments, integer parameters.
fn rego_match(route: &Route, ints_checked: bool) -> Vec<String> {
    let segs = segments(&route.pattern);
    let mut lines = vec![format!("input.method == {}", rego_str(&route.method))];
    match segs.last() {
        Some(Seg::CatchAll) => lines.push(format!("count(segments) >= {}", segs.len() - 1)),
        _ => lines.push(format!("count(segments) == {}", segs.len())),
    }
    for (i, seg) in segs.iter().enumerate() {
        match seg {
            Seg::Literal(l) => lines.push(format!("segments[{i}] == {}", rego_str(l))),
            Seg::Int if ints_checked => lines.push(format!("is_int(segments[{i}])")),
            _ => {}
        }
    }
    lines
}

/// The Rego policy: routing in the policy, one `allow` rule per route. For
/// `GET /gists/{gist_id}` (public), beside `GET /gists/public` and
/// `GET /gists/starred` (which needs `gist`):
///
/// ```rego
/// # GET /gists/{gist_id}
/// allow if {
///     input.method == "GET"
///     count(segments) == 2
///     segments[0] == "gists"
///     not route_187
///     not route_188
/// }
/// ```
///
/// where `route_188` matches `GET /gists/starred` the same way (without
/// its scope); for
/// `GET /repos/{owner}/{repo}/issues/{issue_number:int}`, the body has
/// `is_int(segments[4])` and `granted({"repo", "public_repo"})` (a caller
/// scope in the set; `"gist" in input.scopes` for a single scope).
fn rego_text(routes: &[Route]) -> String {
    let shadows = shadows(routes, true);
    let base: Vec<&str> = BASE.split('/').skip(1).collect();
    let mut text = String::from("package gatehouse\n\ndefault allow := false\n\n");
    text.push_str("# The path's segments under the base; undefined for another base.\n");
    text.push_str("segments := array.slice(parts, ");
    writeln!(text, "{}, count(parts)) if {{", base.len() + 1).unwrap();
    text.push_str("\tparts := split(input.path, \"/\")\n\tparts[0] == \"\"\n");
    for (i, b) in base.iter().enumerate() {
        writeln!(text, "\tparts[{}] == {}", i + 1, rego_str(b)).unwrap();
    }
    text.push_str("}\n\n");
    text.push_str(
        "# A decimal integer, as `{name:int}` takes.\n\
         is_int(s) if {\n\
         \tdigits := trim_prefix(s, \"-\")\n\
         \tdigits != \"\"\n\
         \ttrim_left(digits, \"0123456789\") == \"\"\n\
         }\n\n\
         # The caller holds one of the scopes.\n\
         granted(wanted) if {\n\
         \tsome scope in input.scopes\n\
         \tscope in wanted\n\
         }\n\n",
    );
    let mut shadowing = vec![false; routes.len()];
    for &s in shadows.iter().flatten() {
        shadowing[s] = true;
    }
    for (r, route) in routes.iter().enumerate() {
        writeln!(text, "# {} {}", route.method, route.pattern).unwrap();
        text.push_str("allow if {\n");
        for line in rego_match(route, true) {
            writeln!(text, "\t{line}").unwrap();
        }
        for group in route.require.iter().flatten() {
            match group.as_slice() {
                [one] => writeln!(text, "\t{} in input.scopes", rego_str(one)).unwrap(),
                any => {
                    let set: Vec<String> = any.iter().map(|s| rego_str(s)).collect();
                    writeln!(text, "\tgranted({{{}}})", set.join(", ")).unwrap();
                }
            }
        }
        for &s in &shadows[r] {
            writeln!(text, "\tnot route_{s}").unwrap();
        }
        text.push_str("}\n\n");
    }
    // The routes that win over others, as rules of their own.
    for (s, route) in routes.iter().enumerate().filter(|(s, _)| shadowing[*s]) {
        writeln!(text, "# {} {}", route.method, route.pattern).unwrap();
        writeln!(text, "route_{s} if {{").unwrap();
        for line in rego_match(route, true) {
            writeln!(text, "\t{line}").unwrap();
        }
        text.push_str("}\n\n");
    }
    text
}

struct Rego {
    engine: regorus::Engine,
    /// Each caller's scopes as a Rego array, built once.
    scopes: Vec<regorus::Value>,
    keys: [regorus::Value; 3],
    rule: String,
}

impl Rego {
    fn new(routes: &[Route], callers: &[Vec<String>]) -> Rego {
        let text = rego_text(routes);
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("gatehouse.rego".to_string(), text.clone())
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let scopes = callers
            .iter()
            .map(|c| regorus::Value::from(c.iter().map(|s| s.as_str().into()).collect::<Vec<_>>()))
            .collect();
        let mut rego = Rego {
            engine,
            scopes,
            keys: ["method".into(), "path".into(), "scopes".into()],
            rule: "data.gatehouse.allow".to_string(),
        };
        // The first evaluation prepares the engine.
        rego.allows("GET", "/gh/v3/zen", 0);
        rego
    }

    fn allows(&mut self, method: &str, path: &str, caller: usize) -> bool {
        let path = path.split('?').next().unwrap_or(path);
        let [method_key, path_key, scopes_key] = self.keys.clone();
        let input = BTreeMap::from([
            (method_key, regorus::Value::from(method)),
            (path_key, regorus::Value::from(path)),
            (scopes_key, self.scopes[caller].clone()),
        ]);
        self.engine.set_input(regorus::Value::from(input));
        let allow = self.engine.eval_rule(self.rule.clone()).unwrap();
        match allow {
            regorus::Value::Bool(b) => b,
            other => panic!("data.gatehouse.allow is {other:?}"),
        }
    }
}

// ------------------------------------------------------------ the bench

fn bench(c: &mut Criterion) {
    let workload = Workload::new();
    let Workload {
        routes,
        set,
        floor,
        callers,
        traffic,
        granted,
        ..
    } = &workload;
    let requests: Vec<Request<'_>> = workload.requests();
    workload.verify(&requests);

    let presliced = CedarPresliced::new(routes);
    let idiomatic = CedarIdiomatic::new(routes);
    let (principals, entities) = cedar_entities(callers);
    let mut rego = Rego::new(routes, callers);

    // Every peer answers every request as Gatehouse does (allowed or not;
    // malformed paths left out).
    let mut compared = 0;
    for (i, request) in requests.iter().enumerate() {
        if traffic.kinds[i] == Kind::Malformed {
            continue;
        }
        let expected = set.decide(request).allowed();
        let (method, path, caller) = &traffic.requests[i];
        let answers = [
            (
                "floor_matchit",
                floor.allows(method, path, granted[*caller]),
            ),
            (
                "cedar_presliced",
                presliced.allows(method, path, &principals[*caller], &entities[*caller]),
            ),
            (
                "cedar_idiomatic",
                idiomatic.allows(method, path, &principals[*caller], &entities[*caller]),
            ),
            ("regorus", rego.allows(method, path, *caller)),
        ];
        for (row, answer) in answers {
            assert_eq!(
                answer, expected,
                "{row} disagrees with Gatehouse on {:?} {method} {path} for caller {caller} {:?}",
                traffic.kinds[i], callers[*caller]
            );
        }
        compared += 1;
    }
    assert!(compared > 950, "{compared} requests compared");

    // The same on every route, not only where the traffic goes. Idiomatic
    // Cedar cannot check integer parameters, so there the reference is
    // Gatehouse on the same policy with `{name:int}` written `{name}`.
    let untyped: Vec<Route> = routes
        .iter()
        .map(|r| Route {
            method: r.method.clone(),
            pattern: r.pattern.replace(":int}", "}"),
            require: r.require.clone(),
        })
        .collect();
    let untyped = gatehouse::PolicySet::from_source(
        "github-untyped.gate",
        &workload::policy(&untyped, &workload::scopes()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    let mut probes = 0;
    for route in routes.iter() {
        let path = fill(&route.pattern, &mut rng);
        for method in methods {
            let n = if method == route.method { 16 } else { 2 };
            for _ in 0..n {
                let caller = rng.below(callers.len());
                let request =
                    Request::new(method, &path, peer()).principal(&workload.principals[caller]);
                let expected = set.decide(&request).allowed();
                let answers = [
                    (
                        "cedar_presliced",
                        presliced.allows(method, &path, &principals[caller], &entities[caller]),
                        expected,
                    ),
                    (
                        "cedar_idiomatic",
                        idiomatic.allows(method, &path, &principals[caller], &entities[caller]),
                        untyped.decide(&request).allowed(),
                    ),
                    ("regorus", rego.allows(method, &path, caller), expected),
                ];
                for (row, answer, expected) in answers {
                    assert_eq!(
                        answer, expected,
                        "{row} disagrees with Gatehouse on {method} {path} for caller {caller} {:?}",
                        callers[caller]
                    );
                }
                probes += 1;
            }
        }
    }
    assert!(probes > 4_000, "{probes} probes");

    if let Some(dir) = std::env::var_os("GATEHOUSE_PEERS_DUMP") {
        let dir = std::path::PathBuf::from(dir);
        let presliced: String = routes
            .iter()
            .enumerate()
            .map(|(i, r)| format!("// {} {}\n{}\n", r.method, r.pattern, cedar_presliced(i, r)))
            .collect();
        std::fs::write(dir.join("presliced.cedar"), presliced).unwrap();
        std::fs::write(dir.join("idiomatic.cedar"), cedar_idiomatic(routes)).unwrap();
        std::fs::write(dir.join("gatehouse.rego"), rego_text(routes)).unwrap();
    }

    let mut group = c.benchmark_group("peers");
    group.bench_function("gatehouse_decide", |b| {
        let mut i = 0;
        b.iter(|| {
            let request = &requests[i % requests.len()];
            i += 1;
            set.decide(black_box(request))
        })
    });
    group.bench_function("floor_matchit", |b| {
        let mut i = 0;
        b.iter(|| {
            let (method, path, caller) = &traffic.requests[i % requests.len()];
            i += 1;
            floor.allows(black_box(method), black_box(path), granted[*caller])
        })
    });
    group.bench_function("cedar_presliced", |b| {
        let mut i = 0;
        b.iter(|| {
            let (method, path, caller) = &traffic.requests[i % requests.len()];
            i += 1;
            presliced.allows(
                black_box(method),
                black_box(path),
                &principals[*caller],
                &entities[*caller],
            )
        })
    });
    // Tens of microseconds per request: fewer samples, so that the whole
    // run stays short.
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("cedar_idiomatic", |b| {
        let mut i = 0;
        b.iter(|| {
            let (method, path, caller) = &traffic.requests[i % requests.len()];
            i += 1;
            idiomatic.allows(
                black_box(method),
                black_box(path),
                &principals[*caller],
                &entities[*caller],
            )
        })
    });
    group.bench_function("regorus", |b| {
        let mut i = 0;
        b.iter(|| {
            let (method, path, caller) = &traffic.requests[i % requests.len()];
            i += 1;
            rego.allows(black_box(method), black_box(path), *caller)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
