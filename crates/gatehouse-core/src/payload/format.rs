//! The string formats of `format NAME` (and the `uuid`, `email`, ... types).
//!
//! Each validator is strict and small, and accepts a documented subset of
//! what its RFC allows, so that what passes is unambiguous to any parser
//! behind the gateway:
//!
//! - `uuid`: 8-4-4-4-12 hexadecimal digits, any case.
//! - `email`: `local@domain`, ASCII only. The local part is a dot-atom
//!   (letters, digits and `` !#$%&'*+/=?^_`{|}~- ``, dots only between
//!   them), at most 64 bytes; no quoted local parts or comments. The domain
//!   is two or more DNS labels (letters, digits, `-` inside), each at most
//!   63 bytes; no IP literals. At most 254 bytes in all.
//! - `uri`: an absolute URI (RFC 3986): a scheme (a letter, then letters,
//!   digits, `+`, `-`, `.`), `:`, then only URI characters (unreserved,
//!   reserved and `%` with two hexadecimal digits); no spaces or non-ASCII.
//! - `date`: `YYYY-MM-DD` (RFC 3339 full-date) naming a real day (leap
//!   years counted).
//! - `date-time`: RFC 3339: a date, `T`, `HH:MM:SS` with optional
//!   fraction, and `Z` or `+HH:MM`/`-HH:MM` (`t` and `z` accepted, as the
//!   RFC allows); seconds up to 60 for a leap second.
//! - `ipv4`: four decimal octets, no leading zeros.
//! - `ipv6`: RFC 4291 text (`::` compression, an IPv4 tail), no zone.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::model::{is_uuid, Format};

impl Format {
    /// Whether `text` is in this format (see the module docs).
    pub fn accepts(self, text: &str) -> bool {
        match self {
            Format::Uuid => is_uuid(text),
            Format::Email => is_email(text),
            Format::Uri => is_uri(text),
            Format::Date => is_date(text.as_bytes()),
            Format::DateTime => is_date_time(text.as_bytes()),
            Format::Ipv4 => text.parse::<Ipv4Addr>().is_ok(),
            Format::Ipv6 => text.parse::<Ipv6Addr>().is_ok(),
        }
    }

    /// The name as written in `format NAME`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Uuid => "uuid",
            Format::Email => "email",
            Format::Uri => "uri",
            Format::DateTime => "date-time",
            Format::Date => "date",
            Format::Ipv4 => "ipv4",
            Format::Ipv6 => "ipv6",
        }
    }
}

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    let atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&b);
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(atext));
    let domain_ok = domain.split('.').nth(1).is_some()
        && domain.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.len() <= 63
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                && b.first() != Some(&b'-')
                && b.last() != Some(&b'-')
        });
    local_ok && domain_ok && text.len() <= 254
}

fn is_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut scheme_bytes = scheme.bytes();
    let scheme_ok = scheme_bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme_bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return false;
    }
    let bytes = rest.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = |j: usize| bytes.get(j).is_some_and(|h| h.is_ascii_hexdigit());
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        let allowed = b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b);
        if !allowed {
            return false;
        }
        i += 1;
    }
    true
}

fn digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(bytes.iter().fold(0u32, |n, b| n * 10 + u32::from(b - b'0')))
}

fn is_date(b: &[u8]) -> bool {
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (
        digits(b.get(0..4).unwrap_or_default()),
        digits(b.get(5..7).unwrap_or_default()),
        digits(b.get(8..10).unwrap_or_default()),
    ) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn is_date_time(b: &[u8]) -> bool {
    let (Some(date), Some(sep), Some(time)) = (b.get(..10), b.get(10), b.get(11..)) else {
        return false;
    };
    if !is_date(date) || !matches!(sep, b'T' | b't') || time.len() < 9 {
        return false;
    }
    let two = |at: usize| digits(time.get(at..at + 2).unwrap_or_default());
    let (Some(h), Some(m), Some(s)) = (two(0), two(3), two(6)) else {
        return false;
    };
    if time.get(2) != Some(&b':') || time.get(5) != Some(&b':') || h > 23 || m > 59 || s > 60 {
        return false;
    }
    let mut rest = time.get(8..).unwrap_or_default();
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = frac.get(n..).unwrap_or_default();
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            matches!((digits(&[*h1, *h2]), digits(&[*m1, *m2])), (Some(oh), Some(om)) if oh <= 23 && om <= 59)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_accept_and_reject() {
        let cases: &[(Format, &[&str], &[&str])] = &[
            (
                Format::Uuid,
                &[
                    "123e4567-e89b-12d3-a456-426614174000",
                    "123E4567-E89B-12D3-A456-426614174000",
                ],
                &[
                    "123e4567e89b12d3a456426614174000",
                    "123e4567-e89b-12d3-a456-42661417400g",
                    "",
                ],
            ),
            (
                Format::Email,
                &[
                    "a@example.com",
                    "first.last+tag@sub.example.org",
                    "x_y@a-b.co",
                ],
                &[
                    "a@b",
                    "@example.com",
                    "a@example..com",
                    ".a@example.com",
                    "a b@example.com",
                    "a@-example.com",
                    "a@exam_ple.com",
                    "é@example.com",
                    "a@[127.0.0.1]",
                ],
            ),
            (
                Format::Uri,
                &[
                    "https://example.com/a?b=c#d",
                    "urn:isbn:0451450523",
                    "mailto:a@example.com",
                    "http://[::1]:8080/%20x",
                ],
                &[
                    "example.com/a",
                    "//example.com",
                    "https://exa mple.com",
                    "1http://x",
                    "http://x/%zz",
                    "http://x/é",
                ],
            ),
            (
                Format::Date,
                &["2024-02-29", "2023-12-31", "0001-01-01"],
                &[
                    "2023-02-29",
                    "2023-13-01",
                    "2023-1-01",
                    "2023-01-00",
                    "2023/01/01",
                    "1900-02-29",
                ],
            ),
            (
                Format::DateTime,
                &[
                    "2024-02-29T12:30:00Z",
                    "2024-02-29t12:30:00.123+05:30",
                    "2016-12-31T23:59:60Z",
                ],
                &[
                    "2024-02-29 12:30:00Z",
                    "2024-02-29T24:00:00Z",
                    "2024-02-29T12:30Z",
                    "2024-02-29T12:30:00",
                    "2024-02-29T12:30:00+0530",
                    "2024-02-29T12:30:00.Z",
                ],
            ),
            (
                Format::Ipv4,
                &["192.0.2.1", "0.0.0.0", "255.255.255.255"],
                &["256.0.0.1", "1.2.3", "01.2.3.4", "1.2.3.4 ", "::1"],
            ),
            (
                Format::Ipv6,
                &["::1", "2001:db8::8a2e:370:7334", "::ffff:192.0.2.1"],
                &["1.2.3.4", "2001:db8:::1", "fe80::1%eth0", ""],
            ),
        ];
        for (format, good, bad) in cases {
            for text in *good {
                assert!(format.accepts(text), "{format:?} should accept {text:?}");
            }
            for text in *bad {
                assert!(!format.accepts(text), "{format:?} should reject {text:?}");
            }
        }
    }
}
