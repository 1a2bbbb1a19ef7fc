//! RFC 6901 JSON pointers: `""` is the whole document, `/items/3/name` a
//! member of an element of a member. In a key, `~` is written `~0` and `/`
//! is written `~1`.

/// Appends `/key`, escaped, to `pointer`. A key that is not valid UTF-8
/// (it cannot be, once a body has been validated) is written lossily.
pub fn push_key(pointer: &mut String, key: &[u8]) {
    pointer.push('/');
    let text = String::from_utf8_lossy(key);
    for c in text.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// Appends `/index` to `pointer`.
pub fn push_index(pointer: &mut String, index: u64) {
    pointer.push('/');
    pointer.push_str(&index.to_string());
}

/// `/key`, escaped.
pub fn of_key(key: &str) -> String {
    let mut out = String::new();
    push_key(&mut out, key.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_escaped() {
        let mut p = String::new();
        push_key(&mut p, b"a/b~c");
        push_index(&mut p, 3);
        assert_eq!(p, "/a~1b~0c/3");
        assert_eq!(of_key(""), "/");
    }
}
