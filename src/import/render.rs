//! The scenario text (and the trace CSVs of replayed streams) from the
//! accumulated streams: commented, so each fitted number sits next to what
//! it was fitted from and a user can edit it into a what-if.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::fit::{Fitted, LogFit};
use super::limits::OrgLimits;
use super::streams::{GroupKind, Key, StreamAcc, Streams};
use super::{Summary, group, rfc3339};
use crate::model::catalog;

/// What the scenario should say beyond the data.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The scenario's `name:`.
    pub name: String,
    /// Where the data came from, for the header (`usage report`, …).
    pub source: String,
    /// Replay the records as traces (else fit arrivals and token sizes).
    pub replay: bool,
    /// Directory of the trace CSVs, relative to the scenario file.
    pub trace_dir: String,
    /// The tier whose limits apply where the data gives none.
    pub tier: String,
    /// Whether the tier's monthly spend limit applies (`false`: monthly
    /// invoicing, written as `spend: {tier_limit: false}`).
    pub tier_limit: bool,
    /// The organisation's limits, if read.
    pub limits: Option<OrgLimits>,
    /// For usage reports: the assumed mean input tokens a request.
    pub mean_input_tokens: Option<f64>,
}

/// The generated scenario: its text and the trace files it refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The scenario YAML.
    pub yaml: String,
    /// Trace files: (path relative to the scenario, CSV text).
    pub traces: Vec<(String, String)>,
}

const NS_PER_MIN: i128 = 60_000_000_000;

/// Builds the scenario. Notes about limits and alignment are added to
/// `summary` (before its text is copied into the header).
pub fn render(streams: &Streams, opts: &RenderOptions, summary: &mut Summary) -> Generated {
    let mut body = String::new();
    let mut traces = Vec::new();
    let (first, last) = streams.span().unwrap_or((0, 0));
    let span_min = ((last - first) / NS_PER_MIN + 1) as u64;
    let diurnal = !opts.replay && span_min >= 23 * 60;
    let duration_min = if opts.replay {
        span_min + 1
    } else if diurnal {
        24 * 60
    } else {
        span_min
    };

    let pools_used = pools_used(streams);
    let pools_text = pools_section(&pools_used, opts, summary);
    let batch = streams.map.keys().any(|k| k.batch);

    let workspaces: Vec<&str> = {
        let mut w: Vec<&str> = streams
            .map
            .keys()
            .filter_map(|k| match &k.group {
                Some((GroupKind::Workspace, w)) => Some(w.as_str()),
                _ => None,
            })
            .collect();
        w.dedup();
        w.sort_unstable();
        w.dedup();
        w
    };

    let _ = writeln!(body, "name: {}", yaml_str(&opts.name));
    let _ = writeln!(body, "seed: 1");
    let _ = writeln!(
        body,
        "duration: {}                    # {}",
        minutes(duration_min),
        if opts.replay {
            "the data's span (traces start at their first record)".to_string()
        } else if diurnal {
            "one day of the fitted daily profile (the run starts at midnight UTC)".to_string()
        } else {
            "the data's span".to_string()
        }
    );
    if batch {
        body.push_str(
            "drain: 24h                       # let the slowest batch come back (the Batch API's 24 h window)\n",
        );
    } else {
        body.push_str("drain: 10m\n");
    }
    let _ = writeln!(
        body,
        "start: {}           # the calendar time at simulated time zero: {}",
        if diurnal { date(first) } else { rfc3339(first) },
        if diurnal {
            "midnight UTC of the data's first day"
        } else {
            "the data's first record"
        }
    );
    let _ = writeln!(
        body,
        "tier: {}                        # limits the data does not give come from this tier",
        opts.tier
    );
    if !opts.tier_limit {
        body.push_str(
            "spend: {tier_limit: false}           # the data spends more than any tier's monthly limit\n",
        );
    }
    body.push_str(&pools_text);
    if batch {
        match opts.limits.as_ref().and_then(|l| l.batch_rpm) {
            Some(rpm) => {
                let _ = writeln!(
                    body,
                    "batch:\n  rpm: {rpm}                       # from rate_limits.json"
                );
            }
            None => {
                summary.assumptions.push(format!(
                    "Batch API limits: tier `{}`'s (the limits file gives none)",
                    opts.tier
                ));
            }
        }
    }
    body.push_str("classes: [interactive, background]   # Batch API streams are background\n");
    body.push_str(
        "slo:                                 # what `plan` holds (edit to your own)\n  \
         latency: 30s                       # an answer within 30 s ...\n  \
         attainment: 99%                    # ... for 99 % of requests, failures counted as misses\n",
    );
    if batch {
        body.push_str(
            "  classes:\n    \
             background: {exclude: true}      # Batch API work has its own 24 h window, not a latency\n",
        );
    }
    if !workspaces.is_empty() {
        body.push_str("workspaces:                          # from the report's workspace_id; add `limits:` to any\n");
        for w in &workspaces {
            let _ = writeln!(body, "  - name: {}", yaml_str(w));
        }
    }
    body.push_str("\nstreams:\n");
    if opts.replay {
        replay_streams(streams, opts, summary, &mut body, &mut traces);
        if span_min >= 23 * 60 {
            body.push_str(
                "  # Requests per UTC hour of day, as multiples of each model's mean rate (what a\n  \
                 # fitted `diurnal: {hourly: [...]}` would say):\n",
            );
            for s in streams.map.values() {
                let h: Vec<String> = hourly(s, first, span_min).iter().map(|x| num(*x)).collect();
                let rate = s.total.requests as f64 / span_min as f64;
                let _ = writeln!(
                    body,
                    "  #   {}: mean {} a minute, hourly [{}]",
                    s.model.id,
                    num(rate),
                    h.join(", ")
                );
            }
        }
    } else {
        for (key, s) in &streams.map {
            fitted_stream(key, s, first, span_min, diurnal, &mut body);
        }
    }
    body.push_str(
        "\n# What to change: the SDK's default retry, pacing on the response headers, a\n\
         # client-side token bucket and a priority queue, on the same traffic.\n\
         strategies:\n  - sdk_default\n  - header_driven\n  - token_bucket\n  - priority_queue\n",
    );

    let mut head = String::new();
    let _ = writeln!(head, "# Imported by `ratesim import` from {}.", opts.source);
    if opts.replay {
        head.push_str("# The workload replays the records (trace files next to this one).\n");
    } else {
        head.push_str(
            "# The workload is fitted to the records: arrival rate by hour of day, token\n\
             # sizes (lognormal by maximum likelihood, or empirical where that fits badly),\n\
             # prompt-cache use. Edit any number into a what-if; `--replay` keeps the raw\n\
             # records instead.\n",
        );
    }
    if let Some(m) = opts.mean_input_tokens {
        let _ = write!(
            head,
            "#\n# REQUEST-COUNT ESTIMATE (an assumption, not data): the usage report has no\n\
             # request counts, so each bucket's input tokens were divided by\n\
             #   mean_input_tokens_per_request = {m:.0}\n\
             # Requests (and RPM) scale with 1 / this value; tokens do not change. Each\n\
             # stream's `trace_options.requests` re-cuts the same tokens into more or fewer\n\
             # requests (2.0 = a mean of {:.0} input tokens, 0.5 = {:.0}), and `plan` shows\n\
             # its answer at both ends of `requests_range`.\n",
            m / 2.0,
            m * 2.0
        );
    }
    head.push_str("#\n");
    for line in summary.text().lines() {
        let _ = writeln!(head, "# {line}");
    }
    head.push('\n');
    head.push_str(&body);
    Generated { yaml: head, traces }
}

fn pools_used(streams: &Streams) -> Vec<&'static str> {
    let mut pools: Vec<&'static str> = Vec::new();
    for s in streams.map.values() {
        if !pools.contains(&s.model.pool) {
            pools.push(s.model.pool);
        }
    }
    pools.sort_unstable();
    pools
}

fn pools_section(used: &[&'static str], opts: &RenderOptions, summary: &mut Summary) -> String {
    let Some(lim) = &opts.limits else {
        summary.assumptions.push(format!(
            "limits: tier `{}` from ratesim's catalogue (no --limits file)",
            opts.tier
        ));
        return String::new();
    };
    let mut out = String::from(
        "pools:                               # the organisation's limits (rate_limits.json)\n",
    );
    let mut any = false;
    for (pool, p) in &lim.pools {
        if !used.contains(&pool.as_str()) {
            summary.read.push(format!(
                "limits for pool `{pool}` (group `{}`) not written: no traffic uses it",
                p.group
            ));
            continue;
        }
        any = true;
        let mut fields = Vec::new();
        for (n, v) in [
            ("rpm", p.rpm),
            ("itpm", p.itpm),
            ("otpm", p.otpm),
            ("tpm", p.tpm),
        ] {
            if let Some(v) = v.filter(|v| *v > 0) {
                fields.push(format!("{n}: {v}"));
            }
        }
        let counts = catalog::MODELS
            .iter()
            .find(|m| m.pool == pool)
            .is_some_and(|m| m.itpm_counts_cache_reads);
        let note = match p.itpm_counts_reads {
            Some(true) if !counts => {
                summary.assumptions.push(format!(
                    "pool `{pool}`: the limit is `input_tokens_per_minute` (it counts cache reads) but \
                     ratesim counts cache reads toward ITPM only for the † models; this pool's ITPM \
                     headroom is overstated by its cache reads"
                ));
                "ITPM counts cache reads (see header)"
            }
            Some(false) => "ITPM cache-aware: cache reads do not count",
            _ => "",
        };
        let _ = writeln!(
            out,
            "  {pool}: {{{}}}   # group `{}`{}{}",
            fields.join(", "),
            p.group,
            if note.is_empty() { "" } else { "; " },
            note
        );
    }
    for pool in used {
        if !lim.pools.contains_key(*pool) {
            summary.assumptions.push(format!(
                "pool `{pool}`: rate_limits.json gives no limits for it; tier `{}`'s apply",
                opts.tier
            ));
        }
    }
    for u in &lim.unmodelled {
        summary.dropped.push(format!("limit not modelled: {u}"));
    }
    if lim.workspace_view {
        summary.assumptions.push(
            "the limits file is a workspace view (values carry `source`): its effective limits \
             are used as the pools' limits"
                .into(),
        );
    }
    if any { out } else { String::new() }
}

/// A stream name from its key: model, group, `batch`.
fn stream_name(model: &str, key: &Key) -> String {
    let mut n = model.to_string();
    match &key.group {
        Some((GroupKind::Workspace, w)) => {
            n.push('-');
            n.push_str(&slug(w));
        }
        Some((GroupKind::Team, t)) => {
            n.push_str("-team-");
            n.push_str(&slug(t));
        }
        None => {}
    }
    if key.batch {
        n.push_str("-batch");
    }
    n
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Replay: one stream per pool (and group, and API), its rows naming their
/// model, so models that share a pool stay aligned in time.
fn replay_streams(
    streams: &Streams,
    opts: &RenderOptions,
    summary: &mut Summary,
    body: &mut String,
    traces: &mut Vec<(String, String)>,
) {
    type PoolKey = (&'static str, Option<(GroupKind, String)>, bool);
    let mut by_pool: BTreeMap<PoolKey, Vec<(&Key, &StreamAcc)>> = BTreeMap::new();
    for (k, s) in &streams.map {
        by_pool
            .entry((s.model.pool, k.group.clone(), k.batch))
            .or_default()
            .push((k, s));
    }
    let global_first = streams.span().map_or(0, |s| s.0);
    let mut late = Vec::new();
    for ((pool, grp, batch), members) in &by_pool {
        let key = Key {
            model: pool,
            group: grp.clone(),
            batch: *batch,
        };
        let name = stream_name(pool, &key);
        let file = format!("{}/{name}.csv", opts.trace_dir);
        let mut rows: Vec<(i128, usize, &super::Row)> = Vec::new();
        for (i, (_, s)) in members.iter().enumerate() {
            rows.extend(s.rows.iter().map(|r| (r.t, i, r)));
        }
        rows.sort_by_key(|(t, i, _)| (*t, *i));
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record([
            "timestamp",
            "model",
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
            "max_tokens",
        ]);
        for (t, i, r) in &rows {
            let mt = r
                .max_tokens
                .map(|m| m.max(r.output).to_string())
                .unwrap_or_default();
            let _ = w.write_record([
                rfc3339(*t),
                members[*i].0.model.to_string(),
                r.uncached.to_string(),
                r.output.to_string(),
                r.read.to_string(),
                r.write.to_string(),
                mt,
            ]);
        }
        let csv_text = w
            .into_inner()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        traces.push((file.clone(), csv_text));
        let first = rows.first().map_or(global_first, |r| r.0);
        if first - global_first >= NS_PER_MIN {
            late.push(format!(
                "{name} (+{} min)",
                (first - global_first) / NS_PER_MIN
            ));
        }
        let model = members[0].1.model.id;
        let _ = writeln!(body, "  - name: {}", yaml_str(&name));
        let _ = writeln!(
            body,
            "    model: {model}              # rows name their own model"
        );
        let _ = writeln!(
            body,
            "    class: {}",
            if *batch { "background" } else { "interactive" }
        );
        if *batch {
            body.push_str("    api: batch\n");
        }
        if let Some((GroupKind::Workspace, w)) = grp {
            let _ = writeln!(body, "    workspace: {}", yaml_str(w));
        }
        let _ = writeln!(body, "    trace: {}", yaml_str(&file));
        if opts.mean_input_tokens.is_some() {
            body.push_str(
                "    # requests: the request-count estimate (0.5: the same tokens in half as many\n\
                 \x20   # requests); `plan` shows its answer at both ends of requests_range\n\
                 \x20   trace_options: {time_scale: 1.0, volume: 1.0, requests: 1.0, requests_range: [0.5, 2.0]}\n",
            );
        } else {
            body.push_str(
                "    trace_options: {time_scale: 1.0, volume: 1.0}   # volume: growth (1.5 = +50 %)\n",
            );
        }
        for (_, s) in members {
            facts(s, body);
        }
    }
    if by_pool.values().any(|m| m.len() > 1) {
        summary.assumptions.push(
            "replay: models that share a pool are replayed from one time-ordered trace (each row \
             names its model), so their requests stay aligned against the pool's limits"
                .into(),
        );
    }
    if !late.is_empty() {
        summary.assumptions.push(format!(
            "each trace stream starts at its own first record; these start later than the \
             data's first record and are shifted earlier by that much: {}",
            late.join(", ")
        ));
    }
}

/// Comment lines with what the data shows for one model's records.
fn facts(s: &StreamAcc, body: &mut String) {
    let t = &s.total;
    let _ = writeln!(
        body,
        "    # {}: {} requests; tokens: {} uncached input, {} cache read, {} cache write, {} output",
        s.model.id,
        group(t.requests),
        group(t.uncached),
        group(t.read),
        group(t.write),
        group(t.output)
    );
    if let Some((m, p)) = s.peak_minute() {
        let _ = writeln!(
            body,
            "    #   peak minute {}: {} requests, {} ITPM-counted input, {} output tokens",
            rfc3339(i128::from(m) * NS_PER_MIN),
            group(p.requests),
            group(s.itpm_input(&p)),
            group(p.output)
        );
    }
}

fn fitted_stream(
    key: &Key,
    s: &StreamAcc,
    first: i128,
    span_min: u64,
    diurnal: bool,
    body: &mut String,
) {
    let name = stream_name(key.model, key);
    let _ = writeln!(body, "  - name: {}", yaml_str(&name));
    let _ = writeln!(body, "    model: {}", key.model);
    let _ = writeln!(
        body,
        "    class: {}",
        if key.batch {
            "background"
        } else {
            "interactive"
        }
    );
    if key.batch {
        body.push_str("    api: batch\n");
    }
    if let Some((GroupKind::Workspace, w)) = &key.group {
        let _ = writeln!(body, "    workspace: {}", yaml_str(w));
    }
    facts(s, body);
    let rate = s.total.requests as f64 / span_min as f64;
    if diurnal {
        let hourly = hourly(s, first, span_min);
        let peak = hourly
            .iter()
            .enumerate()
            .fold((0, 0.0), |b, (h, x)| if *x > b.1 { (h, *x) } else { b });
        let _ = writeln!(
            body,
            "    arrivals:                      # fitted: mean {} requests/min, busiest hour {:02}:00 UTC at ×{}",
            num(rate),
            peak.0,
            num(peak.1)
        );
        let list: Vec<String> = hourly.iter().map(|x| num(*x)).collect();
        let _ = writeln!(
            body,
            "      diurnal: {{rate_per_min: {}, hourly: [{}]}}",
            num(rate),
            list.join(", ")
        );
    } else {
        let _ = writeln!(
            body,
            "    arrivals: {{poisson: {{rate_per_min: {}}}}}   # fitted: mean over the data's {} (less than a day: no daily profile)",
            num(rate),
            minutes(span_min)
        );
    }
    tokens_line("input_tokens", "uncached part", &s.uncached, body);
    tokens_line("output_tokens", "", &s.output, body);
    let mts: Vec<(u64, u64)> = s.max_tokens.iter().collect();
    match mts.as_slice() {
        [] => {}
        [(v, _)] => {
            let _ = writeln!(body, "    max_tokens: {v}");
        }
        _ => {
            let n = s.max_tokens.count() as f64;
            let values: Vec<String> = mts.iter().map(|(v, _)| v.to_string()).collect();
            let weights: Vec<String> = mts.iter().map(|(_, c)| num(*c as f64 / n)).collect();
            let _ = writeln!(
                body,
                "    max_tokens: {{empirical: {{values: [{}], weights: [{}]}}}}",
                values.join(", "),
                weights.join(", ")
            );
        }
    }
    let cached = s.total.read + s.total.write;
    if cached > 0 {
        let prefix = (cached as f64 / s.total.requests as f64).round().max(1.0) as u64;
        let hit = s.total.read as f64 / cached as f64;
        let _ = writeln!(
            body,
            "    prompt_cache: {{prefix_tokens: {prefix}, hit_rate: {}}}   # fitted: cached tokens a request \
             (all requests), share read; {} of {} requests used the cache",
            num(hit),
            group(s.cached_requests),
            group(s.total.requests)
        );
        if prefix < s.model.min_cacheable_tokens {
            let _ = writeln!(
                body,
                "    # note: {prefix} tokens is below {}'s minimum cacheable prompt ({}): the simulator will not cache it",
                s.model.id, s.model.min_cacheable_tokens
            );
        }
    }
}

fn tokens_line(field: &str, what: &str, f: &LogFit, body: &mut String) {
    let sep = if what.is_empty() { "" } else { "; " };
    match f.fitted() {
        Fitted::Empty => {}
        Fitted::Constant(v) => {
            let _ = writeln!(
                body,
                "    {field}: {v}   # {what}{sep}every request the same"
            );
        }
        Fitted::Lognormal { median, sigma, ks } => {
            let _ = writeln!(
                body,
                "    {field}: {{lognormal: {{median: {}, sigma: {}}}}}   # {what}{sep}MLE over {} requests, \
                 KS distance {} (≤ {}: good fit)",
                num(median),
                num(sigma),
                group(f.count()),
                num(ks),
                num(f.ks_limit())
            );
        }
        Fitted::Empirical {
            values,
            weights,
            ks,
        } => {
            let v: Vec<String> = values.iter().map(u64::to_string).collect();
            let w: Vec<String> = weights.iter().map(|x| num(*x)).collect();
            let _ = writeln!(
                body,
                "    {field}: {{empirical: {{values: [{}], weights: [{}]}}}}   # {what}{sep}a lognormal fits badly \
                 (KS distance {} > {}); the data's histogram, mean {}",
                v.join(", "),
                w.join(", "),
                num(ks),
                num(f.ks_limit()),
                num(f.mean())
            );
        }
    }
}

/// Requests per minute in each UTC hour of day ÷ the mean rate, over the
/// minutes the data covers.
fn hourly(s: &StreamAcc, first: i128, span_min: u64) -> [f64; 24] {
    let first_min = first.div_euclid(NS_PER_MIN) as i64;
    let mut exposure = [0u64; 24];
    let mut reqs = [0u64; 24];
    for m in 0..span_min as i64 {
        exposure[((first_min + m).rem_euclid(1440) / 60) as usize] += 1;
    }
    for (m, v) in &s.minutes {
        reqs[(m.rem_euclid(1440) / 60) as usize] += v.requests;
    }
    let mean = s.total.requests as f64 / span_min as f64;
    let mut out = [1.0; 24];
    for h in 0..24 {
        if exposure[h] > 0 && mean > 0.0 {
            out[h] = reqs[h] as f64 / exposure[h] as f64 / mean;
        }
    }
    out
}

/// A number with at most 4 significant decimals, no trailing zeros.
fn num(x: f64) -> String {
    let s = if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.4}")
    };
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s
    }
}

/// The UTC date of a time, `2026-11-02`.
fn date(ns: i128) -> String {
    jiff::Timestamp::from_nanosecond(ns).map_or_else(
        |_| rfc3339(ns),
        |t| jiff::tz::Offset::UTC.to_datetime(t).date().to_string(),
    )
}

fn minutes(m: u64) -> String {
    match (m / 60, m % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m}m"),
    }
}

/// A YAML scalar: plain when safe, else double-quoted.
fn yaml_str(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        && !s
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '.');
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
    }
}
