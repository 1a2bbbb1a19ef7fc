//! `gatehouse serve`: the configuration from its file and flags, logs to
//! standard error, and the server until SIGTERM.

use std::io::IsTerminal;

use gatehouse_server::Config;

use crate::args::ServeArgs;
use crate::exit::Exit;

pub fn run(args: ServeArgs) -> Exit {
    let config = match config(args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    // Logs (not audit records) on standard error, filtered by RUST_LOG
    // (`info` by default).
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the runtime: {error}");
            return Exit::Usage;
        }
    };
    match runtime.block_on(gatehouse_server::run(config)) {
        Ok(()) => Exit::Ok,
        Err(message) => {
            eprintln!("error: {message}");
            Exit::Usage
        }
    }
}

/// The configuration file's settings (or the defaults), with the flags
/// over them.
fn config(args: ServeArgs) -> Result<Config, String> {
    let mut config = match &args.config {
        Some(path) => Config::from_file(path).map_err(|e| e.to_string())?,
        None if args.paths.is_empty() => {
            return Err("give policy paths or --config FILE".to_string())
        }
        None => Config::with_policies(Vec::new()),
    };
    if !args.paths.is_empty() {
        config.policies = args.paths;
    }
    if let Some(listen) = args.listen {
        config.listen.check = listen;
    }
    if let Some(grpc) = args.grpc {
        config.listen.grpc = Some(grpc);
    }
    if let Some(admin) = args.admin {
        config.listen.admin = Some(admin);
    }
    if let Some(store) = args.key_store {
        config.credentials.key_store = Some(store);
    }
    if let Some(secret) = args.secret_file {
        config.credentials.secret_file = Some(secret);
    }
    config.credentials.jwks.extend(args.jwks);
    if let Some(store) = args.quota_store {
        config.quota.store = store;
    }
    if let Some(sink) = args.audit {
        config.audit.sink = sink;
    }
    if !args.gateways.is_empty() {
        config.gateways.trusted = args.gateways;
    }
    config.validate().map_err(|e| e.to_string())?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::{Cli, Command};

    fn serve_config(args: &[&str]) -> Result<Config, String> {
        let cli = Cli::try_parse_from(args).map_err(|e| e.to_string())?;
        let Command::Serve(args) = cli.command else {
            return Err("not serve".to_string());
        };
        config(args)
    }

    #[test]
    fn flags_override_the_listeners() {
        let config = serve_config(&["gatehouse", "serve", "p.gate"]).unwrap();
        assert_eq!(config.listen.grpc, None);
        let config = serve_config(&[
            "gatehouse",
            "serve",
            "p.gate",
            "--grpc",
            "127.0.0.1:9192",
            "--admin",
            "127.0.0.1:9193",
        ])
        .unwrap();
        assert_eq!(config.listen.grpc, Some(([127, 0, 0, 1], 9192).into()));
        assert_eq!(config.listen.admin, Some(([127, 0, 0, 1], 9193).into()));
        assert!(serve_config(&["gatehouse", "serve", "p.gate", "--grpc", "nowhere"]).is_err());
    }
}
