//! The text of an API key: how one is made and how one is read.
//!
#![doc = include_str!("format.md")]

/// Length of the id.
pub const ID_LEN: usize = 8;
/// Length of the secret.
pub const SECRET_LEN: usize = 32;
/// Length of the checksum (62^6 > 2^32, so any CRC-32 fits).
pub const CHECKSUM_LEN: usize = 6;
/// The prefix a store uses unless it says otherwise.
pub const DEFAULT_PREFIX: &str = "gk_";
/// The longest prefix allowed.
pub const MAX_PREFIX_LEN: usize = 16;

/// A presented key of the right shape (length, prefix, characters), its
/// checksum not yet verified. Borrowed from the presented key.
#[derive(Clone, Copy)]
pub struct ParsedKey<'a> {
    /// The id as a number: the store's index key.
    pub id: u64,
    /// `id_secret` and the checksum: what the digest is computed over. The
    /// id is in it so that a digest cannot be moved to another entry; the
    /// checksum, so that a key that matches its digest has a good checksum
    /// (it had one when issued), and the store can check the digest first
    /// and the checksum only when the digest fails (see `KeyStore::check`).
    pub digest_input: &'a [u8],
    /// Everything before the checksum.
    body: &'a [u8],
    /// The checksum's value.
    checksum: u64,
}

impl ParsedKey<'_> {
    /// Whether the checksum is the CRC-32 of the rest.
    pub fn checksum_ok(&self) -> bool {
        self.checksum == u64::from(crc32(self.body))
    }
}

/// Reads `presented` as a key with `prefix`, or `None` when it has not the
/// shape of one: wrong length or prefix, or a character outside base62.
/// The checksum is read, not verified: [`ParsedKey::checksum_ok`]. Never
/// panics, whatever the input.
pub fn parse<'a>(presented: &'a str, prefix: &str) -> Option<ParsedKey<'a>> {
    let bytes = presented.as_bytes();
    if bytes.len() != key_len(prefix) {
        return None;
    }
    let digest_input = bytes.strip_prefix(prefix.as_bytes())?;
    let (id, rest) = digest_input.split_at_checked(ID_LEN)?;
    let (secret, checksum) = rest.strip_prefix(b"_")?.split_at_checked(SECRET_LEN)?;
    if !secret.iter().all(|&c| digit_value(c).is_some()) {
        return None;
    }
    Some(ParsedKey {
        id: decode(id)?,
        digest_input,
        body: bytes.get(..bytes.len() - CHECKSUM_LEN)?,
        checksum: decode(checksum)?,
    })
}

/// Whether `presented` is a well-formed key with `prefix`, checksum
/// included: what a secret scanner or a client can tell without the store.
pub fn is_well_formed(presented: &str, prefix: &str) -> bool {
    parse(presented, prefix).is_some_and(|key| key.checksum_ok())
}

/// The length of every key with `prefix`.
pub fn key_len(prefix: &str) -> usize {
    prefix.len() + ID_LEN + 1 + SECRET_LEN + CHECKSUM_LEN
}

/// Whether `prefix` may prefix keys (see the module docs).
pub fn valid_prefix(prefix: &str) -> bool {
    let b = prefix.as_bytes();
    (2..=MAX_PREFIX_LEN).contains(&b.len())
        && b.first().is_some_and(u8::is_ascii_lowercase)
        && b.last() == Some(&b'_')
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// Whether `id` is an id as keys spell it (8 base62 characters), and its
/// number.
pub fn parse_id(id: &str) -> Option<u64> {
    if id.len() != ID_LEN {
        return None;
    }
    decode(id.as_bytes())
}

/// The id's text for its number (8 base62 digits).
pub fn id_text(id: u64) -> String {
    encode(id, ID_LEN)
}

/// A new key: `(id number, key text)`, from the operating system's CSPRNG.
pub fn generate(prefix: &str) -> Result<(u64, String), getrandom::Error> {
    let mut random = RandomDigits::default();
    let mut key = String::with_capacity(key_len(prefix));
    key.push_str(prefix);
    for _ in 0..ID_LEN {
        key.push(char::from(digit(random.next()?)));
    }
    key.push('_');
    for _ in 0..SECRET_LEN {
        key.push(char::from(digit(random.next()?)));
    }
    let key = with_checksum(key);
    let id = key
        .get(prefix.len()..prefix.len() + ID_LEN)
        .and_then(parse_id)
        .unwrap_or_default();
    Ok((id, key))
}

/// `body` (a key without its checksum) with its checksum appended.
pub fn with_checksum(mut body: String) -> String {
    let sum = crc32(body.as_bytes());
    body.push_str(&encode(u64::from(sum), CHECKSUM_LEN));
    body
}

/// Uniform base62 digits from the operating system's CSPRNG: bytes of 248
/// or more are dropped, so that `byte % 62` favours no digit.
#[derive(Default)]
struct RandomDigits {
    buffer: [u8; 32],
    used: usize,
}

impl RandomDigits {
    fn next(&mut self) -> Result<u8, getrandom::Error> {
        loop {
            if self.used == 0 || self.used >= self.buffer.len() {
                getrandom::fill(&mut self.buffer)?;
                self.used = 0;
            }
            let byte = self.buffer.get(self.used).copied().unwrap_or(u8::MAX);
            self.used += 1;
            if byte < 248 {
                return Ok(byte % 62);
            }
        }
    }
}

/// The base62 digit for `value` (0 to 61): `0-9`, `A-Z`, `a-z`.
fn digit(value: u8) -> u8 {
    match value {
        0..=9 => b'0' + value,
        10..=35 => b'A' + (value - 10),
        _ => b'a' + (value - 36).min(25),
    }
}

/// The value of base62 digit `c`, if it is one.
fn digit_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'Z' => Some(c - b'A' + 10),
        b'a'..=b'z' => Some(c - b'a' + 36),
        _ => None,
    }
}

/// `digits` (at most 10, so the value fits) read as a base62 number.
fn decode(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |n, &c| {
        n.checked_mul(62)?.checked_add(u64::from(digit_value(c)?))
    })
}

/// `value` as exactly `width` base62 digits, zero-padded (higher digits
/// that do not fit are dropped: callers pass values that fit).
fn encode(mut value: u64, width: usize) -> String {
    let mut digits = vec![b'0'; width];
    for slot in digits.iter_mut().rev() {
        // `value % 62` is below 62, so the cast keeps it.
        *slot = digit((value % 62) as u8);
        value /= 62;
    }
    digits.into_iter().map(char::from).collect()
}

/// CRC-32 (IEEE 802.3, reflected, as in zlib), eight bytes at a time
/// ("slicing-by-8", from tables built at compile time): a byte-at-a-time
/// loop waits on a table load per byte, which made it a third of a check's
/// time; a dependency would be more code than these lines.
pub fn crc32(bytes: &[u8]) -> u32 {
    let table = |k: usize, i: u32| {
        CRC_TABLES
            .get(k)
            .and_then(|t| t.get((i & 0xFF) as usize))
            .copied()
            .unwrap_or(0)
    };
    let mut crc = u32::MAX;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        // The low half is xored with the running CRC; the high half is not.
        let low = (word as u32) ^ crc;
        let high = (word >> 32) as u32;
        crc = table(7, low)
            ^ table(6, low >> 8)
            ^ table(5, low >> 16)
            ^ table(4, low >> 24)
            ^ table(3, high)
            ^ table(2, high >> 8)
            ^ table(1, high >> 16)
            ^ table(0, high >> 24);
    }
    for &b in chunks.remainder() {
        crc = (crc >> 8) ^ table(0, crc ^ u32::from(b));
    }
    !crc
}

/// `CRC_TABLES[0]` is the byte-at-a-time table; `CRC_TABLES[k][n]` is the
/// CRC of byte `n` followed by `k` zero bytes.
const CRC_TABLES: [[u32; 256]; 8] = crc_tables();

// A const fn cannot use `get_mut`; every index is bounded by its loop.
#[expect(clippy::indexing_slicing, reason = "indices are bounded by the loops")]
const fn crc_tables() -> [[u32; 256]; 8] {
    let mut tables = [[0u32; 256]; 8];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        tables[0][n] = c;
        n += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut n = 0;
        while n < 256 {
            let previous = tables[k - 1][n];
            tables[k][n] = (previous >> 8) ^ tables[0][(previous & 0xFF) as usize];
            n += 1;
        }
        k += 1;
    }
    tables
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn crc32_matches_the_check_value() {
        // The catalogue check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        // Every length around the 8-byte steps agrees with the bitwise definition.
        let text: Vec<u8> = (0..40u8).map(|b| b.wrapping_mul(37)).collect();
        for len in 0..text.len() {
            assert_eq!(crc32(&text[..len]), bitwise_crc32(&text[..len]), "{len}");
        }
    }

    fn bitwise_crc32(bytes: &[u8]) -> u32 {
        let mut crc = u32::MAX;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    0xEDB8_8320 ^ (crc >> 1)
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn base62_round_trips() {
        for v in 0..62u8 {
            assert_eq!(digit_value(digit(v)), Some(v));
        }
        for value in [0u64, 1, 61, 62, u64::from(u32::MAX)] {
            assert_eq!(decode(encode(value, 6).as_bytes()), Some(value));
        }
        assert_eq!(encode(u64::from(u32::MAX), 6), "4gfFC3");
    }

    #[test]
    fn generated_keys_parse_and_have_the_documented_shape() {
        let (id, key) = generate("gk_").unwrap();
        assert_eq!(key.len(), 3 + 8 + 1 + 32 + 6);
        assert!(key.starts_with("gk_"));
        assert_eq!(&key[11..12], "_");
        let parsed = parse(&key, "gk_").unwrap();
        assert_eq!(parsed.id, id);
        assert_eq!(id_text(id), &key[3..11]);
        assert!(parsed.checksum_ok());
        assert_eq!(parsed.digest_input, &key.as_bytes()[3..]);
        // Two keys never share a secret.
        let (_, other) = generate("gk_").unwrap();
        assert_ne!(key[12..44], other[12..44]);
    }

    #[test]
    fn a_typo_fails_the_checksum() {
        let (_, key) = generate("gk_").unwrap();
        for at in 3..key.len() {
            if at == 11 {
                continue;
            }
            let mut typo = key.clone().into_bytes();
            typo[at] = if typo[at] == b'x' { b'y' } else { b'x' };
            let typo = String::from_utf8(typo).unwrap();
            assert!(!is_well_formed(&typo, "gk_"), "{at}");
        }
        // Two characters swapped: a typical transcription error.
        let mut swapped = key.clone().into_bytes();
        swapped.swap(20, 21);
        if swapped[20] != swapped[21] {
            assert!(!is_well_formed(
                std::str::from_utf8(&swapped).unwrap(),
                "gk_"
            ));
        }
    }

    #[test]
    fn the_documented_example_is_well_formed() {
        let example = include_str!("format.md").lines().nth(1).unwrap();
        assert!(is_well_formed(example, "gk_"), "{example}");
    }

    #[test]
    fn the_wrong_prefix_or_length_is_refused() {
        let (_, key) = generate("gk_").unwrap();
        assert!(is_well_formed(&key, "gk_"));
        assert!(parse(&key, "ab_").is_none());
        assert!(parse(&key[..key.len() - 1], "gk_").is_none());
        assert!(parse(&format!("{key}0"), "gk_").is_none());
        assert!(parse("", "gk_").is_none());
        // A non-ASCII character of the right byte length.
        let odd = format!("gk_é{}", &key[5..]);
        assert!(parse(&odd, "gk_").is_none());
    }

    #[test]
    fn prefixes_are_validated() {
        for good in ["gk_", "acme_live_", "a1_"] {
            assert!(valid_prefix(good), "{good}");
        }
        for bad in ["", "_", "gk", "Gk_", "1k_", "g-k_", "abcdefghijklmnop_"] {
            assert!(!valid_prefix(bad), "{bad}");
        }
    }
}
