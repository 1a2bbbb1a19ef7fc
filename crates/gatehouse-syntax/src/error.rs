//! Turning pest's parse errors into `GH-E0001` diagnostics that say what was
//! expected in words, and suggest a keyword when a word looks misspelt.

use std::collections::BTreeSet;

use pest::error::{Error, InputLocation};

use super::{GatehouseParser, Rule};
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::span::{FileId, Span};

/// Words that start a statement inside an endpoint or `defaults`.
const STATEMENT_KEYWORDS: &[&str] = &[
    "public",
    "authenticate",
    "require",
    "when",
    "allow",
    "deny",
    "quota",
    "body",
    "query",
    "headers",
    "response",
    "mask",
    "shadow",
];

/// Words that start a top-level item.
const ITEM_KEYWORDS: &[&str] = &[
    "api", "owner", "base", "host", "auth", "scopes", "options", "defaults", "endpoint",
];

pub(crate) fn syntax_error(file: FileId, text: &str, error: &Error<Rule>) -> Diagnostic {
    let position = error_position(error).min(text.len());

    if let Some(diagnostic) = unclosed_string(file, text, position) {
        return diagnostic;
    }
    if position >= text.len() {
        if let Some(open) = unclosed_brace(text) {
            return Diagnostic::new(
                Code::Syntax,
                Span::new(file, open, open + 1),
                "this `{` is never closed",
            )
            .label("opened here")
            .help("add the matching `}` at the end of the block");
        }
    }

    let expected = expected_descriptions(error, expected_punctuation(text, position));
    // `quota 10 per min`: the parser stops at the number it cannot continue
    // from; point at the word that is actually wrong.
    let mut position = position;
    let mut word = word_at(text, position);
    if expected == ["`/`"] && !word.is_empty() && word.chars().all(|c| c.is_ascii_digit()) {
        let after = position + word.len();
        let skipped = text
            .get(after..)
            .map_or(0, |rest| rest.len() - rest.trim_start().len());
        position = after + skipped;
        word = word_at(text, position);
    }
    let span_end = if word.is_empty() {
        next_char_end(text, position)
    } else {
        position + word.len()
    };
    let span = Span::new(file, position, span_end);

    let found = if position >= text.len() {
        "the end of the file".to_string()
    } else if word.is_empty() {
        format!("`{}`", text.get(position..span_end).unwrap_or("?"))
    } else {
        format!("`{word}`")
    };
    let mut expected = expected;
    if line_before(text, position).starts_with("mask")
        && !expected.iter().any(|e| e.contains("with"))
    {
        expected.push("a strategy (`with ...`, `keep ...`)".to_string());
    }
    let message = match expected.len() {
        0 => format!("unexpected {found}"),
        _ => format!("expected {}, found {found}", join_alternatives(&expected)),
    };

    let mut diagnostic = Diagnostic::new(Code::Syntax, span, message).label(label_for(&expected));
    let line = line_before(text, position);
    if !word.is_empty() && !word.chars().all(|c| c.is_ascii_digit()) {
        let keywords: Vec<&str> = expected_keywords(error);
        let suggestion = did_you_mean(word, keywords.iter().copied())
            .or_else(|| did_you_mean(word, STATEMENT_KEYWORDS.iter().copied()))
            .or_else(|| did_you_mean(word, ITEM_KEYWORDS.iter().copied()));
        if let Some(keyword) = suggestion {
            diagnostic = diagnostic.help(format!("did you mean `{keyword}`?"));
        } else if keywords.iter().any(|k| STATEMENT_KEYWORDS.contains(k)) {
            diagnostic = diagnostic.help(format!(
                "an endpoint holds statements such as {}",
                join_alternatives(&quoted(STATEMENT_KEYWORDS))
            ));
        }
    }
    if diagnostic.help.is_none() {
        let statement = line.split_whitespace().next().unwrap_or("");
        let hint = match statement {
            "quota" => Some("write a quota as `100/min by principal` (windows: `s`, `min`, `hour`, `day`)"),
            "mask" => Some("end the rule with a strategy: `with redact`, `with remove`, `with null`, `with hash`, `with email`, `keep first 4` or `keep last 4`"),
            "endpoint" | "base" => Some("paths are written without spaces or empty segments, for example `/pets/{id}`"),
            _ => None,
        };
        if let Some(hint) = hint {
            diagnostic = diagnostic.help(hint);
        }
    }
    diagnostic
}

/// A `"` at the error position whose line has no closing quote.
fn unclosed_string(file: FileId, text: &str, position: usize) -> Option<Diagnostic> {
    let rest = text.get(position..)?;
    let line = rest.lines().next().unwrap_or("");
    if !line.starts_with('"') {
        return None;
    }
    let mut escaped = false;
    for c in line.chars().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return None,
            _ => {}
        }
    }
    Some(
        Diagnostic::new(
            Code::Syntax,
            Span::new(file, position, position + line.len()),
            "this string is never closed",
        )
        .label("the string starts here")
        .help("strings end on the line they start on; close it with `\"`"),
    )
}

/// The offset of the last `{` without a matching `}`, outside strings and
/// comments.
fn unclosed_brace(text: &str) -> Option<usize> {
    let mut open: Vec<usize> = Vec::new();
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_comment {
            in_comment = c != '\n';
            continue;
        }
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' | '\n' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '#' => in_comment = true,
            '"' => in_string = true,
            '{' => open.push(i),
            '}' => {
                open.pop();
            }
            _ => {}
        }
    }
    open.pop()
}

/// The last non-blank line up to `position`: the statement being written.
fn line_before(text: &str, position: usize) -> &str {
    let before = text.get(..position).unwrap_or("");
    before
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

fn label_for(expected: &[String]) -> String {
    match expected.first() {
        Some(first) if expected.len() == 1 => format!("expected {first} here"),
        _ => "unexpected here".to_string(),
    }
}

fn quoted(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| format!("`{w}`")).collect()
}

/// The keywords the parser would have accepted at the error position.
fn expected_keywords(error: &Error<Rule>) -> Vec<&'static str> {
    let mut keywords = Vec::new();
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &error.variant {
        keywords.extend(positives.iter().filter_map(|rule| keyword_text(*rule)));
    }
    keywords
}

fn error_position(error: &Error<Rule>) -> usize {
    match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((start, _)) => start,
    }
}

/// The punctuation and operators the grammar spells out as literals, the
/// candidates for [`expected_punctuation`]. Left out: `#` (a comment is
/// possible almost everywhere and says nothing) and `..`, `...` (ranges and
/// `...` are named by their rules). A test keeps this list in step with
/// `grammar/gatehouse.pest`.
const PUNCTUATION: &[&str] = &[
    "!", "!=", "\"", "$", "%", "&", "'", "(", ")", "*", "**", "+", ",", "-", ".", "/", ":", ";",
    "<", "<=", "=", "==", ">", ">=", "?", "@", "[", "\\", "]", "_", "{", "|", "}", "~",
];

/// The punctuation the parser would have accepted at the error `position`.
///
/// pest names only rules in its errors. Its record of the literals it tried
/// is switched on by `pest::set_error_detail`, a process-wide flag, which
/// parsing must not flip; so the candidates are tried one by one instead
/// (see [`accepted_after`]). This runs on the error path alone.
///
/// pest reports an error where the innermost failing rule started. When that
/// rule read a word and then failed on a literal (`quota 10 per`, where `/`
/// is missing, or `jwt(issuer "x")`, where `:` is), the literal belongs after
/// the word, so it is looked for there first. The same goes for a path that
/// a space ends (`/pets {`): the space is where the path rules failed.
fn expected_punctuation(text: &str, position: usize) -> BTreeSet<String> {
    expected_punctuation_from(text, position, item_start(text, position))
}

/// [`expected_punctuation`], probing from `start`.
fn expected_punctuation_from(text: &str, position: usize, start: usize) -> BTreeSet<String> {
    let word_end = position + word_at(text, position).len();
    let spaced = text
        .get(word_end..)
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_whitespace()));
    if word_end > position || spaced {
        // A space after the word keeps a candidate from gluing onto it
        // (`issuer-`, `10.`), which would only say the word could go on.
        let after = accepted_after(text.get(start..word_end), " ");
        if !after.is_empty() {
            return after;
        }
    }
    accepted_after(text.get(start..position), "")
}

/// Where the top-level item that holds `position` starts, so that the
/// probes of [`accepted_after`] parse that item rather than the whole file
/// up to it (each probe is a parse; a syntax error near the end of a large
/// file took dozens of parses of all of it).
///
/// Items follow one another and none reads past its own end, so parsing
/// from the start of an item answers as parsing from the start of the file
/// does. A candidate is a line that starts with a declaration keyword; it
/// counts only when the text before it parses as whole items (which also
/// rules out a keyword inside a string). Otherwise the whole file is used.
fn item_start(text: &str, position: usize) -> usize {
    let before = text.get(..position).unwrap_or(text);
    let candidates = before
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .rev()
        .filter(|&line| {
            text.get(line..).is_some_and(|rest| {
                ITEM_KEYWORDS.iter().any(|kw| {
                    rest.strip_prefix(kw)
                        .is_some_and(|after| after.starts_with(|c: char| c.is_ascii_whitespace()))
                })
            })
        })
        // The nearest few: an earlier one would only be a longer probe.
        .take(3);
    for line in candidates {
        let complete = text.get(..line).is_some_and(|items| {
            <GatehouseParser as pest::Parser<Rule>>::parse(Rule::policy, items).is_ok()
        });
        if complete {
            return line;
        }
    }
    0
}

/// The candidates in [`PUNCTUATION`] that may follow `prefix` and `gap`: the
/// text with the token appended is parsed again, and the token counts when
/// the parser gets past it, that is when the parse succeeds or fails only at
/// the very end (pest places an error where a rule failed, so a token counts
/// once the parser tries a rule after it; `?` is always followed by the
/// literal `:`, so `?:` is tried for it).
fn accepted_after(prefix: Option<&str>, gap: &str) -> BTreeSet<String> {
    let Some(prefix) = prefix else {
        return BTreeSet::new();
    };
    let mut probe = String::with_capacity(prefix.len() + gap.len() + 3);
    PUNCTUATION
        .iter()
        .filter(|token| {
            probe.clear();
            probe.push_str(prefix);
            probe.push_str(gap);
            probe.push_str(token);
            if **token == "?" {
                probe.push(':');
            }
            match <GatehouseParser as pest::Parser<Rule>>::parse(Rule::policy, &probe) {
                Ok(_) => true,
                Err(error) => error_position(&error) >= probe.len(),
            }
        })
        .map(|token| (*token).to_string())
        .collect()
}

/// Punctuation that only a literal path segment accepts.
const SEGMENT_PUNCTUATION: &str = "-_.~:@!$&'()+,;=%";

/// What the parser would have accepted, in words, deduplicated, with long
/// families collapsed ("a statement such as ...", "a path segment").
fn expected_descriptions(error: &Error<Rule>, mut punctuation: BTreeSet<String>) -> Vec<String> {
    let mut keywords: BTreeSet<&'static str> = BTreeSet::new();
    let mut other: BTreeSet<String> = BTreeSet::new();
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for kind in positives {
            if let Some(keyword) = keyword_text(*kind) {
                keywords.insert(keyword);
            } else if let Some(text) = describe(*kind) {
                other.insert(text);
            }
        }
    }
    if punctuation.contains("~") || punctuation.contains("@") {
        // Also `==` and `!=`: a segment may go on with `=` and `!`.
        punctuation.retain(|p| !p.chars().all(|c| SEGMENT_PUNCTUATION.contains(c)));
        other.insert("a path segment".to_string());
    }
    punctuation.remove("_");

    let mut list: Vec<String> = Vec::new();
    let statements = keywords
        .iter()
        .filter(|k| STATEMENT_KEYWORDS.contains(k))
        .count();
    let items = keywords
        .iter()
        .filter(|k| ITEM_KEYWORDS.contains(k))
        .count();
    if statements >= 3 {
        keywords.retain(|k| !STATEMENT_KEYWORDS.contains(k));
        list.push("a statement (`require`, `when`, `quota`, ...)".to_string());
    }
    if items >= 3 {
        keywords.retain(|k| !ITEM_KEYWORDS.contains(k));
        list.push("a declaration (`endpoint`, `auth`, `scopes`, ...)".to_string());
    }
    list.extend(keywords.iter().map(|k| format!("`{k}`")));
    list.extend(other);
    list.extend(punctuation.into_iter().map(|p| format!("`{p}`")));
    // `?` can come both from its rule and as punctuation.
    let mut seen = BTreeSet::new();
    list.retain(|item| seen.insert(item.clone()));
    if list.len() > 8 {
        list.truncate(8);
        list.push("...".to_string());
    }
    list
}

fn join_alternatives(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn keyword_text(kind: Rule) -> Option<&'static str> {
    Some(match kind {
        Rule::kw_allow => "allow",
        Rule::kw_and => "and",
        Rule::kw_api => "api",
        Rule::kw_array => "array",
        Rule::kw_auth => "auth",
        Rule::kw_authenticate => "authenticate",
        Rule::kw_base => "base",
        Rule::kw_body => "body",
        Rule::kw_burst => "burst",
        Rule::kw_by => "by",
        Rule::kw_cost => "cost",
        Rule::kw_defaults => "defaults",
        Rule::kw_deny => "deny",
        Rule::kw_endpoint => "endpoint",
        Rule::kw_enum => "enum",
        Rule::kw_first => "first",
        Rule::kw_format => "format",
        Rule::kw_from => "from",
        Rule::kw_has => "has",
        Rule::kw_headers => "headers",
        Rule::kw_host => "host",
        Rule::kw_in => "in",
        Rule::kw_json => "json",
        Rule::kw_keep => "keep",
        Rule::kw_last => "last",
        Rule::kw_like => "like",
        Rule::kw_limits => "limits",
        Rule::kw_mask => "mask",
        Rule::kw_matches => "matches",
        Rule::kw_max => "max",
        Rule::kw_not => "not",
        Rule::kw_object => "object",
        Rule::kw_of => "of",
        Rule::kw_only => "only",
        Rule::kw_options => "options",
        Rule::kw_or => "or",
        Rule::kw_owner => "owner",
        Rule::kw_public => "public",
        Rule::kw_query => "query",
        Rule::kw_quota => "quota",
        Rule::kw_require => "require",
        Rule::kw_response => "response",
        Rule::kw_scopes => "scopes",
        Rule::kw_shadow => "shadow",
        Rule::kw_types => "types",
        Rule::kw_version => "version",
        Rule::kw_when => "when",
        Rule::kw_with => "with",
        _ => return None,
    })
}

fn describe(kind: Rule) -> Option<String> {
    if let Some(keyword) = keyword_text(kind) {
        return Some(format!("`{keyword}`"));
    }
    let text = match kind {
        Rule::EOI => "the end of the file",
        Rule::string => "a string",
        Rule::name | Rule::param_name | Rule::field_ident => "a name",
        Rule::method => "an HTTP method such as `GET`",
        Rule::path_pattern => "a path such as `/pets/{id}`",
        Rule::seg_literal | Rule::seg_param | Rule::seg_star | Rule::seg_rest => "a path segment",
        Rule::trailing_slash => return None,
        Rule::param_type => "a parameter type such as `int`",
        Rule::scope => "a scope name",
        Rule::cidr => "an IP network such as `10.0.0.0/8`",
        Rule::integer => "a whole number",
        Rule::number => "a number",
        Rule::size => "a size such as `64KiB`",
        Rule::boolean => "`true` or `false`",
        Rule::json_path => "a JSON path such as `$.items[*].email`",
        Rule::reference => "a value such as `path.id` or `claim.tenant`",
        Rule::cmp_op => "a comparison (`==`, `!=`, `<`, ...)",
        Rule::list => "a list",
        Rule::fields => "a block of fields `{ ... }`",
        Rule::range => "a range such as `(1..64)`",
        Rule::field_rest => "`...`",
        Rule::optional_mark => "`?`",
        _ => return None,
    };
    Some(text.to_string())
}

/// The identifier-like word starting at `position`, if any.
fn word_at(text: &str, position: usize) -> &str {
    let rest = text.get(position..).unwrap_or("");
    // Names in the grammar are ASCII.
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    rest.get(..end).unwrap_or("")
}

fn next_char_end(text: &str, position: usize) -> usize {
    text.get(position..)
        .and_then(|rest| rest.chars().next())
        .map_or(position, |c| position + c.len_utf8())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Probing from the start of the item finds what probing from the start
    /// of the file finds: every sample policy, broken in many places.
    #[test]
    fn probing_from_the_item_agrees_with_probing_from_the_file() {
        // (policy, a cut every so many bytes): the large one sparsely, since
        // the reference probes the whole file and this is a debug build.
        let policies = [
            (include_str!("../../../policies/petstore.gate"), 23),
            (include_str!("../../../policies/admin.gate"), 23),
            (include_str!("../../../policies/github.gate"), 1_301),
        ];
        let mut compared = 0;
        let mut from_an_item = 0;
        for (text, step) in policies {
            // Drop one character every `step` bytes; keep the texts that fail.
            for cut in (0..text.len())
                .step_by(step)
                .filter(|i| text.is_char_boundary(*i) && text.is_char_boundary(*i + 1))
            {
                let broken = format!("{}{}", &text[..cut], &text[cut + 1..]);
                let Err(error) =
                    <GatehouseParser as pest::Parser<Rule>>::parse(Rule::policy, &broken)
                else {
                    continue;
                };
                let position = error_position(&error);
                let start = item_start(&broken, position);
                from_an_item += usize::from(start > 0);
                assert_eq!(
                    expected_punctuation_from(&broken, position, start),
                    expected_punctuation_from(&broken, position, 0),
                    "cut at {cut}, error at {position}, item at {start}"
                );
                compared += 1;
            }
        }
        assert!(
            compared > 60 && from_an_item > compared / 2,
            "{compared} compared, {from_an_item} from an item"
        );
    }

    /// [`PUNCTUATION`] holds every punctuation literal of the grammar but
    /// `#`, `..` and `...`.
    #[test]
    fn punctuation_matches_the_grammar() {
        let grammar = include_str!("../../../grammar/gatehouse.pest");
        let mut literals = BTreeSet::new();
        for line in grammar
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
        {
            let mut rest = line;
            while let Some(start) = rest.find('"') {
                let after = &rest[start + 1..];
                let mut end = 0;
                let mut escaped = false;
                for (i, c) in after.char_indices() {
                    match c {
                        _ if escaped => escaped = false,
                        '\\' => escaped = true,
                        '"' => {
                            end = i;
                            break;
                        }
                        _ => {}
                    }
                }
                let literal = after[..end].replace("\\\"", "\"").replace("\\\\", "\\");
                if !literal.is_empty() && literal.chars().all(|c| c.is_ascii_punctuation()) {
                    literals.insert(literal);
                }
                rest = &after[end + 1..];
            }
        }
        for left_out in ["#", "..", "..."] {
            assert!(literals.remove(left_out), "{left_out}");
        }
        let listed: BTreeSet<String> = PUNCTUATION.iter().map(|p| (*p).to_string()).collect();
        assert_eq!(literals, listed);
    }
}
