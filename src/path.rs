//! One dotted-path rule for every place a user names a value in a JSON
//! document: `--assert`, sweep `--metric`, compare `--fail-on` and sweep
//! `--param`.
//!
//! - A path is segments separated by `.`; the empty path names the value
//!   itself.
//! - An object is entered by key. A key that itself contains `.` (such as
//!   `ci95`'s `latency_ms.p99`) is found by joining as many segments as it
//!   takes, after the single segment was tried.
//! - A list is entered by an entry's name or by its 0-based index. An
//!   entry's name is its `name`, `model`, `class` or `pool` string field
//!   (the first present, in that order), or the entry itself when it is a
//!   string. A name is tried first, so an entry named `2` is found by its
//!   name.
//!
//! [`leaves`] spells every number of a document the way [`get`] reads it
//! back, so anything `--metric` can name, `--assert` can name too:
//! `by_model.claude-haiku-4-5.cost_usd`.
//!
//! A miss is a [`PathError`] naming the segment, the keys (or entries)
//! available at that level, and close matches: keys spelt alike at that
//! level, otherwise full paths ending with what was typed (`p99` →
//! `latency_ms.p99`).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::text::suggest::{did_you_mean, or_list};

/// Most keys (or paths) listed in one message.
const LIST_LIMIT: usize = 40;

/// Deepest nesting [`leaves`] descends into.
const MAX_DEPTH: usize = 32;

/// Why a path names nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// An object has no key for the segment.
    #[error(
        "{} has no key `{segment}`{}{}",
        place(at),
        hint(suggestions),
        keys_note(at, keys)
    )]
    NoKey {
        /// Dotted path of the object, as typed (empty: the top level).
        at: String,
        /// The segment that matched no key.
        segment: String,
        /// The object's keys that hold numbers (or nulls), in order.
        keys: Vec<String>,
        /// Close full paths, closest first (at most three).
        suggestions: Vec<String>,
    },
    /// A list has no entry of that name, and the segment is no index in it.
    #[error("{} has no entry `{segment}`{}{}", place(at), hint(suggestions), entries_note(at, names, *len))]
    NoEntry {
        /// Dotted path of the list, as typed.
        at: String,
        /// The segment that matched no entry.
        segment: String,
        /// The entries' names, in order (unnamed entries are left out).
        names: Vec<String>,
        /// Number of entries.
        len: usize,
        /// Close full paths, closest first (at most three).
        suggestions: Vec<String>,
    },
    /// The path goes on below a value that is neither an object nor a list.
    #[error("{} is {found}, it has no key `{segment}`", place(at))]
    NotAGroup {
        /// Dotted path of the value, as typed.
        at: String,
        /// The segment that was asked for below it.
        segment: String,
        /// What the value is (`a number`, `text`, …; see [`kind`]).
        found: &'static str,
    },
}

impl PathError {
    /// The segment that could not be followed.
    pub fn segment(&self) -> &str {
        match self {
            PathError::NoKey { segment, .. }
            | PathError::NoEntry { segment, .. }
            | PathError::NotAGroup { segment, .. } => segment,
        }
    }

    /// Dotted path (as typed) of the level where the lookup stopped; empty
    /// for the top level.
    pub fn at(&self) -> &str {
        match self {
            PathError::NoKey { at, .. }
            | PathError::NoEntry { at, .. }
            | PathError::NotAGroup { at, .. } => at,
        }
    }

    /// Close full paths, closest first.
    pub fn suggestions(&self) -> &[String] {
        match self {
            PathError::NoKey { suggestions, .. } | PathError::NoEntry { suggestions, .. } => {
                suggestions
            }
            PathError::NotAGroup { .. } => &[],
        }
    }
}

fn place(at: &str) -> String {
    if at.is_empty() {
        "the top level".to_string()
    } else {
        format!("`{at}`")
    }
}

fn hint(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = suggestions.iter().map(|s| format!("`{s}`")).collect();
    format!("; did you mean {}?", or_list(&quoted))
}

fn keys_note(at: &str, keys: &[String]) -> String {
    let level = if at.is_empty() {
        "at the top level".to_string()
    } else {
        format!("under `{at}`")
    };
    if keys.is_empty() {
        format!(" (no numeric keys {level})")
    } else {
        format!(" (keys {level}: {})", list(keys))
    }
}

fn entries_note(at: &str, names: &[String], len: usize) -> String {
    match (len, names.is_empty()) {
        (0, _) => format!(" (`{at}` is empty)"),
        (_, true) => format!(" (`{at}` has {len} entries: give a 0-based index below {len})"),
        _ => format!(
            " (entries of `{at}`: {}; or a 0-based index below {len})",
            list(names)
        ),
    }
}

/// Up to `LIST_LIMIT` items, comma-separated, with a count of the rest.
pub fn list(items: &[String]) -> String {
    let mut out = items
        .iter()
        .take(LIST_LIMIT)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > LIST_LIMIT {
        out.push_str(&format!(", … ({} more)", items.len() - LIST_LIMIT));
    }
    out
}

/// What a value is, for messages: `null`, `a boolean`, `a number`, `text`,
/// `a list` or `a group of metrics`.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a group of metrics",
    }
}

/// A list entry's name: its `name`, `model`, `class` or `pool` string field
/// (the first present), or the entry itself when it is a string.
pub fn entry_name(entry: &Value) -> Option<&str> {
    match entry {
        Value::String(s) => Some(s),
        Value::Object(m) => ["name", "model", "class", "pool"]
            .iter()
            .find_map(|k| m.get(*k))
            .and_then(Value::as_str),
        _ => None,
    }
}

/// The position of the entry of `items` that `segment` names: the first
/// entry of that name, otherwise the entry at that 0-based index.
pub fn entry_index(items: &[Value], segment: &str) -> Option<usize> {
    items
        .iter()
        .position(|e| entry_name(e) == Some(segment))
        .or_else(|| {
            segment
                .parse::<usize>()
                .ok()
                .filter(|&i| i < items.len() && is_plain_index(segment))
        })
}

/// `0`, `12`; not `+1` or `01`, which `usize::from_str` also accepts.
fn is_plain_index(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
}

/// One step down: an object's value at `segment`, or a list's entry named
/// (or indexed) by it.
pub fn child<'a>(node: &'a Value, segment: &str) -> Option<&'a Value> {
    match node {
        Value::Object(m) => m.get(segment),
        Value::Array(items) => entry_index(items, segment).and_then(|i| items.get(i)),
        _ => None,
    }
}

/// [`child`], mutably.
pub fn child_mut<'a>(node: &'a mut Value, segment: &str) -> Option<&'a mut Value> {
    match node {
        Value::Object(m) => m.get_mut(segment),
        Value::Array(items) => entry_index(items, segment).and_then(|i| items.get_mut(i)),
        _ => None,
    }
}

/// The segments of `path` (none for the empty path).
fn segments(path: &str) -> Vec<&str> {
    if path.is_empty() {
        Vec::new()
    } else {
        path.split('.').collect()
    }
}

/// One resolved step: the key (possibly several segments joined) and how
/// many segments it took.
struct Step {
    key: String,
    taken: usize,
}

/// The step from `node` for `segs` (non-empty): the single segment, or the
/// shortest run of segments joined by `.` that `node` has.
fn step(node: &Value, segs: &[&str]) -> Option<Step> {
    // No key is longer than the longest at this level: stop joining there,
    // so a long path that misses costs no more than one that hits.
    let longest = match node {
        Value::Object(m) => m.keys().map(String::len).max(),
        Value::Array(items) => items
            .iter()
            .filter_map(entry_name)
            .map(str::len)
            .chain([items.len().to_string().len()])
            .max(),
        _ => None,
    }?;
    let mut key = String::new();
    for (n, seg) in segs.iter().enumerate() {
        if n > 0 {
            key.push('.');
        }
        key.push_str(seg);
        if key.len() > longest {
            return None;
        }
        if child(node, &key).is_some() {
            return Some(Step { key, taken: n + 1 });
        }
    }
    None
}

/// Where a path stopped: the level it reached and the index of the segment
/// that names nothing there.
struct Stop<'a> {
    node: &'a Value,
    at: usize,
}

/// Follows `path` from `root`, returning the keys taken and the value.
fn walk<'a>(root: &'a Value, segs: &[&str]) -> Result<(Vec<String>, &'a Value), Stop<'a>> {
    let mut node = root;
    let mut keys = Vec::new();
    let mut i = 0;
    while i < segs.len() {
        let stop = Stop { node, at: i };
        let Some(s) = step(node, &segs[i..]) else {
            return Err(stop);
        };
        // `step` only returns keys `child` finds.
        let Some(next) = child(node, &s.key) else {
            return Err(stop);
        };
        node = next;
        keys.push(s.key);
        i += s.taken;
    }
    Ok((keys, node))
}

/// [`walk`], with the error message for a miss.
fn route<'a>(root: &'a Value, path: &str) -> Result<(Vec<String>, &'a Value), PathError> {
    let segs = segments(path);
    walk(root, &segs).map_err(|stop| miss(root, stop.node, &segs, stop.at))
}

/// The value at `path` in `root` (see the [module docs](self)).
///
/// # Errors
///
/// A [`PathError`] at the first segment that names nothing.
pub fn get<'a>(root: &'a Value, path: &str) -> Result<&'a Value, PathError> {
    route(root, path).map(|(_, v)| v)
}

/// The value at `path` in `root`, mutably; the same rule as [`get`].
///
/// # Errors
///
/// A [`PathError`] at the first segment that names nothing.
pub fn get_mut<'a>(root: &'a mut Value, path: &str) -> Result<&'a mut Value, PathError> {
    let (keys, _) = route(root, path)?;
    let mut node = root;
    for k in &keys {
        node = match child_mut(node, k) {
            Some(n) => n,
            // `route` found every key on the same document.
            None => {
                return Err(PathError::NoKey {
                    at: String::new(),
                    segment: k.to_string(),
                    keys: Vec::new(),
                    suggestions: Vec::new(),
                });
            }
        };
    }
    Ok(node)
}

/// The error for `segs[i]` missing below `node` (reached from `root` by
/// `segs[..i]`).
fn miss(root: &Value, node: &Value, segs: &[&str], i: usize) -> PathError {
    let at = segs[..i].join(".");
    let segment = segs[i].to_string();
    let prefix: String = segs[..i].iter().map(|s| format!("{s}.")).collect();
    let rest: String = segs[i + 1..].iter().map(|s| format!(".{s}")).collect();
    let respell = |k: &str| format!("{prefix}{k}{rest}");
    match node {
        Value::Object(m) => {
            let keys: Vec<String> = m
                .iter()
                .filter(|(_, v)| holds_metrics(v, 0))
                .map(|(k, _)| k.clone())
                .collect();
            let mut suggestions: Vec<String> =
                did_you_mean(&segment, keys.iter().map(String::as_str))
                    .into_iter()
                    .map(respell)
                    .collect();
            if suggestions.is_empty() {
                suggestions = ending_with(root, &segs[i..].join("."));
            }
            PathError::NoKey {
                at,
                segment,
                keys,
                suggestions,
            }
        }
        Value::Array(items) => {
            let names: Vec<String> = items
                .iter()
                .filter_map(entry_name)
                .map(str::to_string)
                .collect();
            let mut suggestions: Vec<String> =
                did_you_mean(&segment, names.iter().map(String::as_str))
                    .into_iter()
                    .map(respell)
                    .collect();
            if suggestions.is_empty() {
                suggestions = ending_with(root, &segs[i..].join("."));
            }
            PathError::NoEntry {
                at,
                segment,
                names,
                len: items.len(),
                suggestions,
            }
        }
        other => PathError::NotAGroup {
            at,
            segment,
            found: kind(other),
        },
    }
}

/// Up to three leaf paths of `root` that are `wanted` or end with
/// `.wanted`, shortest first.
fn ending_with(root: &Value, wanted: &str) -> Vec<String> {
    let tail = format!(".{wanted}");
    let mut found: Vec<String> = leaves(root)
        .into_keys()
        .filter(|l| l == wanted || l.ends_with(&tail))
        .collect();
    found.sort_by_key(|l| (l.len(), l.clone()));
    found.truncate(3);
    found
}

/// Whether `v` is, or holds somewhere below, a number or a null (a metric
/// with no samples): the keys worth listing.
fn holds_metrics(v: &Value, depth: usize) -> bool {
    match v {
        Value::Number(_) | Value::Null => true,
        _ if depth > MAX_DEPTH => false,
        Value::Object(m) => m.values().any(|x| holds_metrics(x, depth + 1)),
        Value::Array(a) => a.iter().any(|x| holds_metrics(x, depth + 1)),
        Value::Bool(_) | Value::String(_) => false,
    }
}

/// Every number in `v` by its canonical path: keys for objects, names (or,
/// for unnamed entries, 0-based indices) for list entries, joined by `.`.
/// [`get`] reads each path back to that very number; the rare number no
/// path can reach (a list whose entries share a name, a key that shadows a
/// dotted key) is left out rather than misattributed.
pub fn leaves(v: &Value) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    collect(v, v, String::new(), 0, &mut out);
    out
}

fn collect(root: &Value, v: &Value, path: String, depth: usize, out: &mut BTreeMap<String, f64>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        Value::Number(n) => {
            if let Some(x) = n.as_f64()
                // Not `get`: a miss's suggestions list the leaves again.
                && walk(root, &segments(&path)).is_ok_and(|(_, found)| std::ptr::eq(found, v))
            {
                out.insert(path, x);
            }
        }
        _ if depth > MAX_DEPTH => {}
        Value::Object(m) => {
            for (k, x) in m {
                collect(root, x, join(k), depth + 1, out);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                let key = entry_name(x).map_or_else(|| i.to_string(), str::to_string);
                collect(root, x, join(&key), depth + 1, out);
            }
        }
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "cost_usd": 10.4,
            "latency_ms": {"p50": 900.0, "p90": 2000.0, "p99": 3120.5},
            "strategy": "token_bucket",
            "by_class": {
                "interactive": {"latency_ms": {"p99": 1400.0}},
                "batch": {"latency_ms": {"p99": null}}
            },
            "by_model": [
                {"model": "claude-sonnet-4-5", "cost_usd": 8.0},
                {"model": "claude-haiku-4-5", "cost_usd": 2.4}
            ],
            "windows": [{"rate": 0.1}, {"rate": 0.2}],
            "pools": [{"pool": "sonnet-4", "rpm": 50}],
            "classes": ["interactive", "background"],
            "ci95": {"latency_ms.p99": [3000.0, 3200.0]}
        })
    }

    #[test]
    fn objects_by_key_and_lists_by_name_or_index() {
        let d = doc();
        assert_eq!(get(&d, "latency_ms.p99").unwrap(), 3120.5);
        assert_eq!(get(&d, "by_model.claude-haiku-4-5.cost_usd").unwrap(), 2.4);
        assert_eq!(get(&d, "by_model.1.cost_usd").unwrap(), 2.4);
        assert_eq!(get(&d, "windows.1.rate").unwrap(), 0.2);
        assert_eq!(get(&d, "pools.sonnet-4.rpm").unwrap(), 50);
        assert_eq!(get(&d, "classes.background").unwrap(), "background");
        assert_eq!(get(&d, "classes.0").unwrap(), "interactive");
        assert_eq!(get(&d, "").unwrap(), &d);
        assert!(get(&d, "by_class.batch.latency_ms.p99").unwrap().is_null());
        // A key holding a '.' is found by joining segments.
        assert_eq!(get(&d, "ci95.latency_ms.p99.1").unwrap(), 3200.0);
        // `01` and `+1` are not indices.
        assert!(get(&d, "windows.01.rate").is_err());
        assert!(get(&d, "windows.+1.rate").is_err());
    }

    #[test]
    fn a_name_wins_over_an_index() {
        let d = json!({"l": [{"name": "1", "x": 1}, {"x": 2}]});
        assert_eq!(get(&d, "l.1.x").unwrap(), 1);
        // Entry 1 is unnamed, and its index is taken by a name: unreachable,
        // so not listed.
        assert_eq!(leaves(&d), BTreeMap::from([("l.1.x".to_string(), 1.0)]));
        let d = json!({"l": [{"name": "a", "x": 1}, {"name": "a", "x": 2}]});
        assert_eq!(get(&d, "l.a.x").unwrap(), 1);
        assert_eq!(leaves(&d).len(), 1);
    }

    #[test]
    fn a_key_shadowing_a_dotted_key_is_left_out_not_looped_on() {
        let d = json!({"a": {"x": 1}, "a.b": 2});
        assert_eq!(leaves(&d), BTreeMap::from([("a.x".to_string(), 1.0)]));
        let e = get(&d, "a.b").unwrap_err();
        assert_eq!(e.at(), "a");
        assert_eq!(e.suggestions(), ["a.x".to_string()]);
    }

    #[test]
    fn a_long_path_that_misses_is_cheap() {
        let p = vec!["x"; 200_000].join(".");
        let e = get(&doc(), &p).unwrap_err();
        assert_eq!((e.at(), e.segment()), ("", "x"));
    }

    #[test]
    fn name_fields_in_order() {
        let e = json!({"class": "c", "model": "m", "pool": "p"});
        assert_eq!(entry_name(&e), Some("m"));
        assert_eq!(entry_name(&json!({"name": "n", "model": "m"})), Some("n"));
        assert_eq!(entry_name(&json!({"pool": "p"})), Some("p"));
        assert_eq!(entry_name(&json!({"name": 3})), None);
        assert_eq!(entry_name(&json!(3)), None);
    }

    #[test]
    fn leaves_spell_what_get_reads() {
        let d = doc();
        let l = leaves(&d);
        assert_eq!(l["by_model.claude-haiku-4-5.cost_usd"], 2.4);
        assert_eq!(l["windows.0.rate"], 0.1);
        assert_eq!(l["pools.sonnet-4.rpm"], 50.0);
        assert_eq!(l["ci95.latency_ms.p99.0"], 3000.0);
        assert!(
            !l.contains_key("by_class.batch.latency_ms.p99"),
            "null is no number"
        );
        assert_eq!(l.len(), 12);
        for (p, x) in &l {
            assert_eq!(get(&d, p).unwrap().as_f64(), Some(*x), "{p}");
        }
        assert_eq!(leaves(&json!(7)), BTreeMap::from([(String::new(), 7.0)]));
    }

    #[test]
    fn get_mut_follows_the_same_rule() {
        let mut d = doc();
        *get_mut(&mut d, "by_model.claude-haiku-4-5.cost_usd").unwrap() = json!(3);
        assert_eq!(d["by_model"][1]["cost_usd"], 3);
        *get_mut(&mut d, "ci95.latency_ms.p99.0").unwrap() = json!(1);
        assert_eq!(d["ci95"]["latency_ms.p99"][0], 1);
        assert_eq!(
            get_mut(&mut d, "latency_ms.p98").unwrap_err(),
            get(&doc(), "latency_ms.p98").unwrap_err()
        );
    }

    #[test]
    fn a_missing_key_names_the_level_its_keys_and_close_ones() {
        let d = doc();
        let e = get(&d, "latency_ms.p98").unwrap_err();
        assert_eq!(e.segment(), "p98");
        assert_eq!(e.at(), "latency_ms");
        assert_eq!(
            e.to_string(),
            "`latency_ms` has no key `p98`; did you mean `latency_ms.p90` or \
             `latency_ms.p99`? (keys under `latency_ms`: p50, p90, p99)"
        );
        let e = get(&d, "by_class.interactiv.latency_ms.p99").unwrap_err();
        assert_eq!(
            e.suggestions(),
            ["by_class.interactive.latency_ms.p99".to_string()]
        );
        // Text is not a metric: not listed.
        let e = get(&d, "nothing_like_it").unwrap_err();
        assert!(e.suggestions().is_empty());
        assert!(e.to_string().starts_with("the top level has no key `nothing_like_it` (keys at the top level: by_class, by_model, ci95, cost_usd, latency_ms, pools, windows)"), "{e}");
    }

    #[test]
    fn a_tail_finds_full_paths() {
        let d = doc();
        let e = get(&d, "p99").unwrap_err();
        assert_eq!(
            e.suggestions(),
            [
                "latency_ms.p99".to_string(),
                "by_class.interactive.latency_ms.p99".to_string()
            ]
        );
        // Through lists, too.
        let e = get(&d, "rpm").unwrap_err();
        assert_eq!(e.suggestions(), ["pools.sonnet-4.rpm".to_string()]);
    }

    #[test]
    fn a_missing_entry_names_the_entries() {
        let d = doc();
        let e = get(&d, "by_model.claude-haiku-4.cost_usd").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`by_model` has no entry `claude-haiku-4`; did you mean \
             `by_model.claude-haiku-4-5.cost_usd`? (entries of `by_model`: \
             claude-sonnet-4-5, claude-haiku-4-5; or a 0-based index below 2)"
        );
        let e = get(&d, "windows.2.rate").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`windows` has no entry `2` (`windows` has 2 entries: give a 0-based index below 2)"
        );
        let e = get(&json!({"l": []}), "l.x").unwrap_err();
        assert!(e.to_string().ends_with("(`l` is empty)"), "{e}");
    }

    #[test]
    fn below_a_number_there_is_nothing() {
        let d = doc();
        let e = get(&d, "cost_usd.x").unwrap_err();
        assert_eq!(e.to_string(), "`cost_usd` is a number, it has no key `x`");
        let e = get(&json!(3), "a").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the top level is a number, it has no key `a`"
        );
    }

    #[test]
    fn deep_documents_do_not_overflow() {
        let mut v = json!(1);
        for _ in 0..10_000 {
            // Not `json!`, which serialises (recursively) what it wraps.
            v = Value::Object(serde_json::Map::from_iter([("a".to_string(), v)]));
        }
        assert!(leaves(&v).is_empty());
        let p = vec!["a"; 10_000].join(".");
        assert_eq!(get(&v, &p).unwrap(), 1);
        let e = get(&v, &(p + ".b")).unwrap_err();
        assert_eq!(e.segment(), "b");
        // serde_json's recursive drop would overflow on this; unwind it.
        while let Some(inner) = v.get_mut("a").map(Value::take) {
            v = inner;
        }
    }
}
