//! The last step of a decision: the endpoint's quotas.
//!
//! The evaluator (and the reference interpreter) decide a request without
//! quotas; [`settle`] then counts them, in one store call, following the
//! order of checks:
//!
//! - a request stopped before the endpoint's quotas apply (no endpoint, or
//!   denied by an IP rule, steps 0 to 2) counts nothing;
//! - a request denied by a later check (authentication to body rules)
//!   counts its IP and header quotas, which are step 3 and what stops
//!   credential stuffing, and no principal quota; if an IP or header quota
//!   is used up, that is the answer (429), since step 3 comes first;
//! - a request that passed every other check counts every quota, IP and
//!   header quotas first, and is denied (429) by the first one used up.
//!
//! Counting is atomic (all or nothing, see [`QuotaStore`]), so a denied
//! request consumes no principal quota. A store that cannot answer denies
//! with 503 `quota_store_unavailable` unless the API says
//! `on_store_error = allow`, in which case the request goes on and the
//! failure is reported as a finding. A request without a time cannot be
//! counted: 500 `quota_clock_missing`.

use crate::decision::{Decision, Detail, Reason, ShadowFinding};
use crate::model::StoreErrorPolicy;
use crate::request::Request;

use super::{check_request, Phase, QuotaSpec, QuotaStore};

/// Counts the quotas of `decision` (made without them), changing it in
/// place: a decision is large, and this runs on every request.
pub fn settle<S: QuotaStore + ?Sized>(
    decision: &mut Decision,
    request: &Request<'_>,
    specs: &[QuotaSpec],
    store: &S,
    on_store_error: StoreErrorPolicy,
) {
    let Some(phase) = phase_for(decision) else {
        return;
    };
    let in_phase = |spec: &QuotaSpec| phase == Phase::All || spec.is_pre_auth();
    // The first enforced quota of the phase: the rule a failure points at.
    let Some((first, first_spec)) = specs
        .iter()
        .enumerate()
        .find(|(_, s)| in_phase(s) && !s.is_shadow())
    else {
        if !specs.iter().any(in_phase) {
            return;
        }
        // Only report-only quotas: they are counted, never enforced.
        return count(decision, request, specs, store, phase, None);
    };
    let first = index(first);

    if request.now_ms.is_none() {
        if decision.allowed {
            fail(decision, Reason::QuotaClockMissing, first, first_spec);
        }
        return;
    }
    count(
        decision,
        request,
        specs,
        store,
        phase,
        Some((first, first_spec, on_store_error)),
    )
}

fn count<S: QuotaStore + ?Sized>(
    decision: &mut Decision,
    request: &Request<'_>,
    specs: &[QuotaSpec],
    store: &S,
    phase: Phase,
    enforced: Option<(u16, &QuotaSpec, StoreErrorPolicy)>,
) {
    let endpoint = decision
        .endpoint
        .unwrap_or(crate::model::EndpointId(u32::MAX));
    let finding = |reason: Reason, i: usize, spec: &QuotaSpec| ShadowFinding {
        endpoint,
        reason,
        status: reason.status(),
        rule: spec.span(),
        detail: Detail::Quota { index: index(i) },
    };
    let Some(now_ms) = request.now_ms else {
        // Only report-only quotas, and no time: say so, decide as before.
        if let Some((i, spec)) = specs
            .iter()
            .enumerate()
            .find(|(_, s)| phase == Phase::All || s.is_pre_auth())
        {
            decision
                .shadow
                .push(finding(Reason::QuotaClockMissing, i, spec));
        }
        return;
    };
    let client_ip = decision.client_ip.unwrap_or(request.peer);
    match check_request(store, now_ms, specs, phase, request, client_ip) {
        Ok(verdict) => {
            for (i, spec) in specs
                .iter()
                .enumerate()
                .filter(|(i, _)| *i < 64 && verdict.shadow_denied & (1 << i) != 0)
            {
                decision
                    .shadow
                    .push(finding(Reason::QuotaExceeded, i, spec));
            }
            let report = verdict.report.map(|(i, state)| state.report(index(i)));
            if let Some((i, spec)) = verdict.denied.and_then(|i| specs.get(i).map(|s| (i, s))) {
                fail(decision, Reason::QuotaExceeded, index(i), spec);
            }
            decision.quota = report;
        }
        Err(_) => match enforced {
            Some((first, spec, StoreErrorPolicy::Deny)) if decision.allowed => {
                fail(decision, Reason::QuotaStoreUnavailable, first, spec);
            }
            // Failing open (as the policy asks), or denied anyway: the
            // failure is still reported.
            _ => {
                let at = enforced.map_or(0, |(first, _, _)| usize::from(first));
                if let Some(spec) = specs.get(at) {
                    decision
                        .shadow
                        .push(finding(Reason::QuotaStoreUnavailable, at, spec));
                }
            }
        },
    }
}

/// Turns the decision into a denial by quota `index`, keeping where the
/// request went and what was found on the way (shadow findings, and the
/// violations they refer to).
fn fail(decision: &mut Decision, reason: Reason, index: u16, spec: &QuotaSpec) {
    decision.allowed = false;
    decision.status = reason.status();
    decision.reason = reason;
    decision.detail = Detail::Quota { index };
    decision.rule = Some(spec.span());
}

fn index(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// Which quotas a decision made without quotas calls for: none when the
/// request was not routed or was denied by IP (steps 0 to 2), the IP and
/// header quotas when a later check denied it (step 3 still ran), all of
/// them when it passed every other check.
pub fn phase_for(decision: &Decision) -> Option<Phase> {
    decision.endpoint?;
    match decision.reason {
        _ if decision.allowed => Some(Phase::All),
        Reason::IpDenied | Reason::IpNotAllowed => None,
        _ => Some(Phase::PreAuth),
    }
}
