//! Arbitrary bytes as a scenario file: loading must never panic, and an
//! error must point inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ratesim::scenario::Scenario;
use ratesim_fuzz::check_located;

fuzz_target!(|data: &[u8]| {
    // Files that are not UTF-8 are refused before parsing (`cannot read`).
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = Scenario::from_yaml_str("fuzz.yaml", text) {
        check_located(&e, "fuzz.yaml", text);
    }
});
