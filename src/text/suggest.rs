//! "Did you mean …?" for every name a user can misspell: fields, models,
//! strategies, presets, classes, metric paths. One rule everywhere, so the
//! same typo gets the same help in a scenario file and on the command line.

/// The candidates close to `typed`, closest first (at most three). Close
/// means an optimal-string-alignment distance (a swap of two neighbouring
/// letters is one edit) of at most a third of the typed length (at least
/// one), ignoring ASCII case, or one being a prefix of the other (two
/// characters or more).
pub fn did_you_mean<'a>(
    typed: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let t = typed.to_ascii_lowercase();
    let threshold = (t.chars().count() / 3).max(1);
    let mut close: Vec<(usize, &'a str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let k = c.to_ascii_lowercase();
            if k == t && c != typed {
                return Some((0, c));
            }
            let d = strsim::osa_distance(&t, &k);
            let prefix = t.len().min(k.len()) >= 2 && (k.starts_with(&t) || t.starts_with(&k));
            (d > 0 && (d <= threshold || prefix)).then_some((d, c))
        })
        .collect();
    close.sort();
    close.dedup();
    close.truncate(3);
    close.into_iter().map(|(_, c)| c).collect()
}

/// `"; did you mean `a` or `b`?"`, or `""` when nothing is close; ready to
/// append to a message.
pub fn hint<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let close = did_you_mean(typed, candidates);
    if close.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = close.iter().map(|c| format!("`{c}`")).collect();
    format!("; did you mean {}?", or_list(&quoted))
}

/// `a`, `a or b`, `a, b or c`.
pub fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_the_name() {
        let classes = ["interactive", "background"];
        assert_eq!(did_you_mean("backgroud", classes), ["background"]);
        assert_eq!(did_you_mean("interactiv", classes), ["interactive"]);
    }

    #[test]
    fn a_swap_is_one_edit() {
        assert_eq!(did_you_mean("p909", ["p99", "p90", "p999"]).len(), 3);
        assert_eq!(did_you_mean("ptim", ["tpim", "zzzz"]), ["tpim"]);
    }

    #[test]
    fn far_names_are_not_suggested() {
        assert!(did_you_mean("cost", ["latency_ms", "rate_limited"]).is_empty());
        assert_eq!(hint("cost", ["latency_ms"]), "");
    }

    #[test]
    fn case_only_differences_are_suggested_first() {
        assert_eq!(
            did_you_mean("Timestamp", ["input_tokens", "timestamp"]),
            ["timestamp"]
        );
    }

    #[test]
    fn the_exact_name_is_not_a_suggestion() {
        assert!(did_you_mean("p99", ["p99"]).is_empty());
    }

    #[test]
    fn hints_read_as_a_sentence() {
        assert_eq!(
            hint("p9", ["p90", "p99", "max"]),
            "; did you mean `p90` or `p99`?"
        );
        assert_eq!(or_list(&["a".into(), "b".into(), "c".into()]), "a, b or c");
    }
}
