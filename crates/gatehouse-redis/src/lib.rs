//! A Redis [`QuotaStore`] for Gatehouse: quotas shared by a fleet of
//! gateways, every quota of a request checked and charged in **one atomic
//! round trip**.
//!
//! - [`RedisStore`]: blocking, implements [`QuotaStore`], so it plugs in
//!   wherever the in-memory store does. It keeps a small pool of
//!   connections, each with connect, read and write timeouts.
//! - [`AsyncRedisStore`] (feature `tokio`, on by default): the same check
//!   as an `async fn`, over a reconnecting multiplexed connection that
//!   pipelines the checks of concurrent requests.
//!
//! # How a check works
//!
//! One Lua script ([`SCRIPT`], run with `EVALSHA`, falling back to `EVAL`
//! when the server answers `NOSCRIPT`, for instance after a restart) reads
//! the counter of every quota of the request, applies the GCRA arithmetic of
//! [`gatehouse::quota::Gcra`], and writes the new counters only if every
//! enforced quota allows the request. Redis runs a script atomically, so
//! two gateways checking the same client see one counter and never charge
//! it past its limit, and a request that one quota denies charges none.
//!
//! Each counter is one string key, `PREFIX:ID:VALUE`: the prefix (default
//! `gatehouse`), the quota's id (API name and version, endpoint or
//! `defaults`, key kind, window; see [`QuotaSpec::id`]) and the key value
//! (`s:alice`, `i:203.0.113.9`, ...). Its value is the time, in
//! microseconds, at which the bucket is full again, and it expires then: an
//! idle client costs nothing.
//!
//! # Time
//!
//! By default the script reads the Redis server's clock, so gateways whose
//! clocks disagree still share one timeline and the `now_ms` passed to
//! [`QuotaStore::check`] is ignored; [`Clock::Caller`] uses `now_ms`
//! instead (for tests and replays).
//!
//! # Failure
//!
//! If Redis cannot be reached or does not answer within the response
//! timeout, the check returns [`StoreError::Unavailable`]; the evaluator
//! then denies with `quota_store_unavailable` unless the policy says
//! `on_store_error = allow`. A broken connection is dropped and the next
//! check opens a new one, so the store recovers by itself when Redis is
//! back. Counters live as long as Redis keeps them: with persistence off, a
//! Redis restart forgets them (every client starts with a full bucket).
//!
//! Redis Cluster is not supported: the keys of one request may live in
//! different slots, which one script cannot touch. Use one primary (with
//! replicas or Sentinel for availability).
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use gatehouse::{PolicySet, Principal, Reason, Request};
//! use gatehouse_redis::{RedisConfig, RedisStore};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = RedisStore::new(
//!     RedisConfig::new("redis://127.0.0.1:6379/")
//!         .connect_timeout(Duration::from_millis(200))
//!         .response_timeout(Duration::from_millis(100)),
//! )?;
//! let policy = PolicySet::from_source("pets.gate", &std::fs::read_to_string("pets.gate")?)?
//!     .with_quota_store(Arc::new(store));
//!
//! let alice = Principal::new("user", "alice");
//! let peer = "203.0.113.9".parse()?;
//! // The time is required when an endpoint has quotas; the script itself
//! // reads the Redis server's clock, so every gateway counts alike.
//! let request = Request::new("GET", "/pets", peer).principal(&alice).at(1_700_000_000_000);
//! let decision = policy.decide(&request);
//! match decision.reason() {
//!     Reason::Allowed => { /* forward the request */ }
//!     Reason::QuotaExceeded => { /* 429, with policy.response_headers(&request, &decision) */ }
//!     Reason::QuotaStoreUnavailable => { /* 503, unless the policy says on_store_error = allow */ }
//!     _ => { /* answer decision.status() */ }
//! }
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use gatehouse::quota::micros;
use gatehouse::quota::{QuotaCheck, QuotaSpec, QuotaState, QuotaStore, StoreError};
use redis::{ErrorKind, RedisError, ServerErrorKind};

#[cfg(feature = "tokio")]
mod aio;
#[cfg(feature = "tokio")]
pub use aio::AsyncRedisStore;

/// The Lua script that checks and charges every quota of one request.
pub const SCRIPT: &str = include_str!("check.lua");

/// Whose clock a check uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    /// The Redis server's (`TIME`): one timeline for every gateway.
    #[default]
    Server,
    /// The `now_ms` the caller passes.
    Caller,
}

/// Where Redis is and how long to wait for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisConfig {
    url: String,
    prefix: String,
    connect_timeout: Duration,
    response_timeout: Duration,
    pool_size: usize,
    clock: Clock,
}

impl RedisConfig {
    /// A Redis URL (`redis://host:port/db`, `rediss://` is not enabled),
    /// with the defaults: prefix `gatehouse`, 250 ms to connect, 250 ms per
    /// answer, 16 idle connections kept, the server's clock.
    pub fn new(url: impl Into<String>) -> RedisConfig {
        RedisConfig {
            url: url.into(),
            prefix: "gatehouse".into(),
            connect_timeout: Duration::from_millis(250),
            response_timeout: Duration::from_millis(250),
            pool_size: 16,
            clock: Clock::Server,
        }
    }

    /// The first part of every key (to share a Redis with other users).
    pub fn prefix(mut self, prefix: impl Into<String>) -> RedisConfig {
        self.prefix = prefix.into();
        self
    }

    /// How long to wait for a connection to open.
    pub fn connect_timeout(mut self, timeout: Duration) -> RedisConfig {
        self.connect_timeout = timeout;
        self
    }

    /// How long to wait for the answer to a check.
    pub fn response_timeout(mut self, timeout: Duration) -> RedisConfig {
        self.response_timeout = timeout;
        self
    }

    /// How many idle connections [`RedisStore`] keeps for reuse.
    pub fn pool_size(mut self, size: usize) -> RedisConfig {
        self.pool_size = size;
        self
    }

    pub fn clock(mut self, clock: Clock) -> RedisConfig {
        self.clock = clock;
        self
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

/// The Redis key of one counter: `PREFIX:ID:VALUE`.
pub fn counter_key(prefix: &str, spec: &QuotaSpec, check: &QuotaCheck<'_>) -> String {
    let mut key = String::with_capacity(prefix.len() + spec.id().len() + 24);
    key.push_str(prefix);
    key.push(':');
    key.push_str(spec.id());
    key.push(':');
    check.key.normalize().write_text(&mut key);
    key
}

/// A check as a script invocation: `EVALSHA sha n KEYS... ARGV...`.
struct Invocation {
    keys: Vec<String>,
    args: Vec<i64>,
}

impl Invocation {
    fn new(config: &RedisConfig, now_ms: u64, checks: &[QuotaCheck<'_>]) -> Invocation {
        let now = match config.clock {
            Clock::Server => -1,
            Clock::Caller => as_i64(micros(now_ms)),
        };
        let mut args = Vec::with_capacity(1 + 3 * checks.len());
        args.push(now);
        let mut keys = Vec::with_capacity(checks.len());
        for check in checks {
            let gcra = check.spec.gcra();
            keys.push(counter_key(&config.prefix, check.spec, check));
            args.push(as_i64(gcra.cost_us(check.spec.cost())));
            args.push(as_i64(gcra.tolerance_us()));
            args.push(i64::from(check.spec.is_shadow()));
        }
        Invocation { keys, args }
    }

    fn command(&self, verb: &str, script: &str) -> redis::Cmd {
        let mut cmd = redis::cmd(verb);
        cmd.arg(script)
            .arg(self.keys.len())
            .arg(&self.keys)
            .arg(&self.args);
        cmd
    }
}

/// Values of the algorithm are at most 2^52, so they fit.
fn as_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn is_noscript(error: &RedisError) -> bool {
    error.kind() == ErrorKind::Server(ServerErrorKind::NoScript)
}

fn unavailable(error: &RedisError) -> StoreError {
    StoreError::Unavailable(format!("redis: {error}"))
}

/// Reads the script's answer into one state per check.
fn read_reply(
    reply: &[i64],
    checks: &[QuotaCheck<'_>],
    states: &mut [QuotaState],
) -> Result<(), StoreError> {
    let bad = |why: &str| {
        StoreError::BadReply(format!(
            "{why} in a reply of {} numbers to {} checks",
            reply.len(),
            checks.len()
        ))
    };
    let (now, rest) = reply.split_first().ok_or_else(|| bad("no time"))?;
    if rest.len() != 3 * checks.len() || states.len() != checks.len() {
        return Err(bad("wrong length"));
    }
    let now_us = u64::try_from(*now).map_err(|_| bad("a negative time"))?;
    for ((triple, check), state) in rest.chunks_exact(3).zip(checks).zip(states.iter_mut()) {
        let [allowed, charged, tat] = triple else {
            return Err(bad("a short entry"));
        };
        let tat_us = u64::try_from(*tat).map_err(|_| bad("a negative TAT"))?;
        let spec = check.spec;
        *state = spec
            .gcra()
            .state(tat_us, now_us, spec.cost(), *allowed == 1, *charged == 1);
    }
    Ok(())
}

/// A blocking Redis [`QuotaStore`]. Cheap to share between threads: each
/// check borrows a pooled connection (or opens one) for its round trip.
pub struct RedisStore {
    client: redis::Client,
    config: RedisConfig,
    sha: String,
    idle: Mutex<Vec<redis::Connection>>,
}

impl RedisStore {
    /// A store for `config`. It does not connect yet: a gateway can start
    /// while Redis is down (its checks fail closed until Redis is back).
    pub fn new(config: RedisConfig) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| StoreError::Unavailable(format!("bad redis url `{}`: {e}", config.url)))?;
        let sha = redis::Script::new(SCRIPT).get_hash().to_string();
        Ok(RedisStore {
            client,
            config,
            sha,
            idle: Mutex::new(Vec::new()),
        })
    }

    pub fn config(&self) -> &RedisConfig {
        &self.config
    }

    /// Opens (or reuses) a connection and sends `PING`.
    pub fn ping(&self) -> Result<(), StoreError> {
        let mut con = self.connection()?;
        let answer: Result<String, RedisError> = redis::cmd("PING").query(&mut con);
        answer.map_err(|e| unavailable(&e))?;
        self.give_back(con);
        Ok(())
    }

    fn connection(&self) -> Result<redis::Connection, StoreError> {
        if let Some(con) = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
        {
            return Ok(con);
        }
        let con = self
            .client
            .get_connection_with_timeout(self.config.connect_timeout)
            .map_err(|e| unavailable(&e))?;
        let timeout = Some(self.config.response_timeout);
        con.set_read_timeout(timeout).map_err(|e| unavailable(&e))?;
        con.set_write_timeout(timeout)
            .map_err(|e| unavailable(&e))?;
        Ok(con)
    }

    fn give_back(&self, con: redis::Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.config.pool_size {
            idle.push(con);
        }
    }
}

impl QuotaStore for RedisStore {
    fn check(
        &self,
        now_ms: u64,
        checks: &[QuotaCheck<'_>],
        states: &mut [QuotaState],
    ) -> Result<(), StoreError> {
        if checks.len() != states.len() {
            return Err(StoreError::StatesLength {
                checks: checks.len(),
                states: states.len(),
            });
        }
        if checks.is_empty() {
            return Ok(());
        }
        let invocation = Invocation::new(&self.config, now_ms, checks);
        let mut con = self.connection()?;
        let reply: Result<Vec<i64>, RedisError> =
            match invocation.command("EVALSHA", &self.sha).query(&mut con) {
                Err(e) if is_noscript(&e) => invocation.command("EVAL", SCRIPT).query(&mut con),
                other => other,
            };
        // A connection that failed may hold half an answer: drop it.
        let reply = reply.map_err(|e| unavailable(&e))?;
        self.give_back(con);
        read_reply(&reply, checks, states)
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
