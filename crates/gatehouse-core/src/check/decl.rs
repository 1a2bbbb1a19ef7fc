//! The top of a policy file: `api`, `owner`, `base`, `host`, `auth`,
//! `scopes` and `options`.

use ipnet::IpNet;
use rustc_hash::FxHashMap;

use super::{duplicate, MAX_SCOPES};
use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::model::{
    Api, ApiOptions, AuthKind, AuthScheme, ForwardedPolicy, Glob, GlobKind, JwtAlgorithm, Scope,
    StoreErrorPolicy, TrailingSlash,
};
use crate::span::{FileId, Span, Spanned};
use crate::syntax::ast::{
    AuthDecl, ItemKind, Literal, OptionAst, OptionValue, PolicyAst, SegmentAst,
};

/// Builds the API header; endpoints are added by the caller. Also returns
/// the names of auth schemes that were declared but invalid, so that rules
/// naming them are not reported a second time as unknown.
pub(super) fn header(
    file: FileId,
    ast: &PolicyAst,
    diagnostics: &mut Diagnostics,
) -> Option<(Api, Vec<String>)> {
    let mut api_decl: Option<(String, Option<String>, Span)> = None;
    let mut owner: Option<(String, Span)> = None;
    let mut base: Option<(Vec<String>, Span)> = None;
    let mut host: Option<(String, Span)> = None;
    let mut schemes: Vec<AuthScheme> = Vec::new();
    let mut broken_schemes: Vec<String> = Vec::new();
    let mut scopes: Vec<Scope> = Vec::new();
    let mut scopes_block: Option<Span> = None;
    let mut options: Option<(ApiOptions, Span)> = None;

    for item in &ast.items {
        match &item.kind {
            ItemKind::Api { name, version } => {
                if let Some((_, _, first)) = &api_decl {
                    diagnostics.push(duplicate("api", item.span, *first));
                    continue;
                }
                if name.node.trim().is_empty() {
                    diagnostics.push(
                        Diagnostic::new(Code::MissingApi, name.span, "the API has an empty name")
                            .label("empty name")
                            .help("name the API, for example `api \"petstore\"`"),
                    );
                }
                api_decl = Some((
                    name.node.clone(),
                    version.as_ref().map(|v| v.node.clone()),
                    item.span,
                ));
            }
            ItemKind::Owner(value) => {
                if let Some((_, first)) = &owner {
                    diagnostics.push(duplicate("owner", item.span, *first));
                    continue;
                }
                owner = Some((value.node.clone(), item.span));
            }
            ItemKind::Base(pattern) => {
                if let Some((_, first)) = &base {
                    diagnostics.push(duplicate("base", item.span, *first));
                    continue;
                }
                let mut segments = Vec::new();
                for segment in &pattern.segments {
                    match &segment.node {
                        SegmentAst::Literal(text) if text != "." && text != ".." && !text.contains('%') => {
                            segments.push(text.clone())
                        }
                        _ => diagnostics.push(
                            Diagnostic::new(Code::InvalidBase, segment.span, "`base` must be made of literal segments")
                                .label("not a literal segment")
                                .help("an API is selected by a fixed prefix such as `/v1` or `/api/v2`; put parameters in endpoint paths"),
                        ),
                    }
                }
                if let Some(slash) = pattern.trailing_slash {
                    diagnostics.push(
                        Diagnostic::new(Code::InvalidBase, slash, "`base` must not end with `/`")
                            .label("trailing slash")
                            .help(format!(
                                "write `base {}`",
                                pattern.text.trim_end_matches('/')
                            )),
                    );
                }
                base = Some((segments, item.span));
            }
            ItemKind::Host(value) => {
                if let Some((_, first)) = &host {
                    diagnostics.push(duplicate("host", item.span, *first));
                    continue;
                }
                if !is_host_name(&value.node) {
                    diagnostics.push(
                        Diagnostic::new(Code::InvalidHost, value.span, format!("`{}` is not a host name", value.node))
                            .label("invalid host")
                            .help("write the host as it appears in the `Host` header, without scheme or path: `api.example.com`"),
                    );
                }
                host = Some((value.node.to_ascii_lowercase(), item.span));
            }
            ItemKind::Auth(decl) => {
                if let Some(first) = schemes.iter().find(|s| s.name == decl.name.node) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::DuplicateAuthScheme,
                            decl.name.span,
                            format!("auth scheme `{}` is declared twice", decl.name.node),
                        )
                        .label("declared again here")
                        .related(first.span, "first declared here")
                        .help("give each scheme its own name"),
                    );
                    continue;
                }
                match auth_kind(decl, diagnostics) {
                    Some(kind) => schemes.push(AuthScheme {
                        name: decl.name.node.clone(),
                        kind,
                        span: decl.name.span,
                    }),
                    None => broken_schemes.push(decl.name.node.clone()),
                }
            }
            ItemKind::Scopes(decls) => {
                if let Some(first) = scopes_block {
                    diagnostics.push(duplicate("scopes", item.span, first));
                    continue;
                }
                scopes_block = Some(item.span);
                for decl in decls {
                    if let Some(first) = scopes.iter().find(|s| s.name == decl.name.node) {
                        diagnostics.push(
                            Diagnostic::new(
                                Code::DuplicateScope,
                                decl.name.span,
                                format!("scope `{}` is declared twice", decl.name.node),
                            )
                            .label("declared again here")
                            .related(first.span, "first declared here")
                            .help("remove one of the two declarations"),
                        );
                        continue;
                    }
                    scopes.push(Scope {
                        name: decl.name.node.clone(),
                        description: decl.description.as_ref().map(|d| d.node.clone()),
                        span: decl.name.span,
                    });
                }
                if scopes.len() > MAX_SCOPES {
                    let first_extra = scopes.get(MAX_SCOPES).map_or(item.span, |s| s.span);
                    diagnostics.push(
                        Diagnostic::new(
                            Code::TooManyScopes,
                            first_extra,
                            format!(
                                "{} scopes are declared; at most {MAX_SCOPES} are supported",
                                scopes.len()
                            ),
                        )
                        .label(format!("scope {}: over the limit", MAX_SCOPES + 1))
                        .help("split the API, or group fine-grained permissions into fewer scopes"),
                    );
                    scopes.truncate(MAX_SCOPES);
                }
            }
            ItemKind::Options(list) => {
                if let Some((_, first)) = &options {
                    diagnostics.push(duplicate("options", item.span, *first));
                    continue;
                }
                options = Some((api_options(list, diagnostics), item.span));
            }
            ItemKind::Defaults(_) | ItemKind::Endpoint(_) => {}
        }
    }

    let Some((name, version, span)) = api_decl else {
        let start = ast.items.first().map_or(ast.span, |i| i.span);
        diagnostics.push(
            Diagnostic::new(
                Code::MissingApi,
                Span { file, start: start.start, end: start.start },
                "this policy file has no `api` declaration",
            )
            .label("expected `api \"name\"` before this")
            .help("start the file with `api \"name\" version \"1.0\"`: each policy file describes one API"),
        );
        return None;
    };
    let api = Api {
        name,
        version,
        owner: owner.map(|(o, _)| o),
        base: base.map(|(b, _)| b).unwrap_or_default(),
        host: host.map(|(h, _)| h),
        schemes,
        scopes,
        options: options.map(|(o, _)| o).unwrap_or_default(),
        endpoints: Vec::new(),
        file,
        span,
    };
    Some((api, broken_schemes))
}

fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

const AUTH_KINDS: &[&str] = &["api_key", "jwt", "mtls"];

fn auth_kind(decl: &AuthDecl, diagnostics: &mut Diagnostics) -> Option<AuthKind> {
    let allowed: &[&str] = match decl.kind.node.as_str() {
        "api_key" => &["header", "query"],
        "jwt" => &[
            "issuer",
            "audience",
            "jwks",
            "algorithms",
            "leeway",
            "scope_claim",
        ],
        "mtls" => &["subject", "header"],
        other => {
            diagnostics.push(
                Diagnostic::new(Code::UnknownAuthKind, decl.kind.span, format!("unknown auth kind `{other}`"))
                    .label("not an auth kind")
                    .help(match did_you_mean(other, AUTH_KINDS.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`? The kinds are `api_key`, `jwt` and `mtls`"),
                        None => "the kinds are `api_key(header: ...)`, `jwt(issuer: ..., audience: ...)` and `mtls(subject: ...)`".into(),
                    }),
            );
            return None;
        }
    };

    let mut values: FxHashMap<&str, Spanned<String>> = FxHashMap::default();
    let mut ok = true;
    for arg in &decl.args {
        let name = arg.name.node.as_str();
        if !allowed.contains(&name) {
            ok = false;
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidAuthArgument,
                    arg.name.span,
                    format!("`{}` has no argument `{name}`", decl.kind.node),
                )
                .label("unknown argument")
                .help(match did_you_mean(name, allowed.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("`{}` takes {}", decl.kind.node, quote_list(allowed)),
                }),
            );
            continue;
        }
        let Literal::String(value) = &arg.value.node else {
            ok = false;
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidAuthArgument,
                    arg.value.span,
                    format!("`{name}` must be a string"),
                )
                .label("not a string")
                .help(format!("write `{name}: \"...\"`")),
            );
            continue;
        };
        if values
            .insert(name, Spanned::new(value.clone(), arg.value.span))
            .is_some()
        {
            ok = false;
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidAuthArgument,
                    arg.name.span,
                    format!("`{name}` is given twice"),
                )
                .label("repeated argument")
                .help("give each argument once"),
            );
        }
    }
    if !ok {
        return None;
    }

    let missing = |what: &str, example: &str| {
        Diagnostic::new(
            Code::MissingAuthArgument,
            decl.kind.span,
            format!("`{}` needs {what}", decl.kind.node),
        )
        .label(format!("missing {what}"))
        .help(format!("for example `auth {} = {example}`", decl.name.node))
    };
    match decl.kind.node.as_str() {
        "api_key" => {
            let header = values.remove("header").map(|v| v.node);
            let query = values.remove("query").map(|v| v.node);
            if header.is_none() && query.is_none() {
                diagnostics.push(missing(
                    "a `header` or `query` argument",
                    "api_key(header: \"X-API-Key\")",
                ));
                return None;
            }
            Some(AuthKind::ApiKey { header, query })
        }
        "jwt" => {
            let Some(issuer) = values.remove("issuer") else {
                diagnostics.push(missing(
                    "an `issuer`",
                    "jwt(issuer: \"https://id.example.com\", audience: \"my-api\")",
                ));
                return None;
            };
            // Each argument is checked, so that one run reports every
            // mistake; `Some(None)` is an argument given and invalid.
            let jwks = values.remove("jwks").map(|s| jwks_source(s, diagnostics));
            let algorithms = values
                .remove("algorithms")
                .map(|list| jwt_algorithms(&list, diagnostics));
            let leeway = values.remove("leeway").map(|l| jwt_leeway(&l, diagnostics));
            let scope_claim = values
                .remove("scope_claim")
                .map(|c| claim_name(c, diagnostics));
            let (Some(jwks), Some(algorithms), Some(leeway_seconds), Some(scope_claim)) = (
                jwks.map_or(Some(None), |j| j.map(Some)),
                algorithms.map_or(Some(Vec::new()), |a| a),
                leeway.map_or(Some(None), |l| l.map(Some)),
                scope_claim.map_or(Some(None), |c| c.map(Some)),
            ) else {
                return None;
            };
            Some(AuthKind::Jwt {
                issuer: issuer.node,
                audience: values.remove("audience").map(|v| v.node),
                jwks,
                algorithms,
                leeway_seconds,
                scope_claim,
            })
        }
        _ => {
            let subject = match values.remove("subject") {
                Some(pattern) => Some(host_glob(&pattern, diagnostics)?),
                None => None,
            };
            Some(AuthKind::Mtls {
                subject,
                header: values.remove("header").map(|v| v.node),
            })
        }
    }
}

/// The most clock skew a `jwt` scheme may allow: beyond it, an expired
/// token is not late but accepted.
const MAX_JWT_LEEWAY_SECONDS: u32 = 300;

fn invalid_argument(span: Span, message: String, label: &str, help: String) -> Diagnostic {
    Diagnostic::new(Code::InvalidAuthArgument, span, message)
        .label(label.to_string())
        .help(help)
}

/// `jwks:` is an `https` URL, or a file path relative to the policy. Plain
/// `http` is accepted only for a loopback host (a local identity provider
/// in development): keys fetched over the open network without TLS could
/// be anyone's.
fn jwks_source(source: Spanned<String>, diagnostics: &mut Diagnostics) -> Option<String> {
    let text = source.node.as_str();
    let bad = |why: &str| {
        invalid_argument(
            source.span,
            format!("`jwks` {why}"),
            "not a JWKS source",
            "give an `https://` URL of a JWKS document or a file path such as `keys/jwks.json`; without `jwks`, the keys come from the issuer's OpenID discovery document".into(),
        )
    };
    if text.trim().is_empty() {
        diagnostics.push(bad("is empty"));
        return None;
    }
    if let Some(rest) = text.strip_prefix("http://") {
        let host = rest.split(['/', ':']).next().unwrap_or("");
        if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
            diagnostics.push(bad("uses plain `http` for a host that is not this machine: keys must come over `https`"));
            return None;
        }
    } else if text.contains("://") && !text.starts_with("https://") {
        diagnostics.push(bad("must be an `https://` URL or a file path"));
        return None;
    }
    Some(source.node)
}

/// `algorithms:` names JWS algorithms, separated by spaces or commas.
fn jwt_algorithms(
    list: &Spanned<String>,
    diagnostics: &mut Diagnostics,
) -> Option<Vec<JwtAlgorithm>> {
    let mut algorithms = Vec::new();
    let mut ok = true;
    for name in list.node.split([' ', ',']).filter(|n| !n.is_empty()) {
        if name.eq_ignore_ascii_case("none") {
            ok = false;
            diagnostics.push(invalid_argument(
                list.span,
                "`none` cannot be accepted: an unsigned token proves nothing".into(),
                "`none` is never accepted",
                "remove `none`; the default accepts every asymmetric algorithm".into(),
            ));
            continue;
        }
        let Some(algorithm) = JwtAlgorithm::parse(name) else {
            ok = false;
            let known = JwtAlgorithm::ALL.map(JwtAlgorithm::as_str);
            diagnostics.push(invalid_argument(
                list.span,
                format!("unknown JWS algorithm `{name}`"),
                "unknown algorithm",
                match did_you_mean(name, known.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? Names are spelt as in a token's `alg`"),
                    None => format!("the algorithms are {}", quote_list(&known)),
                },
            ));
            continue;
        };
        if algorithms.contains(&algorithm) {
            ok = false;
            diagnostics.push(invalid_argument(
                list.span,
                format!("`{name}` is listed twice"),
                "repeated algorithm",
                "list each algorithm once".into(),
            ));
            continue;
        }
        algorithms.push(algorithm);
    }
    if ok && algorithms.is_empty() {
        diagnostics.push(invalid_argument(
            list.span,
            "`algorithms` lists no algorithm".into(),
            "empty list",
            "write for example `algorithms: \"RS256 ES256\"`, or leave it out for every asymmetric algorithm".into(),
        ));
        return None;
    }
    ok.then_some(algorithms)
}

/// `leeway:` is a duration such as `30s` or `2m`, at most five minutes.
fn jwt_leeway(leeway: &Spanned<String>, diagnostics: &mut Diagnostics) -> Option<u32> {
    let text = leeway.node.trim();
    let (digits, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let scale = match unit {
        "s" => Some(1),
        "m" => Some(60),
        _ => None,
    };
    let seconds = scale.and_then(|scale| digits.parse::<u32>().ok()?.checked_mul(scale));
    match seconds {
        Some(seconds) if seconds <= MAX_JWT_LEEWAY_SECONDS => Some(seconds),
        Some(_) => {
            diagnostics.push(invalid_argument(
                leeway.span,
                format!("a leeway of `{text}` accepts tokens long past their expiry"),
                "more than 5 minutes",
                "clocks that disagree by more than a few seconds need fixing, not a leeway; use at most `5m`".into(),
            ));
            None
        }
        None => {
            diagnostics.push(invalid_argument(
                leeway.span,
                format!("`{text}` is not a duration"),
                "not a duration",
                "write seconds or minutes, such as `leeway: \"30s\"`".into(),
            ));
            None
        }
    }
}

/// `scope_claim:` names a top-level claim.
fn claim_name(claim: Spanned<String>, diagnostics: &mut Diagnostics) -> Option<String> {
    let valid = !claim.node.is_empty()
        && claim
            .node
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':' | b'.' | b'/'));
    if !valid {
        diagnostics.push(invalid_argument(
            claim.span,
            format!("`{}` is not a claim name", claim.node),
            "not a claim name",
            "write the claim's name, such as `scope_claim: \"scp\"`".into(),
        ));
        return None;
    }
    Some(claim.node)
}

/// Compiles a host-name pattern for mTLS subjects (see [`GlobKind::Host`]).
fn host_glob(pattern: &Spanned<String>, diagnostics: &mut Diagnostics) -> Option<Glob> {
    if pattern.node.contains('/') {
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidGlob,
                pattern.span,
                "a subject pattern is a host name and cannot contain `/`",
            )
            .label("not a host pattern")
            .help("write a host name pattern such as `*.internal.example.com`"),
        );
        return None;
    }
    compile_glob(
        pattern,
        GlobKind::Host,
        "subject patterns use `*` for one label or part of one (`*.internal.example.com`)",
        diagnostics,
    )
}

/// Compiles a glob pattern, reporting `GH-E0206` if it is invalid.
pub(crate) fn glob(pattern: &Spanned<String>, diagnostics: &mut Diagnostics) -> Option<Glob> {
    compile_glob(
        pattern,
        GlobKind::Text,
        "patterns use `*` for any run of characters, `?` for one, `[abc]` for a class and `{a,b}` for alternatives",
        diagnostics,
    )
}

fn compile_glob(
    pattern: &Spanned<String>,
    kind: GlobKind,
    help: &str,
    diagnostics: &mut Diagnostics,
) -> Option<Glob> {
    match Glob::new(&pattern.node, kind) {
        Ok(glob) => Some(glob),
        Err(error) => {
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidGlob,
                    pattern.span,
                    format!("invalid pattern: {error}"),
                )
                .label("invalid glob")
                .help(help),
            );
            None
        }
    }
}

/// Parses an IP network, reporting `GH-E0207` if it is invalid. A bare
/// address is a network of one.
pub(crate) fn cidr(text: &Spanned<String>, diagnostics: &mut Diagnostics) -> Option<IpNet> {
    let parsed = text
        .node
        .parse::<IpNet>()
        .ok()
        .or_else(|| text.node.parse::<std::net::IpAddr>().ok().map(IpNet::from));
    match parsed {
        Some(net) if net.trunc() != net => {
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidCidr,
                    text.span,
                    format!("`{}` has host bits set", text.node),
                )
                .label("not a network address")
                .help(format!("did you mean `{}`?", net.trunc())),
            );
            None
        }
        Some(net) => Some(net),
        None => {
            diagnostics.push(
                Diagnostic::new(Code::InvalidCidr, text.span, format!("`{}` is not an IP network", text.node))
                    .label("invalid network")
                    .help("write an address or a network in CIDR form: `10.0.0.0/8`, `192.168.1.7`, `2001:db8::/32`"),
            );
            None
        }
    }
}

const OPTIONS: &[&str] = &[
    "trusted_proxies",
    "method_override",
    "forwarded",
    "trailing_slash",
    "on_store_error",
    "lookalike_characters",
];

fn api_options(list: &[OptionAst], diagnostics: &mut Diagnostics) -> ApiOptions {
    let mut options = ApiOptions::default();
    let mut seen: FxHashMap<&str, Span> = FxHashMap::default();
    for option in list {
        let name = option.name.node.as_str();
        if !OPTIONS.contains(&name) {
            diagnostics.push(
                Diagnostic::new(
                    Code::UnknownOption,
                    option.name.span,
                    format!("unknown option `{name}`"),
                )
                .label("not an option")
                .help(match did_you_mean(name, OPTIONS.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the options are {}", quote_list(OPTIONS)),
                }),
            );
            continue;
        }
        if let Some(first) = seen.insert(name, option.span) {
            diagnostics.push(
                Diagnostic::new(Code::InvalidOptionValue, option.span, format!("option `{name}` is set twice"))
                    .label("set again here")
                    .related(first, "first set here")
                    .help("set each option once; options that take several values list them in one line: `trusted_proxies = 10.0.0.0/8, 192.168.0.0/16`"),
            );
            continue;
        }
        match name {
            "trusted_proxies" => {
                for value in &option.values {
                    match &value.node {
                        OptionValue::Cidr(text) => {
                            if let Some(net) =
                                cidr(&Spanned::new(text.clone(), value.span), diagnostics)
                            {
                                options.trusted_proxies.push(net);
                            }
                        }
                        _ => diagnostics.push(bad_value(
                            name,
                            value.span,
                            "IP networks such as `10.0.0.0/8`",
                        )),
                    }
                }
            }
            "lookalike_characters" => {
                if let Some(v) = choice(option, &["deny", "allow"], diagnostics) {
                    options.lookalike_characters = v == "allow";
                }
            }
            "method_override" => {
                if let Some(v) = choice(option, &["allow", "deny"], diagnostics) {
                    options.method_override = v == "allow";
                }
            }
            "forwarded" => {
                if let Some(v) = choice(option, &["deny", "ignore"], diagnostics) {
                    options.forwarded = if v == "ignore" {
                        ForwardedPolicy::Ignore
                    } else {
                        ForwardedPolicy::Deny
                    };
                }
            }
            "trailing_slash" => {
                if let Some(v) = choice(option, &["deny", "strip"], diagnostics) {
                    options.trailing_slash = if v == "strip" {
                        TrailingSlash::Strip
                    } else {
                        TrailingSlash::Deny
                    };
                }
            }
            _ => {
                if let Some(v) = choice(option, &["deny", "allow"], diagnostics) {
                    options.on_store_error = if v == "allow" {
                        StoreErrorPolicy::Allow
                    } else {
                        StoreErrorPolicy::Deny
                    };
                }
            }
        }
    }
    options
}

/// An option that takes exactly one of a few words.
fn choice<'a>(
    option: &'a OptionAst,
    words: &[&str],
    diagnostics: &mut Diagnostics,
) -> Option<&'a str> {
    let name = option.name.node.as_str();
    let expected = quote_list(words);
    match option.values.as_slice() {
        [value] => match &value.node {
            OptionValue::Name(word) if words.contains(&word.as_str()) => Some(word.as_str()),
            _ => {
                diagnostics.push(bad_value(name, value.span, &expected));
                None
            }
        },
        _ => {
            diagnostics.push(bad_value(
                name,
                option.span,
                &format!("exactly one of {expected}"),
            ));
            None
        }
    }
}

fn bad_value(name: &str, span: Span, expected: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidOptionValue,
        span,
        format!("invalid value for option `{name}`"),
    )
    .label("invalid value")
    .help(format!("`{name}` takes {expected}"))
}

pub(crate) fn quote_list(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
