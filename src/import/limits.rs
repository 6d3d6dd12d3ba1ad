//! Format D: the organisation's (or a workspace's) real limits, from saved
//! pages of the Rate Limits API (`GET /v1/organizations/rate_limits`), as
//! the scenario's `pools:`.
//!
//! Each entry names a group (`group.type` or the deprecated `group_type`:
//! `model_group`, `batch`, …), the `models` that share it, and `limits` of
//! a `type` and `value`. Limit types map to ratesim's dimensions; a type
//! ratesim does not model is listed, never dropped silently.

use std::collections::BTreeMap;
use std::io::Read;

use serde_json::Value;

use super::{ImportError, json};
use crate::model::catalog::find_model;

/// One pool's limits as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolLimitsIn {
    /// Requests per minute.
    pub rpm: Option<u64>,
    /// Input tokens per minute.
    pub itpm: Option<u64>,
    /// Whether that ITPM limit counts cache reads (`input_tokens_per_minute`)
    /// or not (`input_tokens_per_minute_cache_aware`).
    pub itpm_counts_reads: Option<bool>,
    /// Output tokens per minute.
    pub otpm: Option<u64>,
    /// Input + output tokens per minute.
    pub tpm: Option<u64>,
    /// The group's display name (or id).
    pub group: String,
    /// The models the group lists.
    pub models: Vec<String>,
}

/// Everything read from the limit pages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrgLimits {
    /// Per ratesim pool name.
    pub pools: BTreeMap<String, PoolLimitsIn>,
    /// The Batch API's requests per minute, if given.
    pub batch_rpm: Option<u64>,
    /// Limits ratesim does not model, and groups it cannot place.
    pub unmodelled: Vec<String>,
    /// Whether any value carried a `source` (the workspace view).
    pub workspace_view: bool,
    /// Entries read.
    pub entries: u64,
}

impl OrgLimits {
    /// Reads one page into `self`; a group seen on an earlier page is an
    /// error (pages that overlap).
    pub fn read_page(&mut self, file: &str, r: impl Read) -> Result<(), ImportError> {
        let doc = json::parse(file, r)?;
        if !doc.is_object() {
            return Err(ImportError::at(
                file,
                "$",
                format!(
                    "expected a Rate Limits API page {{\"data\": [...], \"next_page\": ...}}, found {}",
                    json::kind(&doc)
                ),
            ));
        }
        let data = json::array(file, "$", &doc, "data")?;
        for (i, e) in data.iter().enumerate() {
            self.entry(file, &format!("data[{i}]"), e)?;
        }
        Ok(())
    }

    fn entry(&mut self, file: &str, path: &str, e: &Value) -> Result<(), ImportError> {
        self.entries += 1;
        if e.get("starting_at").is_some() {
            return Err(ImportError::at(
                file,
                path,
                "this is a usage-report page, not a Rate Limits API page: pass it as an input, not with --limits",
            ));
        }
        let group = e.get("group");
        let gtype = json::string(
            file,
            &format!("{path}.group.type"),
            group.and_then(|g| g.get("type")),
        )?
        .or(json::string(
            file,
            &format!("{path}.group_type"),
            e.get("group_type"),
        )?)
        .ok_or_else(|| {
            ImportError::at(
                file,
                path,
                "missing `group.type` (or `group_type`): expected model_group, batch, …",
            )
        })?;
        let gname = group
            .and_then(|g| g.get("display_name").or(g.get("id")))
            .and_then(Value::as_str)
            .or(e.get("id").and_then(Value::as_str))
            .unwrap_or("?")
            .to_string();
        let limits = json::array(file, path, e, "limits")?;
        let mut parsed: Vec<(String, u64, String)> = Vec::new();
        for (j, l) in limits.iter().enumerate() {
            let lp = format!("{path}.limits[{j}]");
            let ty = json::string(file, &format!("{lp}.type"), l.get("type"))?
                .ok_or_else(|| ImportError::at(file, &lp, "missing field `type`"))?;
            let v =
                json::count(file, &format!("{lp}.value"), l.get("value"))?.ok_or_else(|| {
                    ImportError::at(file, &lp, "missing field `value` (a whole number)")
                })?;
            if l.get("source").is_some() {
                self.workspace_view = true;
            }
            parsed.push((ty.to_string(), v, lp));
        }
        match gtype {
            "model_group" => self.model_group(file, path, e, gname, parsed),
            "batch" => {
                for (ty, v, _) in parsed {
                    if ty == "requests_per_minute" {
                        self.batch_rpm = Some(v);
                    } else {
                        self.unmodelled.push(format!(
                            "group `{gname}` (batch): limit `{ty}` = {v} is not modelled"
                        ));
                    }
                }
                Ok(())
            }
            other => {
                let list: Vec<String> = parsed
                    .iter()
                    .map(|(t, v, _)| format!("{t} = {v}"))
                    .collect();
                self.unmodelled.push(format!(
                    "group `{gname}` ({other}): {} — ratesim models per-model pools and the Batch API only",
                    list.join(", ")
                ));
                Ok(())
            }
        }
    }

    fn model_group(
        &mut self,
        file: &str,
        path: &str,
        e: &Value,
        gname: String,
        parsed: Vec<(String, u64, String)>,
    ) -> Result<(), ImportError> {
        let models: Vec<String> = match e.get("models") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
            _ => Vec::new(),
        };
        let Some(pool) = models.iter().find_map(|m| find_model(m)).map(|m| m.pool) else {
            self.unmodelled.push(format!(
                "group `{gname}` (models {}): no model ratesim knows; its limits are not used",
                if models.is_empty() {
                    "none listed".to_string()
                } else {
                    models.join(", ")
                }
            ));
            return Ok(());
        };
        if self.pools.contains_key(pool) {
            return Err(ImportError::at(
                file,
                path,
                format!(
                    "limits for pool `{pool}` (group `{gname}`) were already read from another entry or page: \
                     pages that overlap (or one file given twice)"
                ),
            ));
        }
        let mut p = PoolLimitsIn {
            group: gname.clone(),
            models,
            ..PoolLimitsIn::default()
        };
        let mut plain_itpm = None;
        for (ty, v, _lp) in parsed {
            match ty.as_str() {
                "requests_per_minute" => p.rpm = Some(v),
                "input_tokens_per_minute_cache_aware" => {
                    p.itpm = Some(v);
                    p.itpm_counts_reads = Some(false);
                }
                "input_tokens_per_minute" => plain_itpm = Some(v),
                "output_tokens_per_minute" => p.otpm = Some(v),
                "tokens_per_minute" => p.tpm = Some(v),
                _ => self.unmodelled.push(format!(
                    "group `{gname}` (pool {pool}): limit `{ty}` = {v} is not modelled"
                )),
            }
        }
        match (plain_itpm, p.itpm) {
            (Some(v), None) => {
                p.itpm = Some(v);
                p.itpm_counts_reads = Some(true);
            }
            (Some(v), Some(_)) => self.unmodelled.push(format!(
                "group `{gname}` (pool {pool}): `input_tokens_per_minute` = {v} not used: \
                 `input_tokens_per_minute_cache_aware` is given too and is the one ratesim models"
            )),
            _ => {}
        }
        self.pools.insert(pool.to_string(), p);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(entries: &str) -> String {
        format!("{{\"data\": [{entries}], \"next_page\": null}}")
    }

    const SONNET: &str = r#"{"group": {"type": "model_group", "display_name": "Sonnet"},
        "models": ["claude-sonnet-4-5", "claude-sonnet-4-6"],
        "limits": [{"type": "requests_per_minute", "value": 4000},
                   {"type": "input_tokens_per_minute", "value": 3000000},
                   {"type": "input_tokens_per_minute_cache_aware", "value": 2000000},
                   {"type": "output_tokens_per_minute", "value": 400000},
                   {"type": "tokens_per_day", "value": 9}]}"#;

    #[test]
    fn cache_aware_itpm_wins_and_the_rest_is_listed() {
        let mut l = OrgLimits::default();
        l.read_page("r.json", page(SONNET).as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        let p = &l.pools["sonnet-4"];
        assert_eq!(
            (p.rpm, p.itpm, p.otpm, p.tpm),
            (Some(4000), Some(2_000_000), Some(400_000), None)
        );
        assert_eq!(p.itpm_counts_reads, Some(false));
        assert_eq!(l.unmodelled.len(), 2, "{:?}", l.unmodelled);
        assert!(l.unmodelled.iter().any(|u| u.contains("tokens_per_day")));
        assert!(
            l.unmodelled
                .iter()
                .any(|u| u.contains("`input_tokens_per_minute` = 3000000"))
        );
    }

    #[test]
    fn plain_itpm_counts_cache_reads_and_a_group_twice_is_an_error() {
        let plain = r#"{"group_type": "model_group", "models": ["claude-opus-4-6"],
            "limits": [{"type": "input_tokens_per_minute", "value": 30000}]}"#;
        let mut l = OrgLimits::default();
        l.read_page("a.json", page(plain).as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(l.pools["opus-4"].itpm_counts_reads, Some(true));
        let e = l.read_page("b.json", page(plain).as_bytes()).err();
        let e = e.unwrap_or_else(|| panic!("overlap accepted"));
        assert_eq!((e.file.as_str(), e.at.as_str()), ("b.json", "data[0]"));
        assert!(e.message.contains("overlap"), "{e}");
    }

    #[test]
    fn a_negative_value_names_its_json_path() {
        let bad =
            r#"{"group_type": "batch", "limits": [{"type": "requests_per_minute", "value": -1}]}"#;
        let e = OrgLimits::default()
            .read_page("r.json", page(bad).as_bytes())
            .err();
        let e = e.unwrap_or_else(|| panic!("accepted"));
        assert_eq!(e.at, "data[0].limits[0].value");
    }
}
