//! Format A: saved pages of the Admin API usage report
//! (`GET /v1/organizations/usage_report/messages`), any bucket width,
//! grouped or not by model, workspace and service tier.
//!
//! The report has token volumes per bucket but no request counts, so each
//! bucket becomes `k` requests — `k` = the bucket's input tokens ÷ the
//! assumed mean input per request ([`Estimate`]), or the `requests` count
//! when a newer endpoint supplies one — spread evenly over the bucket, its
//! tokens shared among them to the token. Per-minute volumes stay as they
//! were; only the split into requests is assumed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use serde_json::Value;

use super::streams::{GroupKind, Key, Row, Streams};
use super::{ImportError, Tally, group, json, parse_time, rfc3339};
use crate::model::catalog::{ModelInfo, find_model};

/// How many requests the report's tokens are assumed to be.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Mean input tokens per request (uncached + cache read + cache write),
    /// for every model without its own figure.
    pub mean_input: f64,
    /// Per model id, from a sample of per-request data.
    pub per_model: BTreeMap<String, f64>,
    /// Where the figure came from, for the summary.
    pub source: String,
}

impl Estimate {
    fn mean_for(&self, model: &str) -> f64 {
        self.per_model
            .get(model)
            .copied()
            .unwrap_or(self.mean_input)
    }
}

/// Reads usage-report pages into [`Streams`] (rows kept: they are the trace).
#[derive(Debug)]
pub struct UsageReader {
    estimate: Estimate,
    /// Model for results not grouped by model.
    default_model: &'static ModelInfo,
    /// Bucket start → the file that had it (overlap check).
    buckets: BTreeMap<i128, String>,
    widths: BTreeSet<i128>,
    files: u64,
    results: u64,
    /// Requests taken from a `requests` field vs estimated.
    given_requests: u64,
    estimated_requests: u64,
    ungrouped_model: u64,
    dropped: Tally,
    models: BTreeSet<&'static str>,
    workspaces: BTreeSet<String>,
    tiers: BTreeSet<String>,
    web_search: u64,
}

impl UsageReader {
    /// A reader with the request-count assumption and the model for
    /// results the report does not group by model.
    pub fn new(estimate: Estimate, default_model: &'static ModelInfo) -> UsageReader {
        UsageReader {
            estimate,
            default_model,
            buckets: BTreeMap::new(),
            widths: BTreeSet::new(),
            files: 0,
            results: 0,
            given_requests: 0,
            estimated_requests: 0,
            ungrouped_model: 0,
            dropped: Tally::default(),
            models: BTreeSet::new(),
            workspaces: BTreeSet::new(),
            tiers: BTreeSet::new(),
            web_search: 0,
        }
    }

    /// Reads one saved page.
    pub fn read_page(
        &mut self,
        file: &str,
        r: impl Read,
        out: &mut Streams,
    ) -> Result<(), ImportError> {
        let doc = json::parse(file, r)?;
        if !doc.is_object() || doc.get("data").is_none() {
            return Err(ImportError::at(
                file,
                "$",
                "expected a usage-report page {\"data\": [{\"starting_at\", \"ending_at\", \"results\"}], \
                 \"has_more\", \"next_page\"} (GET /v1/organizations/usage_report/messages)",
            ));
        }
        self.files += 1;
        let data = json::array(file, "$", &doc, "data")?;
        let mut prev: Option<(i128, String)> = None;
        for (i, b) in data.iter().enumerate() {
            let path = format!("data[{i}]");
            if b.get("limits").is_some() && b.get("starting_at").is_none() {
                return Err(ImportError::at(
                    file,
                    path,
                    "this is a Rate Limits API page, not a usage report: pass it with --limits",
                ));
            }
            let start = self.time(file, &path, b, "starting_at")?;
            let end = self.time(file, &path, b, "ending_at")?;
            if end <= start {
                return Err(ImportError::at(
                    file,
                    format!("{path}.ending_at"),
                    format!(
                        "ending_at {} is not after starting_at {}",
                        rfc3339(end),
                        rfc3339(start)
                    ),
                ));
            }
            if let Some((p, ppath)) = &prev
                && start <= *p
            {
                return Err(ImportError::at(
                    file,
                    format!("{path}.starting_at"),
                    format!(
                        "buckets out of order: {} is not after {} ({ppath})",
                        rfc3339(start),
                        rfc3339(*p)
                    ),
                ));
            }
            if let Some(other) = self.buckets.get(&start) {
                return Err(ImportError::at(
                    file,
                    format!("{path}.starting_at"),
                    format!(
                        "the bucket starting {} is also in {other}: pages that overlap (each page once, please)",
                        rfc3339(start)
                    ),
                ));
            }
            self.buckets.insert(start, file.to_string());
            self.widths.insert(end - start);
            prev = Some((start, path.clone()));
            let results = json::array(file, &path, b, "results")?;
            for (j, r) in results.iter().enumerate() {
                self.result(file, &format!("{path}.results[{j}]"), r, start, end, out)?;
            }
        }
        Ok(())
    }

    fn time(&self, file: &str, path: &str, b: &Value, key: &str) -> Result<i128, ImportError> {
        let p = format!("{path}.{key}");
        let s = json::string(file, &p, Some(json::need(file, path, b, key)?))?
            .ok_or_else(|| ImportError::at(file, &p, "expected an RFC 3339 time, found null"))?;
        parse_time(s).map_err(|m| ImportError::at(file, &p, m))
    }

    fn result(
        &mut self,
        file: &str,
        path: &str,
        r: &Value,
        start: i128,
        end: i128,
        out: &mut Streams,
    ) -> Result<(), ImportError> {
        if !r.is_object() {
            return Err(ImportError::at(
                file,
                path,
                format!("expected a result object, found {}", json::kind(r)),
            ));
        }
        self.results += 1;
        let c = |key: &str| json::count(file, &format!("{path}.{key}"), r.get(key));
        let uncached = c("uncached_input_tokens")?.ok_or_else(|| {
            ImportError::at(
                file,
                path,
                "missing field `uncached_input_tokens` (a usage-report result)",
            )
        })?;
        let output = c("output_tokens")?
            .ok_or_else(|| ImportError::at(file, path, "missing field `output_tokens`"))?;
        let read = c("cache_read_input_tokens")?.unwrap_or(0);
        let write = match r.get("cache_creation") {
            None | Some(Value::Null) => 0,
            Some(cc @ Value::Object(_)) => {
                let p = format!("{path}.cache_creation");
                json::count(
                    file,
                    &format!("{p}.ephemeral_5m_input_tokens"),
                    cc.get("ephemeral_5m_input_tokens"),
                )?
                .unwrap_or(0)
                    + json::count(
                        file,
                        &format!("{p}.ephemeral_1h_input_tokens"),
                        cc.get("ephemeral_1h_input_tokens"),
                    )?
                    .unwrap_or(0)
            }
            Some(v) => {
                return Err(ImportError::at(
                    file,
                    format!("{path}.cache_creation"),
                    format!(
                        "expected an object with ephemeral_5m_input_tokens and ephemeral_1h_input_tokens, found {}",
                        json::kind(v)
                    ),
                ));
            }
        };
        if let Some(ws) = r
            .get("server_tool_use")
            .and_then(|s| s.get("web_search_requests"))
        {
            self.web_search += json::count(
                file,
                &format!("{path}.server_tool_use.web_search_requests"),
                Some(ws),
            )?
            .unwrap_or(0);
        }
        let model = match json::string(file, &format!("{path}.model"), r.get("model"))? {
            Some(m) => match find_model(m) {
                Some(info) => info,
                None => {
                    self.dropped
                        .add(format!("model `{m}` is not in ratesim's catalogue"));
                    return Ok(());
                }
            },
            None => {
                self.ungrouped_model += 1;
                self.default_model
            }
        };
        let tier = json::string(file, &format!("{path}.service_tier"), r.get("service_tier"))?;
        if let Some(t) = tier {
            self.tiers.insert(t.to_string());
        }
        let batch = tier == Some("batch");
        let ws = json::string(file, &format!("{path}.workspace_id"), r.get("workspace_id"))?;
        if let Some(w) = ws {
            self.workspaces.insert(w.to_string());
        }
        let input = uncached + read + write;
        if input + output == 0 {
            return Ok(());
        }
        let k = match c("requests")? {
            Some(n) if n > 0 => {
                self.given_requests += n;
                n
            }
            _ => {
                let k = ((input as f64 / self.estimate.mean_for(model.id)).round() as u64).max(1);
                self.estimated_requests += k;
                k
            }
        };
        self.models.insert(model.id);
        let key = Key {
            model: model.id,
            group: ws.map(|w| (GroupKind::Workspace, w.to_string())),
            batch,
        };
        let width = end - start;
        let share = |total: u64, i: u64| total / k + u64::from(i < total % k);
        for i in 0..k {
            let t = start + width * (2 * i as i128 + 1) / (2 * k as i128);
            out.add(
                key.clone(),
                model,
                Row {
                    t,
                    uncached: share(uncached, i),
                    read: share(read, i),
                    write: share(write, i),
                    output: share(output, i),
                    max_tokens: None,
                },
            );
        }
        Ok(())
    }

    /// What was read, dropped and assumed.
    pub fn summarise(&self, s: &mut super::Summary) {
        let widths: Vec<String> = self.widths.iter().map(|w| width(*w)).collect();
        s.read.push(format!(
            "{} usage-report page{}: {} buckets ({} wide), {} results",
            self.files,
            if self.files == 1 { "" } else { "s" },
            group(self.buckets.len() as u64),
            widths.join(", "),
            group(self.results)
        ));
        if let (Some(first), Some(last)) =
            (self.buckets.keys().next(), self.buckets.keys().next_back())
        {
            s.read.push(format!(
                "buckets from {} to {}",
                rfc3339(*first),
                rfc3339(*last)
            ));
        }
        s.read.push(format!(
            "models: {}",
            self.models.iter().copied().collect::<Vec<_>>().join(", ")
        ));
        if !self.workspaces.is_empty() {
            s.read.push(format!(
                "workspaces: {}",
                self.workspaces
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !self.tiers.is_empty() {
            s.read.push(format!(
                "service tiers: {} (batch rows become Batch API streams)",
                self.tiers.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        if self.web_search > 0 {
            s.dropped.push(format!(
                "{} web-search requests (server tool use is not rate-limited as messages)",
                group(self.web_search)
            ));
        }
        s.dropped.extend(self.dropped.lines("result"));
        if self.estimated_requests > 0 {
            s.assumptions.push(format!(
                "request counts: the report has none; {} requests estimated as each bucket's input \
                 tokens ÷ {} ({}), spread evenly over the bucket with its tokens shared among them. \
                 RPM scales with this estimate: half the mean input doubles the requests; \
                 `plan` shows its answer across ×0.5–×2 the requests (trace_options.requests_range)",
                group(self.estimated_requests),
                self.estimate_text(),
                self.estimate.source
            ));
        }
        if self.given_requests > 0 {
            s.read.push(format!(
                "{} requests counted from the report's `requests` field",
                group(self.given_requests)
            ));
        }
        if self.ungrouped_model > 0 {
            s.assumptions.push(format!(
                "{} results not grouped by model were sent to `{}` (--model)",
                group(self.ungrouped_model),
                self.default_model.id
            ));
        }
        if self.widths.iter().any(|w| *w > 60_000_000_000) {
            s.assumptions.push(
                "buckets wider than a minute: their requests are spread evenly over the bucket, \
                 so peaks inside a bucket are not seen (export 1m buckets for rate-limit work)"
                    .into(),
            );
        }
    }

    fn estimate_text(&self) -> String {
        let mut parts = vec![format!(
            "{:.0} input tokens a request",
            self.estimate.mean_input
        )];
        for (m, v) in &self.estimate.per_model {
            parts.push(format!("{m}: {v:.0}"));
        }
        parts.join("; ")
    }

    /// The request-count assumption (mean input tokens a request).
    pub fn estimate(&self) -> &Estimate {
        &self.estimate
    }

    /// Whether any requests were estimated (rather than counted).
    pub fn estimated(&self) -> bool {
        self.estimated_requests > 0
    }
}

/// A bucket width as the API names it (`1m`, `1h`, `1d`), or in seconds.
fn width(ns: i128) -> String {
    match ns {
        60_000_000_000 => "1m".into(),
        3_600_000_000_000 => "1h".into(),
        86_400_000_000_000 => "1d".into(),
        _ => format!("{}s", ns / 1_000_000_000),
    }
}
