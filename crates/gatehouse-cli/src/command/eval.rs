//! `gatehouse eval`: decide one request and explain the decision.

use std::io::Read;

use gatehouse::{PolicySet, RequestData};

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
            eprint!("{}", render::diagnostics_human(&error.diagnostics, &error.sources, style));
            eprintln!("error: the policy does not load; run `gatehouse check` for details");
            return Exit::Usage;
        }
    };
    let data = match read_request(&args.request) {
        Ok(data) => data,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    let headers = data.headers.pairs();
    let request = data.as_request(&headers);
    let decision = policy.decide(&request);
    let report = policy.report(&request, &decision);
    if args.json {
        let mut doc = serde_json::to_value(&report).unwrap_or_default();
        if args.audit {
            if let Some(map) = doc.as_object_mut() {
                map.insert("audit".into(), serde_json::to_value(policy.audit(&request, &decision, None)).unwrap_or_default());
            }
        }
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print!("{}", render::decision_human(&report, style));
        if args.audit {
            let audit = policy.audit(&request, &decision, None);
            println!("  audit:    {}", serde_json::to_string(&audit).unwrap_or_default());
        }
    }
    if args.exit_code && !decision.allowed {
        Exit::Findings
    } else {
        Exit::Ok
    }
}

fn read_request(path: &std::path::Path) -> Result<RequestData, String> {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| format!("standard input: {e}"))?;
        text
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?
    };
    serde_json::from_str(&text).map_err(|e| format!("{}: not a valid request: {e}", path.display()))
}
