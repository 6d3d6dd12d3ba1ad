//! ratesim's `sdk_default` retry decision for a table of cases, as JSON.
//!
//! `scripts/sdk_check.py` runs this on the same table it feeds the official
//! Python SDK and compares the two. Input (a file named as the argument, or
//! stdin):
//!
//! ```json
//! {"sdk_version": "current",
//!  "cases": [{"name": "429 retry-after 61, retry 1, u=0.5", "max_retries": 2,
//!             "remaining_retries": 2, "retry_after_ms": null, "retry_after": "61",
//!             "u": 0.5, "status": 429, "x_should_retry": null}]}
//! ```
//!
//! Headers are strings as on the wire; ratesim's responses carry whole
//! numbers only, so anything else is an error. `u` is the SDK's `random()`
//! draw. Output, one result per case in order:
//!
//! ```json
//! {"sdk_version": "current",
//!  "results": [{"name": "...", "should_retry": true, "retry": true,
//!               "delay_s": 61.0, "draws_random": false}]}
//! ```
//!
//! `should_retry` is the status / `x-should-retry` rule alone, `retry` whether
//! the client retries (it also needs a retry left), `delay_s` the wait before
//! that retry (null when it does not retry) and `draws_random` whether
//! computing it took a random draw. The decision goes through the library
//! functions the `sdk_default` strategy uses: `RetryPolicy::max_retries`,
//! `sdk::parse_retry_after` and `sdk::retry_delay` (what
//! `RetryPolicy::delay` calls, with the draw supplied here instead of the
//! run's RNG), plus `sdk::should_retry` for statuses the simulated server
//! never sends.

use std::error::Error;
use std::io::Read;

use ratesim::strategy::{RetryPolicy, SdkVersion, sdk};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    sdk_version: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    max_retries: u32,
    remaining_retries: u32,
    retry_after_ms: Option<String>,
    retry_after: Option<String>,
    u: f64,
    status: u16,
    x_should_retry: Option<bool>,
}

#[derive(Serialize)]
struct Outcome<'a> {
    name: &'a str,
    should_retry: bool,
    retry: bool,
    delay_s: Option<f64>,
    draws_random: bool,
}

#[derive(Serialize)]
struct Output<'a> {
    sdk_version: &'static str,
    results: Vec<Outcome<'a>>,
}

fn version(name: &str) -> Result<SdkVersion, Box<dyn Error>> {
    [SdkVersion::Current, SdkVersion::Legacy]
        .into_iter()
        .find(|v| v.name() == name)
        .ok_or_else(|| format!("sdk_version {name:?}: expected \"current\" or \"legacy\"").into())
}

/// A header value as ratesim's `Response` carries it: a whole number.
fn whole(case: &str, header: &str, value: Option<&str>) -> Result<Option<u64>, Box<dyn Error>> {
    value
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                format!(
                    "case {case:?}: {header} {v:?} is not a whole number \
                     (ratesim's responses carry only whole seconds / milliseconds)"
                )
                .into()
            })
        })
        .transpose()
}

fn decide(version: SdkVersion, case: &Case) -> Result<Outcome<'_>, Box<dyn Error>> {
    let name = case.name.as_str();
    if !(0.0..1.0).contains(&case.u) {
        return Err(format!("case {name:?}: u = {} is outside [0, 1)", case.u).into());
    }
    let retries_taken = case
        .max_retries
        .checked_sub(case.remaining_retries)
        .ok_or_else(|| format!("case {name:?}: remaining_retries exceeds max_retries"))?;
    let ms = whole(name, "retry-after-ms", case.retry_after_ms.as_deref())?;
    let s = whole(name, "retry-after", case.retry_after.as_deref())?;

    let policy = RetryPolicy::SdkDefault {
        max_retries: case.max_retries,
        version,
    };
    let should_retry = sdk::should_retry(case.x_should_retry, case.status);
    // `RetryPolicy::delay` gives up once `retry >= max_retries()`.
    let retry = should_retry && retries_taken < policy.max_retries();
    let mut draws_random = false;
    let delay_s = retry.then(|| {
        let retry_after = sdk::parse_retry_after(ms, s);
        let draw = || {
            draws_random = true;
            case.u
        };
        sdk::retry_delay(version, retries_taken, retry_after, draw).as_secs_f64()
    });
    Ok(Outcome {
        name,
        should_retry,
        retry,
        delay_s,
        draws_random,
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let text = match args.next().as_deref() {
        None | Some("-") => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            text
        }
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the table {path}: {e}"))?,
    };
    if let Some(extra) = args.next() {
        return Err(
            format!("unexpected argument {extra:?}; usage: sdk_retry_delays [TABLE.json]").into(),
        );
    }
    let table: Table = serde_json::from_str(&text)?;
    let version = version(&table.sdk_version)?;
    let results = table
        .cases
        .iter()
        .map(|case| decide(version, case))
        .collect::<Result<Vec<_>, _>>()?;
    let output = Output {
        sdk_version: version.name(),
        results,
    };
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(())
}
