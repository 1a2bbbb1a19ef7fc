//! Resumable scanners for JSON strings, numbers and literals.
//!
//! Each keeps a few bytes of state between calls, so a token cut by a chunk
//! boundary continues where it stopped and no token is ever buffered: a
//! request body's 100 MB string costs no memory. Problems are reported in
//! reading order, at the first byte that settles them.
//!
//! - [`StrScan`]: UTF-8 validated byte by byte (the rules of
//!   `std::str::from_utf8`), escapes checked, `\uXXXX` surrogates paired (a
//!   lone one is [`JsonProblem::LoneSurrogate`]), characters and decoded
//!   bytes counted, the decoded text optionally kept up to a cap. Runs of
//!   plain ASCII are skipped a word at a time.
//! - [`NumScan`]: the number grammar as a state machine over the run of
//!   bytes in `[0-9+-.eE]`; the value kept as up to [`MAX_DIGITS`]
//!   significant digits plus a sticky digit, which is enough for the
//!   correctly rounded `f64` whatever the length.
//! - [`LitScan`]: `true`, `false`, `null`.

use super::scan::{special, HIGH};
use super::JsonProblem;

/// What a scanner did with its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The token ended; the position just after it.
    Done(usize),
    /// All the input was consumed and the token goes on.
    More,
    /// The token is invalid.
    Invalid(JsonProblem),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum StrState {
    #[default]
    Plain,
    /// After `\`.
    Escape,
    /// Inside `\uXXXX`: digits read so far and their value.
    Hex { digits: u8, value: u32 },
    /// Inside a multi-byte UTF-8 character: bytes still needed, and the
    /// range the next byte must fall in.
    Utf8 { need: u8, lo: u8, hi: u8, len: u8 },
    /// After a high-surrogate escape: a `\` must follow.
    AfterHigh,
    /// After a high-surrogate escape and `\`: a `u` must follow.
    AfterHighEscape,
}

/// A string being scanned, from just after its opening quote.
#[derive(Clone, Debug, Default)]
pub struct StrScan {
    state: StrState,
    /// A high surrogate waiting for its low half.
    high: Option<u32>,
    /// Characters (Unicode scalar values) so far.
    pub chars: u64,
    /// Decoded UTF-8 bytes so far.
    pub bytes: u64,
    /// A character did not fit under the cap: nothing more is kept.
    pub truncated: bool,
}

impl StrScan {
    pub fn new() -> StrScan {
        StrScan::default()
    }

    /// Scans `input` from `pos`. Decoded text is appended to `out` while it
    /// is shorter than `cap` bytes (a character that would cross the cap is
    /// left out whole); pass `None` when the text is not needed.
    pub fn scan(
        &mut self,
        input: &[u8],
        mut pos: usize,
        mut out: Option<&mut Vec<u8>>,
        cap: usize,
    ) -> Step {
        loop {
            match self.state {
                StrState::Plain => {
                    // Skip plain ASCII a word at a time, then byte by byte.
                    let run_start = pos;
                    while let Some(word) = input
                        .get(pos..pos + 8)
                        .and_then(|w| <[u8; 8]>::try_from(w).ok())
                    {
                        let word = u64::from_le_bytes(word);
                        let found = special(word) | (word & HIGH);
                        if found != 0 {
                            pos += (found.trailing_zeros() / 8) as usize;
                            break;
                        }
                        pos += 8;
                    }
                    while let Some(&b) = input.get(pos) {
                        if b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b) {
                            break;
                        }
                        pos += 1;
                    }
                    let run = pos - run_start;
                    if run > 0 {
                        self.chars += run as u64;
                        self.bytes += run as u64;
                        if let Some(out) = out.as_deref_mut().filter(|_| !self.truncated) {
                            let room = cap.saturating_sub(out.len());
                            self.truncated = room < run;
                            out.extend_from_slice(
                                input
                                    .get(run_start..run_start + run.min(room))
                                    .unwrap_or_default(),
                            );
                        }
                    }
                    let Some(&b) = input.get(pos) else {
                        return Step::More;
                    };
                    pos += 1;
                    match b {
                        b'"' => return Step::Done(pos),
                        b'\\' => self.state = StrState::Escape,
                        0..=0x1f => return Step::Invalid(JsonProblem::ControlCharacter),
                        _ => {
                            let (need, lo, hi) = match b {
                                0xc2..=0xdf => (1, 0x80, 0xbf),
                                0xe0 => (2, 0xa0, 0xbf),
                                0xe1..=0xec | 0xee..=0xef => (2, 0x80, 0xbf),
                                0xed => (2, 0x80, 0x9f),
                                0xf0 => (3, 0x90, 0xbf),
                                0xf1..=0xf3 => (3, 0x80, 0xbf),
                                0xf4 => (3, 0x80, 0x8f),
                                _ => return Step::Invalid(JsonProblem::InvalidUtf8),
                            };
                            if let Some(out) = out.as_deref_mut().filter(|_| !self.truncated) {
                                // Kept now, removed again if the whole
                                // character does not fit.
                                out.push(b);
                            }
                            self.state = StrState::Utf8 {
                                need,
                                lo,
                                hi,
                                len: need + 1,
                            };
                        }
                    }
                }
                StrState::Utf8 { need, lo, hi, len } => {
                    let Some(&b) = input.get(pos) else {
                        return Step::More;
                    };
                    if b < lo || b > hi {
                        return Step::Invalid(JsonProblem::InvalidUtf8);
                    }
                    pos += 1;
                    if let Some(out) = out.as_deref_mut().filter(|_| !self.truncated) {
                        out.push(b);
                    }
                    if need > 1 {
                        self.state = StrState::Utf8 {
                            need: need - 1,
                            lo: 0x80,
                            hi: 0xbf,
                            len,
                        };
                    } else {
                        self.chars += 1;
                        self.bytes += u64::from(len);
                        if let Some(out) = out.as_deref_mut().filter(|_| !self.truncated) {
                            if out.len() > cap {
                                out.truncate(out.len().saturating_sub(usize::from(len)));
                                self.truncated = true;
                            }
                        }
                        self.state = StrState::Plain;
                    }
                }
                StrState::Escape => {
                    let Some(&b) = input.get(pos) else {
                        return Step::More;
                    };
                    pos += 1;
                    let c = match b {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            self.state = StrState::Hex {
                                digits: 0,
                                value: 0,
                            };
                            continue;
                        }
                        _ => return Step::Invalid(JsonProblem::InvalidEscape),
                    };
                    self.emit(c, &mut out, cap);
                    self.state = StrState::Plain;
                }
                StrState::Hex { digits, value } => {
                    let Some(&b) = input.get(pos) else {
                        return Step::More;
                    };
                    let Some(d) = char::from(b).to_digit(16) else {
                        return Step::Invalid(JsonProblem::InvalidEscape);
                    };
                    pos += 1;
                    let value = value * 16 + d;
                    if digits < 3 {
                        self.state = StrState::Hex {
                            digits: digits + 1,
                            value,
                        };
                        continue;
                    }
                    match (self.high.take(), value) {
                        (Some(high), 0xdc00..=0xdfff) => {
                            let c = char::from_u32(
                                0x10000 + ((high - 0xd800) << 10) + (value - 0xdc00),
                            );
                            match c {
                                Some(c) => self.emit(c, &mut out, cap),
                                None => return Step::Invalid(JsonProblem::LoneSurrogate),
                            }
                            self.state = StrState::Plain;
                        }
                        (Some(_), _) => return Step::Invalid(JsonProblem::LoneSurrogate),
                        (None, 0xd800..=0xdbff) => {
                            self.high = Some(value);
                            self.state = StrState::AfterHigh;
                        }
                        (None, 0xdc00..=0xdfff) => {
                            return Step::Invalid(JsonProblem::LoneSurrogate)
                        }
                        (None, _) => {
                            match char::from_u32(value) {
                                Some(c) => self.emit(c, &mut out, cap),
                                None => return Step::Invalid(JsonProblem::InvalidEscape),
                            }
                            self.state = StrState::Plain;
                        }
                    }
                }
                StrState::AfterHigh => {
                    let Some(&b) = input.get(pos) else {
                        return Step::More;
                    };
                    if b != b'\\' {
                        return Step::Invalid(JsonProblem::LoneSurrogate);
                    }
                    pos += 1;
                    self.state = StrState::AfterHighEscape;
                }
                StrState::AfterHighEscape => {
                    let Some(&b) = input.get(pos) else {
                        return Step::More;
                    };
                    pos += 1;
                    match b {
                        b'u' => {
                            self.state = StrState::Hex {
                                digits: 0,
                                value: 0,
                            }
                        }
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                            return Step::Invalid(JsonProblem::LoneSurrogate)
                        }
                        _ => return Step::Invalid(JsonProblem::InvalidEscape),
                    }
                }
            }
        }
    }

    fn emit(&mut self, c: char, out: &mut Option<&mut Vec<u8>>, cap: usize) {
        let len = c.len_utf8();
        self.chars += 1;
        self.bytes += len as u64;
        if let Some(out) = out.as_deref_mut().filter(|_| !self.truncated) {
            if out.len() + len <= cap {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            } else {
                self.truncated = true;
            }
        }
    }
}

/// The most significant digits a number keeps. Deciding the rounding of
/// any decimal to the nearest `f64` never needs more than 767; beyond these
/// a single sticky digit stands for "something non-zero follows".
pub const MAX_DIGITS: usize = 800;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum NumState {
    #[default]
    Start,
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    E,
    ESign,
    Exp,
}

/// A number being scanned: the grammar state and its value so far.
#[derive(Clone, Debug)]
pub struct NumScan {
    state: NumState,
    negative: bool,
    /// The integer part, while it fits.
    int: Option<u64>,
    /// Written with a fraction or an exponent.
    fractional: bool,
    /// The first significant digits, as a number, while they fit: the
    /// common case, converted exactly without `digits`.
    mantissa: u64,
    /// Significant digits after the first 19 (which are in `mantissa`),
    /// as ASCII: allocated only for such long numbers.
    digits: Vec<u8>,
    len: usize,
    sticky: bool,
    /// value = 0.DIGITS × 10^(scale + exponent)
    scale: i64,
    exp: i64,
    exp_negative: bool,
}

impl Default for NumScan {
    fn default() -> NumScan {
        NumScan {
            state: NumState::Start,
            negative: false,
            int: Some(0),
            fractional: false,
            mantissa: 0,
            digits: Vec::new(),
            len: 0,
            sticky: false,
            scale: 0,
            exp: 0,
            exp_negative: false,
        }
    }
}

/// A scanned number's value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NumValue {
    /// The value as an integer, if it is written without fraction or
    /// exponent and fits an `i64`.
    pub int: Option<i64>,
    /// The value rounded to the nearest `f64` (finite).
    pub float: f64,
}

fn is_number_byte(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
}

impl NumScan {
    pub fn new() -> NumScan {
        NumScan::default()
    }

    /// Resets for a new number, keeping the buffer.
    pub fn reset(&mut self) {
        self.state = NumState::Start;
        self.negative = false;
        self.int = Some(0);
        self.fractional = false;
        self.len = 0;
        self.mantissa = 0;
        self.digits.clear();
        self.sticky = false;
        self.scale = 0;
        self.exp = 0;
        self.exp_negative = false;
    }

    fn digit(&mut self, d: u8, fraction: bool) {
        if self.len == 0 && d == b'0' {
            // A leading zero: only after the point does it move the scale.
            if fraction {
                self.scale -= 1;
            }
            return;
        }
        if self.len < MAX_DIGITS {
            if self.len < 19 {
                self.mantissa = self.mantissa * 10 + u64::from(d - b'0');
            } else {
                self.digits.push(d);
            }
            self.len += 1;
        } else if d != b'0' {
            self.sticky = true;
        }
        if !fraction {
            self.scale += 1;
        }
    }

    /// Scans from `pos`. `Done` at the first byte that cannot be part of a
    /// number; `More` if the input ends first (then [`NumScan::value`] at the
    /// end of the document tells whether it was a whole number).
    pub fn scan(&mut self, input: &[u8], mut pos: usize) -> Step {
        while let Some(&b) = input.get(pos) {
            if !is_number_byte(b) {
                return self.end_at(pos);
            }
            use NumState::*;
            self.state = match (self.state, b) {
                (Start, b'-') => {
                    self.negative = true;
                    Minus
                }
                (Start | Minus, b'0') => Zero,
                (Start | Minus, b'1'..=b'9') => {
                    self.int = Some(u64::from(b - b'0'));
                    self.digit(b, false);
                    Int
                }
                (Int, b'0'..=b'9') => {
                    self.int = self
                        .int
                        .and_then(|i| i.checked_mul(10))
                        .and_then(|i| i.checked_add(u64::from(b - b'0')));
                    self.digit(b, false);
                    Int
                }
                (Zero | Int, b'.') => {
                    self.fractional = true;
                    Dot
                }
                (Dot | Frac, b'0'..=b'9') => {
                    self.digit(b, true);
                    Frac
                }
                (Zero | Int | Frac, b'e' | b'E') => {
                    self.fractional = true;
                    E
                }
                (E, b'+') => ESign,
                (E, b'-') => {
                    self.exp_negative = true;
                    ESign
                }
                (E | ESign | Exp, b'0'..=b'9') => {
                    // Saturate: far beyond any f64 exponent either way.
                    self.exp = (self.exp * 10 + i64::from(b - b'0')).min(1 << 40);
                    Exp
                }
                _ => return Step::Invalid(JsonProblem::InvalidNumber),
            };
            pos += 1;
        }
        Step::More
    }

    fn end_at(&self, pos: usize) -> Step {
        match self.state {
            NumState::Zero | NumState::Int | NumState::Frac | NumState::Exp => Step::Done(pos),
            _ => Step::Invalid(JsonProblem::InvalidNumber),
        }
    }

    /// The number ended (at the end of the document, or at `Done`): its
    /// value, or why it is invalid.
    pub fn value(&self) -> Result<NumValue, JsonProblem> {
        if let Step::Invalid(problem) = self.end_at(0) {
            return Err(problem);
        }
        let int = if self.fractional {
            None
        } else {
            match (self.negative, self.int) {
                (false, Some(i)) => i64::try_from(i).ok(),
                (true, Some(i)) if i <= 1 << 63 => Some(0i64.wrapping_sub_unsigned(i)),
                _ => None,
            }
        };
        let float = if self.len == 0 {
            if self.negative {
                -0.0
            } else {
                0.0
            }
        } else if let Some(f) = self.fast_float() {
            f
        } else {
            let exp = if self.exp_negative {
                -self.exp
            } else {
                self.exp
            };
            let e = (self.scale + exp).clamp(-100_000, 100_000);
            // "-0.DIGITS[1]e±E", formatted on the stack.
            let mut buf = [0u8; MAX_DIGITS + 24];
            let mut n = 0;
            let mut put = |bytes: &[u8]| {
                for b in bytes {
                    if let Some(slot) = buf.get_mut(n) {
                        *slot = *b;
                        n += 1;
                    }
                }
            };
            if self.negative {
                put(b"-");
            }
            put(b"0.");
            let mut head = [0u8; 20];
            let mut k = head.len();
            let mut m = self.mantissa;
            for _ in 0..self.len.min(19) {
                k -= 1;
                if let Some(slot) = head.get_mut(k) {
                    *slot = b'0' + (m % 10) as u8;
                }
                m /= 10;
            }
            put(head.get(k..).unwrap_or_default());
            put(&self.digits);
            if self.sticky {
                put(b"1");
            }
            put(b"e");
            let mut exp_text = [0u8; 12];
            let mut k = exp_text.len();
            let mut magnitude = e.unsigned_abs();
            loop {
                k -= 1;
                if let Some(slot) = exp_text.get_mut(k) {
                    *slot = b'0' + (magnitude % 10) as u8;
                }
                magnitude /= 10;
                if magnitude == 0 || k == 1 {
                    break;
                }
            }
            if e < 0 {
                put(b"-");
            }
            put(exp_text.get(k..).unwrap_or_default());
            let text = std::str::from_utf8(buf.get(..n).unwrap_or_default()).unwrap_or("0");
            text.parse::<f64>().unwrap_or(f64::INFINITY)
        };
        if !float.is_finite() {
            return Err(JsonProblem::NumberOutOfRange);
        }
        Ok(NumValue { int, float })
    }
}

impl NumScan {
    /// Clinger's fast path: up to 15 significant digits and a power of ten
    /// up to 22 are both exact in an `f64`, so one multiplication or
    /// division rounds correctly.
    fn fast_float(&self) -> Option<f64> {
        const POW10: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        if self.len > 15 || self.sticky {
            return None;
        }
        let exp = if self.exp_negative {
            -self.exp
        } else {
            self.exp
        };
        // value = 0.DIGITS × 10^(scale + exp) = MANTISSA × 10^(scale + exp - len)
        let e = self
            .scale
            .checked_add(exp)?
            .checked_sub(i64::try_from(self.len).ok()?)?;
        let m = self.mantissa as f64;
        let value = match e {
            0..=22 => m * POW10.get(usize::try_from(e).ok()?)?,
            -22..=-1 => m / POW10.get(usize::try_from(-e).ok()?)?,
            _ => return None,
        };
        Some(if self.negative { -value } else { value })
    }
}

/// `true`, `false` or `null` being scanned.
#[derive(Clone, Copy, Debug)]
pub struct LitScan {
    word: &'static [u8],
    matched: usize,
}

impl LitScan {
    /// For the literal starting with `first` (`t`, `f` or `n`).
    pub fn new(first: u8) -> Option<LitScan> {
        let word: &'static [u8] = match first {
            b't' => b"true",
            b'f' => b"false",
            b'n' => b"null",
            _ => return None,
        };
        Some(LitScan { word, matched: 0 })
    }

    pub fn word(&self) -> &'static [u8] {
        self.word
    }

    pub fn scan(&mut self, input: &[u8], mut pos: usize) -> Step {
        while self.matched < self.word.len() {
            let Some(&b) = input.get(pos) else {
                return Step::More;
            };
            if self.word.get(self.matched) != Some(&b) {
                return Step::Invalid(JsonProblem::InvalidLiteral);
            }
            self.matched += 1;
            pos += 1;
        }
        Step::Done(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(text: &[u8]) -> (Step, u64, u64, Vec<u8>) {
        let mut s = StrScan::new();
        let mut out = Vec::new();
        let step = s.scan(text, 1, Some(&mut out), 1 << 20);
        (step, s.chars, s.bytes, out)
    }

    #[test]
    fn strings_decode_count_and_fail_in_reading_order() {
        assert_eq!(string(b"\"abc\" "), (Step::Done(5), 3, 3, b"abc".to_vec()));
        assert_eq!(
            string("\"h\\u00e9\\ud83d\\ude00é\"".as_bytes()),
            (Step::Done(23), 4, 9, "hé😀é".as_bytes().to_vec())
        );
        assert_eq!(
            string(b"\"a\\x\"").0,
            Step::Invalid(JsonProblem::InvalidEscape)
        );
        assert_eq!(
            string(b"\"\\ud800\"").0,
            Step::Invalid(JsonProblem::LoneSurrogate)
        );
        assert_eq!(
            string(b"\"\\ud800\\n\"").0,
            Step::Invalid(JsonProblem::LoneSurrogate)
        );
        assert_eq!(
            string(b"\"\\ud800\\u0041\"").0,
            Step::Invalid(JsonProblem::LoneSurrogate)
        );
        assert_eq!(
            string(b"\"\\udc00\"").0,
            Step::Invalid(JsonProblem::LoneSurrogate)
        );
        assert_eq!(
            string(b"\"\\ud800\\x\"").0,
            Step::Invalid(JsonProblem::InvalidEscape)
        );
        assert_eq!(
            string(b"\"a\xffb\"").0,
            Step::Invalid(JsonProblem::InvalidUtf8)
        );
        assert_eq!(
            string(b"\"\xed\xa0\x80\"").0,
            Step::Invalid(JsonProblem::InvalidUtf8)
        );
        assert_eq!(
            string(b"\"\xc0\xaf\"").0,
            Step::Invalid(JsonProblem::InvalidUtf8)
        );
        assert_eq!(
            string(b"\"a\nb\"").0,
            Step::Invalid(JsonProblem::ControlCharacter)
        );
        // Invalid UTF-8 before a control character is found first.
        assert_eq!(
            string(b"\"aaaaaaaaaa\xff\n\"").0,
            Step::Invalid(JsonProblem::InvalidUtf8)
        );
        assert_eq!(string(b"\"abc").0, Step::More);
    }

    #[test]
    fn strings_resume_at_any_byte() {
        let text = "\"plain ascii text, é, \\u00e9, \\ud83d\\ude00 and 😀 again\"".as_bytes();
        let (whole, chars, bytes, out) = string(text);
        assert_eq!(whole, Step::Done(text.len()));
        for cut in 1..text.len() {
            let mut s = StrScan::new();
            let mut got = Vec::new();
            assert_eq!(
                s.scan(&text[..cut], 1, Some(&mut got), 1 << 20),
                Step::More,
                "cut at {cut}"
            );
            assert_eq!(
                s.scan(&text[cut..], 0, Some(&mut got), 1 << 20),
                Step::Done(text.len() - cut)
            );
            assert_eq!(
                (s.chars, s.bytes, &got),
                (chars, bytes, &out),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn kept_text_stops_at_the_cap_on_a_character_boundary() {
        let mut s = StrScan::new();
        let mut out = Vec::new();
        s.scan("\"abéd\"".as_bytes(), 1, Some(&mut out), 3);
        assert_eq!(out, b"ab");
        assert_eq!(s.bytes, 5);
    }

    fn number(text: &str) -> Result<NumValue, JsonProblem> {
        let mut n = NumScan::new();
        match n.scan(text.as_bytes(), 0) {
            Step::Invalid(p) => Err(p),
            _ => n.value(),
        }
    }

    #[test]
    fn numbers_follow_the_grammar_and_round_correctly() {
        for ok in [
            "0", "-0", "12", "1.5", "1e9", "1E+9", "-1.25e-3", "0.0", "0e5",
        ] {
            assert!(number(ok).is_ok(), "{ok}");
            assert_eq!(
                number(ok).unwrap().float,
                ok.parse::<f64>().unwrap(),
                "{ok}"
            );
        }
        for bad in [
            "", "-", "01", "1.", ".5", "1e", "1e+", "+1", "1.2.3", "--1", "1-2",
        ] {
            assert_eq!(number(bad), Err(JsonProblem::InvalidNumber), "{bad}");
        }
        assert_eq!(number("1e400"), Err(JsonProblem::NumberOutOfRange));
        assert_eq!(number("-1e400"), Err(JsonProblem::NumberOutOfRange));
        assert_eq!(number("1e-400").unwrap().float, 0.0);
        assert_eq!(number("9223372036854775807").unwrap().int, Some(i64::MAX));
        assert_eq!(number("-9223372036854775808").unwrap().int, Some(i64::MIN));
        assert_eq!(number("9223372036854775808").unwrap().int, None);
        assert_eq!(number("-0").unwrap().int, Some(0));
        assert_eq!(number("1.0").unwrap().int, None);
        let long = format!("0.{}1", "0".repeat(2000));
        assert_eq!(number(&long).unwrap().float, long.parse::<f64>().unwrap());
        let long = format!("{}e-1990", "7".repeat(2000));
        assert_eq!(number(&long).unwrap().float, long.parse::<f64>().unwrap());
        let tie = format!("9007199254740993.{}1", "0".repeat(900));
        assert_eq!(number(&tie).unwrap().float, tie.parse::<f64>().unwrap());
    }

    #[test]
    fn literals() {
        let mut l = LitScan::new(b't').unwrap();
        assert_eq!(l.scan(b"tr", 0), Step::More);
        assert_eq!(l.scan(b"ue,", 0), Step::Done(2));
        assert_eq!(
            LitScan::new(b'n').unwrap().scan(b"nul!", 0),
            Step::Invalid(JsonProblem::InvalidLiteral)
        );
    }
}
