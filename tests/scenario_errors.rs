//! `ratesim validate` on bad scenario files: every error exits 2 and points
//! at `file:line:column` with a message saying what was expected; nothing
//! panics or hangs.

mod common;

use std::time::{Duration, Instant};

use common::cli::validate;
use common::fixtures::root;

const FIXTURES: &str = "tests/fixtures";

/// A bad fixture, where its error is, and what the message must say.
struct Case {
    file: &'static str,
    /// `Some((line, column))`, or `None` for whole-file errors.
    position: Option<(u32, u32)>,
    fragments: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        file: "bad_unknown_field.yaml",
        position: Some((7, 5)),
        fragments: &[
            "unknown field `rpmm`",
            "expected one of rpm, itpm, otpm",
            "did you mean `rpm`?",
        ],
    },
    Case {
        file: "bad_stream_typo.yaml",
        position: Some((9, 5)),
        fragments: &[
            "unknown field `output_tokns`",
            "expected one of",
            "output_tokens",
        ],
    },
    Case {
        file: "bad_wrong_type.yaml",
        position: Some((7, 31)),
        fragments: &[
            "invalid floating point",
            "found `fast`",
            "expected a number",
        ],
    },
    Case {
        file: "bad_negative_rate.yaml",
        position: Some((7, 31)),
        fragments: &["poisson.rate_per_min must be between 0 and", "got -5"],
    },
    Case {
        file: "bad_unknown_model.yaml",
        position: Some((5, 12)),
        fragments: &[
            "unknown model `claude-sonnet-9`",
            "expected one of",
            "claude-sonnet-4-5",
        ],
    },
    Case {
        file: "bad_unknown_preset.yaml",
        position: Some((12, 5)),
        fragments: &[
            "unknown strategy preset `exponential_backof`",
            "expected one of",
            "exponential_backoff",
        ],
    },
    Case {
        file: "bad_empty_streams.yaml",
        position: Some((3, 10)),
        fragments: &["streams is empty", "at least one stream"],
    },
    Case {
        file: "bad_malformed.yaml",
        position: Some((10, 13)),
        fragments: &["unclosed bracket '['"],
    },
    Case {
        file: "bad_empty.yaml",
        position: None,
        fragments: &["scenario is empty", "expected a YAML mapping"],
    },
    Case {
        file: "bad_duplicate_key.yaml",
        position: Some((9, 5)),
        fragments: &["duplicate mapping key: input_tokens"],
    },
    Case {
        file: "bad_duration.yaml",
        position: Some((2, 11)),
        fragments: &[
            "invalid duration `5x`: unknown unit `x`",
            "expected e.g. `90m`, `90s`",
        ],
    },
    Case {
        file: "bad_zero_rpm.yaml",
        position: Some((3, 25)),
        fragments: &["pools.sonnet-4.rpm must be > 0"],
    },
    Case {
        file: "bad_duplicate_strategy.yaml",
        position: Some((12, 5)),
        fragments: &["duplicate strategy name `token_bucket`", "distinct `name`"],
    },
    Case {
        file: "bad_hit_rate.yaml",
        position: Some((12, 17)),
        fragments: &["prompt_cache.hit_rate must be between 0 and 1", "got 1.5"],
    },
    Case {
        // Lone CRs break lines for the parser; the snippet must agree.
        file: "bad_lone_cr.yaml",
        position: Some((9, 5)),
        fragments: &["unknown field `rpmm`", "9 |     rpmm: 40"],
    },
    Case {
        // Was 20:42, past the end of the line.
        file: "bad_assert_folded.yaml",
        position: Some((20, 5)),
        fragments: &[
            "assert: unexpected character \":\"",
            "only one `STRATEGY:` prefix",
        ],
    },
    Case {
        file: "bad_exponential_mean.yaml",
        position: Some((9, 20)),
        fragments: &["exponential: mean must be > 0", "got 0"],
    },
    // Loader validation: one fixture per error the loader can return.
    Case {
        file: "bad_duration_zero.yaml",
        position: Some((3, 11)),
        fragments: &["duration must be > 0 and at most 366 days"],
    },
    Case {
        file: "bad_duration_too_long.yaml",
        position: Some((3, 11)),
        fragments: &["duration must be > 0 and at most 366 days"],
    },
    Case {
        file: "bad_duration_negative.yaml",
        position: Some((3, 11)),
        fragments: &["duration must not be negative"],
    },
    Case {
        file: "bad_unknown_tier.yaml",
        position: Some((4, 7)),
        fragments: &[
            "unknown tier `tier9`, expected one of",
            "did you mean `tier1`",
        ],
    },
    Case {
        file: "bad_limiter_burst_zero.yaml",
        position: Some((4, 18)),
        fragments: &["limiter.burst must be > 0"],
    },
    Case {
        file: "bad_tier_without_pool_limits.yaml",
        position: Some((4, 7)),
        fragments: &["publishes no limits for pool"],
    },
    Case {
        file: "bad_duplicate_workspace.yaml",
        position: Some((6, 5)),
        fragments: &["duplicate workspace `a`"],
    },
    Case {
        file: "bad_workspace_zero_limit.yaml",
        position: Some((7, 32)),
        fragments: &["workspaces.a.limits.claude-sonnet-4-5.rpm must be > 0"],
    },
    Case {
        file: "bad_acceleration_bad.yaml",
        position: Some((4, 15)),
        fragments: &[
            "acceleration needs window and baseline >= 1s, max_ratio >= 1 and floor_rpm >= 1",
        ],
    },
    Case {
        file: "bad_latency_noise_negative.yaml",
        position: Some((4, 24)),
        fragments: &["latency.noise_sigma must be >= 0"],
    },
    Case {
        file: "bad_latency_unused_model.yaml",
        position: Some((6, 23)),
        fragments: &["latency.models: `claude-haiku-4-5` is not a model used by any stream"],
    },
    Case {
        file: "bad_latency_zero_speed.yaml",
        position: Some((6, 46)),
        fragments: &["output_tokens_per_s must be > 0"],
    },
    Case {
        file: "bad_overload_probability.yaml",
        position: Some((4, 25)),
        fragments: &["must be between 0 and 1, got 1.5"],
    },
    Case {
        file: "bad_overload_episodes_zero.yaml",
        position: Some((5, 13)),
        fragments: &["overload.episodes: mean_interval and mean_duration must be > 0"],
    },
    Case {
        file: "bad_overload_window_backwards.yaml",
        position: Some((6, 7)),
        fragments: &["overload window must end after it starts"],
    },
    Case {
        file: "bad_class_not_listed.yaml",
        position: Some((11, 12)),
        fragments: &["class `batch` is not listed in `classes`"],
    },
    Case {
        file: "bad_duplicate_stream.yaml",
        position: Some((10, 11)),
        fragments: &["duplicate stream name `chat`"],
    },
    Case {
        file: "bad_unknown_workspace.yaml",
        position: Some((10, 16)),
        fragments: &["unknown workspace `nope`; declare it under `workspaces`"],
    },
    Case {
        file: "bad_no_arrivals.yaml",
        position: Some((5, 11)),
        fragments: &["stream `chat` has neither arrivals nor spikes"],
    },
    Case {
        file: "bad_spike_too_large.yaml",
        position: Some((11, 9)),
        fragments: &["spikes: count must be at most 10000000 requests"],
    },
    Case {
        file: "bad_router_unknown_class.yaml",
        position: Some((11, 10)),
        fragments: &["router: no stream has class `batch`"],
    },
    Case {
        file: "bad_router_unknown_model.yaml",
        position: Some((11, 22)),
        fragments: &["router: unknown model `claude-sonnet-9`"],
    },
    Case {
        file: "bad_router_listed_twice.yaml",
        position: Some((11, 71)),
        fragments: &["router: `claude-haiku-4-5` is listed twice for class `default`"],
    },
    Case {
        file: "bad_strategies_empty.yaml",
        position: Some((10, 13)),
        fragments: &["strategies is empty"],
    },
    Case {
        file: "bad_stream_batch_without_limits.yaml",
        position: Some((11, 10)),
        fragments: &["uses the Batch API, but profile"],
    },
    Case {
        file: "bad_strategy_offload_without_limits.yaml",
        position: Some((11, 14)),
        fragments: &["offloads to the Batch API, but profile"],
    },
    Case {
        file: "bad_assert_syntax.yaml",
        position: Some((5, 22)),
        fragments: &["assert: expected a number"],
    },
    Case {
        file: "bad_assert_unknown_strategy.yaml",
        position: Some((5, 5)),
        fragments: &["assert: no strategy `nope` in this scenario"],
    },
    Case {
        file: "bad_batch_no_published_limits.yaml",
        position: Some((5, 8)),
        fragments: &[
            "publishes no Batch API limits; set rpm, max_queued_requests and max_batch_requests",
        ],
    },
    Case {
        file: "bad_batch_turnaround_zero.yaml",
        position: Some((4, 8)),
        fragments: &["batch.turnaround needs median > 0 and sigma >= 0"],
    },
    Case {
        file: "bad_bursts_period.yaml",
        position: Some((7, 87)),
        fragments: &["bursts: period must be > 0 and at least burst_length"],
    },
    Case {
        file: "bad_diurnal_hourly_count.yaml",
        position: Some((7, 52)),
        fragments: &["diurnal.hourly needs 24 multipliers, got 2"],
    },
    Case {
        file: "bad_diurnal_hourly_negative.yaml",
        position: Some((7, 52)),
        fragments: &["diurnal.hourly multipliers must be >= 0"],
    },
    Case {
        file: "bad_diurnal_peak.yaml",
        position: Some((7, 15)),
        fragments: &["diurnal: peak_hour must be in 0..24 and peak_to_trough >= 1"],
    },
    Case {
        file: "bad_diurnal_neither.yaml",
        position: Some((7, 15)),
        fragments: &["diurnal: give either `hourly`"],
    },
    Case {
        file: "bad_prefix_tokens_too_large.yaml",
        position: Some((10, 35)),
        fragments: &["prompt_cache.prefix_tokens must be at most 1000000000000"],
    },
    Case {
        file: "bad_prefixes_zero.yaml",
        position: Some((10, 50)),
        fragments: &["prompt_cache.prefixes must be >= 1"],
    },
    Case {
        file: "bad_zipf_zero.yaml",
        position: Some((10, 52)),
        fragments: &["prompt_cache.popularity.zipf exponent must be > 0"],
    },
    Case {
        file: "bad_cache_ttl.yaml",
        position: Some((10, 45)),
        fragments: &["prompt_cache.ttl must be 5m or 1h"],
    },
    Case {
        file: "bad_tokens_too_large.yaml",
        position: Some((8, 19)),
        fragments: &["a token count must be at most 1000000000000 tokens"],
    },
    Case {
        file: "bad_tokens_negative.yaml",
        position: Some((8, 19)),
        fragments: &["token count must not be negative, got -1"],
    },
    Case {
        file: "bad_uniform_backwards.yaml",
        position: Some((8, 19)),
        fragments: &["uniform: min 10 is larger than max 5"],
    },
    Case {
        file: "bad_lognormal_sigma.yaml",
        position: Some((8, 19)),
        fragments: &["lognormal: sigma must be >= 0, got -1"],
    },
    Case {
        file: "bad_empirical_lengths.yaml",
        position: Some((8, 19)),
        fragments: &["empirical: needs as many weights as values"],
    },
    Case {
        file: "bad_empirical_zero_weights.yaml",
        position: Some((8, 19)),
        fragments: &["empirical: invalid weights"],
    },
    Case {
        file: "bad_missing_tokens.yaml",
        position: Some((5, 11)),
        fragments: &["stream `chat` needs `output_tokens`"],
    },
    Case {
        file: "bad_trace_options_without_trace.yaml",
        position: Some((10, 20)),
        fragments: &["stream `chat`: trace_options needs a `trace:` file to replay"],
    },
    Case {
        file: "bad_strategy_no_name.yaml",
        position: Some((11, 5)),
        fragments: &["a strategy needs a `name`"],
    },
    Case {
        file: "bad_concurrency_zero.yaml",
        position: Some((11, 28)),
        fragments: &["concurrency.fixed must be >= 1"],
    },
    Case {
        file: "bad_aimd_bad.yaml",
        position: Some((11, 28)),
        fragments: &["concurrency.aimd needs 1 <= min <= initial <= max"],
    },
    Case {
        file: "bad_token_bucket_fraction.yaml",
        position: Some((11, 23)),
        fragments: &["pacing.token_bucket.fraction must be in (0, 1], got 1.5"],
    },
    Case {
        file: "bad_adaptive_throttle_k.yaml",
        position: Some((11, 23)),
        fragments: &["pacing.adaptive_throttle.k must be > 0, got 0"],
    },
    Case {
        file: "bad_retry_budget_ratio.yaml",
        position: Some((11, 29)),
        fragments: &["retry_budget.ratio must be between 0 and 1000, got -1"],
    },
    Case {
        file: "bad_batch_offload_zero.yaml",
        position: Some((11, 30)),
        fragments: &["batch_offload needs 1..=100000 max_batch_requests and flush_every > 0"],
    },
    Case {
        file: "bad_background_reserve.yaml",
        position: Some((11, 35)),
        fragments: &["background_reserve must be in [0, 1), got 1"],
    },
    Case {
        file: "bad_backoff_cap.yaml",
        position: Some((11, 22)),
        fragments: &["retry.backoff needs base > 0 and cap >= base"],
    },
    // Trip-ups a new user hit: each error points at the offending value.
    Case {
        // Was reported at the stream's `name:` (line 23).
        file: "bad_class_typo.yaml",
        position: Some((25, 12)),
        fragments: &[
            "class `backgroud` is not listed in `classes` (interactive, background)",
            "did you mean `background`?",
        ],
    },
    Case {
        file: "bad_max_tokens_zero.yaml",
        position: Some((10, 17)),
        fragments: &["max_tokens must be at least 1"],
    },
    Case {
        file: "bad_max_tokens_too_large.yaml",
        position: Some((10, 17)),
        fragments: &[
            "max_tokens 200000 is more than `claude-sonnet-4-5` can generate",
            "its maximum output is 64000 tokens",
        ],
    },
    Case {
        file: "bad_max_tokens_uniform_too_large.yaml",
        position: Some((10, 17)),
        fragments: &[
            "max_tokens 16000",
            "`claude-3-5-haiku`",
            "maximum output is 8192",
        ],
    },
    Case {
        file: "bad_router_fallback_max_tokens.yaml",
        position: Some((12, 53)),
        fragments: &[
            "router: `claude-3-5-haiku` can generate at most 8192 tokens",
            "stream `chat` (class `default`) asks for max_tokens up to 16000",
        ],
    },
    Case {
        file: "bad_spikes_under_arrivals.yaml",
        position: Some((9, 7)),
        fragments: &["`spikes` is a stream-level key: write it beside `arrivals:`"],
    },
    Case {
        file: "bad_spikes_first_under_arrivals.yaml",
        position: Some((8, 7)),
        fragments: &[
            "unknown variant `spikes`",
            "`spikes` is a stream-level key: write it beside `arrivals:`",
        ],
    },
    Case {
        file: "bad_duration_no_unit.yaml",
        position: Some((10, 15)),
        fragments: &["`2500` has no unit: write `2500s`"],
    },
    Case {
        // At the class's route (map keys carry no position).
        file: "bad_unknown_class_router.yaml",
        position: Some((12, 15)),
        fragments: &[
            "router: no stream has class `interactve`",
            "did you mean `interactive`?",
        ],
    },
    Case {
        // Block style: the error points at the preset's value.
        file: "bad_preset_field.yaml",
        position: Some((12, 13)),
        fragments: &["unknown strategy preset `header_driver`"],
    },
];

#[test]
fn every_bad_fixture_exits_2_with_file_line_column_and_expectation() {
    let mut problems = Vec::new();
    for case in CASES {
        let path = format!("{FIXTURES}/{}", case.file);
        assert!(root().join(&path).is_file(), "missing fixture {path}");
        let (code, _stdout, stderr) = validate(&[&path]);
        let mut fail =
            |what: String| problems.push(format!("{}: {what}\nstderr:\n{stderr}", case.file));
        if code != Some(2) {
            fail(format!("exit code {code:?}, expected 2"));
        }
        if stderr.contains("panicked") {
            fail("panicked".to_string());
        }
        let located = match case.position {
            Some((l, c)) => format!("error: {path}:{l}:{c}: "),
            None => format!("error: {path}: "),
        };
        if !stderr.contains(&located) {
            fail(format!("stderr lacks `{located}`"));
        }
        for frag in case.fragments {
            if !stderr.contains(frag) {
                fail(format!("stderr lacks `{frag}`"));
            }
        }
        if case.position.is_some() && !stderr.contains('^') {
            fail("no caret snippet".to_string());
        }
        if !stderr.contains("1 of 1 scenario(s) invalid") {
            fail("no summary line".to_string());
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn every_bad_fixture_has_a_case() {
    let dir = root().join(FIXTURES);
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.starts_with("bad_") && name != "bad_billion_laughs.yaml" {
            assert!(
                CASES.iter().any(|c| c.file == name),
                "fixture {name} has no case in CASES"
            );
        }
    }
}

#[test]
fn snippet_points_at_the_offending_column() {
    let (_, _, stderr) = validate(&["tests/fixtures/bad_unknown_field.yaml"]);
    // 7 |     rpmm: 40
    //   |     ^
    let lines: Vec<&str> = stderr.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with("7 | "))
        .unwrap_or_else(|| panic!("no source line in snippet:\n{stderr}"));
    assert_eq!(lines[i], "7 |     rpmm: 40");
    assert_eq!(lines[i + 1], "  |     ^");
}

#[test]
fn missing_file_exits_2_with_cannot_read() {
    let (code, _, stderr) = validate(&["tests/fixtures/no_such_file.yaml"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("tests/fixtures/no_such_file.yaml"),
        "{stderr}"
    );
    assert!(stderr.contains("cannot read"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn directory_instead_of_file_exits_2() {
    let (code, _, stderr) = validate(&["tests/fixtures"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("cannot read"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn mixed_good_and_bad_files_report_each_and_exit_2() {
    let (code, stdout, stderr) = validate(&[
        "tests/fixtures/good.yaml",
        "tests/fixtures/bad_unknown_model.yaml",
        "tests/fixtures/bad_zero_rpm.yaml",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.contains("tests/fixtures/good.yaml: ok"), "{stdout}");
    assert!(stderr.contains("bad_unknown_model.yaml:5:12"), "{stderr}");
    assert!(stderr.contains("bad_zero_rpm.yaml:3:25"), "{stderr}");
    assert!(stderr.contains("2 of 3 scenario(s) invalid"), "{stderr}");
}

#[test]
fn good_fixture_validates() {
    let (code, stdout, stderr) = validate(&["tests/fixtures/good.yaml"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("tests/fixtures/good.yaml: ok (1 stream, 2 strategies)"),
        "{stdout}"
    );
}

#[test]
fn every_shipped_scenario_validates() {
    let dir = root().join("scenarios");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenarios in {}", dir.display());
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = validate(&args);
    assert_eq!(code, Some(0), "{stderr}");
    for f in &files {
        assert!(
            stdout.contains(&format!("{f}: ok")),
            "{f} not ok:\n{stdout}"
        );
    }
}

/// Asserts a hostile file is rejected with exit 2, quickly and without a panic.
fn assert_rejected_quickly(path: &str) -> String {
    let started = Instant::now();
    let (code, _, stderr) = validate(&[path]);
    let took = started.elapsed();
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(path), "{stderr}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    stderr
}

#[test]
fn billion_laughs_is_rejected_quickly() {
    assert_rejected_quickly("tests/fixtures/bad_billion_laughs.yaml");
}

#[test]
fn billion_laughs_inside_a_known_field_is_rejected_quickly() {
    // The anchors live inside `classes`, a field the scenario accepts.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("name: bomb\nduration: 10m\nclasses:\n");
    text.push_str("  - &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n");
    for (anchor, alias) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        let items = vec![format!("*{alias}"); 9].join(", ");
        text.push_str(&format!("  - &{anchor} [{items}]\n"));
    }
    text.push_str("  - *i\n");
    text.push_str(
        "streams:\n  - name: chat\n    model: claude-sonnet-4-5\n    \
         arrivals: {poisson: {rate_per_min: 10}}\n    input_tokens: 5\n    output_tokens: 5\n",
    );
    let path = dir.path().join("bomb.yaml");
    std::fs::write(&path, text).unwrap();
    assert_rejected_quickly(path.to_str().unwrap());
}

#[test]
fn an_oversized_file_says_which_parser_limit_it_broke() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    let classes: Vec<String> = (0..260_000).map(|i| format!("c{i}")).collect();
    std::fs::write(
        &path,
        format!(
            "name: huge\nduration: 10m\nclasses: [{}]\n",
            classes.join(",")
        ),
    )
    .unwrap();
    let stderr = assert_rejected_quickly(path.to_str().unwrap());
    assert!(
        stderr.contains("huge.yaml:3:")
            && stderr.contains("too large to be a scenario: more than 250000 YAML nodes"),
        "{stderr}"
    );
}

#[test]
fn deeply_nested_flow_collections_are_rejected_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.yaml");
    std::fs::write(
        &path,
        format!(
            "name: deep\nduration: 10m\nclasses: {}\n",
            "[".repeat(100_000)
        ),
    )
    .unwrap();
    let stderr = assert_rejected_quickly(path.to_str().unwrap());
    assert!(stderr.contains(":3:"), "{stderr}");
}

#[test]
fn non_utf8_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("binary.yaml");
    std::fs::write(&path, b"\xff\xfe\x00garbage\n").unwrap();
    let stderr = assert_rejected_quickly(path.to_str().unwrap());
    assert!(
        stderr.contains("binary.yaml:1:1: the scenario is not UTF-8 text: byte 0xff"),
        "{stderr}"
    );
    // Further in: the line and column of the first bad byte (CRLF counts once).
    let path = dir.path().join("latin1.yaml");
    std::fs::write(
        &path,
        b"name: x\r\nduration: 1m\r\nstreams:\n  - name: caf\xe9\n",
    )
    .unwrap();
    let stderr = assert_rejected_quickly(path.to_str().unwrap());
    assert!(
        stderr.contains("latin1.yaml:4:14: the scenario is not UTF-8 text: byte 0xe9"),
        "{stderr}"
    );
}

#[test]
fn non_mapping_documents_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (i, text) in ["just a string\n", "- 1\n- 2\n", "~\n", "---\n...\n"]
        .iter()
        .enumerate()
    {
        let path = dir.path().join(format!("doc{i}.yaml"));
        std::fs::write(&path, text).unwrap();
        assert_rejected_quickly(path.to_str().unwrap());
    }
}

/// Writes `text` to a temporary scenario file and returns ratesim's stderr
/// after asserting exit 2 and no panic.
fn rejected_text(text: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, text).unwrap();
    let p = path.to_str().unwrap().to_string();
    let (code, _, stderr) = validate(&[&p]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (p, stderr)
}

const ONE_STREAM: &str = "  - {name: s, model: claude-sonnet-4-5, \
                          arrivals: {poisson: {rate_per_min: 1}}, input_tokens: 1, output_tokens: 1}\n";

#[test]
fn more_classes_than_a_u8_numbers_are_rejected_at_streams() {
    // Classes are numbered with a u8: 256 distinct ones cannot be.
    let mut text = String::from("name: t\nduration: 10m\nstreams:\n");
    for i in 0..256 {
        text.push_str(&ONE_STREAM.replace("name: s,", &format!("name: s{i}, class: c{i},")));
    }
    let (p, stderr) = rejected_text(&text);
    assert!(
        stderr.contains(&format!("{p}:4:3: too many classes (at most 255)")),
        "{stderr}"
    );
}

#[test]
fn more_workspaces_than_a_u16_numbers_are_rejected_at_the_first_extra_one() {
    // Clients (one per workspace, plus the default) are numbered with a
    // u16: the 65,535th workspace, on line 3 + 65,535, is one too many.
    let mut text = String::from("name: t\nduration: 10m\nworkspaces:\n");
    for i in 0..65_535 {
        text.push_str(&format!("  - {{name: w{i}}}\n"));
    }
    text.push_str("streams:\n");
    text.push_str(ONE_STREAM);
    let (p, stderr) = rejected_text(&text);
    assert!(
        stderr.contains(&format!("{p}:65538:5: too many workspaces (at most 65534)")),
        "{stderr}"
    );
}

// ------------------------------------------------------- library-level checks

use ratesim::scenario::{ErrorKind, Scenario, StrategyLookupError};

const STREAM: &str = "name: t
duration: 1h
latency: {network_rtt: 100ms, models: {claude-sonnet-4-5: {ttft: 2s}}}
streams:
  - name: chat
    model: claude-sonnet-4-5
    arrivals: {poisson: {rate_per_min: 10}}
    input_tokens: 100
    output_tokens: 10
";

fn scenario(extra: &str) -> Scenario {
    Scenario::from_yaml_str("s.yaml", &format!("{STREAM}{extra}")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_deadline_shorter_than_ttft_plus_rtt_is_a_warning() {
    // 2 s + 100 ms = 2.1 s: a 2 s deadline can never be met, 2.1 s can.
    let s = scenario("    deadline: 2s\n");
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    let w = s.warnings[0].to_string();
    assert!(
        w.starts_with(
            "s.yaml:10:15: stream `chat`: deadline 2s is shorter than \
                       `claude-sonnet-4-5`'s time to first token (2s) plus the network \
                       round trip (100ms)"
        ),
        "{w}"
    );
    assert!(w.contains("10 |     deadline: 2s"), "{w}");
    assert!(scenario("    deadline: 2100ms\n").warnings.is_empty());
    assert!(scenario("").warnings.is_empty());
}

#[test]
fn spikes_after_the_window_warn_with_the_number_dropped() {
    // 1000 requests over 10 minutes from 55m: request k arrives at
    // 55m + 600 s·k/1000, so k ≥ 500 (at 60m and later) are dropped.
    let s = scenario(
        "    spikes:\n      - {at: 55m, count: 1000, over: 10m}\n      - {at: 2h, count: 7}\n      - {at: 10m, count: 5}\n",
    );
    let w: Vec<String> = s.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].starts_with("s.yaml:11:9: stream `chat`: 500 of this spike's 1000 requests fall after the simulated window (duration 1h)"),
        "{}",
        w[0]
    );
    assert!(
        w[1].starts_with("s.yaml:12:9: stream `chat`: 7 of this spike's 7 requests"),
        "{}",
        w[1]
    );
}

#[test]
fn strategy_named_finds_the_scenarios_then_a_preset() {
    let s = scenario(
        "strategies:\n  - {name: mine, preset: token_bucket, pacing: {token_bucket: {fraction: 0.5}}}\n",
    );
    assert_eq!(s.strategy_named("mine").unwrap(), s.strategies[0]);
    // A preset the scenario does not list: built as the bare name would be.
    let listed = scenario("strategies: [sdk_default]\n");
    assert_eq!(
        s.strategy_named("sdk_default").unwrap(),
        listed.strategies[0]
    );
    let e = s.strategy_named("sdk_defualt").unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with(
            "no strategy or preset `sdk_defualt` (the scenario has: mine; presets: naive_retry,"
        ),
        "{msg}"
    );
    assert!(msg.ends_with("did you mean `sdk_default`?"), "{msg}");
    assert!(
        matches!(e, StrategyLookupError::Unknown { ref did_you_mean, .. } if did_you_mean == &["sdk_default"])
    );
}

#[test]
fn strategy_named_refuses_batch_offload_without_batch_limits() {
    let text = format!(
        "{STREAM}tier: seed-guide-2026/free\npools: {{sonnet-4: {{rpm: 50, itpm: 30000, otpm: 8000}}}}\nstrategies: [header_driven]\n"
    );
    let s = Scenario::from_yaml_str("s.yaml", &text).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        s.strategy_named("batch_offload"),
        Err(StrategyLookupError::NeedsBatch { .. })
    ));
}

#[test]
fn unknown_names_carry_their_suggestions() {
    let e = Scenario::from_yaml_str(
        "s.yaml",
        &STREAM.replace("model: claude-sonnet-4-5", "model: claude-sonet-4-5"),
    )
    .unwrap_err();
    match &*e.kind {
        ErrorKind::UnknownName { name, did_you_mean } => {
            assert_eq!(name, "claude-sonet-4-5");
            assert_eq!(
                did_you_mean.first().map(String::as_str),
                Some("claude-sonnet-4-5")
            );
        }
        other => panic!("{other:?}: {e}"),
    }
}
