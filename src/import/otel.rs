//! Format B: OpenTelemetry GenAI spans, as OTLP/JSON (one export request,
//! `resourceSpans[].scopeSpans[].spans[]`) or JSON Lines of export requests
//! (the Collector's file exporter).
//!
//! A single document is streamed span by span (each span is parsed on its
//! own), so a million spans need memory for the output only. Attribute
//! names follow the GenAI semantic conventions, their older OpenLLMetry
//! names and OpenInference's `llm.*` names; the input-token rule of
//! [`super::uncached_input`] applies. Spans that are failed attempts (429,
//! 529, other errors) are counted, not replayed: the attempt that succeeded
//! is the logical request.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{BufRead, Cursor, Read};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::streams::{Key, Row, Streams};
use super::{ImportError, RuleCounts, Summary, Tally, group, json, uncached_input};
use crate::model::catalog::find_model;

/// Reads span files into [`Streams`], counting what it drops.
#[derive(Debug, Default)]
pub struct SpanReader {
    files: Vec<String>,
    spans: u64,
    not_llm: u64,
    imported: u64,
    rules: RuleCounts,
    dropped: Tally,
    observed: Tally,
    models: BTreeSet<&'static str>,
}

const PROVIDER: &[&str] = &[
    "gen_ai.provider.name",
    "gen_ai.system",
    "llm.provider",
    "llm.system",
];
const INPUT: &[&str] = &[
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",
];
const OUTPUT: &[&str] = &[
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
];
const READ: &[&str] = &[
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read",
];
const WRITE: &[&str] = &[
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write",
];
const MODEL: &[&str] = &[
    "gen_ai.response.model",
    "gen_ai.request.model",
    "llm.model_name",
];
const HTTP_STATUS: &[&str] = &["http.response.status_code", "http.status_code"];

impl SpanReader {
    /// Reads one file: a single OTLP/JSON document or JSON Lines.
    pub fn read_file(
        &mut self,
        file: &str,
        mut r: impl BufRead,
        out: &mut Streams,
    ) -> Result<(), ImportError> {
        self.files.push(file.to_string());
        let mut first = String::new();
        let mut line = 0u64;
        loop {
            first.clear();
            let n = r
                .read_line(&mut first)
                .map_err(|e| ImportError::file(file, format!("cannot read: {e}")))?;
            line += 1;
            if n == 0 {
                return Err(ImportError::file(
                    file,
                    "empty file: expected OTLP/JSON spans",
                ));
            }
            if !first.trim().is_empty() {
                break;
            }
        }
        let one_line = serde_json::from_str::<IgnoredAny>(&first).is_ok();
        if one_line {
            // JSON Lines: one export request a line.
            let mut text = std::mem::take(&mut first);
            loop {
                if !text.trim().is_empty() {
                    let mut de = serde_json::Deserializer::from_str(&text);
                    self.document(file, &mut de, out)
                        .and_then(|()| de.end())
                        .map_err(|e| located(file, &e, Some(line)))?;
                }
                text.clear();
                let n = r
                    .read_line(&mut text)
                    .map_err(|e| ImportError::file(file, format!("cannot read: {e}")))?;
                if n == 0 {
                    break;
                }
                line += 1;
            }
        } else {
            // One document, possibly spread over many lines: streamed.
            let skipped = line - 1;
            // serde_json reads a byte at a time: a buffer in front keeps
            // those reads off the chain's slower path.
            let reader = std::io::BufReader::with_capacity(
                1 << 16,
                Cursor::new(first.into_bytes()).chain(r),
            );
            let mut de = serde_json::Deserializer::from_reader(reader);
            self.document(file, &mut de, out)
                .and_then(|()| de.end())
                .map_err(|e| {
                    let mut err = located(file, &e, None);
                    if skipped > 0 && e.line() > 0 {
                        err.at =
                            format!("line {}, column {}", e.line() as u64 + skipped, e.column());
                    }
                    err
                })?;
        }
        Ok(())
    }

    fn document<'de, D: de::Deserializer<'de>>(
        &mut self,
        file: &str,
        de: D,
        out: &mut Streams,
    ) -> Result<(), D::Error> {
        let mut sink = |path: &str, span: Value| self.span(file, path, &span, out);
        let mut sink: Sink = &mut sink;
        Top { sink: &mut sink }.deserialize(de)
    }

    /// One span: imported, or counted as dropped or as a failed attempt.
    fn span(&mut self, file: &str, path: &str, v: &Value, out: &mut Streams) -> Result<(), String> {
        self.spans += 1;
        let attrs = Attrs::new(path, v)?;
        let provider = attrs.string(PROVIDER)?;
        let input = attrs.count(INPUT)?;
        let output = attrs.count(OUTPUT)?;
        if provider.is_none() && input.is_none() && output.is_none() {
            self.not_llm += 1;
            return Ok(());
        }
        match provider.map(|p| p.to_ascii_lowercase()) {
            Some(p) if p == "anthropic" => {}
            Some(p) => {
                self.dropped
                    .add(format!("provider `{p}` (not Anthropic's API)"));
                return Ok(());
            }
            None => {
                self.dropped
                    .add("no provider attribute (gen_ai.provider.name)");
                return Ok(());
            }
        }
        // Failed attempts.
        let status = v.get("status").and_then(|s| s.get("code"));
        let status_error = matches!(status, Some(Value::Number(n)) if n.as_u64() == Some(2))
            || matches!(status, Some(Value::String(s)) if s == "STATUS_CODE_ERROR" || s == "2");
        let http = attrs.count(HTTP_STATUS)?;
        let etype = attrs.string(&["error.type"])?.map(str::to_ascii_lowercase);
        if status_error || etype.is_some() || http.is_some_and(|h| h >= 400) {
            let e = etype.unwrap_or_default();
            if http == Some(429) || e.contains("429") || e.contains("rate_limit") {
                self.observed.add("429 (rate limited)");
            } else if http == Some(529) || e.contains("529") || e.contains("overloaded") {
                self.observed.add("529 (overloaded)");
            } else {
                self.dropped.add(format!(
                    "error span{}",
                    if e.is_empty() {
                        String::new()
                    } else {
                        format!(" (error.type {e})")
                    }
                ));
            }
            return Ok(());
        }
        let Some(model_name) = attrs.string(MODEL)? else {
            return Err(format!(
                "{path}.attributes: no model (expected gen_ai.response.model or gen_ai.request.model)"
            ));
        };
        let Some(model) = find_model(model_name) else {
            self.dropped.add(format!(
                "model `{model_name}` is not in ratesim's catalogue"
            ));
            return Ok(());
        };
        let input = input.ok_or_else(|| {
            format!("{path}.attributes: missing gen_ai.usage.input_tokens on a successful Anthropic span")
        })?;
        let output = output.ok_or_else(|| {
            format!("{path}.attributes: missing gen_ai.usage.output_tokens on a successful Anthropic span")
        })?;
        let read = attrs.count(READ)?.unwrap_or(0);
        let write = attrs.count(WRITE)?.unwrap_or(0);
        let (uncached, rule) = uncached_input(input, read, write);
        self.rules.add(rule);
        let max_tokens = match attrs.count(&["gen_ai.request.max_tokens"])? {
            Some(m) => Some(m),
            None => attrs
                .string(&["llm.invocation_parameters"])?
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
                .and_then(|p| p.get("max_tokens").and_then(Value::as_u64)),
        };
        let start = nanos(path, v, "startTimeUnixNano")?
            .ok_or_else(|| format!("{path}: missing startTimeUnixNano"))?;
        if let Some(end) = nanos(path, v, "endTimeUnixNano")?
            && end < start
        {
            return Err(format!(
                "{path}: endTimeUnixNano {end} is before startTimeUnixNano {start}"
            ));
        }
        let _ = file;
        self.imported += 1;
        self.models.insert(model.id);
        out.add(
            Key {
                model: model.id,
                group: None,
                batch: false,
            },
            model,
            Row {
                t: start,
                uncached,
                read,
                write,
                output,
                max_tokens,
            },
        );
        Ok(())
    }

    /// What was read, dropped, observed and assumed.
    pub fn summarise(&self, s: &mut Summary) {
        s.read.push(format!(
            "{} span file{} ({}): {} spans, {} Anthropic GenAI requests imported",
            self.files.len(),
            if self.files.len() == 1 { "" } else { "s" },
            self.files.join(", "),
            group(self.spans),
            group(self.imported)
        ));
        s.read.push(format!(
            "models: {}",
            self.models.iter().copied().collect::<Vec<_>>().join(", ")
        ));
        if self.not_llm > 0 {
            s.dropped.push(format!(
                "{} spans without GenAI attributes (not LLM calls)",
                group(self.not_llm)
            ));
        }
        s.dropped.extend(self.dropped.lines("span"));
        s.observed.extend(self.observed.lines("failed attempt"));
        if !self.observed.lines("").is_empty() {
            s.assumptions.push(
                "retries: failed attempts (429/529 spans) are reported, not replayed; the attempt \
                 that succeeded stands for the logical request, so the simulator's strategies decide \
                 the retries"
                    .into(),
            );
        }
        s.assumptions
            .push(self.rules.assumption("gen_ai.usage.input_tokens"));
        s.assumptions
            .push("time: each request at its span's startTimeUnixNano (spans are sorted)".into());
    }
}

/// A serde_json error (syntax, or one of ours raised inside a span) at its
/// line and column; `line` replaces the line for JSON Lines.
fn located(file: &str, e: &serde_json::Error, line: Option<u64>) -> ImportError {
    let msg = e.to_string();
    let msg = msg
        .rsplit_once(" at line ")
        .map_or(msg.as_str(), |(m, _)| m)
        .to_string();
    let msg = match e.classify() {
        serde_json::error::Category::Data => msg,
        _ => format!("malformed JSON: {msg}"),
    };
    if e.line() == 0 {
        return ImportError::file(file, msg);
    }
    ImportError::at(
        file,
        format!(
            "line {}, column {}",
            line.unwrap_or(e.line() as u64),
            e.column()
        ),
        msg,
    )
}

/// `startTimeUnixNano` and friends: a decimal string or a number.
fn nanos(path: &str, v: &Value, key: &str) -> Result<Option<i128>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<u64>()
            .map(|n| Some(i128::from(n)))
            .map_err(|_| {
                format!("{path}.{key}: expected nanoseconds since the epoch, found \"{s}\"")
            }),
        Some(Value::Number(n)) => n.as_u64().map(|n| Some(i128::from(n))).ok_or_else(|| {
            format!("{path}.{key}: expected nanoseconds since the epoch, found {n}")
        }),
        Some(other) => Err(format!(
            "{path}.{key}: expected nanoseconds, found {}",
            json::kind(other)
        )),
    }
}

/// A span's attributes by key.
struct Attrs<'a> {
    path: &'a str,
    list: Vec<(&'a str, &'a Value)>,
}

impl<'a> Attrs<'a> {
    fn new(path: &'a str, span: &'a Value) -> Result<Attrs<'a>, String> {
        let mut list = Vec::new();
        match span.get("attributes") {
            None | Some(Value::Null) => {}
            Some(Value::Array(a)) => {
                for (i, kv) in a.iter().enumerate() {
                    let key = kv.get("key").and_then(Value::as_str).ok_or_else(|| {
                        format!("{path}.attributes[{i}]: expected {{\"key\", \"value\"}}")
                    })?;
                    list.push((key, kv.get("value").unwrap_or(&Value::Null)));
                }
            }
            Some(v) => {
                return Err(format!(
                    "{path}.attributes: expected an array, found {}",
                    json::kind(v)
                ));
            }
        }
        Ok(Attrs { path, list })
    }

    fn get(&self, keys: &[&str]) -> Option<(&'a str, &'a Value)> {
        keys.iter()
            .find_map(|k| self.list.iter().find(|(n, _)| n == k).copied())
    }

    fn string(&self, keys: &[&str]) -> Result<Option<&'a str>, String> {
        let Some((k, v)) = self.get(keys) else {
            return Ok(None);
        };
        match v.get("stringValue") {
            Some(Value::String(s)) => Ok(Some(s)),
            _ if v.is_string() => Ok(v.as_str()),
            _ => Err(format!(
                "{}.attributes[{k}]: expected a stringValue, found {}",
                self.path,
                json::kind(v)
            )),
        }
    }

    fn count(&self, keys: &[&str]) -> Result<Option<u64>, String> {
        let Some((k, v)) = self.get(keys) else {
            return Ok(None);
        };
        let inner = v
            .get("intValue")
            .or(v.get("doubleValue"))
            .or(v.get("stringValue"))
            .unwrap_or(v);
        json::count("", &format!("{}.attributes[{k}]", self.path), Some(inner))
            .map_err(|e| format!("{}: {}", e.at, e.message))
    }
}

// ---------------------------------------------------------------------------
// Streaming the document: each span is handed to the sink as a Value.
// ---------------------------------------------------------------------------

type Sink<'s> = &'s mut dyn FnMut(&str, Value) -> Result<(), String>;

struct Top<'s, 'f> {
    sink: &'s mut Sink<'f>,
}

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an OTLP/JSON export request {\"resourceSpans\": [...]}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(k) = map.next_key::<String>()? {
            if k == "resourceSpans" {
                seen = true;
                map.next_value_seed(List {
                    sink: &mut *self.sink,
                    path: "resourceSpans".into(),
                    level: 0,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if !seen {
            return Err(de::Error::custom(
                "$: missing `resourceSpans`: expected OTLP/JSON spans (resourceSpans[].scopeSpans[].spans[])",
            ));
        }
        Ok(())
    }
}

/// A list at one level: 0 resourceSpans, 1 scopeSpans, 2 spans.
struct List<'s, 'f> {
    sink: &'s mut Sink<'f>,
    path: String,
    level: u8,
}

impl<'de> DeserializeSeed<'de> for List<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for List<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array at {}", self.path)
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            let path = format!("{}[{i}]", self.path);
            if self.level == 2 {
                let Some(span) = seq.next_element::<Value>()? else {
                    break;
                };
                if !span.is_object() {
                    return Err(de::Error::custom(format!(
                        "{path}: expected a span object, found {}",
                        json::kind(&span)
                    )));
                }
                (self.sink)(&path, span).map_err(de::Error::custom)?;
            } else {
                let inner = Holder {
                    sink: &mut *self.sink,
                    path,
                    level: self.level,
                };
                if seq.next_element_seed(inner)?.is_none() {
                    break;
                }
            }
            i += 1;
        }
        Ok(())
    }
}

/// A resourceSpans or scopeSpans entry: looks for its child list.
struct Holder<'s, 'f> {
    sink: &'s mut Sink<'f>,
    path: String,
    level: u8,
}

impl<'de> DeserializeSeed<'de> for Holder<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Holder<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object at {}", self.path)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let child = if self.level == 0 {
            "scopeSpans"
        } else {
            "spans"
        };
        while let Some(k) = map.next_key::<String>()? {
            if k == child {
                map.next_value_seed(List {
                    sink: &mut *self.sink,
                    path: format!("{}.{child}", self.path),
                    level: self.level + 1,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}
