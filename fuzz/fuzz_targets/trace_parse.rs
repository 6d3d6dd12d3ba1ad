//! Arbitrary bytes as a usage trace, read both as CSV and as JSONL: parsing
//! must never panic, and an error must point inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ratesim::scenario::parse_trace;
use ratesim_fuzz::check_located;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for file in ["fuzz.csv", "fuzz.jsonl"] {
        match parse_trace(file, text) {
            Err(e) => check_located(&e, file, text),
            // Rows start at 0 and stay in time order.
            Ok(t) => assert!(
                t.rows.first().is_some_and(|r| r.at == 0)
                    && t.rows.windows(2).all(|w| w[0].at <= w[1].at)
            ),
        }
    }
});
