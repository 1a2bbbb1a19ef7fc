//! The generic cell rate algorithm (GCRA): the pure arithmetic shared by the
//! in-memory store and, mirrored in Lua, by the Redis store.
//!
//! A quota `RATE/WINDOW burst BURST` is a bucket of `BURST` tokens that
//! refills at `RATE` tokens per `WINDOW`. GCRA stores one number per key
//! instead of a token count and a timestamp: the *theoretical arrival time*
//! (TAT), the instant at which the bucket will be full again. All times are
//! whole microseconds (callers pass milliseconds; see [`micros`]).
//!
//! - **Emission interval** `T = ceil(WINDOW / RATE)`: one token refills every
//!   `T`. Rounding up means the rate is never exceeded (`3/s` refills every
//!   333,334 µs). The resolution is 1 µs, so rates above 1,000,000 per second
//!   act as 1,000,000 per second.
//! - **Tolerance** `τ = BURST × T`: how far ahead of now the TAT may run. A
//!   key with no history (TAT in the past) can spend `BURST` tokens at once.
//! - **A request of cost `c`** at time `now`: `start = max(TAT, now)`,
//!   `new = start + c × T`. It is allowed iff `new − now ≤ τ`, and then the
//!   TAT becomes `new`; a denied request changes nothing. A cost above the
//!   burst is never allowed (the checker rejects such quotas).
//! - **Remaining** tokens at `now`: `floor((τ − (max(TAT, now) − now)) / T)`,
//!   between 0 and `BURST`: how many requests of cost 1 would be allowed
//!   right now. This is the `RateLimit-Remaining` header; `RateLimit-Limit`
//!   is `BURST`.
//! - **Reset**: `max(TAT, now) − now`, the time until the bucket is full
//!   again (`RateLimit-Reset`, rounded up to whole seconds). A key whose
//!   reset is zero carries no information and may be forgotten.
//! - **Retry after** (denied only): `new − τ − now`, the wait until the same
//!   request would be allowed (`Retry-After`, rounded up to whole seconds).
//!
//! Every quantity is capped at [`MAX_MICROS`] (2^52 µs, about 142 years
//! since the Unix epoch), so the arithmetic never overflows and Lua's
//! doubles represent every value exactly.

// Re-exported by the `gatehouse` facade: every public item is documented.
#![warn(missing_docs)]

use serde::Serialize;

/// The largest time or duration, in microseconds, that the algorithm uses:
/// 2^52, so that doubles (Lua's numbers, in the Redis script) hold every
/// value and every sum of two values exactly.
pub const MAX_MICROS: u64 = 1 << 52;

/// Milliseconds to the microseconds the algorithm counts in, capped at
/// [`MAX_MICROS`].
#[inline]
pub fn micros(ms: u64) -> u64 {
    ms.saturating_mul(1_000).min(MAX_MICROS)
}

/// The parameters of one quota, ready for the arithmetic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Gcra {
    interval_us: u64,
    burst: u64,
}

/// The outcome of one request against one bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Step {
    /// The quota alone would allow the request.
    pub allowed: bool,
    /// The TAT to store if the request is charged (`allowed`), else the TAT
    /// as it was.
    pub tat_us: u64,
    /// When denied, how long until the same request would be allowed; 0
    /// when allowed; [`MAX_MICROS`] when it never will be (cost above burst).
    pub retry_after_us: u64,
}

impl Gcra {
    /// `rate` tokens per `window_secs`, up to `burst` at once. Zeroes (which
    /// the checker rejects) are read as 1.
    pub fn new(rate: u64, window_secs: u64, burst: u64) -> Gcra {
        let window_us = window_secs.max(1).saturating_mul(1_000_000).min(MAX_MICROS);
        let interval_us = window_us.div_ceil(rate.max(1)).max(1);
        Gcra {
            interval_us,
            burst: burst.max(1),
        }
    }

    /// The emission interval `T`, in microseconds.
    pub fn interval_us(&self) -> u64 {
        self.interval_us
    }

    /// The bucket size: `RateLimit-Limit`.
    pub fn burst(&self) -> u64 {
        self.burst
    }

    /// The tolerance `τ = BURST × T`, in microseconds.
    #[inline]
    pub fn tolerance_us(&self) -> u64 {
        self.interval_us.saturating_mul(self.burst).min(MAX_MICROS)
    }

    /// What a request of `cost` takes from the bucket: `cost × T`.
    #[inline]
    pub fn cost_us(&self, cost: u64) -> u64 {
        cost.saturating_mul(self.interval_us).min(MAX_MICROS)
    }

    /// Decides one request of `cost` at `now_us` against a bucket whose
    /// stored TAT is `tat_us` (0 for a key never seen).
    #[inline]
    pub fn step(&self, tat_us: u64, now_us: u64, cost: u64) -> Step {
        let tau = self.tolerance_us();
        let cost_us = self.cost_us(cost);
        let start = tat_us.max(now_us);
        let new = start.saturating_add(cost_us);
        if new.saturating_sub(now_us) <= tau {
            Step {
                allowed: true,
                tat_us: new,
                retry_after_us: 0,
            }
        } else if cost_us > tau {
            Step {
                allowed: false,
                tat_us,
                retry_after_us: MAX_MICROS,
            }
        } else {
            Step {
                allowed: false,
                tat_us,
                retry_after_us: new.saturating_sub(tau).saturating_sub(now_us),
            }
        }
    }

    /// Tokens left at `now_us` in a bucket whose TAT is `tat_us`.
    pub fn remaining(&self, tat_us: u64, now_us: u64) -> u64 {
        let debt = tat_us.max(now_us).saturating_sub(now_us);
        (self.tolerance_us().saturating_sub(debt) / self.interval_us).min(self.burst)
    }

    /// The state after a check: `tat_us` is the TAT stored once the check
    /// is done (the new one if `charged`, else the old one), `allowed`
    /// whether this quota alone allowed the request.
    #[inline]
    pub fn state(
        &self,
        tat_us: u64,
        now_us: u64,
        cost: u64,
        allowed: bool,
        charged: bool,
    ) -> super::QuotaState {
        super::QuotaState::new(*self, cost, tat_us, now_us, allowed, charged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    /// Runs `n` requests of `cost` at `now`, storing the TAT as a store would.
    fn run(g: &Gcra, tat: &mut u64, now: u64, cost: u64, n: u64) -> u64 {
        let mut allowed = 0;
        for _ in 0..n {
            let step = g.step(*tat, now, cost);
            if step.allowed {
                *tat = step.tat_us;
                allowed += 1;
            }
        }
        allowed
    }

    #[test]
    fn interval_rounds_up_so_the_rate_is_never_exceeded() {
        assert_eq!(Gcra::new(3, 1, 3).interval_us(), 333_334);
        assert_eq!(Gcra::new(100, 60, 100).interval_us(), 600_000);
        assert_eq!(Gcra::new(5_000_000, 1, 1).interval_us(), 1);
        assert_eq!(Gcra::new(1, 86_400, 1).interval_us(), 86_400 * S);
    }

    #[test]
    fn a_fresh_key_spends_its_burst_at_once_then_one_per_interval() {
        let g = Gcra::new(60, 60, 10); // one per second, ten at once
        let mut tat = 0;
        let now = 1_000 * S;
        assert_eq!(run(&g, &mut tat, now, 1, 100), 10);
        assert_eq!(run(&g, &mut tat, now + S - 1, 1, 100), 0);
        assert_eq!(run(&g, &mut tat, now + S, 1, 100), 1);
        assert_eq!(run(&g, &mut tat, now + 5 * S, 1, 100), 4);
        // After a quiet spell the bucket is full again, never fuller.
        assert_eq!(run(&g, &mut tat, now + 1_000 * S, 1, 100), 10);
    }

    #[test]
    fn steady_rate_allows_exactly_the_rate_over_a_long_run() {
        let g = Gcra::new(5, 1, 1); // 5/s, no burst
        let mut tat = 0;
        let mut allowed = 0;
        // One attempt every millisecond for 10 seconds.
        for ms in 0..10_000 {
            allowed += run(&g, &mut tat, micros(ms), 1, 1);
        }
        assert_eq!(allowed, 50);
    }

    #[test]
    fn cost_consumes_cost_intervals() {
        let g = Gcra::new(10, 1, 10); // T = 100 ms
        let mut tat = 0;
        assert_eq!(run(&g, &mut tat, 0, 4, 5), 2); // 8 of 10 spent
        assert_eq!(g.remaining(tat, 0), 2);
        let step = g.step(tat, 0, 4);
        assert!(!step.allowed);
        assert_eq!(step.retry_after_us, 200_000); // two more tokens needed
        assert!(g.step(tat, 200_000, 4).allowed);
        assert!(!g.step(tat, 199_999, 4).allowed);
    }

    #[test]
    fn a_cost_above_the_burst_is_never_allowed() {
        let g = Gcra::new(10, 1, 3);
        let step = g.step(0, 5 * S, 4);
        assert!(!step.allowed);
        assert_eq!(step.retry_after_us, MAX_MICROS);
    }

    #[test]
    fn header_values() {
        let g = Gcra::new(100, 60, 20); // T = 600 ms, τ = 12 s
        let now = 50 * S;
        let mut tat = 0;
        run(&g, &mut tat, now, 1, 1);
        let state = g.state(tat, now, 1, true, true);
        assert_eq!(
            (
                state.limit(),
                state.remaining(),
                state.reset_ms(),
                state.retry_after_ms()
            ),
            (20, 19, 600, 0)
        );
        run(&g, &mut tat, now, 1, 19);
        let state = g.state(tat, now, 1, false, false);
        assert_eq!(
            (state.remaining(), state.reset_ms(), state.retry_after_ms()),
            (0, 12_000, 600)
        );
        assert_eq!((state.reset_secs(), state.retry_after_secs()), (12, 1));
        // Half an interval later: still nothing, 300 ms to wait.
        let state = g.state(tat, now + 300_000, 1, false, false);
        assert_eq!((state.remaining(), state.retry_after_ms()), (0, 300));
    }

    #[test]
    fn arithmetic_saturates_instead_of_overflowing() {
        let g = Gcra::new(1, u64::MAX, u64::MAX);
        let step = g.step(u64::MAX, u64::MAX, u64::MAX);
        assert!(step.retry_after_us <= MAX_MICROS);
        assert_eq!(micros(u64::MAX), MAX_MICROS);
        let _ = g.state(u64::MAX, 0, u64::MAX, false, false);
    }
}
