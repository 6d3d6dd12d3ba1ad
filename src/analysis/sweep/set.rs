//! Setting a swept value in a scenario held as JSON: list entries by name
//! or index, a field written nowhere found below, preset layers by name.

use serde_json::Value;

/// A swept path that does not lead to a value of the scenario. Every
/// message starts with the path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetParamError {
    /// `streams.FIELD` or `strategies` alone: entries are addressed by name.
    #[error("{path}: name a {list} entry, e.g. {list}.NAME.FIELD")]
    NoEntryName {
        /// The swept path.
        path: String,
        /// `streams` or `strategies`.
        list: &'static str,
    },
    /// The scenario has no such list to address an entry of.
    #[error("{path}: the scenario has no `{list}` list")]
    NoList {
        /// The swept path.
        path: String,
        /// `streams` or `strategies`.
        list: &'static str,
    },
    /// No entry of the list has that name.
    #[error("{path}: no {list} entry named `{name}`")]
    NoSuchEntry {
        /// The swept path.
        path: String,
        /// `streams` or `strategies`.
        list: &'static str,
        /// The name looked for.
        name: String,
    },
    /// An entry named, but no field of it (`streams.chat`).
    #[error("{path}: name a field of `{name}`")]
    NoField {
        /// The swept path.
        path: String,
        /// The entry.
        name: String,
    },
    /// A field neither set in the entry (nor uniquely below it) nor one of
    /// the layer fields a bare preset leaves out: where to create it is
    /// ambiguous.
    #[error("{path}: `{field}` is not set in `{name}`; write the full path to it")]
    NotSet {
        /// The swept path.
        path: String,
        /// The field, dotted.
        field: String,
        /// The entry.
        name: String,
    },
    /// A list on the way with no entry of that name or index.
    #[error("{path}: `{at}` has no entry `{key}` (give its name or 0-based index)")]
    NoListEntry {
        /// The swept path.
        path: String,
        /// The list, dotted.
        at: String,
        /// The key looked for.
        key: String,
    },
    /// A scalar on the way, where a mapping would have to be.
    #[error("{path}: `{at}` is not a mapping")]
    NotAMapping {
        /// The swept path.
        path: String,
        /// The scalar, dotted.
        at: String,
    },
}

/// Layer fields a strategy written as a bare preset name does not spell
/// out, and where they live.
const STRATEGY_FIELDS: &[(&str, &[&str])] = &[
    ("fraction", &["pacing", "token_bucket", "fraction"]),
    (
        "safety_tokens",
        &["pacing", "header_driven", "safety_tokens"],
    ),
    ("k", &["pacing", "adaptive_throttle", "k"]),
    ("base", &["retry", "backoff", "base"]),
    ("cap", &["retry", "backoff", "cap"]),
    ("max_retries", &["retry", "backoff", "max_retries"]),
    ("jitter", &["retry", "backoff", "jitter"]),
    ("concurrency", &["concurrency", "fixed"]),
    ("fixed", &["concurrency", "fixed"]),
    ("background_reserve", &["background_reserve"]),
    ("replicas", &["clients", "replicas"]),
    ("balance", &["clients", "balance"]),
    ("per_fleet", &["clients", "per_fleet"]),
];

/// Sets `path` to `value` in a scenario held as a JSON value. Named lists
/// (`streams`, `strategies`) are addressed by name; a missing last key is
/// looked for anywhere below (`streams.chat.rate_per_min` finds
/// `arrivals.poisson.rate_per_min`).
pub fn set_param(doc: &mut Value, path: &str, value: Value) -> Result<(), SetParamError> {
    let parts: Vec<&str> = path.split('.').collect();
    let (list, rest) = match parts[0] {
        "strategy" | "strategies" => ("strategies", &parts[1..]),
        "stream" | "streams" => ("streams", &parts[1..]),
        _ => return set_path(doc, &parts, value, path),
    };
    let Some((name, field)) = rest.split_first() else {
        return Err(SetParamError::NoEntryName {
            path: path.into(),
            list,
        });
    };
    let entries = doc
        .get_mut(list)
        .and_then(Value::as_array_mut)
        .ok_or_else(|| SetParamError::NoList {
            path: path.into(),
            list,
        })?;
    let entry = entries
        .iter_mut()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(name) || e.as_str() == Some(name))
        .ok_or_else(|| SetParamError::NoSuchEntry {
            path: path.into(),
            list,
            name: name.to_string(),
        })?;
    if let Some(preset) = entry.as_str().map(str::to_string) {
        *entry = serde_json::json!({"name": preset, "preset": preset});
    }
    if field.is_empty() {
        return Err(SetParamError::NoField {
            path: path.into(),
            name: name.to_string(),
        });
    }
    if set_existing(entry, field, value.clone()) {
        return Ok(());
    }
    if list == "strategies"
        && field.len() == 1
        && let Some((_, at)) = STRATEGY_FIELDS.iter().find(|(f, _)| *f == field[0])
    {
        return set_path(entry, at, value, path);
    }
    Err(SetParamError::NotSet {
        path: path.into(),
        field: field.join("."),
        name: name.to_string(),
    })
}

/// Sets an existing path, or a unique key of that name below it.
fn set_existing(node: &mut Value, field: &[&str], value: Value) -> bool {
    let Some((&first, rest)) = field.split_first() else {
        *node = value;
        return true;
    };
    if let Some(child) = child_mut(node, first) {
        return set_existing(child, rest, value);
    }
    if rest.is_empty() {
        let mut hits = Vec::new();
        find_keys(node, first, &mut Vec::new(), &mut hits);
        if let [only] = hits.as_slice()
            && let Some(slot) = only
                .iter()
                .try_fold(node, |n, k| n.get_mut(k.as_str()))
                .and_then(|n| n.get_mut(first))
        {
            *slot = value;
            return true;
        }
    }
    false
}

fn find_keys(node: &Value, key: &str, at: &mut Vec<String>, hits: &mut Vec<Vec<String>>) {
    if let Value::Object(m) = node {
        if m.contains_key(key) {
            hits.push(at.clone());
        }
        for (k, v) in m {
            at.push(k.clone());
            find_keys(v, key, at, hits);
            at.pop();
        }
    }
}

/// The child of a mapping by key, or of a list by entry name or 0-based
/// index (`workspaces.search`, `overload.windows.0`).
fn child_mut<'a>(node: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    crate::path::child_mut(node, key)
}

/// Sets `path` below `node`; `swept` is the whole swept path, for errors.
fn set_path(
    node: &mut Value,
    path: &[&str],
    value: Value,
    swept: &str,
) -> Result<(), SetParamError> {
    let mut n = node;
    for (i, k) in path.iter().enumerate() {
        if n.is_array() {
            let at = path[..i].join(".");
            let Some(child) = child_mut(n, k) else {
                return Err(SetParamError::NoListEntry {
                    path: swept.into(),
                    at,
                    key: k.to_string(),
                });
            };
            if i + 1 == path.len() {
                *child = value;
                return Ok(());
            }
            n = child;
            continue;
        }
        let Some(m) = n.as_object_mut() else {
            return Err(SetParamError::NotAMapping {
                path: swept.into(),
                at: path[..i].join("."),
            });
        };
        if i + 1 == path.len() {
            m.insert(k.to_string(), value);
            return Ok(());
        }
        n = m
            .entry(k.to_string())
            .or_insert_with(|| Value::Object(Default::default()));
    }
    Ok(())
}
