//! [`AuditSink`]: where the layer writes its one audit record per request,
//! and [`TracingAuditSink`], the default, which writes each as a JSON line
//! through `tracing`.
//!
//! A record is the facade's [`AuditRecord`](gatehouse::AuditRecord)
//! (`gatehouse.audit/v1`) with two more members, `response_status` (what
//! the client was answered) and `masked` (whether the response went
//! through the endpoint's response rules). A request refused outside the
//! policy (a credential refusal, an unknown client address) gets a record
//! of the same shape with a `stage` member (`credentials`, `layer`) and no
//! endpoint. No record holds a credential or a value from the request.

use serde_json::Value;

/// Receives the layer's audit records, one per request. Called on the
/// request's task, after the response's status is known: keep it quick
/// (hand the record to a channel to write it elsewhere).
pub trait AuditSink: Send + Sync + 'static {
    /// One request's record: a JSON object.
    fn record(&self, record: &Value);
}

/// Any `Fn(&Value)` is a sink (for tests, or to count records).
impl<F> AuditSink for F
where
    F: Fn(&Value) + Send + Sync + 'static,
{
    fn record(&self, record: &Value) {
        self(record)
    }
}

/// The default sink: each record as one JSON line, an `info` event of
/// target `gatehouse::audit` (route it with a `tracing-subscriber` filter
/// such as `gatehouse::audit=info`).
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingAuditSink;

impl AuditSink for TracingAuditSink {
    fn record(&self, record: &Value) {
        tracing::info!(target: "gatehouse::audit", "{record}");
    }
}
