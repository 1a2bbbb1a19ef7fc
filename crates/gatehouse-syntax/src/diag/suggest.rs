//! "Did you mean ...?" for misspelt names.

/// The candidate closest to `word` by edit distance, if it is close enough to
/// be a plausible typo (at most a third of the word's length, at least one).
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let candidates: Vec<&'a str> = candidates.into_iter().filter(|c| *c != word).collect();
    let budget = ((word.chars().count() + 1) / 3).max(1);
    let close = candidates
        .iter()
        .map(|candidate| (edit_distance(word, candidate), *candidate))
        .filter(|(distance, _)| *distance <= budget)
        .min_by_key(|(distance, candidate)| (*distance, *candidate))
        .map(|(_, candidate)| candidate);
    // An abbreviation or a longer spelling: `str` for `string`, `integer`
    // for `int`.
    close.or_else(|| {
        let lower = word.to_ascii_lowercase();
        candidates
            .iter()
            .filter(|c| {
                let c = c.to_ascii_lowercase();
                let (short, long) = if c.len() < lower.len() {
                    (&c, &lower)
                } else {
                    (&lower, &c)
                };
                short.len() >= 3 && long.starts_with(short.as_str())
            })
            .min_by_key(|c| (c.len().abs_diff(word.len()), **c))
            .copied()
    })
}

/// Levenshtein distance over characters, case-insensitive (a wrong case is a
/// one-character mistake at most).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(first) = current.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let deletion = previous.get(j + 1).copied().unwrap_or(0) + 1;
            let insertion = current.get(j).copied().unwrap_or(0) + 1;
            if let Some(cell) = current.get_mut(j + 1) {
                *cell = substitution.min(deletion).min(insertion);
            }
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("requir", ["require", "when", "quota"]),
            Some("require")
        );
        assert_eq!(
            did_you_mean("pets:raed", ["pets:read", "pets:write"]),
            Some("pets:read")
        );
        assert_eq!(did_you_mean("xyz", ["require", "when"]), None);
        assert_eq!(did_you_mean("GET", ["get"]), Some("get"));
        assert_eq!(
            did_you_mean("integer", ["int", "uuid", "string"]),
            Some("int")
        );
        assert_eq!(
            did_you_mean("str", ["int", "uuid", "string"]),
            Some("string")
        );
        assert_eq!(did_you_mean("in", ["int"]), Some("int"));
    }
}
