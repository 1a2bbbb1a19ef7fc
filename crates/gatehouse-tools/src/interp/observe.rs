//! Hooks into the reference interpreter, for explanations and coverage.
//!
//! [`super::decide_observed`] reports each step of an evaluation to an
//! [`Observer`]: the parsed target, the API, the route, and every rule it
//! checks, pass or fail. [`crate::analysis::trace`] turns the events into a
//! step-by-step trace (`gatehouse explain`) and the set of rules a test
//! exercised (`gatehouse test --coverage`). [`super::decide`] uses
//! [`Silent`], whose `ENABLED = false` lets the compiler drop every event;
//! the compiled evaluator ([`crate::eval`]) has no hooks at all.
//!
//! A check that reports no event is still explained: the trace takes the
//! deciding rule from the final [`Decision`](crate::decision::Decision).

use std::net::IpAddr;

use crate::decision::Reason;
use crate::model::{Access, Api, Condition, Endpoint, IpRule, Method, ScopeId, ScopeRule};

use super::{Ctx, Failure};

/// Receives the steps of one evaluation, in order.
pub trait Observer {
    /// `false` for observers that ignore every event, so that building
    /// events costs nothing.
    const ENABLED: bool = true;

    fn event(&mut self, event: Event<'_>);
}

/// Ignores every event: what [`super::decide`] uses.
pub struct Silent;

impl Observer for Silent {
    const ENABLED: bool = false;

    #[inline]
    fn event(&mut self, _event: Event<'_>) {}
}

/// One step of an evaluation.
pub enum Event<'a> {
    /// The target parsed and decoded: segments (base included) and query.
    Target {
        segments: &'a [String],
        query: Option<&'a str>,
        trailing_slash: bool,
    },
    /// The API whose host and base matched, if any.
    Api { api: Option<&'a Api> },
    /// A method-override header was honoured.
    MethodOverride {
        header: &'static str,
        method: &'a str,
    },
    /// The client address, after forwarding headers.
    Client { ip: IpAddr },
    /// The route lookup for `method` over `segments` (base excluded):
    /// `shadow` when looking among shadow endpoints too, for the record.
    /// The checks that follow are those of `chosen`.
    Route {
        method: Method,
        segments: &'a [&'a str],
        shadow: bool,
        chosen: Option<&'a Endpoint>,
    },
    /// A `deny from` rule; `matched` means the client is in it.
    IpDeny { rule: &'a IpRule, matched: bool },
    /// The `allow from` rule; `allowed` means the client is in it.
    IpAllow { rule: &'a IpRule, allowed: bool },
    /// Authentication: `failure` is the reason it failed, if it did.
    Access {
        access: &'a Access,
        failure: Option<Reason>,
    },
    /// A `require` rule: the granted scopes it considered and the first
    /// any-of group none of them satisfies, if any.
    Scopes {
        rule: &'a ScopeRule,
        granted: &'a [ScopeId],
        unmet: Option<&'a [ScopeId]>,
    },
    /// A `when` condition and its result; `ctx` lets an observer evaluate
    /// its parts with [`super::evaluate`] to show the values compared.
    Condition {
        condition: &'a Condition,
        ctx: &'a Ctx<'a>,
        result: &'a Result<bool, Failure>,
    },
}
