//! Comments, recovered from the source text by position.
//!
//! The grammar skips comments (`COMMENT` is a silent rule), so the AST has
//! none. Tools that must keep or read them find them here: the formatter
//! (`gatehouse_tools::fmt`) re-attaches every comment to the statement it precedes or
//! trails, and the linter (`gatehouse_tools::lint`) reads `# gatehouse: allow ...`
//! directives. The scan mirrors the grammar's lexical rules: a comment runs
//! from `#` to the end of the line, and a `#` inside a string is not one.

/// One `#` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Byte offset of the `#`.
    pub start: usize,
    /// Byte offset just past the comment's last non-blank character.
    pub end: usize,
    /// The comment from `#` on, without trailing whitespace.
    pub text: String,
    /// Whether only whitespace precedes the comment on its line (otherwise
    /// it trails code).
    pub own_line: bool,
}

/// Every comment in `text`, in order.
pub fn comments(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    // Whether the current line has had anything but whitespace so far.
    let mut line_has_code = false;
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if in_string {
            match byte {
                // The grammar lets `\` escape any character, a newline too.
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                b'\n' => {
                    in_string = false;
                    line_has_code = false;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match byte {
            b'#' => {
                let end_of_line = text
                    .get(i..)
                    .and_then(|rest| rest.find('\n'))
                    .map_or(text.len(), |n| i + n);
                let raw = text.get(i..end_of_line).unwrap_or("");
                let trimmed = raw.trim_end();
                out.push(Comment {
                    start: i,
                    end: i + trimmed.len(),
                    text: trimmed.to_string(),
                    own_line: !line_has_code,
                });
                i = end_of_line;
                continue;
            }
            b'"' => {
                in_string = true;
                line_has_code = true;
            }
            b'\n' => line_has_code = false,
            b' ' | b'\t' | b'\r' => {}
            _ => line_has_code = true,
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_comments_outside_strings() {
        let text = "# head\napi \"a#b\" # tail \n  # own\nowner \"x\\\"#\"";
        let found = comments(text);
        let texts: Vec<&str> = found.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["# head", "# tail", "# own"]);
        assert!(found[0].own_line && !found[1].own_line && found[2].own_line);
        assert_eq!(&text[found[1].start..found[1].end], "# tail");
    }
}
