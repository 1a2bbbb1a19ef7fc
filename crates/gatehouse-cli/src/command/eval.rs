//! `gatehouse eval`: decide one request and explain the decision.

use crate::output::{out, outln};
use std::io::Read;
use std::path::{Path, PathBuf};

use gatehouse::mask::MaskConfig;
use gatehouse::{Decision, PolicySet, RequestData};

use gatehouse_tools::json_api::{self, ApiError, ErrorCode};

use crate::args::EvalArgs;
use crate::exit::Exit;
use crate::load;
use crate::render::{self, Style};

pub fn run(args: &EvalArgs, style: Style) -> Exit {
    let sources = match load::policy_files(&args.paths).and_then(|f| load::read_sources(&f)) {
        Ok(sources) => sources,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    let policy = match PolicySet::load(sources) {
        Ok(policy) => policy,
        Err(error) => {
            eprint!(
                "{}",
                render::diagnostics_human(error.diagnostics(), error.sources(), style)
            );
            eprintln!("error: the policy does not load; run `gatehouse check` for details");
            return Exit::Usage;
        }
    };
    if let Some(replay) = &args.replay {
        return run_replay(&policy, replay, args, style);
    }
    let Some(request_path) = &args.request else {
        eprintln!("error: give --request or --replay");
        return Exit::Usage;
    };
    let data = match read_request(request_path) {
        Ok(data) => data,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    let headers = data.headers.pairs();
    // The library reads no clock: quotas count at the request's `time_ms`,
    // or now.
    let time_ms = data.time_ms.unwrap_or_else(crate::load::now_ms);
    let mut request = data.as_request(&headers).at(time_ms);
    // A request without a principal is authenticated from its own
    // credentials, as a gateway would; a refusal is the answer then.
    let authenticated = match authenticate(&policy, args, &data, &headers, time_ms, style) {
        Ok(principal) => principal,
        Err(Authentication::Refused(text)) => {
            out!("{text}");
            return if args.exit_code {
                Exit::Findings
            } else {
                Exit::Ok
            };
        }
        Err(Authentication::Usage(message)) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    if let Some(principal) = &authenticated {
        request = request.principal(principal);
    }
    let decision = policy.decide(&request);
    let response = match &args.response {
        Some(path) => match masked_response(&policy, &decision, path, args) {
            Ok(response) => Some(response),
            Err(message) => {
                eprintln!("error: {message}");
                return Exit::Usage;
            }
        },
        None => None,
    };
    if args.json {
        // The one `gatehouse.decision/v1` document, built where the JSON
        // API and the WebAssembly module build it. The audit record has no
        // time: the CLI reports the request's own.
        let audit = args.audit.then_some(None);
        match json_api::decision_document(&policy, &request, &decision, audit, response.as_ref()) {
            Ok(doc) => outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default()),
            Err(error) => {
                eprintln!("error: {}", error.message);
                return Exit::Usage;
            }
        }
    } else {
        let report = gatehouse_tools::report::report(&policy, &request, &decision);
        out!("{}", render::decision_human(&report, style));
        if args.audit {
            let audit = policy.audit(&request, &decision, None);
            outln!(
                "  audit:    {}",
                serde_json::to_string(&audit).unwrap_or_default()
            );
        }
        match &response {
            Some(Ok(body)) => out!("{}", render::masked_response_human(body, style)),
            Some(Err(error)) if error.code == ErrorCode::RequestDenied => {
                outln!("  response: none (the request was denied, so there is nothing to mask)")
            }
            Some(Err(_)) | None => {}
        }
    }
    if let Some(Err(error)) = &response {
        if error.code == ErrorCode::ResponseWithheld {
            eprintln!("error: {}", error.message);
            return Exit::Usage;
        }
    }
    if args.exit_code && !decision.allowed() {
        Exit::Findings
    } else {
        Exit::Ok
    }
}

/// Why a request was not authenticated.
enum Authentication {
    /// The credential was refused: the refusal, rendered.
    Refused(String),
    /// The options cannot be used (a key set or store that cannot be read).
    Usage(String),
}

/// The principal of a request that has none, from its credentials
/// (`--jwks`, `--key-store` and the policy's own `jwks` files): `None`
/// when the request names its principal or carries no credential.
fn authenticate(
    policy: &PolicySet,
    args: &EvalArgs,
    data: &RequestData,
    headers: &[(&str, &str)],
    time_ms: u64,
    style: Style,
) -> Result<Option<std::sync::Arc<gatehouse::Principal>>, Authentication> {
    if data.principal.is_some() || policy.auth_schemes().next().is_none() {
        return Ok(None);
    }
    let usage = Authentication::Usage;
    let mut jwks = Vec::new();
    for pair in &args.jwks {
        let Some((scheme, file)) = pair.split_once('=') else {
            return Err(usage(format!("--jwks `{pair}`: write SCHEME=FILE")));
        };
        jwks.push((scheme, PathBuf::from(file)));
    }
    let authenticator = crate::credentials::authenticator(
        policy,
        jwks,
        args.key_store.as_deref(),
        &args.key_secret,
    )
    .map_err(usage)?;
    let credentials = crate::credentials::request(data, headers);
    match authenticator.authenticate(&credentials, time_ms / 1000) {
        Ok(principal) => Ok(principal),
        Err(refusal) => Err(Authentication::Refused(render::refusal(
            &refusal,
            authenticator.challenge(&refusal).as_deref(),
            args.json,
            style,
        ))),
    }
}

/// Reads and masks the `--response` file. `Err` is a usage problem (an
/// unreadable file, a missing key variable); a response that cannot be
/// masked (`response_withheld`) or a denied request (`request_denied`) is
/// `Ok(Err(..))`, reported with the decision.
fn masked_response(
    policy: &PolicySet,
    decision: &Decision,
    path: &Path,
    args: &EvalArgs,
) -> Result<Result<String, ApiError>, String> {
    if path.as_os_str() == "-" && args.request.as_ref().is_some_and(|r| r.as_os_str() == "-") {
        return Err("the request and the response cannot both be read from standard input".into());
    }
    let body = if path.as_os_str() == "-" {
        let mut body = Vec::new();
        std::io::stdin()
            .read_to_end(&mut body)
            .map_err(|e| format!("standard input: {e}"))?;
        body
    } else {
        std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?
    };
    let mut config = MaskConfig::default();
    if let Some(var) = &args.hash_key_env {
        match std::env::var_os(var) {
            Some(key) if !key.is_empty() => config = config.with_hash_key(key.into_encoded_bytes()),
            _ => {
                return Err(format!(
                    "--hash-key-env: the environment variable `{var}` is not set"
                ))
            }
        }
    }
    Ok(json_api::mask_for_document(
        policy, decision, &body, &config,
    ))
}

pub fn read_request(path: &std::path::Path) -> Result<RequestData, String> {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("standard input: {e}"))?;
        text
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?
    };
    let mut data: RequestData = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a valid request: {e}", path.display()))?;
    // `body_file` is relative to the request file (to the working
    // directory for a request read from standard input).
    let base = match path.parent() {
        Some(dir) if path.as_os_str() != "-" => dir.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    load_body_file(&mut data, &base).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(data)
}

/// Reads the request's `body_file`, relative to `base` (the request file's
/// directory), into it: the library reads no file, so the CLI does.
fn load_body_file(data: &mut RequestData, base: &Path) -> Result<(), String> {
    let Some(file) = &data.body_file else {
        return Ok(());
    };
    if data.body.is_some() {
        return Err("give `body` or `body_file`, not both".into());
    }
    let path = base.join(file);
    let bytes = std::fs::read(&path).map_err(|e| format!("body_file {}: {e}", path.display()))?;
    data.body_loaded = Some(bytes);
    Ok(())
}

/// `--replay`: decide each line at its time, quotas counted in the policy
/// set's own in-memory store, and print one line per decision.
fn run_replay(policy: &PolicySet, path: &Path, args: &EvalArgs, style: Style) -> Exit {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return Exit::Usage;
        }
    };
    let lines = match gatehouse_tools::analysis::replay::parse(&text) {
        Ok(lines) => lines,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return Exit::Usage;
        }
    };
    let mut denied = false;
    let mut reports = Vec::new();
    let start = lines.first().map_or(0, |l| l.at_ms);
    for line in &lines {
        let headers = line.request.headers.pairs();
        let request = line.request.as_request(&headers).at(line.at_ms);
        let decision = policy.decide(&request);
        denied |= !decision.allowed();
        let report = gatehouse_tools::report::report(policy, &request, &decision);
        if args.json {
            reports.push(serde_json::json!({ "at_ms": line.at_ms, "decision": report }));
            continue;
        }
        let verdict = if decision.allowed() {
            style.paint("32", "ALLOW")
        } else {
            style.paint("31", "DENY ")
        };
        let quota = match (&report.quota, decision.allowed()) {
            (Some(q), true) => format!(
                "  {} left of {} ({})",
                q.state.remaining,
                q.limit.unwrap_or(0),
                q.quota
            ),
            (Some(q), false) => {
                format!("  retry in {} s ({})", q.state.retry_after_secs(), q.quota)
            }
            (None, _) => String::new(),
        };
        // Times relative to the first line: only differences matter.
        let offset = line.at_ms.saturating_sub(start);
        outln!(
            "+{:>4}.{:03} s  {:<6} {:<24} {verdict} {} {:<16}{quota}",
            offset / 1_000,
            offset % 1_000,
            line.request.method,
            line.request.path,
            decision.status(),
            decision.reason().as_str()
        );
    }
    if args.json {
        let doc = serde_json::json!({ "schema": "gatehouse.replay/v1", "decisions": reports });
        outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    if args.exit_code && denied {
        Exit::Findings
    } else {
        Exit::Ok
    }
}
