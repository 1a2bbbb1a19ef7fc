//! The body stage of a decision, and the streaming API around it.
//!
//! After the conditions (and the query and header rules), an endpoint that
//! passed everything checks the body, in the design's order:
//!
//! 1. `Content-Length`: not a decimal number, or two different values →
//!    400 `content_length_invalid`; above an enforced `body max` → 413
//!    `body_too_large`, before any byte is read.
//! 2. More bytes than an enforced `body max` → 413 `body_too_large`, as
//!    soon as they arrive.
//! 3. A non-empty body whose `Content-Type` is not accepted → 415.
//! 4. The JSON validators ([`crate::payload::validate`]): the `body json`
//!    rule's (limits and field rules; the body must be JSON), and, when
//!    there is no enforced `body json`, one with the built-in limits for a
//!    body that starts like JSON. A JSON problem is 400 `body_malformed` or
//!    422 `body_limit_exceeded`; a field rule 422 `body_invalid`. An empty
//!    body under a field block is `body_invalid` (the body is missing).
//!
//! Steps 1 and 2 decide early: the request is denied whatever follows.
//! Everything else is decided when the body ends, since a 413 found later
//! takes precedence. A failing rule in a `shadow { }` block is recorded
//! and evaluation goes on, as for every other check.
//!
//! A `shadow` endpoint that would take the request has its own body stage,
//! run alongside. A decision made early (step 1 or 2 of the enforced
//! endpoint) carries none of the shadow endpoint's body-stage findings, so
//! the answer is the same however the body is cut into chunks.

use std::net::IpAddr;

use crate::decision::{Decision, Detail, Reason, ShadowFinding};
use crate::model::{ApiId, EndpointId, RuleMeta};
use crate::payload::validate::{Outcome, Validator};
use crate::payload::{content_length, BodyPlan, Limits, Problem, Violation};
use crate::request::Request;

/// The first step of deciding a request whose body is read as it arrives:
/// see [`crate::CompiledSet::begin`].
pub enum Begin<'t> {
    /// The decision does not depend on the body (the request was denied
    /// before it, or by its `Content-Length`).
    Decided(Decision),
    /// Feed the body to the [`BodyCheck`], then finish it.
    Body(Box<BodyCheck<'t>>),
}

/// A decision waiting for the request body. Feed the body in chunks of any
/// size with [`BodyCheck::feed`], then call [`BodyCheck::finish`]. Memory
/// stays bounded by the endpoint's JSON limits however large the body.
pub struct BodyCheck<'t> {
    enforced: Eval<'t>,
    shadow: Option<(Eval<'t>, EndpointId)>,
    finishing: Finishing,
    done: Option<Decision>,
}

/// What every decision of this request gets once it is final.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Finishing {
    pub api: ApiId,
    pub client_ip: IpAddr,
    pub endpoint: Option<EndpointId>,
}

/// One endpoint's evaluation: decided, or in its body stage.
pub(crate) enum Eval<'t> {
    Done(Decision),
    Body(Box<BodyEval<'t>>),
}

impl<'t> BodyCheck<'t> {
    pub(crate) fn start(
        enforced: Eval<'t>,
        shadow: Option<(Eval<'t>, EndpointId)>,
        finishing: Finishing,
    ) -> Begin<'t> {
        // The common case, decided without the body: no detour.
        let (enforced, shadow) = match (enforced, shadow) {
            (Eval::Done(d), None) => return Begin::Decided(finish(d, None, finishing)),
            other => other,
        };
        let mut check = BodyCheck {
            enforced,
            shadow,
            finishing,
            done: None,
        };
        match check.settled() {
            Some(decision) => Begin::Decided(decision),
            None => Begin::Body(Box::new(check)),
        }
    }

    /// The final decision, if nothing that may still arrive can change it.
    fn settled(&mut self) -> Option<Decision> {
        let shadow_done = self
            .shadow
            .as_ref()
            .is_none_or(|(e, _)| matches!(e, Eval::Done(_)));
        match &self.enforced {
            Eval::Done(d) if d.reason.ends_body_early() || shadow_done => {}
            _ => return None,
        }
        Some(self.combine())
    }

    fn combine(&mut self) -> Decision {
        let enforced = match std::mem::replace(
            &mut self.enforced,
            Eval::Done(Decision::deny(Reason::RouteNotFound, Detail::None)),
        ) {
            Eval::Done(d) => d,
            Eval::Body(e) => e.finish(),
        };
        let shadow = self.shadow.take().map(|(eval, id)| {
            let would = match eval {
                Eval::Done(d) => d,
                // Cut short by an early decision: what it found before the body.
                Eval::Body(e) if enforced.reason.ends_body_early() => e.pre,
                Eval::Body(e) => e.finish(),
            };
            (would, id)
        });
        finish(enforced, shadow, self.finishing)
    }

    /// The enforced `body max`, if any: an embedder may refuse to read more.
    pub fn limit(&self) -> Option<u64> {
        match &self.enforced {
            Eval::Body(e) => e.plan.enforced_max(),
            Eval::Done(_) => None,
        }
    }

    /// Whether the request will be denied whatever else arrives (only the
    /// status may still change, to 413 if too many bytes follow). An
    /// embedder that stops reading here and calls [`BodyCheck::finish`]
    /// gets a denial.
    pub fn will_deny(&self) -> bool {
        match &self.enforced {
            Eval::Done(d) => !d.allowed,
            Eval::Body(e) => e.will_deny(),
        }
    }

    /// Checks the next chunk of the body. `Some` when the decision is
    /// final before the end of the body (the body is too large): stop
    /// reading and answer with it. Further calls return it again.
    pub fn feed(&mut self, chunk: &[u8]) -> Option<Decision> {
        if let Some(done) = &self.done {
            return Some(done.clone());
        }
        if let Eval::Body(e) = &mut self.enforced {
            if let Some(d) = e.feed(chunk) {
                self.enforced = Eval::Done(d);
            }
        }
        if let Some((Eval::Body(e), _)) = &mut self.shadow {
            if let Some(d) = e.feed(chunk) {
                if let Some((slot, _)) = &mut self.shadow {
                    *slot = Eval::Done(d);
                }
            }
        }
        let decision = self.settled()?;
        self.done = Some(decision.clone());
        Some(decision)
    }

    /// The body ended: the decision.
    pub fn finish(mut self) -> Decision {
        match self.done.take() {
            Some(done) => done,
            None => self.combine(),
        }
    }
}

/// Puts a shadow endpoint's would-be decision into the enforced one, and
/// sets what every decision of the request carries.
pub(crate) fn finish(
    mut decision: Decision,
    shadow: Option<(Decision, EndpointId)>,
    finishing: Finishing,
) -> Decision {
    if let Some((would, id)) = shadow {
        let early = decision.reason.ends_body_early();
        let keep = |reason: Reason| !(early && reason.is_body_stage());
        let mut findings: Vec<ShadowFinding> = would
            .shadow
            .iter()
            .copied()
            .filter(|f| keep(f.reason))
            .collect();
        if let (false, Some(rule), true) = (would.allowed, would.rule, keep(would.reason)) {
            findings.push(ShadowFinding {
                endpoint: id,
                reason: would.reason,
                status: would.status,
                rule,
                detail: would.detail,
            });
        }
        decision.prepend_shadow(findings, would.violations);
    }
    decision.api = Some(finishing.api);
    decision.client_ip = Some(finishing.client_ip);
    decision.endpoint = finishing.endpoint.or(decision.endpoint);
    decision
}

/// One endpoint's body stage: the decision so far (every earlier check
/// passed) and what the body has shown.
pub(crate) struct BodyEval<'t> {
    plan: &'t BodyPlan,
    endpoint: EndpointId,
    pre: Decision,
    declared: Option<u64>,
    /// Whether the `Content-Type` is accepted (`true` without a rule).
    type_ok: bool,
    total: u64,
    /// The `body json` rule's validator.
    json: Option<Validator<'t>>,
    /// The built-in limits' validator, when no `body json` is enforced.
    base: Option<Validator<'t>>,
    started: bool,
}

impl<'t> BodyEval<'t> {
    /// Starts the body stage after `pre` (an allow so far). With
    /// `empty`, the caller knows there is no body: an evaluation that
    /// cannot fail without one is decided at once.
    pub(crate) fn start(
        plan: &'t BodyPlan,
        endpoint: EndpointId,
        pre: Decision,
        request: &Request<'_>,
        has_content_length: bool,
        empty: bool,
    ) -> Eval<'t> {
        let declared = if has_content_length {
            match content_length(request) {
                Ok(n) => n,
                Err(_) => {
                    let meta = RuleMeta {
                        span: plan.endpoint,
                        inherited: false,
                        shadow: false,
                    };
                    return Eval::Done(deny_after(
                        pre,
                        Reason::ContentLengthInvalid,
                        Detail::None,
                        meta,
                    ));
                }
            }
        } else {
            None
        };
        if let (Some(n), Some((max, meta))) = (declared, plan.max) {
            if n > max && !meta.shadow {
                return Eval::Done(deny_after(
                    pre,
                    Reason::BodyTooLarge,
                    Detail::BodySize {
                        limit: max,
                        declared: true,
                    },
                    meta,
                ));
            }
        }
        if empty && declared.is_none() && !plan.needs_body() {
            return Eval::Done(pre);
        }
        let type_ok = match &plan.types {
            Some((types, _)) => types.accepts_request(request),
            None => true,
        };
        Eval::Body(Box::new(BodyEval {
            plan,
            endpoint,
            pre,
            declared,
            type_ok,
            total: 0,
            json: None,
            base: None,
            started: false,
        }))
    }

    fn will_deny(&self) -> bool {
        let enforced_type = self.plan.types.as_ref().is_some_and(|(_, m)| !m.shadow);
        let json_enforced = self.plan.json.as_ref().is_some_and(|j| !j.meta.shadow);
        (self.total > 0 && enforced_type && !self.type_ok)
            || (json_enforced && self.json.as_ref().is_some_and(Validator::has_problem))
            || self.base.as_ref().is_some_and(Validator::has_problem)
    }

    /// `Some` if the enforced `body max` is exceeded.
    fn feed(&mut self, chunk: &[u8]) -> Option<Decision> {
        if chunk.is_empty() {
            return None;
        }
        self.total = self.total.saturating_add(chunk.len() as u64);
        if let Some((max, meta)) = self.plan.max {
            if self.total > max && !meta.shadow {
                let pre = std::mem::replace(
                    &mut self.pre,
                    Decision::deny(Reason::BodyTooLarge, Detail::None),
                );
                return Some(deny_after(
                    pre,
                    Reason::BodyTooLarge,
                    Detail::BodySize {
                        limit: max,
                        declared: false,
                    },
                    meta,
                ));
            }
        }
        if !self.started {
            self.started = true;
            // An enforced content-type mismatch decides (after size): the
            // body need not be read as JSON.
            let decided_by_type =
                !self.type_ok && self.plan.types.as_ref().is_some_and(|(_, m)| !m.shadow);
            if !decided_by_type {
                let endpoint_span = self.plan.endpoint;
                if let Some(j) = &self.plan.json {
                    self.json = Some(Validator::new(
                        j.schema.as_ref(),
                        j.meta.span,
                        j.limits,
                        j.spans,
                        true,
                    ));
                }
                if self.plan.json.as_ref().is_none_or(|j| j.meta.shadow) {
                    self.base = Some(Validator::new(
                        None,
                        endpoint_span,
                        Limits::DEFAULT,
                        Default::default(),
                        false,
                    ));
                }
            }
        }
        for validator in [&mut self.json, &mut self.base].into_iter().flatten() {
            if !validator.is_settled() {
                validator.feed(chunk);
            }
        }
        None
    }

    /// The body ended: the endpoint's decision.
    fn finish(self) -> Decision {
        match self.decide() {
            Ok(decision) | Err(decision) => decision,
        }
    }

    /// `Err` for a denial.
    fn decide(mut self) -> Result<Decision, Decision> {
        let mut fold = Fold {
            decision: self.pre,
            endpoint: self.endpoint,
        };
        if let Some((max, meta)) = self.plan.max {
            let declared = self.declared.is_some_and(|n| n > max);
            if declared || self.total > max {
                fold.fail(
                    Reason::BodyTooLarge,
                    Detail::BodySize {
                        limit: max,
                        declared,
                    },
                    None,
                    meta,
                )?;
            }
        }
        if self.total > 0 && !self.type_ok {
            if let Some((_, meta)) = &self.plan.types {
                fold.fail(Reason::UnsupportedMediaType, Detail::None, None, *meta)?;
            }
        }
        if self.total == 0 {
            if let Some(json) = self.plan.json.as_ref().filter(|j| j.schema.is_some()) {
                let violation = Violation {
                    part: crate::payload::Part::Body,
                    pointer: String::new(),
                    problem: Problem::NoBody,
                    rule: json.meta.span,
                };
                fold.fail(
                    Reason::BodyInvalid,
                    Detail::None,
                    Some(violation),
                    json.meta,
                )?;
            }
            return Ok(fold.decision);
        }
        let json_meta = self.plan.json.as_ref().map(|j| j.meta);
        let base_meta = RuleMeta {
            span: self.plan.endpoint,
            inherited: false,
            shadow: false,
        };
        for (validator, meta) in [
            (&mut self.json, json_meta),
            (&mut self.base, Some(base_meta)),
        ] {
            let (Some(validator), Some(meta)) = (validator, meta) else {
                continue;
            };
            validator.finish();
            match validator.outcome() {
                Outcome::Valid => {}
                Outcome::Json(v) => {
                    let reason = match v.problem {
                        Problem::Malformed { .. } => Reason::BodyMalformed,
                        _ => Reason::BodyLimitExceeded,
                    };
                    fold.fail(reason, Detail::None, Some(v), meta)?;
                }
                Outcome::Rule(v) => fold.fail(Reason::BodyInvalid, Detail::None, Some(v), meta)?,
            }
        }
        Ok(fold.decision)
    }
}

/// Folds failing body checks into a decision, like the checks before them:
/// a shadow rule's failure is recorded, an enforced one denies.
struct Fold {
    decision: Decision,
    endpoint: EndpointId,
}

impl Fold {
    /// `Err` with the denial when an enforced rule fails (used with `?` in
    /// a function returning the decision).
    fn fail(
        &mut self,
        reason: Reason,
        detail: Detail,
        violation: Option<Violation>,
        meta: RuleMeta,
    ) -> Result<(), Decision> {
        let detail = match violation {
            Some(v) => self.decision.add_violation(v),
            None => detail,
        };
        if meta.shadow {
            self.decision.shadow.push(ShadowFinding {
                endpoint: self.endpoint,
                reason,
                status: reason.status(),
                rule: meta.span,
                detail,
            });
            return Ok(());
        }
        let pre = std::mem::replace(&mut self.decision, Decision::deny(reason, Detail::None));
        Err(deny_after(pre, reason, detail, meta))
    }
}

/// A denial by `meta`'s rule, keeping what `pre` (an allow so far) found.
fn deny_after(pre: Decision, reason: Reason, detail: Detail, meta: RuleMeta) -> Decision {
    let mut deny = Decision::deny(reason, detail);
    deny.rule = Some(meta.span);
    deny.shadow = pre.shadow;
    deny.violations = pre.violations;
    deny.endpoint = pre.endpoint;
    deny.canonicalize_violations();
    deny
}
