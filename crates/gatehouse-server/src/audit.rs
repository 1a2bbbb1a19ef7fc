//! The audit log: one `gatehouse.audit/v1` JSON line per decision, written
//! by a thread of its own so that a slow disk or pipe never holds up a
//! check. The queue is bounded: when it is full, records are dropped and
//! counted (`gatehouse_audit_dropped_total`), never waited for.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use crate::config::{AllowedAudit, Audit};

/// How many records may wait for the writer.
const QUEUE: usize = 65_536;

/// Where records go, and which allowed decisions are kept.
#[derive(Debug)]
pub struct AuditLog {
    sender: Option<SyncSender<String>>,
    allowed: AllowedAudit,
    sample: f64,
    allowed_seen: AtomicU64,
    dropped: Arc<AtomicU64>,
}

impl AuditLog {
    /// A log writing to the configured sink (`stdout`, `stderr`, `off` or
    /// a file, appended to).
    pub fn open(config: &Audit) -> Result<AuditLog, String> {
        let sink: Option<Box<dyn Write + Send>> = match config.sink.as_str() {
            "off" => None,
            "stdout" => Some(Box::new(std::io::stdout())),
            "stderr" => Some(Box::new(std::io::stderr())),
            path => Some(Box::new(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| format!("audit sink {path}: {e}"))?,
            )),
        };
        let dropped = Arc::new(AtomicU64::new(0));
        let sender = match sink {
            None => None,
            Some(sink) => {
                let (sender, receiver) = sync_channel(QUEUE);
                std::thread::Builder::new()
                    .name("gatehouse-audit".into())
                    .spawn(move || write_lines(receiver, sink))
                    .map_err(|e| format!("audit writer: {e}"))?;
                Some(sender)
            }
        };
        Ok(AuditLog {
            sender,
            allowed: config.allowed,
            sample: config.sample,
            allowed_seen: AtomicU64::new(0),
            dropped,
        })
    }

    /// A log that keeps nothing.
    pub fn off() -> AuditLog {
        AuditLog {
            sender: None,
            allowed: AllowedAudit::None,
            sample: 0.0,
            allowed_seen: AtomicU64::new(0),
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Whether a decision (`allowed` or not) is to be recorded: every
    /// denial; allowed ones as configured. A sample keeps evenly spaced
    /// records (the k-th allowed decision when `k * sample` reaches a new
    /// whole number), so its rate is exact over any run.
    pub fn wants(&self, allowed: bool) -> bool {
        if self.sender.is_none() {
            return false;
        }
        if !allowed {
            return true;
        }
        match self.allowed {
            AllowedAudit::All => true,
            AllowedAudit::None => false,
            AllowedAudit::Sample => {
                let k = self.allowed_seen.fetch_add(1, Ordering::Relaxed) + 1;
                // Precision is irrelevant at these magnitudes.
                #[allow(clippy::cast_precision_loss)]
                let (now, before) = ((k as f64) * self.sample, ((k - 1) as f64) * self.sample);
                now.floor() > before.floor()
            }
        }
    }

    /// Queues one record (a JSON object, without a newline).
    pub fn write(&self, line: String) {
        if let Some(sender) = &self.sender {
            if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
                sender.try_send(line)
            {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// How many records were dropped because the writer fell behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The writer thread: lines as they come, flushed whenever the queue is
/// empty, so that a quiet server's records are on disk at once and a busy
/// one's are written in blocks.
fn write_lines(receiver: Receiver<String>, sink: Box<dyn Write + Send>) {
    let mut out = BufWriter::with_capacity(64 * 1024, sink);
    while let Ok(line) = receiver.recv() {
        let mut next = Some(line);
        while let Some(line) = next {
            if out
                .write_all(line.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .is_err()
            {
                return;
            }
            next = receiver.try_recv().ok();
        }
        if out.flush().is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A log with a queue of one, and the queue's other end (kept, so
    /// that the queue stays open).
    fn log(allowed: AllowedAudit, sample: f64) -> (AuditLog, Receiver<String>) {
        let mut log = AuditLog::off();
        let (sender, receiver) = sync_channel(1);
        log.sender = Some(sender);
        log.allowed = allowed;
        log.sample = sample;
        (log, receiver)
    }

    #[test]
    fn denials_always_allowed_as_configured() {
        let (all, _queue) = log(AllowedAudit::All, 0.0);
        assert!(all.wants(false) && all.wants(true));
        let (none, _queue) = log(AllowedAudit::None, 0.0);
        assert!(none.wants(false) && !none.wants(true));
        let (sample, _queue) = log(AllowedAudit::Sample, 0.25);
        let kept = (0..1000).filter(|_| sample.wants(true)).count();
        assert_eq!(kept, 250);
        assert!(!AuditLog::off().wants(false));
    }

    #[test]
    fn a_full_queue_drops_and_counts() {
        let (log, queue) = log(AllowedAudit::All, 0.0);
        log.write("{}".into());
        log.write("{}".into());
        assert_eq!(log.dropped(), 1);
        assert_eq!(queue.try_recv().as_deref(), Ok("{}"));
    }
}
