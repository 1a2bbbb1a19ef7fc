//! [`AsyncRedisStore`]: the same check for async hosts, over a tokio
//! connection manager.

use gatehouse::quota::{QuotaCheck, QuotaState, StoreError};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::RedisError;

use crate::{is_noscript, read_reply, unavailable, Invocation, RedisConfig, SCRIPT};

/// An async Redis quota store. Clones share one multiplexed connection:
/// the checks of concurrent requests are pipelined on it, and it reconnects
/// in the background after a failure (checks fail closed meanwhile).
#[derive(Clone)]
pub struct AsyncRedisStore {
    manager: ConnectionManager,
    config: RedisConfig,
    sha: String,
}

impl AsyncRedisStore {
    /// Connects (within the connect timeout). Must run inside a tokio
    /// runtime.
    pub async fn connect(config: RedisConfig) -> Result<AsyncRedisStore, StoreError> {
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| StoreError::Unavailable(format!("bad redis url `{}`: {e}", config.url)))?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.connect_timeout))
            .set_response_timeout(Some(config.response_timeout))
            .set_number_of_retries(1)
            .set_max_delay(config.connect_timeout);
        let manager = client
            .get_connection_manager_with_config(manager_config)
            .await
            .map_err(|e| unavailable(&e))?;
        let sha = redis::Script::new(SCRIPT).get_hash().to_string();
        Ok(AsyncRedisStore {
            manager,
            config,
            sha,
        })
    }

    pub fn config(&self) -> &RedisConfig {
        &self.config
    }

    /// [`gatehouse::quota::QuotaStore::check`], asynchronously: checks and
    /// charges every quota in `checks` atomically, in one round trip.
    pub async fn check(
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
        let mut con = self.manager.clone();
        let reply: Result<Vec<i64>, RedisError> = match invocation
            .command("EVALSHA", &self.sha)
            .query_async(&mut con)
            .await
        {
            Err(e) if is_noscript(&e) => {
                invocation
                    .command("EVAL", SCRIPT)
                    .query_async(&mut con)
                    .await
            }
            other => other,
        };
        read_reply(&reply.map_err(|e| unavailable(&e))?, checks, states)
    }
}

impl std::fmt::Debug for AsyncRedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncRedisStore")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
