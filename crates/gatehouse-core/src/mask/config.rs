//! [`MaskConfig`]: what the embedder supplies to masking. The hash key
//! lives here, never in policy text, and never appears in `Debug` output.

// Re-exported by the `gatehouse` facade: every public item is documented.
#![warn(missing_docs)]

/// The shortest hash key accepted, in bytes. HMAC-SHA256 keys shorter than
/// this are too easy to guess, which would let a caller reverse hashes of
/// low-entropy values (phone numbers, account ids).
pub const MIN_HASH_KEY_LEN: usize = 16;

/// Limits and secrets for masking responses.
///
/// ```
/// use gatehouse_core::mask::MaskConfig;
///
/// let key = std::env::var("GATEHOUSE_HASH_KEY").unwrap_or_else(|_| "a secret of 16+ bytes".into());
/// let config = MaskConfig::default().with_hash_key(key).with_max_bytes(1 << 20);
/// assert!(!format!("{config:?}").contains("secret"));
/// ```
#[derive(Clone)]
pub struct MaskConfig {
    hash_key: Option<Vec<u8>>,
    max_bytes: u64,
    max_depth: usize,
    hash_len: usize,
}

impl Default for MaskConfig {
    /// No hash key, responses up to 16 MiB, nesting up to 256 levels, hashes
    /// of 16 bytes (32 hex digits).
    fn default() -> MaskConfig {
        MaskConfig {
            hash_key: None,
            max_bytes: 16 << 20,
            max_depth: 256,
            hash_len: 16,
        }
    }
}

impl MaskConfig {
    /// The key for `hash` (HMAC-SHA256). Without one, or with one shorter
    /// than [`MIN_HASH_KEY_LEN`] bytes, a plan that uses `hash` fails.
    pub fn with_hash_key(mut self, key: impl Into<Vec<u8>>) -> MaskConfig {
        self.hash_key = Some(key.into());
        self
    }

    /// The largest response accepted, in bytes.
    pub fn with_max_bytes(mut self, max: u64) -> MaskConfig {
        self.max_bytes = max;
        self
    }

    /// How deep objects and arrays may nest (at least 1).
    pub fn with_max_depth(mut self, max: usize) -> MaskConfig {
        self.max_depth = max.max(1);
        self
    }

    /// How many bytes of the MAC `hash` keeps, 4 to 32; written as twice as
    /// many hex digits.
    pub fn with_hash_len(mut self, bytes: usize) -> MaskConfig {
        self.hash_len = bytes.clamp(4, 32);
        self
    }

    /// The largest response accepted, in bytes (16 MiB by default).
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// How deep objects and arrays may nest, in levels (256 by default).
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// How many bytes of the MAC `hash` keeps (16 by default): twice as
    /// many hex digits in the output.
    pub fn hash_len(&self) -> usize {
        self.hash_len
    }

    /// Whether a hash key of at least [`MIN_HASH_KEY_LEN`] bytes is set, so
    /// that plans using `hash` can run. The key itself is never readable.
    pub fn has_hash_key(&self) -> bool {
        self.usable_key().is_some()
    }

    pub(crate) fn usable_key(&self) -> Option<&[u8]> {
        self.hash_key
            .as_deref()
            .filter(|k| k.len() >= MIN_HASH_KEY_LEN)
    }
}

impl std::fmt::Debug for MaskConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaskConfig")
            .field("hash_key", &self.hash_key.as_ref().map(|_| "<redacted>"))
            .field("max_bytes", &self.max_bytes)
            .field("max_depth", &self.max_depth)
            .field("hash_len", &self.hash_len)
            .finish()
    }
}
