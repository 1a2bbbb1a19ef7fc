//! The keyed digest a store holds instead of a key's secret, and the
//! server-side secret that keys it.
//!
//! A stolen store file must not yield working keys, and must not let
//! anyone test guesses offline without the server secret: so the store
//! holds a digest keyed with a secret that lives elsewhere (a file or an
//! environment variable), never in the store.
//!
//! The digest is the inner hash of HMAC-SHA256 keyed with the server
//! secret, over the key after its prefix (`id_secret` and the checksum,
//! 47 bytes):
//!
//! ```text
//! digest = SHA-256((K xor ipad) || id_secret checksum)
//! ```
//!
//! with `K` the server secret zero-padded to SHA-256's 64-byte block (or
//! its SHA-256 first, if longer) and `ipad` the byte 0x36 repeated, as in
//! RFC 2104. The keyed block is hashed once, when the store is loaded;
//! each check clones that state and hashes the 47 bytes in one more
//! block. Full HMAC would add the outer hash, a second block, which
//! measured 1.2 to 2.1 times the cost (see the crate README): most of a
//! check's 150 ns budget. The outer hash is what protects HMAC from
//! length extension on messages of any length; here every message has
//! the same fixed length (a presented key of any other length is refused
//! before hashing) and fits one block, so an extended message can never
//! be presented, and the digest is SHA-256's compression function keyed
//! by a secret chaining value: a PRF under the assumption the HMAC and
//! NMAC proofs (Bellare, Canetti and Krawczyk) rest on. Binding the id
//! means a digest copied to another entry does not verify.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Length of a digest in bytes.
pub const DIGEST_LEN: usize = 32;

/// The shortest server secret accepted, in bytes: the digest's security
/// rests on it, so it must be at least as strong as SHA-256's output.
pub const MIN_SECRET_LEN: usize = 32;

/// The server-side secret that keys every digest of a store. Its `Debug`
/// shows nothing of it.
#[derive(Clone)]
pub struct ServerSecret {
    /// SHA-256 after the keyed block `K xor ipad`: the start of every
    /// digest.
    keyed: Sha256,
    /// The fingerprint (see [`ServerSecret::fingerprint`]), computed once.
    fingerprint: String,
}

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(..)")
    }
}

/// Why a server secret was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecretTooShort {
    /// Its length in bytes.
    pub len: usize,
}

impl std::fmt::Display for SecretTooShort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the server secret is {} bytes long; it must be at least {MIN_SECRET_LEN}",
            self.len
        )
    }
}

impl std::error::Error for SecretTooShort {}

impl ServerSecret {
    /// The secret `bytes` (at least [`MIN_SECRET_LEN`] of them; text read
    /// from a file is used as it is, so trim a final newline first).
    pub fn new(bytes: &[u8]) -> Result<ServerSecret, SecretTooShort> {
        if bytes.len() < MIN_SECRET_LEN {
            return Err(SecretTooShort { len: bytes.len() });
        }
        let mut block = [0u8; 64];
        if bytes.len() > block.len() {
            block
                .iter_mut()
                .zip(Sha256::digest(bytes))
                .for_each(|(b, k)| *b = k);
        } else {
            block.iter_mut().zip(bytes).for_each(|(b, k)| *b = *k);
        }
        block.iter_mut().for_each(|b| *b ^= 0x36);
        let mut keyed = Sha256::new();
        keyed.update(block);
        // HMAC accepts a key of any length: this cannot fail.
        let mut mac =
            Hmac::<Sha256>::new_from_slice(bytes).map_err(|_| SecretTooShort { len: 0 })?;
        mac.update(b"gatehouse key store fingerprint v1");
        let fingerprint = hex(mac.finalize().into_bytes().get(..8).unwrap_or_default());
        Ok(ServerSecret { keyed, fingerprint })
    }

    /// The digest of `input` (a key after its prefix).
    pub fn digest(&self, input: &[u8]) -> [u8; DIGEST_LEN] {
        let mut hash = self.keyed.clone();
        hash.update(input);
        hash.finalize().into()
    }

    /// Whether `input`'s digest is `expected`, in time that does not depend
    /// on where they differ.
    pub fn verify(&self, input: &[u8], expected: &[u8; DIGEST_LEN]) -> bool {
        let actual = self.digest(input);
        // Four 64-bit words xored and or-ed together, with no branch, and
        // the one comparison left through `subtle`: a byte-by-byte
        // `ct_eq` of the arrays costs 32 optimisation barriers.
        let word = |bytes: &[u8]| {
            let mut word = [0u8; 8];
            word.copy_from_slice(bytes);
            u64::from_ne_bytes(word)
        };
        let difference = actual
            .chunks_exact(8)
            .zip(expected.chunks_exact(8))
            .fold(0u64, |acc, (a, e)| acc | (word(a) ^ word(e)));
        difference.ct_eq(&0).into()
    }

    /// A public fingerprint of the secret, recorded in the store so that
    /// loading it with another secret fails at once rather than turning
    /// every key into `key_unknown`: the first 8 bytes, in hex, of
    /// HMAC-SHA256 of a fixed label, which tell nothing about the secret.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A digest from its 64 hex digits.
pub fn from_hex(text: &str) -> Option<[u8; DIGEST_LEN]> {
    if text.len() != DIGEST_LEN * 2 {
        return None;
    }
    let mut out = [0u8; DIGEST_LEN];
    for (slot, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        let text = std::str::from_utf8(pair).ok()?;
        *slot = u8::from_str_radix(text, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn digests_are_the_inner_hash_of_hmac_sha256() {
        // Python: hashlib.sha256(bytes(b ^ 0x36 for b in key.ljust(64, b"\0")) + msg)
        let secret = ServerSecret::new(&[0x0b; 32]).unwrap();
        assert_eq!(
            hex(&secret.digest(b"Hi There")),
            "3c01475fd66cffbf0bc4cf4184d3cd6c0e3f58d753bcf67f4c345a436447d013"
        );
        // A secret longer than a block is hashed first, as HMAC does.
        let long = ServerSecret::new(&[0x0b; 80]).unwrap();
        assert_eq!(
            hex(&long.digest(b"Hi There")),
            "2f06fffe16c9142d177979ab2c8bc685b85af885286cae541092c1b45f98a705"
        );
        assert_eq!(secret.fingerprint(), "d10e236946c8cb39");
    }

    #[test]
    fn short_secrets_are_refused_and_debug_shows_nothing() {
        assert_eq!(
            ServerSecret::new(b"short").unwrap_err(),
            SecretTooShort { len: 5 }
        );
        let secret = ServerSecret::new(b"0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(format!("{secret:?}"), "ServerSecret(..)");
    }

    #[test]
    fn verify_compares_digests() {
        let secret = ServerSecret::new(&[7; 40]).unwrap();
        let digest = secret.digest(b"abc");
        assert!(secret.verify(b"abc", &digest));
        assert!(!secret.verify(b"abd", &digest));
        let other = ServerSecret::new(&[8; 40]).unwrap();
        assert!(!other.verify(b"abc", &digest));
        assert_ne!(secret.fingerprint(), other.fingerprint());
        assert_eq!(from_hex(&hex(&digest)), Some(digest));
        assert_eq!(from_hex("zz"), None);
    }
}
