//! Decision ids: unique per decision, cheap to make, safe to show. A
//! random 64-bit prefix drawn once per process (so two servers never
//! share ids) and a counter, as 32 hexadecimal digits.

use std::sync::atomic::{AtomicU64, Ordering};

/// Makes decision ids.
#[derive(Debug)]
pub struct DecisionIds {
    prefix: u64,
    next: AtomicU64,
}

impl DecisionIds {
    /// A generator with a random prefix (from the operating system; a
    /// fixed one if it cannot give any, which only risks ids repeating
    /// across processes).
    pub fn new() -> DecisionIds {
        let mut bytes = [0u8; 8];
        let prefix = match getrandom::fill(&mut bytes) {
            Ok(()) => u64::from_le_bytes(bytes),
            Err(_) => 0x6761_7465_686f_7573,
        };
        DecisionIds {
            prefix,
            next: AtomicU64::new(1),
        }
    }

    /// The next id.
    pub fn next_id(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{:016x}{n:016x}", self.prefix)
    }
}

impl Default for DecisionIds {
    fn default() -> DecisionIds {
        DecisionIds::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_and_have_a_fixed_shape() {
        let ids = DecisionIds::new();
        let (a, b) = (ids.next_id(), ids.next_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(a[..16], b[..16]);
    }
}
