//! The server's configuration: a TOML file (every field optional but the
//! policies), which `gatehouse serve` flags override.
//!
//! ```toml
//! policies = ["policies/"]
//!
//! [listen]
//! check = "127.0.0.1:9191"     # forward-auth (nginx, Caddy, Traefik), Envoy's HTTP
//!                              # ext_authz under /ext_authz, /healthz, /readyz
//! grpc = "127.0.0.1:9192"      # Envoy's gRPC ext_authz (envoy.service.auth.v3)
//! admin = "127.0.0.1:9193"     # /metrics, /healthz, /readyz
//!
//! [gateways]
//! # Peers allowed to ask, on the check and gRPC listeners: their
//! # X-Original-*/X-Forwarded-* headers and Envoy's attributes are
//! # believed. Anyone else is refused (`untrusted_gateway`).
//! trusted = ["127.0.0.1/32", "::1/128"]
//!
//! [credentials]
//! key_store = "keys.json"
//! secret_file = "/run/secrets/gatehouse-key-secret"
//! jwks = { user = "jwks.json" }      # keys for a scheme, by name
//!
//! [quota]
//! store = "memory"                   # or "redis://127.0.0.1:6379/"
//!
//! [audit]
//! sink = "stdout"                    # "stderr", "off", or a file path
//! allowed = "all"                    # "all", "none", or "sample"
//! sample = 0.01                      # with allowed = "sample"
//!
//! [limits]
//! connections = 10000
//! max_header_bytes = 16384
//! header_timeout_ms = 5000
//! shutdown_grace_ms = 10000
//! max_check_bytes = 4194304    # an Envoy check with the body it carries
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::Deserialize;

/// Everything `gatehouse serve` runs with.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Policy files or directories of them, loaded as one set.
    pub policies: Vec<PathBuf>,
    /// Where to listen.
    #[serde(default)]
    pub listen: Listen,
    /// Which peers may ask for checks.
    #[serde(default)]
    pub gateways: Gateways,
    /// Keys and stores for the policy's `auth` schemes.
    #[serde(default)]
    pub credentials: Credentials,
    /// Where quotas are counted.
    #[serde(default)]
    pub quota: Quota,
    /// Where audit records go.
    #[serde(default)]
    pub audit: Audit,
    /// Limits on connections and requests.
    #[serde(default)]
    pub limits: Limits,
}

/// Listen addresses.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Listen {
    /// Forward-auth checks, `/healthz` and `/readyz`.
    pub check: SocketAddr,
    /// Envoy's gRPC ext_authz (`envoy.service.auth.v3.Authorization`);
    /// none when absent.
    pub grpc: Option<SocketAddr>,
    /// `/metrics`, `/healthz` and `/readyz`; none when absent.
    pub admin: Option<SocketAddr>,
    /// The path gateways send checks to on the check listener.
    pub check_path: String,
}

impl Default for Listen {
    fn default() -> Listen {
        Listen {
            check: SocketAddr::from(([127, 0, 0, 1], 9191)),
            grpc: None,
            admin: None,
            check_path: "/check".to_string(),
        }
    }
}

/// The peers allowed to ask.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Gateways {
    /// Networks of the gateways: only their forwarding headers say what
    /// the client asked; a request from anywhere else is refused.
    pub trusted: Vec<IpNet>,
}

impl Default for Gateways {
    fn default() -> Gateways {
        Gateways {
            trusted: vec![
                IpNet::from(std::net::IpAddr::from([127, 0, 0, 1])),
                IpNet::from(std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST)),
            ],
        }
    }
}

/// Credentials the policy does not hold.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Credentials {
    /// The API-key store file (see `gatehouse keys`).
    pub key_store: Option<PathBuf>,
    /// The key store's server secret, in a file of its own; without it,
    /// the `GATEHOUSE_KEY_SECRET` environment variable.
    pub secret_file: Option<PathBuf>,
    /// JWKS files by `jwt` scheme name, replacing what the policy says.
    pub jwks: std::collections::BTreeMap<String, PathBuf>,
    /// HMAC secrets (files) by `jwt` scheme name.
    pub hmac_secret_files: std::collections::BTreeMap<String, PathBuf>,
}

/// Where quotas are counted.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Quota {
    /// `memory` (exact, this process only) or a `redis://` URL (shared by
    /// every server using it).
    pub store: String,
}

impl Default for Quota {
    fn default() -> Quota {
        Quota {
            store: "memory".to_string(),
        }
    }
}

/// Where audit records go, and which.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Audit {
    /// `stdout`, `stderr`, `off`, or a file path (appended to).
    pub sink: String,
    /// Which allowed decisions are recorded: `all`, `none` or `sample`.
    /// Denials are always recorded.
    pub allowed: AllowedAudit,
    /// The fraction of allowed decisions recorded with `allowed = "sample"`.
    pub sample: f64,
}

impl Default for Audit {
    fn default() -> Audit {
        Audit {
            sink: "stdout".to_string(),
            allowed: AllowedAudit::All,
            sample: 0.01,
        }
    }
}

/// Which allowed decisions are audited.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AllowedAudit {
    /// Every one.
    All,
    /// None (denials only).
    None,
    /// A random sample.
    Sample,
}

/// Limits on connections and requests.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Open connections per listener; more are closed on accept.
    pub connections: usize,
    /// The most bytes of request line and headers read (HTTP/1.1), and the
    /// most header-list bytes (HTTP/2).
    pub max_header_bytes: usize,
    /// How long a client may take to send its headers.
    pub header_timeout_ms: u64,
    /// How long in-flight checks may take to finish on shutdown.
    pub shutdown_grace_ms: u64,
    /// The largest Envoy check read: a gRPC `CheckRequest` (the client's
    /// headers and any body Envoy buffered with `with_request_body`), or
    /// the body of an HTTP ext_authz check. A larger gRPC message is
    /// refused (`RESOURCE_EXHAUSTED`, which Envoy answers as a denial); a
    /// larger HTTP body counts as one not sent.
    pub max_check_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connections: 10_000,
            max_header_bytes: 16 * 1024,
            header_timeout_ms: 5_000,
            shutdown_grace_ms: 10_000,
            max_check_bytes: 4 * 1024 * 1024,
        }
    }
}

impl Config {
    /// A configuration with these policies and every default.
    pub fn with_policies(policies: Vec<PathBuf>) -> Config {
        Config {
            policies,
            listen: Listen::default(),
            gateways: Gateways::default(),
            credentials: Credentials::default(),
            quota: Quota::default(),
            audit: Audit::default(),
            limits: Limits::default(),
        }
    }

    /// Reads a TOML file; relative paths in it are taken relative to the
    /// file's directory.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_path_buf(),
            error: error.to_string(),
        })?;
        let mut config = Config::from_toml(&text).map_err(|error| match error {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: Some(path.to_path_buf()),
                message,
            },
            other => other,
        })?;
        if let Some(dir) = path.parent() {
            config.rebase(dir);
        }
        Ok(config)
    }

    /// Parses TOML text.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|error| ConfigError::Parse {
            path: None,
            message: error.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    fn rebase(&mut self, dir: &Path) {
        let rebase = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = dir.join(&*path);
            }
        };
        self.policies.iter_mut().for_each(rebase);
        self.credentials.key_store.as_mut().map(rebase);
        self.credentials.secret_file.as_mut().map(rebase);
        self.credentials.jwks.values_mut().for_each(rebase);
        self.credentials
            .hmac_secret_files
            .values_mut()
            .for_each(rebase);
        if !matches!(self.audit.sink.as_str(), "stdout" | "stderr" | "off") {
            let sink = PathBuf::from(&self.audit.sink);
            if sink.is_relative() {
                self.audit.sink = dir.join(sink).to_string_lossy().into_owned();
            }
        }
    }

    /// Checks what types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |message: &str| Err(ConfigError::Invalid(message.to_string()));
        if self.policies.is_empty() {
            return invalid("`policies` names no policy file or directory");
        }
        if !self.listen.check_path.starts_with('/') {
            return invalid("`listen.check_path` must start with `/`");
        }
        let envoy = crate::envoy::HTTP_PREFIX;
        if self.listen.check_path == envoy
            || self.listen.check_path.starts_with(&format!("{envoy}/"))
        {
            return invalid(
                "`listen.check_path` must not be under `/ext_authz`, Envoy's HTTP checks",
            );
        }
        if self.quota.store != "memory"
            && !self.quota.store.starts_with("redis://")
            && !self.quota.store.starts_with("rediss://")
        {
            return invalid("`quota.store` is `memory` or a `redis://` URL");
        }
        if !(0.0..=1.0).contains(&self.audit.sample) {
            return invalid("`audit.sample` is a fraction between 0 and 1");
        }
        if self.limits.connections == 0 || self.limits.max_header_bytes < 1024 {
            return invalid(
                "`limits.connections` must be positive and `limits.max_header_bytes` at least 1024",
            );
        }
        if self.limits.max_check_bytes < self.limits.max_header_bytes {
            return invalid("`limits.max_check_bytes` must be at least `limits.max_header_bytes`");
        }
        Ok(())
    }
}

/// Why a configuration is unusable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: String,
    },
    /// The TOML is malformed or has an unknown or mistyped field.
    Parse {
        /// The file, if it came from one.
        path: Option<PathBuf>,
        /// The parser's message, with the line and column.
        message: String,
    },
    /// A value is out of range or two values disagree.
    Invalid(String),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Read { path, error } => write!(f, "{}: {error}", path.display()),
            ConfigError::Parse {
                path: Some(path),
                message,
            } => write!(f, "{}: {message}", path.display()),
            ConfigError::Parse {
                path: None,
                message,
            } => f.write_str(message),
            ConfigError::Invalid(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let doc = include_str!("config.rs");
        let example: String = doc
            .lines()
            .skip_while(|line| !line.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|line| !line.starts_with("//! ```"))
            .map(|line| line.trim_start_matches("//!").trim_start_matches(' '))
            .collect::<Vec<_>>()
            .join("\n");
        let config = Config::from_toml(&example).map_err(|e| e.to_string());
        let config = config.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            config.listen.admin,
            Some(SocketAddr::from(([127, 0, 0, 1], 9193)))
        );
        assert_eq!(
            config.listen.grpc,
            Some(SocketAddr::from(([127, 0, 0, 1], 9192)))
        );
        assert_eq!(config.limits.max_check_bytes, 4 * 1024 * 1024);
        assert_eq!(config.audit.allowed, AllowedAudit::All);
    }

    #[test]
    fn only_policies_is_required() {
        let config = Config::from_toml("policies = [\"p.gate\"]").map_err(|e| e.to_string());
        assert_eq!(config, Ok(Config::with_policies(vec!["p.gate".into()])));
    }

    #[test]
    fn mistakes_are_named() {
        let error = |text: &str| Config::from_toml(text).unwrap_err().to_string();
        assert!(error("policies = []").contains("no policy"));
        assert!(error("policies = [\"p\"]\nlisten = { chek = \"x\" }").contains("unknown field"));
        assert!(error("policies = [\"p\"]\n[quota]\nstore = \"postgres://x\"").contains("redis"));
        assert!(error("policies = [\"p\"]\n[audit]\nsample = 2.0").contains("fraction"));
        assert!(error("policies = [\"p\"]\n[listen]\ngrpc = \"nowhere\"").contains("grpc"));
        assert!(
            error("policies = [\"p\"]\n[listen]\ncheck_path = \"/ext_authz/x\"")
                .contains("ext_authz")
        );
        assert!(
            error("policies = [\"p\"]\n[limits]\nmax_check_bytes = 10").contains("max_check_bytes")
        );
    }
}
