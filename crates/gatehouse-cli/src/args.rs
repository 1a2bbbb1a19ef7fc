//! The command line. Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Check, evaluate and explain Gatehouse API security policies.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, propagate_version = true)]
#[command(
    after_help = "Examples:\n  gatehouse check policies/\n  gatehouse eval policies/petstore.gate --request tests/requests/petstore/get-pets.json"
)]
pub struct Cli {
    /// When to use colour: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check policy files; print every diagnostic.
    ///
    /// Directories are searched recursively for `.gate` files. All files are
    /// checked together as one policy set (one API per file), so APIs whose
    /// base paths overlap are reported too. Exits 0 when there are no errors
    /// (warnings allowed), 1 when there are errors, 2 when a file cannot be read.
    #[command(
        after_help = "Examples:\n  gatehouse check policies/\n  gatehouse check policies/petstore.gate --format json"
    )]
    Check(CheckArgs),

    /// Decide one request against a policy set and explain the decision.
    ///
    /// The request is a JSON file (see the README for its format): method,
    /// path, headers, client IP and the authenticated principal. Prints the
    /// decision, its reason, the endpoint and the rule that decided.
    #[command(
        after_help = "Examples:\n  gatehouse eval policies/petstore.gate --request req.json\n  gatehouse eval policies/ --request req.json --json\n  gatehouse eval policies/ --request req.json --response resp.json --hash-key-env GATEHOUSE_HASH_KEY\n  gatehouse eval policies/petstore.gate --request bearer.json --jwks user=jwks.json --key-store keys.json --secret-file secret.txt\n  echo '{\"method\":\"GET\",\"path\":\"/v1/health\"}' | gatehouse eval policies/ --request -"
    )]
    Eval(EvalArgs),

    /// Format policy files in the one canonical layout, keeping every comment.
    ///
    /// Without a flag, prints the formatted text (with several files, each
    /// after a `==> FILE <==` line); `-` formats standard input. `--check`
    /// changes nothing: it lists the files that are not formatted, with a diff,
    /// and exits 1 if there are any. `--write` rewrites them. Formatting never
    /// changes what a policy means and never reorders anything. A file that
    /// does not parse is reported with its diagnostics and left alone (exit 1).
    /// Exits 2 when a file cannot be read or written.
    #[command(
        after_help = "Examples:\n  gatehouse fmt policies/petstore.gate\n  gatehouse fmt --check policies/\n  gatehouse fmt --write policies/\n  cat draft.gate | gatehouse fmt -"
    )]
    Fmt(FmtArgs),

    /// Find the policy mistakes that leak data or lock people out.
    ///
    /// Checks the policy set like `check` (errors stop there), then runs the
    /// lint rules: public endpoints without quotas, writes without body
    /// limits, unused scopes, shadowed routes, permissive networks, unmasked
    /// sensitive fields and more (`--list-rules`). A finding is allowed for
    /// one endpoint with a comment directive and a written reason:
    /// `# gatehouse: allow GH-L008 -- refs contain slashes`. Ends with the
    /// share of secured endpoints. Exits 0 when clean (warnings allowed), 1
    /// when there are errors (or, with `--deny warnings`, warnings), 2 when a
    /// file cannot be read.
    #[command(
        after_help = "Examples:\n  gatehouse lint policies/\n  gatehouse lint policies/ --deny warnings\n  gatehouse lint policies/ --format sarif > gatehouse.sarif\n  gatehouse lint --explain GH-L001\n  gatehouse lint --list-rules"
    )]
    Lint(LintArgs),

    /// Run policy tests: requests with the decision the policy must give them.
    ///
    /// Tests live beside the policy they test, as JSON: `policies/petstore.test.json`
    /// for `policies/petstore.gate` (see the README for the format). A directory
    /// loads every `.gate` file in it as one policy set and runs every `*.test.json`
    /// in it; a `.gate` file runs the test file beside it; a `.test.json` file runs
    /// against the policy beside it. Each test is decided by the compiled evaluator
    /// and traced by the reference interpreter; `--coverage` lists the endpoints and
    /// rules no test reached. Exits 0 when every test passes, 1 when one fails, 2 when
    /// a file cannot be read, a test file is invalid or the policy does not load.
    #[command(
        after_help = "Examples:\n  gatehouse test policies/\n  gatehouse test policies/petstore.gate --coverage\n  gatehouse test policies/ --filter petstore::owner\n  gatehouse test policies/ --format json"
    )]
    Test(TestArgs),

    /// Explain a decision step by step, with the source line of every rule checked.
    ///
    /// Evaluates the request with the reference interpreter and prints each step:
    /// target and API selection, hostile-header checks, the route candidates and why
    /// the most specific won, IP rules, authentication, each scope group, each
    /// condition with the values it compared, and shadow rules. The deciding step is
    /// marked; for a denial, the trace ends with what would have made the request
    /// pass. Exits 0 (1 with `--exit-code` when the request is denied), 2 when a file
    /// cannot be read or the policy does not load.
    #[command(
        after_help = "Examples:\n  gatehouse explain policies/ --request tests/requests/get-user.json\n  gatehouse explain policies/petstore.gate --request req.json --format json\n  echo '{\"method\":\"DELETE\",\"path\":\"/v1/health\"}' | gatehouse explain policies/ --request -"
    )]
    Explain(ExplainArgs),

    /// Print the compiled decision tree: per method, the route trie with its endpoints.
    ///
    /// Children are listed in the order the evaluator tries them (literal, typed
    /// parameter, parameter, `*`, `**`), each endpoint with a summary of its rules.
    /// `dot` is a Graphviz digraph (`| dot -Tsvg > tree.svg`), `mermaid` a flowchart
    /// for Markdown. Exits 0, or 2 when the policy does not load.
    #[command(
        after_help = "Examples:\n  gatehouse tree policies/petstore.gate\n  gatehouse tree policies/admin.gate --method GET\n  gatehouse tree policies/petstore.gate --format dot | dot -Tsvg > petstore.svg\n  gatehouse tree policies/petstore.gate --format mermaid"
    )]
    Tree(TreeArgs),

    /// List every endpoint with what guards it: one row per endpoint.
    ///
    /// Columns: API, method, path (with base), authentication, scopes, conditions,
    /// IP rules, quotas, body limit, response masks and allow-lists, owner, shadow
    /// mode and source location. Defaults are merged in. Exits 0, or 2 when the
    /// policy does not load.
    #[command(
        after_help = "Examples:\n  gatehouse inventory policies/\n  gatehouse inventory policies/ --format csv > endpoints.csv\n  gatehouse inventory policies/banking.gate --format markdown\n  gatehouse inventory policies/ --format json | jq '.endpoints[] | select(.public)'"
    )]
    Inventory(InventoryArgs),

    /// Compare two versions of a policy set: what the change widens or narrows.
    ///
    /// APIs are matched by name, endpoints by method and path shape. Every change is
    /// classified as widening access, narrowing it, or neutral, with its location in
    /// both versions: endpoints added or removed, made public, schemes, scopes and
    /// any-of groups, conditions, IP rules, quotas, body limits and rules, masks and
    /// allow-lists, shadow mode, options. The human output is Markdown, ready for a
    /// pull-request comment. Exits 0; 1 with `--fail-on-widen` when access widens; 2
    /// when a file cannot be read or either version does not load.
    #[command(
        after_help = "Examples:\n  gatehouse diff old/policies/ policies/\n  gatehouse diff tests/diff/old tests/diff/new --fail-on-widen\n  git show main:policies/petstore.gate > /tmp/old.gate && gatehouse diff /tmp/old.gate policies/petstore.gate\n  gatehouse diff old/ new/ --format json"
    )]
    Diff(DiffArgs),

    /// Issue, list, revoke and rotate the API keys of a key store.
    ///
    /// A key store is a JSON file that holds, for each key, its id, owner, scopes, times and
    /// allowed networks, and only a keyed digest of its secret. The server secret that keys the
    /// digests comes from `--secret-file` or the GATEHOUSE_KEY_SECRET environment variable and is
    /// never written to the store; `list` and `revoke` do not need it. A key reads
    /// `gk_<id>_<secret><checksum>` and is printed once, when it is made. Every change rewrites
    /// the store atomically. Exits 0, or 2 when the store or the secret cannot be read or the
    /// change is refused.
    #[command(
        after_help = "Examples:\n  head -c 32 /dev/urandom | base64 > secret.txt\n  gatehouse keys new --store keys.json --secret-file secret.txt --owner billing --expires 90d\n  gatehouse keys list --store keys.json\n  gatehouse keys rotate 2Hq8ZtLm --grace 7d --store keys.json --secret-file secret.txt\n  gatehouse keys revoke 2Hq8ZtLm --store keys.json"
    )]
    Keys(KeysArgs),

    /// Make JWTs and JWKS documents for policy tests, from a local private key.
    ///
    /// `mint` signs a token with the claims given (`iss`, `aud`, `sub`, `scope`, `iat`, `nbf`,
    /// `exp`); `jwks` prints the key's public half as a JWKS document, for `eval --jwks` or a
    /// scheme's `jwks` file. The key is a PEM file (PKCS#8 for EC and Ed25519, PKCS#1 or
    /// PKCS#8 for RSA). For tests only: real tokens come from the identity provider.
    #[command(
        after_help = "Examples:\n  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem\n  gatehouse token jwks --key key.pem --alg ES256 --kid test-1 > jwks.json\n  gatehouse token mint --key key.pem --alg ES256 --kid test-1 --issuer https://id.example.com --audience petstore --subject alice --scopes users:read --expires 1h"
    )]
    Token(TokenArgs),

    /// Serve checks to a gateway: nginx `auth_request`, Caddy `forward_auth`, Traefik `forwardAuth`,
    /// Envoy `ext_authz`.
    ///
    /// Loads the policies (and the key store and key sets they need), then answers each check
    /// with the decision: 200 and the principal's headers (`X-Gatehouse-Subject`, `-Scheme`,
    /// `-Scopes`, `-Key-Id`, `-Decision-Id`) for an allow, the denial's status, headers and an
    /// RFC 9457 problem body otherwise. Envoy's `ext_authz` is answered over gRPC on `--grpc`
    /// (`envoy.service.auth.v3.Authorization`) and over HTTP under `/ext_authz` on the check
    /// listener. `/healthz` and `/readyz` answer on both listeners,
    /// `/metrics` (Prometheus) on the admin one. SIGHUP reloads; a policy that does not load
    /// keeps the last good one serving. SIGTERM stops after checks in flight finish. Audit
    /// records (`gatehouse.audit/v1`, one JSON line per decision) go to standard output unless
    /// the configuration says otherwise; logs go to standard error. Flags override the
    /// configuration file.
    #[command(
        after_help = "Examples:\n  gatehouse serve policies/\n  gatehouse serve --config serve.toml\n  gatehouse serve policies/ --listen 0.0.0.0:9191 --admin 127.0.0.1:9193 --quota-store redis://127.0.0.1:6379/\n  gatehouse serve policies/ --grpc 127.0.0.1:9192"
    )]
    Serve(ServeArgs),

    /// Print a gateway's configuration for putting Gatehouse in front of an API.
    ///
    /// nginx (`auth_request`), Caddy (`forward_auth`) and Traefik (`forwardAuth`) ask
    /// `gatehouse serve` at `--gatehouse` before each request; Envoy asks its gRPC `ext_authz`
    /// listener at `--grpc`. The routes come from the policy: each API's `base` is a path prefix
    /// and its `host` a virtual host; anything else is answered 404 by the gateway. Allowed
    /// requests go to `--upstream` with the decision's `X-Gatehouse-*` headers (a client's own
    /// are dropped); denials reach the client as gatehouse answered them. nginx prints a
    /// `server` block for its `http` context, Caddy a Caddyfile, Traefik a dynamic configuration
    /// file and Envoy a bootstrap file. Exits 0, or 2 when the policy does not load or an
    /// address is invalid.
    #[command(
        after_help = "Examples:\n  gatehouse gateway nginx policies/ > /etc/nginx/conf.d/gatehouse.conf\n  gatehouse gateway caddy policies/ --upstream http://127.0.0.1:3000 > Caddyfile\n  gatehouse gateway traefik policies/ --gatehouse gatehouse:9191 > gatehouse.yml\n  gatehouse gateway envoy policies/ --grpc 127.0.0.1:9192 --listen 0.0.0.0:8000 > envoy.yaml"
    )]
    Gateway(GatewayArgs),

    /// Print a shell completion script.
    ///
    /// Load it in the current shell or install it where your shell looks for
    /// completions.
    #[command(
        after_help = "Examples:\n  source <(gatehouse completions bash)\n  gatehouse completions zsh > ~/.zfunc/_gatehouse\n  gatehouse completions fish > ~/.config/fish/completions/gatehouse.fish\n  gatehouse completions powershell >> $PROFILE"
    )]
    Completions(CompletionsArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For people.
    Human,
    /// One versioned JSON document, for tools.
    Json,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Policy directories, `.gate` files (with the `.test.json` beside them) or `.test.json` files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// Run only the tests whose full name (`petstore::owner_reads_own_profile`) contains this text.
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,

    /// After the results, list the endpoints and rules that no test reached.
    #[arg(long)]
    pub coverage: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Policy files or directories (loaded as one set).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// The request, as a JSON file (the format `eval` reads); `-` reads standard input.
    #[arg(long, short)]
    pub request: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,

    /// Exit with 1 when the request is denied.
    #[arg(long)]
    pub exit_code: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TreeFormat {
    /// An indented tree, for people.
    Text,
    /// A Graphviz digraph.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
    /// The tree as versioned JSON, for tools.
    Json,
}

#[derive(Debug, Args)]
pub struct TreeArgs {
    /// Policy files or directories (loaded as one set).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TreeFormat::Text)]
    pub format: TreeFormat,

    /// Only this method's trie (`GET`, `POST`, ...).
    #[arg(long, value_name = "METHOD")]
    pub method: Option<String>,

    /// Only the API with this name.
    #[arg(long, value_name = "NAME")]
    pub api: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InventoryFormat {
    /// Aligned columns, for a terminal.
    Table,
    /// Comma-separated values with a header row (RFC 4180).
    Csv,
    /// A Markdown table.
    Markdown,
    /// Versioned JSON with structured fields, for tools.
    Json,
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Policy files or directories (loaded as one set).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = InventoryFormat::Table)]
    pub format: InventoryFormat,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old version: a policy file or directory.
    pub old: PathBuf,

    /// The new version: a policy file or directory.
    pub new: PathBuf,

    /// Exit with 1 when the change widens access.
    #[arg(long)]
    pub fail_on_widen: bool,

    /// Output format: Markdown for people and pull requests, or JSON.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Policy files or directories (searched recursively for `.gate` files); replaces the
    /// configuration's `policies`.
    pub paths: Vec<PathBuf>,

    /// A TOML configuration file (see the README's `gatehouse serve` section).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The address checks are served on (default 127.0.0.1:9191).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,

    /// The address Envoy's gRPC `ext_authz` checks are served on (none by default).
    #[arg(long, value_name = "ADDR")]
    pub grpc: Option<std::net::SocketAddr>,

    /// The address `/metrics`, `/healthz` and `/readyz` are served on.
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<std::net::SocketAddr>,

    /// The API-key store (see `gatehouse keys`).
    #[arg(long, value_name = "FILE")]
    pub key_store: Option<PathBuf>,

    /// The key store's secret (default: the GATEHOUSE_KEY_SECRET environment variable).
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,

    /// The keys of a `jwt` scheme, as SCHEME=FILE (a JWKS document); repeat for more.
    #[arg(long, value_name = "SCHEME=FILE", value_parser = parse_jwks_arg)]
    pub jwks: Vec<(String, PathBuf)>,

    /// Where quotas are counted: `memory` or a `redis://` URL shared by every server.
    #[arg(long, value_name = "STORE")]
    pub quota_store: Option<String>,

    /// Where audit records go: `stdout`, `stderr`, `off`, or a file.
    #[arg(long, value_name = "SINK")]
    pub audit: Option<String>,

    /// A network of gateways allowed to ask (default: loopback); repeat for more.
    #[arg(long = "gateway", value_name = "CIDR")]
    pub gateways: Vec<ipnet::IpNet>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GatewayKind {
    /// nginx with the auth_request module.
    Nginx,
    /// Caddy 2.6 or later.
    Caddy,
    /// Traefik v2.10 or v3.
    Traefik,
    /// Envoy with ext_authz over gRPC.
    Envoy,
}

#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// The gateway.
    #[arg(value_enum)]
    pub gateway: GatewayKind,

    /// Policy files or directories (loaded as one set): their APIs' bases and hosts are the routes.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// Where `gatehouse serve` answers checks, as HOST:PORT.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9191")]
    pub gatehouse: gatehouse_server::gateway::Address,

    /// The API that allowed requests go to: http://HOST:PORT or https://HOST[:PORT], no path.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8080")]
    pub upstream: gatehouse_server::gateway::Upstream,

    /// Where the gateway listens, as HOST:PORT.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8000")]
    pub listen: gatehouse_server::gateway::Address,

    /// Envoy: where `gatehouse serve` answers gRPC ext_authz checks, as HOST:PORT.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9192")]
    pub grpc: gatehouse_server::gateway::Address,

    /// Envoy: the largest request body sent to the check; larger ones are refused (413).
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    pub max_request_bytes: u64,
}

fn parse_jwks_arg(text: &str) -> Result<(String, PathBuf), String> {
    let (scheme, file) = text
        .split_once('=')
        .ok_or_else(|| "expected SCHEME=FILE".to_string())?;
    Ok((scheme.to_string(), PathBuf::from(file)))
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Policy files or directories (searched recursively for `.gate` files); `-` reads standard input.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// Change nothing; list the files that are not formatted with a diff, and exit 1 if there are any.
    #[arg(long, conflicts_with = "write")]
    pub check: bool,

    /// Rewrite the files that are not formatted.
    #[arg(long)]
    pub write: bool,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Policy files or directories (linted together as one policy set).
    #[arg(required_unless_present_any = ["explain", "list_rules"])]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Human)]
    pub format: LintFormat,

    /// Fail (exit 1) on findings of this level too: `--deny warnings`.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub deny: Option<DenyLevel>,

    /// Print the documentation of a rule, by code (`GH-L001`) or name (`public-without-quota`).
    #[arg(long, value_name = "RULE", conflicts_with_all = ["paths", "list_rules"])]
    pub explain: Option<String>,

    /// List every rule: code, name, default level and summary.
    #[arg(long, conflicts_with = "paths")]
    pub list_rules: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// Findings with source excerpts and a closing summary, for people.
    Human,
    /// One versioned JSON document (`"version": 1`), for tools.
    Json,
    /// SARIF 2.1.0, for code-scanning UIs (GitHub shows findings inline).
    Sarif,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DenyLevel {
    /// Warnings fail the run as errors do.
    Warnings,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Policy files or directories.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics with source excerpts, for people.
    Human,
    /// One JSON document with every diagnostic, for tools.
    Json,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Policy files or directories (loaded as one set).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// The request, as a JSON file; `-` reads standard input.
    #[arg(
        long,
        short,
        required_unless_present = "replay",
        conflicts_with = "replay"
    )]
    pub request: Option<PathBuf>,

    /// Replay timed requests (JSON lines: `{"at_ms": 0, "request": {...}}`) in order, counting
    /// quotas in one in-memory store, and print each decision: to see when a quota bites.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,

    /// Print the decision as JSON.
    #[arg(long)]
    pub json: bool,

    /// Also print the audit record the decision would log.
    #[arg(long)]
    pub audit: bool,

    /// Exit with 1 when the request is denied.
    #[arg(long)]
    pub exit_code: bool,

    /// A JSON response to mask with the endpoint's `mask response` and `response only` rules.
    ///
    /// The masked response is printed after the decision (with `--json`, as the "response"
    /// string, or "response_error" when there is none). A response that is not valid JSON is
    /// an error (exit 2): it must be withheld, never passed through. For a denied request there
    /// is nothing to mask.
    #[arg(long, value_name = "FILE")]
    pub response: Option<PathBuf>,

    /// The environment variable holding the key for `mask ... with hash` (HMAC-SHA256).
    ///
    /// The key is read from the environment so that it never appears on a command line; it must
    /// be at least 16 bytes. Without it, a mask that uses `hash` fails.
    #[arg(long, value_name = "VAR", requires = "response")]
    pub hash_key_env: Option<String>,

    /// The keys of a `jwt` scheme, as a JWKS file: `SCHEME=FILE` (repeat for more schemes).
    ///
    /// A request without a `principal` is then authenticated from its own headers
    /// (`Authorization: Bearer ...`, an API key, a client certificate header) as a gateway
    /// would: the token is verified against these keys (or the scheme's own `jwks` file), at the
    /// request's `time_ms`. A refused credential prints the refusal (401) instead of a decision.
    #[arg(long, value_name = "SCHEME=FILE")]
    pub jwks: Vec<String>,

    /// The API-key store (`gatehouse keys`) that `api_key` schemes check keys against.
    #[arg(long, value_name = "FILE")]
    pub key_store: Option<PathBuf>,

    #[command(flatten)]
    pub key_secret: ServerSecretArg,
}

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a key, store its digest, and print the key: the only time it is shown.
    ///
    /// The key goes to standard output alone, so a script can capture it; what was done goes to
    /// standard error. The store is created if it does not exist (with `--prefix`, or `gk_`).
    #[command(
        after_help = "Examples:\n  gatehouse keys new --store keys.json --secret-file secret.txt --owner billing --expires 90d\n  export GATEHOUSE_KEY_SECRET=\"$(cat secret.txt)\"\n  gatehouse keys new --store keys.json --owner billing --scopes pets:read,pets:write\n  gatehouse keys new --store keys.json --owner ci --networks 10.0.0.0/8,2001:db8::/32"
    )]
    New(KeysNewArgs),

    /// List the keys: id, owner, scopes, networks, times and status; never a secret or a digest.
    ///
    /// Status is `active`, `rotating` (replaced, still working until the grace deadline),
    /// `retired` (replaced, grace period over), `expired` or `revoked`, as of now. Times are UTC.
    #[command(
        after_help = "Examples:\n  gatehouse keys list --store keys.json\n  gatehouse keys list --store keys.json --format json"
    )]
    List(KeysListArgs),

    /// Revoke a key: it is refused (`key_revoked`) from the moment the store is reloaded.
    #[command(after_help = "Examples:\n  gatehouse keys revoke 2Hq8ZtLm --store keys.json")]
    Revoke(KeysRevokeArgs),

    /// Replace a key with a new one for the same owner, scopes and networks, and print it once.
    ///
    /// The old key keeps working until the grace period is over, then is refused as
    /// `key_revoked`. The new key gets the old one's lifetime (creation to expiry), from now.
    #[command(
        after_help = "Examples:\n  gatehouse keys rotate 2Hq8ZtLm --grace 7d --store keys.json --secret-file secret.txt"
    )]
    Rotate(KeysRotateArgs),
}

#[derive(Debug, Args)]
pub struct KeyStoreArg {
    /// The key store file (JSON).
    #[arg(long, value_name = "FILE")]
    pub store: PathBuf,
}

#[derive(Debug, Args)]
pub struct ServerSecretArg {
    /// The file holding the server secret (at least 32 bytes; a final newline is ignored).
    ///
    /// Without it, the GATEHOUSE_KEY_SECRET environment variable holds the secret itself. It is
    /// never read from the command line, where other users and shell history could see it.
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct KeysNewArgs {
    #[command(flatten)]
    pub store: KeyStoreArg,

    #[command(flatten)]
    pub secret: ServerSecretArg,

    /// Who the key belongs to: the principal's subject when it is used.
    #[arg(long, value_name = "NAME")]
    pub owner: String,

    /// The scopes the key grants, comma-separated.
    #[arg(long, value_name = "SCOPES", value_delimiter = ',')]
    pub scopes: Vec<String>,

    /// How long the key works: a number and a unit, `s`, `m`, `h`, `d` or `w` (`90d`). Without
    /// it, the key does not expire.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub expires: Option<u64>,

    /// The networks the key may be used from, comma-separated CIDRs. Without it, any.
    #[arg(long, value_name = "CIDRS", value_delimiter = ',')]
    pub networks: Vec<gatehouse_credentials::keys::IpNet>,

    /// The prefix of the store's keys, when this creates the store: 2 to 16 characters of a-z,
    /// 0-9 and `_`, starting with a letter and ending with `_`.
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,
}

#[derive(Debug, Args)]
pub struct KeysListArgs {
    #[command(flatten)]
    pub store: KeyStoreArg,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct KeysRevokeArgs {
    /// The key's id (the part after the prefix: `2Hq8ZtLm` in `gk_2Hq8ZtLm_...`).
    pub id: String,

    #[command(flatten)]
    pub store: KeyStoreArg,
}

#[derive(Debug, Args)]
pub struct KeysRotateArgs {
    /// The key's id.
    pub id: String,

    /// How long the old key keeps working: a number and a unit, `s`, `m`, `h`, `d` or `w`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub grace: u64,

    #[command(flatten)]
    pub store: KeyStoreArg,

    #[command(flatten)]
    pub secret: ServerSecretArg,
}

/// A duration in seconds from `90d`: a whole number and one unit.
fn parse_duration(text: &str) -> Result<u64, String> {
    let unit_at = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{text}` has no unit: write `{text}d` for days (or s, m, h, w)"))?;
    let (number, unit) = text.split_at(unit_at);
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(format!("`{unit}` is not a unit: use s, m, h, d or w")),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(seconds))
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            format!("`{text}` is not a duration: write a whole number above 0 and a unit, as `90d`")
        })
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90d"), Ok(90 * 86_400));
        assert_eq!(parse_duration("7d"), Ok(604_800));
        assert_eq!(parse_duration("1w"), Ok(604_800));
        assert_eq!(parse_duration("30s"), Ok(30));
        for bad in [
            "",
            "d",
            "90",
            "0d",
            "1y",
            "-1d",
            "1.5d",
            "99999999999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Sign a JWT with the key and print it.
    Mint(TokenMintArgs),
    /// Print the key's public half as a JWKS document.
    Jwks(TokenKeyArgs),
}

#[derive(Debug, Args)]
pub struct TokenKeyArgs {
    /// The private key, as a PEM file.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,

    /// The signature algorithm: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 or EdDSA.
    #[arg(long, value_name = "ALG")]
    pub alg: String,

    /// The key id (`kid`) in the token's header and the JWKS.
    #[arg(long, value_name = "KID")]
    pub kid: Option<String>,
}

#[derive(Debug, Args)]
pub struct TokenMintArgs {
    #[command(flatten)]
    pub key: TokenKeyArgs,

    /// The issuer (`iss`).
    #[arg(long)]
    pub issuer: String,

    /// The audience (`aud`).
    #[arg(long)]
    pub audience: Option<String>,

    /// The subject (`sub`).
    #[arg(long)]
    pub subject: String,

    /// The scopes, comma-separated (`scope`, space-separated in the token).
    #[arg(long, value_delimiter = ',')]
    pub scopes: Vec<String>,

    /// How long the token is valid from `--now`: `90s`, `30m`, `1h`, `7d`.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub expires: u64,

    /// The time it is issued, in Unix seconds (default: now).
    #[arg(long)]
    pub now: Option<u64>,
}
