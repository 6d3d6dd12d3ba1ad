//! Format C: LiteLLM proxy spend logs (table `LiteLLM_SpendLogs`) exported
//! as CSV (read with the `csv` crate) or JSON (an array of rows, streamed,
//! or JSON Lines).
//!
//! Only `custom_llm_provider = anthropic` counts against Anthropic's limits
//! (Claude through Bedrock or Vertex does not). `prompt_tokens` includes
//! cache tokens in current LiteLLM versions: the same subtraction rule as
//! spans ([`super::uncached_input`]); the cache counts come from
//! `metadata.usage_object`. One stream per model and team.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{BufRead, Read};

use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde_json::Value;

use super::streams::{GroupKind, Key, Row, Streams};
use super::{ImportError, RuleCounts, Summary, Tally, group, json, parse_time};
use crate::model::catalog::find_model;

/// Reads spend-log files into [`Streams`].
#[derive(Debug, Default)]
pub struct SpendReader {
    files: Vec<String>,
    rows: u64,
    imported: u64,
    rules: RuleCounts,
    dropped: Tally,
    observed: Tally,
    models: BTreeSet<&'static str>,
    teams: BTreeSet<String>,
    naive_times: u64,
}

/// One row's cells, from either format; `at(field)` says where each is.
struct Cells<'a> {
    get: &'a dyn Fn(&str) -> Option<Value>,
    at: &'a dyn Fn(&str) -> String,
}

const REQUIRED: [&str; 4] = ["startTime", "model", "prompt_tokens", "completion_tokens"];

impl SpendReader {
    /// Reads a CSV export (a header row naming the columns).
    pub fn read_csv(
        &mut self,
        file: &str,
        r: impl Read,
        out: &mut Streams,
    ) -> Result<(), ImportError> {
        self.files.push(file.to_string());
        let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(r);
        let headers = rdr
            .headers()
            .map_err(|e| csv_err(file, &e))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect::<Vec<_>>();
        for req in REQUIRED {
            if !headers.iter().any(|h| h == req) {
                return Err(ImportError::at(
                    file,
                    "line 1",
                    format!(
                        "missing column `{req}`: expected a LiteLLM_SpendLogs export with {} (found: {})",
                        REQUIRED.join(", "),
                        headers.join(", ")
                    ),
                ));
            }
        }
        let mut rec = csv::StringRecord::new();
        loop {
            match rdr.read_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(csv_err(file, &e)),
            }
            let line = rec.position().map_or(0, |p| p.line());
            let get = |name: &str| -> Option<Value> {
                let i = headers.iter().position(|h| h == name)?;
                let s = rec.get(i)?.trim();
                if s.is_empty() {
                    None
                } else if name == "metadata" {
                    Some(serde_json::from_str(s).unwrap_or(Value::String(s.to_string())))
                } else {
                    Some(Value::String(s.to_string()))
                }
            };
            let at = |name: &str| format!("line {line}, column `{name}`");
            self.row(file, &Cells { get: &get, at: &at }, out)?;
        }
        Ok(())
    }

    /// Reads a JSON export: an array of row objects, or one object a line.
    pub fn read_json(
        &mut self,
        file: &str,
        mut r: impl BufRead,
        out: &mut Streams,
    ) -> Result<(), ImportError> {
        self.files.push(file.to_string());
        let first = loop {
            let buf = r
                .fill_buf()
                .map_err(|e| ImportError::file(file, format!("cannot read: {e}")))?;
            match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => {
                    let b = buf[i];
                    r.consume(i);
                    break Some(b);
                }
                None if buf.is_empty() => break None,
                None => {
                    let n = buf.len();
                    r.consume(n);
                }
            }
        };
        match first {
            None => Err(ImportError::file(
                file,
                "empty file: expected LiteLLM spend logs",
            )),
            Some(b'[') => {
                let mut de = serde_json::Deserializer::from_reader(r);
                let mut sink = |i: usize, v: Value| -> Result<(), String> {
                    self.json_row(file, &format!("[{i}]"), &v, out)
                        .map_err(|e| format!("{}: {}", e.at, e.message))
                };
                let mut sink: Sink = &mut sink;
                Rows { sink: &mut sink }
                    .deserialize(&mut de)
                    .and_then(|()| de.end())
                    .map_err(|e| located(file, &e))
            }
            Some(_) => {
                let mut line = 0u64;
                for l in r.lines() {
                    line += 1;
                    let l = l.map_err(|e| ImportError::file(file, format!("cannot read: {e}")))?;
                    if l.trim().is_empty() {
                        continue;
                    }
                    let v: Value = serde_json::from_str(&l).map_err(|e| {
                        ImportError::at(
                            file,
                            format!("line {line}, column {}", e.column()),
                            format!(
                                "malformed JSON: {e}; expected spend logs as a JSON array of rows or \
                                 one row object a line"
                            ),
                        )
                    })?;
                    if v.get("resourceSpans").is_some() || v.get("data").is_some() {
                        return Err(ImportError::at(
                            file,
                            format!("line {line}"),
                            "expected LiteLLM spend-log rows, found an OTLP export or an API page \
                             (use `ratesim import otel` or `usage-report`, or --limits)",
                        ));
                    }
                    self.json_row(file, &format!("line {line}"), &v, out)?;
                }
                Ok(())
            }
        }
    }

    fn json_row(
        &mut self,
        file: &str,
        path: &str,
        v: &Value,
        out: &mut Streams,
    ) -> Result<(), ImportError> {
        if !v.is_object() {
            return Err(ImportError::at(
                file,
                path,
                format!("expected a spend-log row object, found {}", json::kind(v)),
            ));
        }
        let get = |name: &str| -> Option<Value> {
            match v.get(name)? {
                Value::Null => None,
                Value::String(s) if name == "metadata" => {
                    Some(serde_json::from_str(s).unwrap_or(Value::String(s.clone())))
                }
                x => Some(x.clone()),
            }
        };
        let at = |name: &str| format!("{path}.{name}");
        self.row(file, &Cells { get: &get, at: &at }, out)
    }

    fn row(&mut self, file: &str, c: &Cells, out: &mut Streams) -> Result<(), ImportError> {
        self.rows += 1;
        let text = |name: &str| -> Option<String> {
            (c.get)(name).map(|v| match v {
                Value::String(s) => s,
                other => other.to_string(),
            })
        };
        let count = |name: &str| json::count(file, &(c.at)(name), (c.get)(name).as_ref());
        let provider = text("custom_llm_provider").map(|p| p.to_ascii_lowercase());
        match provider.as_deref() {
            Some("anthropic") => {}
            Some(p) => {
                self.dropped.add(format!("provider `{p}` (Claude through other clouds does not count against Anthropic's limits)"));
                return Ok(());
            }
            None => {
                self.dropped.add("no custom_llm_provider");
                return Ok(());
            }
        }
        let meta = (c.get)("metadata");
        let status = text("status").map(|s| s.to_ascii_lowercase());
        if status.as_deref().is_some_and(|s| s != "success") {
            let code = meta
                .as_ref()
                .and_then(|m| m.get("error_information"))
                .and_then(|e| e.get("error_code"))
                .map(|v| v.to_string().trim_matches('"').to_string())
                .unwrap_or_default();
            match code.as_str() {
                "429" => self.observed.add("429 (rate limited)"),
                "529" => self.observed.add("529 (overloaded)"),
                _ => self.dropped.add(format!(
                    "status `{}`{}",
                    status.unwrap_or_default(),
                    if code.is_empty() {
                        String::new()
                    } else {
                        format!(" (error_code {code})")
                    }
                )),
            }
            return Ok(());
        }
        for req in REQUIRED {
            if (c.get)(req).is_none() {
                return Err(ImportError::at(
                    file,
                    (c.at)(req),
                    format!("missing `{req}`"),
                ));
            }
        }
        let model_name = text("model").unwrap_or_default();
        let bare = model_name.strip_prefix("anthropic/").unwrap_or(&model_name);
        let Some(model) = find_model(bare) else {
            self.dropped.add(format!(
                "model `{model_name}` is not in ratesim's catalogue"
            ));
            return Ok(());
        };
        let start_s = text("startTime").unwrap_or_default();
        let t = match parse_time(&start_s) {
            Ok(t) => t,
            Err(e) => {
                // LiteLLM's database exports write times without an offset.
                let civil = start_s.trim().replacen(' ', "T", 1);
                match civil
                    .parse::<jiff::civil::DateTime>()
                    .ok()
                    .and_then(|d| jiff::tz::TimeZone::UTC.to_timestamp(d).ok())
                {
                    Some(ts) => {
                        self.naive_times += 1;
                        ts.as_nanosecond()
                    }
                    None => return Err(ImportError::at(file, (c.at)("startTime"), e)),
                }
            }
        };
        let prompt = count("prompt_tokens")?.unwrap_or(0);
        let output = count("completion_tokens")?.unwrap_or(0);
        let usage = meta.as_ref().and_then(|m| m.get("usage_object"));
        let mpath = (c.at)("metadata");
        let read = json::count(
            file,
            &format!("{mpath}.usage_object.cache_read_input_tokens"),
            usage.and_then(|u| u.get("cache_read_input_tokens")),
        )?
        .unwrap_or(0);
        let write = json::count(
            file,
            &format!("{mpath}.usage_object.cache_creation_input_tokens"),
            usage.and_then(|u| u.get("cache_creation_input_tokens")),
        )?
        .unwrap_or(0);
        let (uncached, rule) = super::uncached_input(prompt, read, write);
        self.rules.add(rule);
        let team = text("team_id").filter(|t| !t.is_empty());
        if let Some(t) = &team {
            self.teams.insert(t.clone());
        }
        self.imported += 1;
        self.models.insert(model.id);
        out.add(
            Key {
                model: model.id,
                group: team.map(|t| (GroupKind::Team, t)),
                batch: false,
            },
            model,
            Row {
                t,
                uncached,
                read,
                write,
                output,
                max_tokens: None,
            },
        );
        Ok(())
    }

    /// What was read, dropped, observed and assumed.
    pub fn summarise(&self, s: &mut Summary) {
        s.read.push(format!(
            "{} spend-log file{} ({}): {} rows, {} Anthropic requests imported",
            self.files.len(),
            if self.files.len() == 1 { "" } else { "s" },
            self.files.join(", "),
            group(self.rows),
            group(self.imported)
        ));
        s.read.push(format!(
            "models: {}",
            self.models.iter().copied().collect::<Vec<_>>().join(", ")
        ));
        if !self.teams.is_empty() {
            s.read.push(format!(
                "teams: {} (one stream each; teams are LiteLLM labels, not API workspaces)",
                self.teams.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        s.dropped.extend(self.dropped.lines("row"));
        s.observed.extend(self.observed.lines("failed attempt"));
        if self.observed.get("429 (rate limited)") + self.observed.get("529 (overloaded)") > 0 {
            s.assumptions.push(
                "retries: failed rows (429/529) are reported, not replayed; the row that succeeded \
                 stands for the logical request"
                    .into(),
            );
        }
        s.assumptions.push(self.rules.assumption("prompt_tokens"));
        if self.naive_times > 0 {
            s.assumptions.push(format!(
                "{} startTime values had no UTC offset and were read as UTC",
                group(self.naive_times)
            ));
        }
        s.assumptions
            .push("max_tokens: not in spend logs; the stream's default applies".into());
    }
}

fn csv_err(file: &str, e: &csv::Error) -> ImportError {
    match e.position() {
        Some(p) => ImportError::at(
            file,
            format!("line {}", p.line()),
            format!("malformed CSV: {e}"),
        ),
        None => ImportError::file(file, format!("malformed CSV: {e}")),
    }
}

fn located(file: &str, e: &serde_json::Error) -> ImportError {
    let msg = e.to_string();
    let msg = msg
        .rsplit_once(" at line ")
        .map_or(msg.as_str(), |(m, _)| m)
        .to_string();
    let msg = match e.classify() {
        serde_json::error::Category::Data => msg,
        _ => format!("malformed JSON: {msg}"),
    };
    ImportError::at(
        file,
        format!("line {}, column {}", e.line(), e.column()),
        msg,
    )
}

type Sink<'s> = &'s mut dyn FnMut(usize, Value) -> Result<(), String>;

/// Streams the rows of a JSON array one at a time.
struct Rows<'s, 'f> {
    sink: &'s mut Sink<'f>,
}

impl<'de> DeserializeSeed<'de> for Rows<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Rows<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of LiteLLM_SpendLogs rows")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(v) = seq.next_element::<Value>()? {
            (self.sink)(i, v).map_err(de::Error::custom)?;
            i += 1;
        }
        Ok(())
    }
}
