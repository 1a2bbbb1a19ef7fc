//! `gatehouse gateway`: a working configuration for nginx, Caddy, Traefik
//! or Envoy in front of an API, with `gatehouse serve` deciding every
//! request. The routes come from the policy: each API's `base` becomes a
//! path prefix and its `host` a virtual host, so the gateway serves the
//! APIs the policy describes and answers 404 itself for anything else.
//!
//! What each configuration guarantees, whatever the gateway:
//!
//! - Every request it proxies to the upstream was allowed by a check, and
//!   the upstream receives the request target the check decided on (no
//!   rewriting in between; gatehouse denies ambiguous paths itself).
//! - The upstream receives the principal headers of the allow
//!   ([`PRINCIPAL_HEADERS`]) and never a client's own headers of those
//!   names, even where the allow leaves them empty.
//! - A denial reaches the client as gatehouse answered it: status,
//!   `WWW-Authenticate`, `Allow`, `Retry-After`, `RateLimit-*` and the
//!   problem body. nginx's `auth_request` relays only 401 and 403, so the
//!   nginx configuration replays the real denial through [`DENIAL_PATH`].
//! - Gatehouse unreachable is a denial (5xx from the gateway), never an
//!   allow.
//!
//! nginx and Caddy are tested against the real servers
//! (`tests/gateways.rs`); the Traefik and Envoy output is checked for the
//! fields those gateways need.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use gatehouse::PolicySet;

use crate::check::PRINCIPAL_HEADERS;
use crate::config::Listen;
use crate::forward_auth::{DENIAL_HEADER, DENIAL_PATH, REASON_HEADER};

/// The gateways a configuration can be printed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gateway {
    /// nginx with `auth_request` (a `server` block for its `http` context).
    Nginx,
    /// Caddy 2.6 or later (a Caddyfile).
    Caddy,
    /// Traefik v2 or v3 (dynamic configuration for the file provider).
    Traefik,
    /// Envoy with the `ext_authz` filter over gRPC (a bootstrap file).
    Envoy,
}

/// A `host:port` the configuration points at or listens on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    host: String,
    port: u16,
}

impl Address {
    /// An address from its parts; `host` is an IP address or a DNS name.
    pub fn new(host: &str, port: u16) -> Result<Address, String> {
        let plain = host.trim_start_matches('[').trim_end_matches(']');
        let name = !plain.is_empty()
            && plain.len() <= 253
            && plain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if plain.parse::<IpAddr>().is_err() && !name {
            return Err(format!("`{host}` is not an IP address or a host name"));
        }
        if port == 0 {
            return Err("the port must not be 0".to_string());
        }
        Ok(Address {
            host: plain.to_ascii_lowercase(),
            port,
        })
    }

    /// The host, without brackets: `127.0.0.1`, `::1`, `gatehouse`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the host is an IP address (not a name to resolve).
    fn is_ip(&self) -> bool {
        self.host.parse::<IpAddr>().is_ok()
    }

    /// Whether the host is the unspecified address (listen everywhere).
    fn is_unspecified(&self) -> bool {
        self.host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_unspecified())
    }

    /// The host as it goes before `:port` (IPv6 in brackets).
    fn url_host(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.url_host(), self.port)
    }
}

impl FromStr for Address {
    type Err = String;

    /// `127.0.0.1:9191`, `[::1]:9191` or `gatehouse.internal:9191`.
    fn from_str(text: &str) -> Result<Address, String> {
        let (host, port) = text
            .rsplit_once(':')
            .ok_or_else(|| format!("`{text}` is not HOST:PORT"))?;
        if host.contains(':') && !(host.starts_with('[') && host.ends_with(']')) {
            return Err(format!(
                "`{text}`: write an IPv6 address in brackets, `[::1]:PORT`"
            ));
        }
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("`{text}`: `{port}` is not a port"))?;
        Address::new(host, port)
    }
}

/// The API the gateway proxies allowed requests to: `http://HOST:PORT`
/// or `https://HOST[:PORT]`, with no path (the upstream receives the
/// request target that was checked, unchanged).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    tls: bool,
    address: Address,
}

impl Upstream {
    /// The URL: `http://127.0.0.1:8080`.
    pub fn url(&self) -> String {
        format!(
            "{}://{}",
            if self.tls { "https" } else { "http" },
            self.address
        )
    }

    /// Its address.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// Whether it is reached over TLS.
    pub fn tls(&self) -> bool {
        self.tls
    }
}

impl FromStr for Upstream {
    type Err = String;

    fn from_str(text: &str) -> Result<Upstream, String> {
        let (tls, rest) = if let Some(rest) = text.strip_prefix("http://") {
            (false, rest)
        } else if let Some(rest) = text.strip_prefix("https://") {
            (true, rest)
        } else {
            return Err(format!("`{text}` is not an http:// or https:// URL"));
        };
        // A path would make gateways rewrite the checked target (nginx
        // replaces the location prefix with it): refuse rather than guess.
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@']) {
            return Err(format!(
                "`{text}`: give the upstream as SCHEME://HOST[:PORT], without a path, query or user"
            ));
        }
        let default_port = if tls { 443 } else { 80 };
        let has_port = match authority.rsplit_once(':') {
            Some((host, _)) => !host.starts_with('[') || host.ends_with(']'),
            None => false,
        };
        let address = if has_port {
            authority.parse::<Address>()?
        } else {
            Address::new(authority, default_port)?
        };
        Ok(Upstream { tls, address })
    }
}

/// Where things are, for the printed configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Where `gatehouse serve` answers forward-auth checks.
    pub gatehouse: Address,
    /// Where `gatehouse serve` answers Envoy's gRPC `ext_authz` checks.
    pub grpc: Address,
    /// The API.
    pub upstream: Upstream,
    /// Where the gateway listens.
    pub listen: Address,
    /// The largest request body Envoy buffers and sends to the check;
    /// larger bodies are refused (413) rather than let through unchecked.
    pub max_request_bytes: u64,
}

impl Default for Options {
    fn default() -> Options {
        let local = |port| Address {
            host: "127.0.0.1".to_string(),
            port,
        };
        Options {
            gatehouse: local(Listen::default().check.port()),
            grpc: local(9192),
            upstream: Upstream {
                tls: false,
                address: local(8080),
            },
            listen: local(8000),
            max_request_bytes: 1024 * 1024,
        }
    }
}

/// The configuration of `gateway` for `policy`'s APIs.
pub fn render(gateway: Gateway, policy: &PolicySet, options: &Options) -> String {
    let plan = Plan::of(policy);
    match gateway {
        Gateway::Nginx => nginx(&plan, options),
        Gateway::Caddy => caddy(&plan, options),
        Gateway::Traefik => traefik(&plan, options),
        Gateway::Envoy => envoy(&plan, options),
    }
}

/// The routes of a policy set: which bases each host serves.
struct Plan {
    /// One site per API host, then the site of every other host (last).
    sites: Vec<Site>,
    /// Every API, for gateways that route per API (Traefik).
    apis: Vec<ApiRoute>,
}

struct Site {
    /// `None`: any host not named by another site.
    host: Option<String>,
    /// Longest base first (Envoy takes the first route that matches).
    routes: Vec<Route>,
}

struct Route {
    /// `/v1`, or `/` for every path.
    base: String,
    /// The APIs served there, for comments.
    apis: Vec<String>,
}

struct ApiRoute {
    name: String,
    host: Option<String>,
    base: String,
}

impl Site {
    /// Whether some API takes every path, so nothing is left for the
    /// gateway to answer 404 itself.
    fn serves_every_path(&self) -> bool {
        self.routes.iter().any(|route| route.base == "/")
    }
}

impl Plan {
    fn of(policy: &PolicySet) -> Plan {
        let mut anyhost: Vec<Route> = Vec::new();
        let mut hosts: Vec<(String, Vec<Route>)> = Vec::new();
        let mut apis = Vec::new();
        for api in policy.apis() {
            let base = routable(api.base());
            let host = api.host().map(str::to_ascii_lowercase);
            apis.push(ApiRoute {
                name: api.name().to_string(),
                host: host.clone(),
                base: base.clone(),
            });
            let routes = match host {
                None => &mut anyhost,
                Some(host) => {
                    let index = match hosts.iter().position(|(h, _)| *h == host) {
                        Some(index) => index,
                        None => {
                            hosts.push((host, Vec::new()));
                            hosts.len() - 1
                        }
                    };
                    match hosts.get_mut(index) {
                        Some((_, routes)) => routes,
                        None => continue,
                    }
                }
            };
            add_route(routes, &base, api.name());
        }
        let mut sites = Vec::with_capacity(hosts.len() + 1);
        for (host, mut routes) in hosts {
            // An API without a host serves every host, this one too.
            for route in &anyhost {
                for api in &route.apis {
                    add_route(&mut routes, &route.base, api);
                }
            }
            sites.push(Site {
                host: Some(host),
                routes,
            });
        }
        sites.push(Site {
            host: None,
            routes: anyhost,
        });
        for site in &mut sites {
            site.routes.sort_by(|a, b| {
                b.base
                    .len()
                    .cmp(&a.base.len())
                    .then_with(|| a.base.cmp(&b.base))
            });
        }
        Plan { sites, apis }
    }
}

fn add_route(routes: &mut Vec<Route>, base: &str, api: &str) {
    match routes.iter_mut().find(|route| route.base == base) {
        Some(route) => route.apis.push(api.to_string()),
        None => routes.push(Route {
            base: base.to_string(),
            apis: vec![api.to_string()],
        }),
    }
}

/// The base as a gateway path prefix. A base with characters a gateway
/// would read as syntax or decode (`;`, `%`, quotes, ...) is routed as `/`
/// instead: every path then goes to the check, which still selects the
/// API by its exact base, so the configuration stays correct, only less
/// narrow.
fn routable(base: String) -> String {
    let plain = base
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~'));
    if plain {
        base
    } else {
        "/".to_string()
    }
}

/// The APIs a route serves, for a comment: `pets (/v1), admin (/v1)`.
fn served(route: &Route) -> String {
    let names: Vec<String> = route.apis.iter().map(|api| format!("`{api}`")).collect();
    format!("API {} at {}", names.join(", "), route.base)
}

/// Lines of text with indentation; writing to a `String` cannot fail, so
/// nothing here returns an error.
#[derive(Default)]
struct Out {
    text: String,
}

impl Out {
    fn line(&mut self, indent: &str, text: &str) {
        if !text.is_empty() {
            self.text.push_str(indent);
            self.text.push_str(text);
        }
        self.text.push('\n');
    }

    fn lines<S: AsRef<str>>(&mut self, indent: &str, lines: impl IntoIterator<Item = S>) {
        for line in lines {
            self.line(indent, line.as_ref());
        }
    }

    fn blank(&mut self) {
        self.text.push('\n');
    }
}

/// The nginx variable holding a check response header: `X-Gatehouse-Key-Id`
/// → `gatehouse_key_id`.
fn nginx_variable(header: &str) -> String {
    let name = header.to_ascii_lowercase().replace('-', "_");
    name.strip_prefix("x_").unwrap_or(&name).to_string()
}

const NGINX_CHECK: &str = "/_gatehouse/check";

/// The nginx upstream names of gatehouse and of the API.
const NGINX_GATEHOUSE: &str = "gatehouse";
const NGINX_API: &str = "gatehouse_api";

/// The directives that make a `proxy_pass` to an `upstream` block reuse
/// its kept-alive connections (HTTP/1.1, no `Connection: close`).
const NGINX_KEEPALIVE: [&str; 2] = [
    "proxy_http_version 1.1;",
    "proxy_set_header Connection \"\";",
];

fn nginx(plan: &Plan, options: &Options) -> String {
    let mut out = Out::default();
    let gatehouse = format!("http://{NGINX_GATEHOUSE}");
    let check_path = Listen::default().check_path;
    out.lines(
        "",
        [
            "# nginx in front of the API, `gatehouse serve` deciding every request",
            "# (printed by `gatehouse gateway nginx` from the policy's APIs).",
            "#",
            "# Put this file in nginx's `http` context (for example",
            "# /etc/nginx/conf.d/gatehouse.conf; it needs the auth_request module,",
            "# which Debian's and the official packages have), run",
            &format!(
                "# `gatehouse serve` on {}, then `nginx -t` and reload.",
                options.gatehouse
            ),
            "#",
            "# Each request is checked first (auth_request to gatehouse's /check);",
            "# an allow goes to the upstream with the X-Gatehouse-* headers of the",
            "# decision, a denial is answered as gatehouse decided it.",
        ],
    );
    out.blank();
    out.lines(
        "",
        [
            "# Connections to gatehouse and to the API are kept open and reused:",
            "# by default nginx opens one per request, which costs a handshake",
            "# each time and, at a few thousand requests a second, runs out of",
            "# local ports.",
            &format!("upstream {NGINX_GATEHOUSE} {{"),
            &format!("    server {};", options.gatehouse),
            "    keepalive 64;",
            "}",
            &format!("upstream {NGINX_API} {{"),
            &format!("    server {};", options.upstream.address()),
            "    keepalive 64;",
            "}",
        ],
    );
    for site in &plan.sites {
        out.blank();
        out.line("", "server {");
        let indent = "    ";
        match &site.host {
            Some(host) => {
                out.line(indent, &format!("listen {};", options.listen));
                out.line(indent, &format!("server_name {host};"));
            }
            None => {
                out.line(
                    indent,
                    &format!("listen {} default_server;", options.listen),
                );
                out.line(indent, "server_name _;");
            }
        }
        for route in &site.routes {
            out.blank();
            nginx_api_location(&mut out, route, &options.upstream);
        }
        if !site.serves_every_path() {
            out.blank();
            out.lines(
                indent,
                [
                    "# No API's base: not the API's to answer, and never proxied.",
                    "location / {",
                    "    return 404;",
                    "}",
                ],
            );
        }
        out.blank();
        nginx_check_locations(&mut out, &gatehouse, &check_path);
        out.line("", "}");
    }
    out.text
}

fn nginx_api_location(out: &mut Out, route: &Route, upstream: &Upstream) {
    let (indent, inner) = ("    ", "        ");
    out.line(indent, &format!("# {}.", served(route)));
    out.line(indent, &format!("location {} {{", route.base));
    out.line(inner, &format!("auth_request {NGINX_CHECK};"));
    for header in PRINCIPAL_HEADERS.iter().chain([&DENIAL_HEADER]) {
        out.line(
            inner,
            &format!(
                "auth_request_set ${} $upstream_http_{};",
                nginx_variable(header),
                header.to_ascii_lowercase().replace('-', "_")
            ),
        );
    }
    out.lines(
        inner,
        [
            "# auth_request relays only 401 and 403: both are replayed from",
            "# the check's X-Gatehouse-Denial, so the client gets the real",
            "# status (404, 405, 429, ...), its headers and the problem body.",
            "error_page 401 = @gatehouse_unauthorized;",
            "error_page 403 = @gatehouse_denial;",
            "",
            "# The target is passed on as the client sent it: what was checked.",
            &format!(
                "proxy_pass {}://{NGINX_API};",
                if upstream.tls() { "https" } else { "http" }
            ),
            NGINX_KEEPALIVE[0],
            NGINX_KEEPALIVE[1],
            "proxy_set_header Host $host;",
            "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
            "proxy_set_header X-Forwarded-Proto $scheme;",
            "# Set even when empty: nginx then sends none, and never the",
            "# client's own header of that name.",
        ],
    );
    for header in PRINCIPAL_HEADERS {
        out.line(
            inner,
            &format!("proxy_set_header {header} ${};", nginx_variable(header)),
        );
    }
    // Gatehouse's other header names are not the client's to send either.
    for header in [DENIAL_HEADER, REASON_HEADER] {
        out.line(inner, &format!("proxy_set_header {header} \"\";"));
    }
    out.line(indent, "}");
}

fn nginx_check_locations(out: &mut Out, gatehouse: &str, check_path: &str) {
    let (indent, inner) = ("    ", "        ");
    let denial_variable = nginx_variable(DENIAL_HEADER);
    out.line(indent, "# The check: the client's headers, never its body.");
    out.line(indent, &format!("location = {NGINX_CHECK} {{"));
    out.lines(
        inner,
        [
            "internal;",
            &format!("proxy_pass {gatehouse}{check_path};"),
            NGINX_KEEPALIVE[0],
            NGINX_KEEPALIVE[1],
            "proxy_pass_request_body off;",
            "proxy_set_header Content-Length \"\";",
            "proxy_set_header X-Original-Method $request_method;",
            "# The raw target: gatehouse refuses what is ambiguous itself.",
            "proxy_set_header X-Original-URI $request_uri;",
            "proxy_set_header Host $host;",
            "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
            "# Whether there is a body the check does not see.",
            "proxy_set_header X-Original-Content-Length $content_length;",
            "proxy_set_header X-Original-Transfer-Encoding $http_transfer_encoding;",
            "# A client's own forwarding headers would make the check ambiguous.",
            "proxy_set_header X-Original-Host \"\";",
            "proxy_set_header X-Forwarded-Method \"\";",
            "proxy_set_header X-Forwarded-Uri \"\";",
            "proxy_set_header X-Forwarded-Host \"\";",
        ],
    );
    out.line(indent, "}");
    for (name, comment) in [
        (
            "gatehouse_denial",
            "# A denial, replayed: gatehouse answers with its real status.",
        ),
        (
            "gatehouse_unauthorized",
            "# A 401, replayed; auth_request already copied WWW-Authenticate.",
        ),
    ] {
        out.blank();
        out.line(indent, comment);
        out.line(indent, &format!("location @{name} {{"));
        out.lines(
            inner,
            [
                &format!("rewrite ^ {DENIAL_PATH} break;"),
                "proxy_method GET;",
                &format!("proxy_pass {gatehouse};"),
                NGINX_KEEPALIVE[0],
                NGINX_KEEPALIVE[1],
                "proxy_pass_request_headers off;",
                "proxy_pass_request_body off;",
                "proxy_set_header Content-Length \"\";",
                &format!("proxy_set_header {DENIAL_HEADER} ${denial_variable};"),
            ],
        );
        if name == "gatehouse_unauthorized" {
            out.line(inner, "proxy_hide_header WWW-Authenticate;");
        }
        out.line(indent, "}");
    }
}

fn caddy(plan: &Plan, options: &Options) -> String {
    let mut out = Out::default();
    out.lines(
        "",
        [
            "# Caddy (2.6 or later) in front of the API, `gatehouse serve` deciding",
            "# every request (printed by `gatehouse gateway caddy` from the policy's",
            "# APIs).",
            "#",
            &format!("# Run `gatehouse serve` on {}, then", options.gatehouse),
            "# `caddy run --config Caddyfile`.",
            "#",
            "# Each request is checked first (forward_auth to gatehouse's /check);",
            "# an allow goes to the upstream with the X-Gatehouse-* headers of the",
            "# decision, a denial is answered as gatehouse decided it.",
            "{",
            &format!(
                "\t# Plain HTTP on {}: for HTTPS, remove this line and name",
                options.listen
            ),
            "\t# the sites by their host.",
            "\tauto_https off",
            "}",
            "",
            "# The check, then the upstream: imported by every API route below.",
            "(gatehouse) {",
            "\t# In this order (`route`): Caddy's own order would run",
            "\t# request_header after forward_auth.",
            "\troute {",
            "\t\t# Whatever a client sends under these names is dropped first;",
            "\t\t# the allow's own values are copied in below.",
            "\t\trequest_header -X-Gatehouse-*",
            "\t\trequest_header -X-Original-*",
            &format!("\t\tforward_auth {} {{", options.gatehouse),
            &format!("\t\t\turi {}", Listen::default().check_path),
            "\t\t\t# Caddy sends neither the body nor its length: say whether there is one.",
            "\t\t\theader_up X-Original-Content-Length {http.request.header.Content-Length}",
            &format!("\t\t\tcopy_headers {}", PRINCIPAL_HEADERS.join(" ")),
            "\t\t}",
            &format!("\t\treverse_proxy {}", options.upstream.url()),
            "\t}",
            "}",
        ],
    );
    let bind = (!options.listen.is_unspecified()).then(|| options.listen.host().to_string());
    for site in &plan.sites {
        out.blank();
        match &site.host {
            Some(host) => out.line("", &format!("http://{host}:{} {{", options.listen.port())),
            None => {
                out.line("", "# Every host no other site names.");
                out.line("", &format!("http://:{} {{", options.listen.port()));
            }
        }
        if let Some(bind) = &bind {
            out.line("\t", &format!("bind {bind}"));
        }
        for route in &site.routes {
            out.line("\t", &format!("# {}.", served(route)));
            if route.base == "/" {
                out.line("\t", "handle {");
            } else {
                out.line("\t", &format!("handle {}* {{", route.base));
            }
            out.line("\t\t", "import gatehouse");
            out.line("\t", "}");
        }
        if !site.serves_every_path() {
            out.lines(
                "\t",
                [
                    "# No API's base: not the API's to answer, and never proxied.",
                    "handle {",
                    "\trespond 404",
                    "}",
                ],
            );
        }
        out.line("", "}");
    }
    out.text
}

/// A YAML scalar: a JSON string, which YAML reads as the same string.
fn yaml(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// A Traefik rule for an API: `Host(`h`) && PathPrefix(`/v1`)`.
fn traefik_rule(api: &ApiRoute) -> String {
    let path = format!("PathPrefix(`{}`)", api.base);
    match &api.host {
        Some(host) => format!("Host(`{host}`) && {path}"),
        None => path,
    }
}

fn traefik(plan: &Plan, options: &Options) -> String {
    let mut out = Out::default();
    out.lines(
        "",
        [
            "# Traefik (v2.10 or v3) in front of the API, `gatehouse serve` deciding",
            "# every request (printed by `gatehouse gateway traefik` from the",
            "# policy's APIs): dynamic configuration for the file provider.",
            "#",
            "# Traefik's static configuration needs the entry point and this file:",
            "#   entryPoints:",
            "#     gatehouse:",
            &format!("#       address: {}", yaml(&options.listen.to_string())),
            "#   providers:",
            "#     file:",
            "#       filename: /etc/traefik/gatehouse.yml",
            "#",
            "# Each request is checked first (forwardAuth to gatehouse's /check);",
            "# an allow goes to the upstream with the X-Gatehouse-* headers of the",
            "# decision (authResponseHeaders replace a client's own), a denial is",
            "# answered as gatehouse decided it. A path outside every API's base",
            "# matches no router: Traefik answers 404.",
            "http:",
            "  routers:",
        ],
    );
    for (index, api) in plan.apis.iter().enumerate() {
        out.line(
            "    ",
            &format!("gatehouse-{}-{index}:", traefik_name(&api.name)),
        );
        out.lines(
            "      ",
            [
                &format!("# API `{}` at {}.", api.name, api.base),
                "entryPoints: [\"gatehouse\"]",
                &format!("rule: {}", yaml(&traefik_rule(api))),
                "middlewares: [\"gatehouse-strip\", \"gatehouse\"]",
                "service: \"gatehouse-upstream\"",
            ],
        );
    }
    out.lines(
        "",
        [
            "  middlewares:",
            "    # A client's own control headers are dropped (an empty value",
            "    # removes the header), so they can neither confuse the check nor",
            "    # reach the upstream.",
            "    gatehouse-strip:",
            "      headers:",
            "        customRequestHeaders:",
        ],
    );
    let stripped = PRINCIPAL_HEADERS.iter().chain(&[
        "X-Original-Method",
        "X-Original-URI",
        "X-Original-Host",
        "X-Original-Content-Length",
        "X-Original-Transfer-Encoding",
    ]);
    out.lines(
        "          ",
        stripped.map(|header| format!("{header}: \"\"")),
    );
    let check = format!(
        "http://{}{}",
        options.gatehouse,
        Listen::default().check_path
    );
    out.lines(
        "",
        [
            "    gatehouse:",
            "      forwardAuth:",
            &format!("        address: {}", yaml(&check)),
            "        # Only this Traefik says what the client asked.",
            "        trustForwardHeader: false",
            "        authResponseHeaders:",
        ],
    );
    out.lines(
        "          ",
        PRINCIPAL_HEADERS
            .iter()
            .map(|header| format!("- {}", yaml(header))),
    );
    out.lines(
        "",
        [
            "  services:",
            "    gatehouse-upstream:",
            "      loadBalancer:",
            "        servers:",
            &format!("          - url: {}", yaml(&options.upstream.url())),
        ],
    );
    out.text
}

/// A router name part: the API name with anything but letters, digits
/// and `-` replaced.
fn traefik_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// An Envoy `socket_address`.
fn envoy_socket(address: &Address) -> String {
    format!(
        "{{ address: {}, port_value: {} }}",
        yaml(address.host()),
        address.port()
    )
}

fn envoy(plan: &Plan, options: &Options) -> String {
    let mut out = Out::default();
    out.lines(
        "",
        [
            "# Envoy in front of the API, `gatehouse serve` deciding every request",
            "# over gRPC ext_authz (printed by `gatehouse gateway envoy` from the",
            "# policy's APIs). Run `gatehouse serve` with its gRPC listener on",
            &format!("# {} ([listen] grpc), then", options.grpc),
            "# `envoy -c envoy.yaml`.",
            "#",
            "# The check gets the headers, the body (up to max_request_bytes) and",
            "# the client certificate; an allow goes to the upstream with the",
            "# headers gatehouse sets, a denial is answered as gatehouse decided",
            "# it, and gatehouse unreachable is a 503, never an allow.",
            "static_resources:",
            "  listeners:",
            "    - name: gatehouse",
            &format!("      address: {{ socket_address: {} }}", envoy_socket(&options.listen)),
            "      filter_chains:",
            "        - filters:",
            "            - name: envoy.filters.network.http_connection_manager",
            "              typed_config:",
            "                \"@type\": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
            "                stat_prefix: gatehouse",
            "                # The client is the TCP peer; X-Forwarded-For from it is not believed.",
            "                use_remote_address: true",
            "                # The path is forwarded as it was checked: gatehouse refuses",
            "                # ambiguous paths (dot segments, encoded slashes) itself.",
            "                normalize_path: false",
            "                merge_slashes: false",
            "                path_with_escaped_slashes_action: KEEP_UNCHANGED",
            "                route_config:",
            "                  name: gatehouse",
            "                  virtual_hosts:",
        ],
    );
    let indent = "                    ";
    for (index, site) in plan.sites.iter().enumerate() {
        let (name, domains) = match &site.host {
            Some(host) => (
                format!("host-{index}"),
                format!("[{}, {}]", yaml(host), yaml(&format!("{host}:*"))),
            ),
            None => ("any-host".to_string(), "[\"*\"]".to_string()),
        };
        out.line(indent, &format!("- name: {}", yaml(&name)));
        out.line(indent, &format!("  domains: {domains}"));
        if site.routes.is_empty() {
            out.line(indent, "  # No API here: Envoy answers 404.");
            out.line(indent, "  routes: []");
            continue;
        }
        out.line(indent, "  routes:");
        for route in &site.routes {
            out.line(indent, &format!("    # {}.", served(route)));
            out.line(
                indent,
                &format!("    - match: {{ prefix: {} }}", yaml(&route.base)),
            );
            out.line(indent, "      route: { cluster: gatehouse-upstream }");
        }
    }
    out.lines(
        "",
        [
            "                http_filters:",
            "                  - name: envoy.filters.http.ext_authz",
            "                    typed_config:",
            "                      \"@type\": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz",
            "                      transport_api_version: V3",
            "                      grpc_service:",
            "                        envoy_grpc: { cluster_name: gatehouse }",
            "                        timeout: 1s",
            "                      # Gatehouse unreachable: deny (503), never allow.",
            "                      failure_mode_allow: false",
            "                      status_on_error: { code: ServiceUnavailable }",
            "                      # Body rules are checked on the body itself; a larger",
            "                      # body is refused (413), not let through unchecked.",
            "                      with_request_body:",
            &format!(
                "                        max_request_bytes: {}",
                options.max_request_bytes
            ),
            "                        allow_partial_message: false",
            "                        pack_as_bytes: true",
            "                      include_peer_certificate: true",
            "                  - name: envoy.filters.http.router",
            "                    typed_config:",
            "                      \"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
            "  clusters:",
            "    - name: gatehouse",
            "      type: STATIC",
            "      connect_timeout: 1s",
            "      # gRPC needs HTTP/2.",
            "      typed_extension_protocol_options:",
            "        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:",
            "          \"@type\": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
            "          explicit_http_config: { http2_protocol_options: {} }",
            "      load_assignment:",
            "        cluster_name: gatehouse",
            "        endpoints:",
            "          - lb_endpoints:",
            &format!(
                "              - endpoint: {{ address: {{ socket_address: {} }} }}",
                envoy_socket(&options.grpc)
            ),
            "    - name: gatehouse-upstream",
            &format!(
                "      type: {}",
                if options.upstream.address().is_ip() {
                    "STATIC"
                } else {
                    "STRICT_DNS"
                }
            ),
            "      connect_timeout: 5s",
            "      load_assignment:",
            "        cluster_name: gatehouse-upstream",
            "        endpoints:",
            "          - lb_endpoints:",
            &format!(
                "              - endpoint: {{ address: {{ socket_address: {} }} }}",
                envoy_socket(options.upstream.address())
            ),
        ],
    );
    if options.upstream.tls() {
        out.lines(
            "",
            [
                "      transport_socket:",
                "        name: envoy.transport_sockets.tls",
                "        typed_config:",
                "          \"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                &format!("          sni: {}", yaml(options.upstream.address().host())),
            ],
        );
    }
    out.text
}
