//! Tests of the assertion language, against hand-written expectations.

use super::eval::fmt_num;
use super::expr::{BinOp, Expr};
use super::parse::MAX_DEPTH;
use super::*;
use serde_json::json;

fn result() -> Value {
    json!({
        "strategy": "token_bucket",
        "layers": "queue=fifo",
        "requests": 100,
        "succeeded": 97,
        "failed": 3,
        "attempts": 120,
        "rate_limited": {"total": 12, "rpm": 0, "itpm": 12, "otpm": 0},
        "overloaded": 0,
        "latency_ms": {"p50": 900.0, "p90": 2000.0, "p99": 3120.5, "p999": 4000.0, "max": 5000.0},
        "goodput_per_min": 19.4,
        "cost_usd": 10.4,
        "by_class": {
            "interactive": {
                "requests": 60,
                "rate_limited": {"total": 2},
                "latency_ms": {"p50": 800.0, "p99": 1400.0},
                "cost_usd": 6.0
            },
            "background": {
                "requests": 40,
                "rate_limited": {"total": 10},
                "latency_ms": {"p50": 1000.0, "p99": 4000.0},
                "cost_usd": 4.4
            },
            "tier-1": {"requests": 0, "latency_ms": {"p99": 0.0}}
        },
        "by_model": [{"model": "claude-sonnet-4-5", "attempts": 120}],
        "max_concurrent": null,
        "batch": {"enabled": false}
    })
}

fn baseline() -> Value {
    json!({
        "cost_usd": 10.0,
        "goodput_per_min": 20.0,
        "latency_ms": {"p99": 3000.0},
        "rate_limited": {"total": 0}
    })
}

fn parse(src: &str) -> Assertion {
    Assertion::parse(src).unwrap_or_else(|e| panic!("{src:?} should parse: {e}"))
}

fn check(src: &str) -> Check {
    parse(src)
        .evaluate(&result(), Some(&baseline()))
        .unwrap_or_else(|e| panic!("{src:?} should evaluate: {e}"))
}

fn passes(src: &str) -> bool {
    check(src).passed
}

fn parse_err(src: &str) -> ParseError {
    match Assertion::parse(src) {
        Ok(a) => panic!("{src:?} should not parse, got {:?}", a.canonical()),
        Err(e) => e,
    }
}

fn eval_err(src: &str, baseline: Option<&Value>) -> String {
    match parse(src).evaluate(&result(), baseline) {
        Ok(c) => panic!("{src:?} should not evaluate, got {}", c.message),
        Err(e) => e.to_string(),
    }
}

fn path(p: &str) -> Expr {
    Expr::Metric(p.to_string())
}

#[test]
fn parses_the_issue_examples() {
    let a = parse("rate_limited.total == 0");
    assert_eq!(a.strategy, None);
    assert_eq!(a.lhs, path("rate_limited.total"));
    assert_eq!(a.comparison(), Comparison::Eq);
    assert_eq!(a.rhs, Expr::Number(0.0));
    assert!(!a.uses_baseline());

    let a = parse("latency_ms.p99 < 2500");
    assert_eq!(a.lhs, path("latency_ms.p99"));
    assert_eq!(a.comparison(), Comparison::Lt);
    assert_eq!(a.rhs, Expr::Number(2500.0));

    let a = parse("cost_usd <= 1.05 * baseline");
    assert_eq!(a.comparison(), Comparison::Le);
    assert_eq!(
        a.rhs,
        Expr::Binary(
            BinOp::Mul,
            Box::new(Expr::Number(1.05)),
            Box::new(Expr::Baseline)
        )
    );
    assert_eq!(a.baseline_metric.as_deref(), Some("cost_usd"));
    assert!(a.uses_baseline());

    let a = parse("by_class.interactive.latency_ms.p99 < 1500");
    assert_eq!(a.lhs, path("by_class.interactive.latency_ms.p99"));
    assert_eq!(a.metrics(), vec!["by_class.interactive.latency_ms.p99"]);

    let a = parse("token_bucket: rate_limited.total == 0");
    assert_eq!(a.strategy.as_deref(), Some("token_bucket"));
    assert_eq!(a.expression(), "rate_limited.total == 0");
    assert_eq!(a.source(), "token_bucket: rate_limited.total == 0");
    assert_eq!(a.to_string(), a.source);
    assert_eq!(a.lhs, path("rate_limited.total"));

    let from_str: Assertion = "latency_ms.p99 < 2500".parse().unwrap();
    assert_eq!(from_str.rhs, Expr::Number(2500.0));
}

#[test]
fn numbers() {
    for (src, v) in [
        ("2500", 2500.0),
        ("2_500", 2500.0),
        ("1_000_000", 1e6),
        ("1.05", 1.05),
        (".5", 0.5),
        ("0.25", 0.25),
        ("1e3", 1000.0),
        ("2.5E-1", 0.25),
        ("1e+2", 100.0),
        ("5%", 0.05),
        ("12.5%", 0.125),
        ("1e3%", 10.0),
        ("0", 0.0),
    ] {
        let a = parse(&format!("x == {src}"));
        assert_eq!(a.rhs, Expr::Number(v), "{src}");
    }
    assert!(passes("5% == 0.05"));
    assert!(passes("1.1% == 0.011"));
}

#[test]
fn precedence_and_associativity() {
    assert!(passes("1 + 2 * 3 == 7"));
    assert!(passes("(1 + 2) * 3 == 9"));
    assert!(passes("10 - 4 - 3 == 3"));
    assert!(passes("2 * 3 / 4 == 1.5"));
    assert!(passes("12 / 2 / 3 == 2"));
    assert!(passes("-2 * 3 == -6"));
    assert!(passes("-(1 + 2) == -3"));
    assert!(passes("- -4 == 4"));
    assert!(passes("+4 == 4"));
    assert!(passes("2 - -1 == 3"));
    assert!(passes("1 + 2 * 3 - 4 / 2 == 5"));
    assert!(passes("((((7)))) == 7"));
    assert_eq!(
        parse("a - b * c < 1").lhs,
        Expr::Binary(
            BinOp::Sub,
            Box::new(path("a")),
            Box::new(Expr::Binary(
                BinOp::Mul,
                Box::new(path("b")),
                Box::new(path("c"))
            ))
        )
    );
}

#[test]
fn every_comparison_operator() {
    let table = [
        ("3 == 3", true),
        ("3 == 4", false),
        ("3 != 4", true),
        ("3 != 3", false),
        ("3 < 4", true),
        ("3 < 3", false),
        ("3 <= 3", true),
        ("4 <= 3", false),
        ("4 > 3", true),
        ("3 > 3", false),
        ("3 >= 3", true),
        ("3 >= 4", false),
        ("0.1 + 0.2 == 0.3", false), // exact comparison
        ("cost_usd == 10.4", true),
        ("rate_limited.total != 0", true),
        ("requests>=100", true),
        ("requests<=99", false),
    ];
    for (src, expected) in table {
        assert_eq!(passes(src), expected, "{src}");
    }
    for c in Comparison::ALL {
        assert_eq!(Comparison::from_symbol(c.symbol()), Some(c));
    }
}

#[test]
fn messages_say_by_how_much() {
    assert_eq!(
        check("latency_ms.p99 < 2500").message,
        "latency_ms.p99 < 2500: 3120.5 is not < 2500 (over by 620.5, 24.8 %)"
    );
    let c = check("latency_ms.p99 < 4000");
    assert!(c.passed);
    assert_eq!((c.lhs, c.rhs), (Some(3120.5), Some(4000.0)));
    assert_eq!(c.no_value, None);
    assert_eq!(
        c.message,
        "latency_ms.p99 < 4000: 3120.5 < 4000 (margin 879.5, 22.0 %)"
    );
    assert_eq!(
        check("goodput_per_min >= 20").message,
        "goodput_per_min >= 20: 19.4 is not >= 20 (under by 0.6, 3.0 %)"
    );
    assert_eq!(
        check("rate_limited.total == 0").message,
        "rate_limited.total == 0: 12 is not == 0 (over by 12)"
    );
    assert_eq!(
        check("overloaded != 0").message,
        "overloaded != 0: 0 is not != 0 (both are 0)"
    );
    assert_eq!(
        check("requests < 100").message,
        "requests < 100: 100 is not < 100 (they are equal)"
    );
    assert_eq!(check("failed == 3").message, "failed == 3: 3 == 3");
    assert_eq!(
        check("  token_bucket :  failed == 2 ").message,
        "failed == 2: 3 is not == 2 (over by 1, 50.0 %)"
    );
}

#[test]
fn baseline_semantics() {
    // 10.4 <= 1.05 * 10.0 = 10.5
    let c = check("cost_usd <= 1.05 * baseline");
    assert!(c.passed);
    assert_eq!(c.rhs, Some(1.05 * 10.0));
    assert!(
        c.message.contains("baseline cost_usd = 10"),
        "{}",
        c.message
    );
    assert!(!passes("cost_usd <= 1.03 * baseline"));
    assert_eq!(
        check("cost_usd <= 1.03 * baseline").message,
        "cost_usd <= 1.03 * baseline: 10.4 is not <= 10.3 \
             (over by 0.1, 1.0 %; baseline cost_usd = 10)"
    );
    // The left-hand side's only metric, wherever it sits.
    assert!(passes("cost_usd / baseline <= 1.05"));
    assert!(passes("(cost_usd - baseline) / baseline < 5%"));
    assert!(!passes("(cost_usd - baseline) / baseline < 3%"));
    assert!(passes("goodput_per_min >= 0.95 * baseline"));
    assert!(passes("latency_ms.p99 <= baseline * 1.05"));
    // Explicit form, anywhere, for any metric.
    assert!(passes("cost_usd <= 1.05 * baseline.cost_usd"));
    assert!(passes("baseline.rate_limited.total == 0"));
    assert!(passes("latency_ms.p99 - baseline.latency_ms.p99 < 200"));
    let a = parse("cost_usd < baseline.cost_usd");
    assert!(a.uses_baseline());
    assert_eq!(a.metrics(), vec!["cost_usd"]);

    // No baseline given.
    let m = eval_err("cost_usd <= 1.05 * baseline", None);
    assert!(m.starts_with("cost_usd <= 1.05 * baseline: "), "{m}");
    assert!(
        m.ends_with(
            "`baseline` (the baseline's `cost_usd`) needs a baseline result, but none was given"
        ),
        "{m}"
    );
    let m = eval_err("cost_usd <= baseline.cost_usd", None);
    assert!(
        m.contains("`baseline.cost_usd` needs a baseline result"),
        "{m}"
    );
    // The baseline lacks the metric.
    let m = eval_err("requests <= baseline", Some(&baseline()));
    assert!(
        m.contains("in the baseline result: unknown metric `requests`"),
        "{m}"
    );

    // The left side must name exactly one metric.
    let e = parse_err("1 < baseline");
    assert_eq!(e.column, 5);
    assert!(e.message.contains("names no metric"), "{e}");
    let e = parse_err("cost_usd + overloaded <= baseline");
    assert_eq!(e.column, 26);
    assert!(e.message.contains("ambiguous"), "{e}");
    assert!(e.message.contains("`cost_usd`, `overloaded`"), "{e}");
    let e = parse_err("baseline > cost_usd");
    assert_eq!(e.column, 1);
    let e = parse_err("baseline.cost_usd > 2 * baseline");
    assert_eq!(e.column, 25);
    // The same metric twice is still one metric.
    assert!(passes("cost_usd + cost_usd <= 2.1 * baseline"));
}

#[test]
fn strategy_prefix() {
    let a = parse("token_bucket: rate_limited.total == 0");
    assert!(a.applies_to("token_bucket"));
    assert!(!a.applies_to("token_bucket2"));
    assert!(!a.applies_to("aimd"));
    let a = parse("rate_limited.total == 0");
    assert!(a.applies_to("token_bucket") && a.applies_to("anything"));
    for (src, name) in [
        ("bucket-70: cost_usd < 1", "bucket-70"),
        ("v1.2:cost_usd < 1", "v1.2"),
        ("  A_b-9.x  :  cost_usd < 1", "A_b-9.x"),
    ] {
        let a = parse(src);
        assert_eq!(a.strategy.as_deref(), Some(name), "{src}");
        assert_eq!(a.expression(), "cost_usd < 1");
        assert_eq!(a.lhs, path("cost_usd"));
    }

    let e = parse_err(": a < 1");
    assert_eq!(e.column, 1);
    assert!(e.message.contains("expected a strategy name"), "{e}");
    let e = parse_err("   : a < 1");
    assert_eq!(e.column, 4);
    let e = parse_err("token bucket: a < 1");
    assert_eq!(e.column, 6);
    assert!(e.message.contains("found a space"), "{e}");
    let e = parse_err("tok$en: a < 1");
    assert_eq!(e.column, 4);
    let e = parse_err("a < 1: b");
    assert_eq!(e.column, 6);
    assert!(e.message.contains("unexpected ':'"), "{e}");
    let e = parse_err("aimd:");
    assert_eq!(e.column, 6);
    assert!(
        e.message
            .contains("expected an expression after the strategy name")
    );
    let e = parse_err("a: b: c < 1");
    assert_eq!(e.column, 5);
    assert!(e.message.contains("only one `STRATEGY:` prefix"), "{e}");
}

#[test]
fn error_columns() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 1, "empty assertion"),
        ("   ", 4, "empty assertion"),
        (
            "latency_ms.p99 =< 2500",
            16,
            "expected a comparison operator (==, !=, <, <=, >, >=), found \"=<\"; \
                 did you mean \"<=\"?",
        ),
        ("a = 1", 3, "found \"=\"; use == to test equality"),
        ("a => 1", 3, "did you mean \">=\"?"),
        ("a <> 1", 3, "did you mean \"!=\"?"),
        ("a ! 1", 3, "use != for 'not equal'"),
        ("a <=> 1", 3, "found \"<=>\""),
        ("latency_ms.p99", 15, "found end of input"),
        (
            "a b < 1",
            3,
            "expected an arithmetic operator (+, -, *, /) or a comparison",
        ),
        (
            "(1 + 2 == 3",
            8,
            "expected ')' to close the '(' at column 1, found \"==\"",
        ),
        ("((1 + 2) == 3", 10, "close the '(' at column 1"),
        ("1 < (2", 7, "found end of input"),
        ("1 + 2) == 3", 6, "unmatched ')'"),
        ("1 < 2)", 6, "unmatched ')'"),
        (
            "() < 1",
            2,
            "expected a number, a metric path, `baseline` or '(', found \")\"",
        ),
        ("a < 1 b", 7, "or the end of the assertion, found \"b\""),
        (
            "a < 1 and b > 2",
            7,
            "found \"and\" (an assertion holds one comparison",
        ),
        ("a < 1 < 2", 7, "only one comparison is allowed"),
        ("a < 1 =< 2", 7, "found \"=<\""),
        (
            "latency_ms. < 3",
            12,
            "expected a key after '.' in the metric path \"latency_ms.\", found a space",
        ),
        ("a < latency_ms.", 16, "found end of input"),
        ("a..b < 1", 3, "expected a key after '.'"),
        (
            "1.2.3 == 1",
            4,
            "malformed number \"1.2.3\": a number has at most one decimal point",
        ),
        ("x < 1e3.5", 8, "malformed number \"1e3.5\""),
        (
            "1. == 1",
            3,
            "expected a digit after the decimal point in \"1.\", found a space",
        ),
        ("1.x == 1", 3, "found \"x\""),
        (
            "1e == 1",
            3,
            "expected the digits of the exponent in \"1e\"",
        ),
        ("1e+ == 1", 4, "exponent"),
        ("2_ == 2", 2, "'_' in a number must sit between two digits"),
        ("2__0 == 2", 2, "between two digits"),
        (
            "12ms < 3",
            1,
            "expected a number, found `12ms`: numbers are written without units",
        ),
        (
            "12xy < 3",
            3,
            "unexpected \"x\" right after the number \"12\"",
        ),
        (
            "a < 5msx",
            6,
            "unexpected \"m\" right after the number \"5\"",
        ),
        (
            "a < 5s_",
            6,
            "unexpected \"s\" right after the number \"5\"",
        ),
        (
            "a < 5$x",
            6,
            "unexpected \"$\" right after the number \"5\"",
        ),
        (
            "a < $",
            5,
            "unexpected character \"$\" (amounts are written without a currency sign",
        ),
        (
            "5%% < 3",
            3,
            "unexpected \"%\" right after the number \"5%\"",
        ),
        ("a < 5 %", 7, "'%' must directly follow a number"),
        (
            "a <",
            4,
            "expected a number, a metric path, `baseline` or '(', found end of input",
        ),
        ("< 3", 1, "expected a number"),
        ("a < *3", 5, "found \"*\""),
        ("a # 1", 3, "unexpected character \"#\""),
        ("a ≤ 1", 3, "(write <=)"),
        ("a < 1 && b < 2", 7, "write several assertions"),
        ("\"cost_usd\" < 1", 1, "without quotes"),
        ("a < 2,5", 6, "decimal point"),
        ("a < 1e999", 5, "number \"1e999\" is out of range"),
        ("a-b- < 1", 6, "found \"<\""),
        ("a < \u{0}", 5, "unexpected character \"\\0\""),
        ("é < 1", 1, "unexpected character \"é\""),
        ("é < 1 b", 1, "unexpected character"),
        ("a < b é", 7, "unexpected character \"é\""), // columns count characters
    ];
    for &(src, column, fragment) in cases {
        let e = parse_err(src);
        assert_eq!(e.column, column, "{src:?}: {e}");
        assert!(e.message.contains(fragment), "{src:?}: {e}");
        assert_eq!(e.to_string(), format!("column {column}: {}", e.message));
    }
    let e = parse_err("latency_ms.p99 =< 2500");
    assert_eq!(
        e.to_string(),
        "column 16: expected a comparison operator (==, !=, <, <=, >, >=), \
             found \"=<\"; did you mean \"<=\"?"
    );
}

#[test]
fn nesting_limits_are_errors_not_overflows() {
    let deep = format!("{}1{} == 1", "(".repeat(5000), ")".repeat(5000));
    let e = parse_err(&deep);
    assert!(e.message.contains("too deeply nested"), "{e}");
    assert_eq!(e.column, MAX_DEPTH + 1);
    let e = parse_err(&format!("{}1 == -1", "-".repeat(100_000)));
    assert!(e.message.contains("too deeply nested"), "{e}");
    let e = parse_err(&format!("{}1 == 1", "1 + ".repeat(10_000)));
    assert!(e.message.contains("too deeply nested"), "{e}");
    // Within the limits is fine.
    assert!(passes(&format!("{}1 == 50", "1 + ".repeat(49))));
    assert!(passes(&format!(
        "{}7{} == 7",
        "(".repeat(50),
        ")".repeat(50)
    )));
}

#[test]
fn render_draws_a_caret() {
    let src = "latency_ms.p99 =< 2500";
    let e = parse_err(src);
    assert_eq!(
        e.render(src),
        "  |\n1 | latency_ms.p99 =< 2500\n  |                ^"
    );
    let src = "a < 1 b";
    assert_eq!(parse_err(src).render(src), "  |\n1 | a < 1 b\n  |       ^");
    // End of input: the caret sits just past the last character.
    let src = "a <";
    assert_eq!(parse_err(src).render(src), "  |\n1 | a <\n  |    ^");
    assert_eq!(parse_err("").render(""), "  |\n1 | \n  | ^");
    // Tabs are kept so the caret lines up; only the offending line shows.
    let src = "a\t<\t1\tb";
    assert_eq!(
        parse_err(src).render(src),
        "  |\n1 | a\t<\t1\tb\n  |  \t \t \t^"
    );
    let src = "a <\n 1 b";
    let e = parse_err(src);
    assert_eq!(e.column, 8);
    assert_eq!(e.render(src), "  |\n2 |  1 b\n  |    ^");
    // "\r\n" is one line break; a lone "\r" is one too.
    let src = "a <\r\n 1 b";
    assert_eq!(parse_err(src).render(src), "  |\n2 |  1 b\n  |    ^");
    let src = "a <\r 1 b";
    assert_eq!(parse_err(src).render(src), "  |\n2 |  1 b\n  |    ^");
    // A trailing line break: the caret on the empty line after it.
    let src = "a <\n";
    assert_eq!(parse_err(src).render(src), "  |\n2 | \n  | ^");
    // Characters, not bytes.
    let src = "é < 1";
    assert_eq!(parse_err(src).render(src), "  |\n1 | é < 1\n  | ^");
    let src = "a < b é";
    assert_eq!(parse_err(src).render(src), "  |\n1 | a < b é\n  |       ^");
    // A column out of range does not panic.
    let e = ParseError::new(99, "x");
    assert!(e.render("ab").ends_with('^'), "{}", e.render("ab"));
}

#[test]
fn evaluates_against_json() {
    assert!(passes("requests == succeeded + failed"));
    assert!(passes("attempts / requests == 1.2"));
    assert!(passes("by_class.interactive.latency_ms.p99 < 1500"));
    assert!(!passes("by_class.background.latency_ms.p99 < 1500"));
    assert!(passes(
        "by_class.interactive.cost_usd + by_class.background.cost_usd == cost_usd"
    ));
    assert!(passes(
        "rate_limited.total == rate_limited.itpm + rate_limited.rpm"
    ));
    // A '-' inside a segment belongs to the name.
    assert!(passes("by_class.tier-1.requests == 0"));
    assert!(passes("by_class.tier-1.latency_ms.p99 == 0"));
    // Spaced '-' subtracts.
    assert!(passes("requests - failed == succeeded"));
    assert!(passes("requests -failed == succeeded"));
    assert!(passes("-cost_usd < 0"));
    assert!(passes("latency_ms.p99 >= 3_000"));
    assert!(passes("goodput_per_min * 60 > 1_000"));
}

#[test]
fn evaluation_errors() {
    let m = eval_err("latency_ms.p98 < 1", None);
    assert!(
        m.starts_with("latency_ms.p98 < 1: unknown metric `latency_ms.p98`"),
        "{m}"
    );
    assert!(m.contains("`latency_ms` has no key `p98`"), "{m}");
    assert!(
        m.contains("did you mean `latency_ms.p90` or `latency_ms.p99`?"),
        "{m}"
    );
    assert!(
        m.contains("(keys under `latency_ms`: max, p50, p90, p99, p999)"),
        "{m}"
    );

    let m = eval_err("latency.p99 < 1", None);
    assert!(m.contains("the top level has no key `latency`"), "{m}");
    assert!(m.contains("did you mean `latency_ms.p99`?"), "{m}");
    assert!(
        m.contains("keys at the top level: attempts, by_class, by_model, cost_usd, failed"),
        "{m}"
    );
    assert!(!m.contains("strategy,"), "text keys are not listed: {m}");
    assert!(!m.contains("batch,"), "nor groups holding no number: {m}");

    let m = eval_err("p99 < 1", None);
    assert!(
        m.contains(
            "did you mean `latency_ms.p99`, `by_class.tier-1.latency_ms.p99` or \
                 `by_class.background.latency_ms.p99`?"
        ),
        "{m}"
    );

    let m = eval_err("by_class.interactiv.latency_ms.p99 < 1", None);
    assert!(
        m.contains("did you mean `by_class.interactive.latency_ms.p99`?"),
        "{m}"
    );
    assert!(
        m.contains("keys under `by_class`: background, interactive, tier-1"),
        "{m}"
    );

    let m = eval_err("rate_limited.itmp == 0", None);
    assert!(m.contains("did you mean `rate_limited.itpm`?"), "{m}");

    let m = eval_err("Cost_USD < 1", None);
    assert!(m.contains("did you mean `cost_usd`?"), "{m}");

    let m = eval_err("nothing_like_it < 1", None);
    assert!(!m.contains("did you mean"), "{m}");

    let m = eval_err("cost_usd-1 < 5", None);
    assert!(
        m.ends_with("; to subtract, put spaces around '-': `cost_usd - 1`"),
        "{m}"
    );
    let m = eval_err("latency_ms.p99-1 < 5", None);
    assert!(
        m.ends_with("; to subtract, put spaces around '-': `latency_ms.p99 - 1`"),
        "{m}"
    );
    let m = eval_err("by_class.tier-2.requests < 5", None);
    assert!(!m.contains("subtract"), "{m}");

    let m = eval_err("latency_ms < 1", None);
    assert!(
        m.contains("`latency_ms` is a group of metrics, not a number"),
        "{m}"
    );
    assert!(
        m.contains("pick one of: latency_ms.max, latency_ms.p50"),
        "{m}"
    );

    let m = eval_err("strategy == 1", None);
    assert!(
        m.contains("`strategy` is text (\"token_bucket\"), not a number"),
        "{m}"
    );
    // Lists are entered by an entry's name or index.
    let m = eval_err("by_model.attempts > 1", None);
    assert_eq!(
        m,
        "by_model.attempts > 1: unknown metric `by_model.attempts`: `by_model` has no entry \
         `attempts`; did you mean `attempts` or `by_model.claude-sonnet-4-5.attempts`? \
         (entries of `by_model`: claude-sonnet-4-5; or a 0-based index below 1)"
    );
    let m = eval_err("by_model.claude-sonnet-4.attempts > 1", None);
    assert!(
        m.contains("did you mean `by_model.claude-sonnet-4-5.attempts`?"),
        "{m}"
    );
    let m = eval_err("by_model > 1", None);
    assert_eq!(
        m,
        "by_model > 1: `by_model` is a list, not a number; \
         pick one of: by_model.claude-sonnet-4-5.attempts"
    );
    let m = eval_err("cost_usd.x > 1", None);
    assert!(
        m.contains("`cost_usd` is a number, it has no key `x`"),
        "{m}"
    );
    let m = eval_err("batch.enabled == 0", None);
    assert!(m.contains("`batch.enabled` is false, not a number"), "{m}");
    let m = eval_err("requests <= baseline.cost", Some(&baseline()));
    assert!(
        m.starts_with(
            "requests <= baseline.cost: in the baseline result: unknown metric `cost`: \
             the top level has no key `cost`; did you mean `cost_usd`?"
        ),
        "{m}"
    );
    let m = eval_err("batch.x == 0", None);
    assert!(m.contains("(no numeric keys under `batch`)"), "{m}");

    let m = eval_err("cost_usd / overloaded > 1", None);
    assert_eq!(
        m,
        "cost_usd / overloaded > 1: division by zero: `overloaded` is 0"
    );
    let m = eval_err("1 / (requests - 100) > 1", None);
    assert!(m.contains("division by zero: `requests - 100` is 0"), "{m}");
    let m = eval_err("1e300 * 1e300 > 0", None);
    assert!(m.contains("arithmetic overflow"), "{m}");

    // Against something that is not an object at all.
    let e = parse("a < 1").evaluate(&json!(3), None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "a < 1: unknown metric `a`: the top level is a number, it has no key `a`"
    );
}

#[test]
fn canonical_form_reparses_to_the_same_tree() {
    for src in [
        "a - (b - c) == a - b + c",
        "-(a + b) * c / (d * e) < 1",
        "token_bucket: cost_usd <= 1.05 * baseline",
        "(cost_usd - baseline) / baseline < 5%",
        "x >= - - 3 * baseline.y",
        "by_class.tier-1.latency_ms.p99 != 1e-7",
    ] {
        let a = parse(src);
        let b = parse(&a.canonical());
        assert_eq!(
            (
                &a.strategy,
                &a.lhs,
                a.comparison,
                &a.rhs,
                &a.baseline_metric
            ),
            (
                &b.strategy,
                &b.lhs,
                b.comparison,
                &b.rhs,
                &b.baseline_metric
            ),
            "{src} -> {}",
            a.canonical()
        );
    }
    assert_eq!(
        parse("  x:a-(b - c)*2==-(1)  ").canonical(),
        "x: a - (b - c) * 2 == -1"
    );
}

#[test]
fn formats_numbers_for_messages() {
    assert_eq!(fmt_num(0.0), "0");
    assert_eq!(fmt_num(-0.0), "0");
    assert_eq!(fmt_num(2500.0), "2500");
    assert_eq!(fmt_num(3120.5), "3120.5");
    assert_eq!(fmt_num(1.05 * 14.677734), "15.411621");
    assert_eq!(fmt_num(-0.25), "-0.25");
    assert_eq!(fmt_num(1e-7), "1e-7");
    assert_eq!(fmt_num(1e20), "1e20");
}

/// SplitMix64: a tiny deterministic generator for the property test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

#[test]
fn never_panics_on_generated_and_mutated_input() {
    // Pieces of assertions, separated by "¦".
    const PIECES: &str = "latency_ms¦.¦p99¦baseline¦cost_usd¦by_class¦interactive¦tier-1¦rate_limited¦total¦1¦0¦2_500¦1e3¦1e¦5%¦%¦.5¦1.2.3¦(¦)¦+¦-¦*¦/¦==¦!=¦<¦<=¦>¦>=¦=¦!¦=<¦:¦token_bucket:¦ ¦ ¦\t¦\n¦_¦e¦≤¦é¦\u{0}¦#¦1e308¦9¦a-b¦--¦baseline.¦by_model";
    const CHARS: &str = "().-+*/=<>!:%_eE059az \t\né≤\u{0}\"\u{10FFFF}";
    let pieces: Vec<&str> = PIECES.split('¦').collect();
    let chars: Vec<char> = CHARS.chars().collect();
    let seeds = [
        "rate_limited.total == 0",
        "latency_ms.p99 < 2500",
        "cost_usd <= 1.05 * baseline",
        "by_class.interactive.latency_ms.p99 < 1500",
        "token_bucket: rate_limited.total == 0",
        "(cost_usd - baseline) / baseline < 5%",
        "-(requests - failed) * 2_500e-3 >= -1e3 + baseline.cost_usd",
    ];
    let mut rng = Rng(0x5EED);
    let mut inputs: Vec<String> = Vec::new();
    for _ in 0..400 {
        let n = rng.below(14);
        inputs.push((0..n).map(|_| *rng.pick(&pieces)).collect());
    }
    for _ in 0..600 {
        let mut s: Vec<char> = rng.pick(&seeds).chars().collect();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(s.len() + 1);
            match rng.below(3) {
                0 => s.insert(at, *rng.pick(&chars)),
                1 if at < s.len() => {
                    s.remove(at);
                }
                _ if at < s.len() => s[at] = *rng.pick(&chars),
                _ => s.push(*rng.pick(&chars)),
            }
        }
        inputs.push(s.into_iter().collect());
    }
    let (res, base) = (result(), baseline());
    let (mut ok, mut failed) = (0, 0);
    for src in &inputs {
        let len = src.chars().count();
        match Assertion::parse(src) {
            Err(e) => {
                failed += 1;
                assert!(
                    (1..=len + 1).contains(&e.column),
                    "{src:?}: column {} out of 1..={}",
                    e.column,
                    len + 1
                );
                assert!(!e.message.is_empty());
                let _ = e.render(src);
                let _ = e.to_string();
            }
            Ok(a) => {
                ok += 1;
                let _ = a.evaluate(&res, Some(&base));
                let _ = a.evaluate(&res, None);
                let _ = a.evaluate(&json!(null), Some(&json!([])));
                let b = Assertion::parse(&a.canonical())
                    .unwrap_or_else(|e| panic!("{src:?} -> {:?}: {e}", a.canonical()));
                assert_eq!((&a.lhs, &a.rhs), (&b.lhs, &b.rhs), "{src:?}");
                assert_eq!(a.strategy, b.strategy, "{src:?}");
                assert_eq!(a.baseline_metric, b.baseline_metric, "{src:?}");
            }
        }
    }
    // The generator exercises both outcomes.
    assert!(ok > 50 && failed > 300, "ok {ok}, failed {failed}");
}

/// A result whose `interactive` class had no successful request: the
/// metrics with no samples are `null`, as reports write them.
fn result_with_nulls() -> Value {
    json!({
        "latency_ms": {"p50": null, "p99": null},
        "cost_usd": 1.5,
        "by_class": {
            "interactive": {"latency_ms": {"p50": null, "p99": null}, "cost_usd": 0.0},
            "background": {"latency_ms": {"p50": 800.0, "p99": 1200.0}, "cost_usd": 1.5}
        },
        "by_model": [{"model": "claude-haiku-4-5", "latency_ms": {"p99": null}}]
    })
}

#[test]
fn a_metric_with_no_value_fails_the_check() {
    let r = result_with_nulls();
    let check = |src: &str| parse(src).evaluate(&r, Some(&r)).unwrap();
    let c = check("by_class.interactive.latency_ms.p99 < 1500");
    assert!(!c.passed);
    assert_eq!(
        c.message,
        "by_class.interactive.latency_ms.p99 < 1500: no value — latency_ms.p99 has no \
         samples (no request of this class succeeded)"
    );
    assert_eq!(
        c.no_value.as_deref(),
        Some("by_class.interactive.latency_ms.p99")
    );
    assert_eq!((c.lhs, c.rhs), (None, Some(1500.0)));
    // Whatever the comparison: no value never passes.
    for op in ["<", "<=", ">", ">=", "==", "!="] {
        let c = check(&format!("latency_ms.p99 {op} 1"));
        assert!(!c.passed, "{op}");
        assert_eq!(
            c.message,
            format!(
                "latency_ms.p99 {op} 1: no value — latency_ms.p99 has no samples \
                 (no request succeeded)"
            )
        );
    }
    // Inside arithmetic, on the right, per model, in the baseline.
    let c = check("cost_usd > 2 * by_class.interactive.latency_ms.p50 + 1");
    assert!(!c.passed);
    assert_eq!((c.lhs, c.rhs), (Some(1.5), None));
    let c = check("by_model.claude-haiku-4-5.latency_ms.p99 < 1");
    assert!(
        c.message
            .ends_with("latency_ms.p99 has no samples (no request to this model succeeded)"),
        "{}",
        c.message
    );
    let c = check("by_class.background.latency_ms.p99 <= baseline");
    assert!(c.passed, "{}", c.message);
    let c = check("by_class.background.cost_usd <= baseline.latency_ms.p99");
    assert!(!c.passed);
    assert_eq!(c.no_value.as_deref(), Some("baseline.latency_ms.p99"));
    assert!(
        c.message.ends_with(
            "no value — the baseline's latency_ms.p99 has no samples (no request succeeded)"
        ),
        "{}",
        c.message
    );
    // A null metric that is no latency says only that it has no samples.
    let c = parse("x < 1").evaluate(&json!({"x": null}), None).unwrap();
    assert_eq!(c.message, "x < 1: no value — x has no samples");
    // A typo next to a missing value is still an error, on either side.
    let e = parse("latency_ms.p99 + cost_usdd < 1")
        .evaluate(&r, None)
        .unwrap_err();
    assert!(matches!(e, EvalError::UnknownMetric { .. }), "{e}");
    let e = parse("latency_ms.p99 < cost_usdd")
        .evaluate(&r, None)
        .unwrap_err();
    assert!(e.to_string().contains("did you mean `cost_usd`?"), "{e}");
    // The values that are there still work.
    assert!(check("by_class.background.latency_ms.p99 < 1500").passed);
}

#[test]
fn numbers_with_units_say_what_to_write() {
    let cases: &[(&str, usize, &str)] = &[
        (
            "latency_ms.p99 < 2.5s",
            18,
            "expected a number, found `2.5s`: latency_ms is in milliseconds; write 2500",
        ),
        (
            "latency_ms.p99 < 2500ms",
            18,
            "expected a number, found `2500ms`: latency_ms is in milliseconds already; write 2500",
        ),
        (
            "by_class.interactive.latency_ms.p99 < 1m",
            39,
            "found `1m`: latency_ms is in milliseconds; write 60000",
        ),
        (
            "queue_wait_ms < 1.5min",
            17,
            "queue_wait_ms is in milliseconds; write 90000",
        ),
        ("latency_ms.p99 < 750us", 18, "write 0.75"),
        (
            "2s > latency_ms.p50",
            1,
            "latency_ms is in milliseconds; write 2000",
        ),
        (
            "latency_ms.p99 < 2 * baseline.latency_ms.p99 + 1s",
            48,
            "write 1000",
        ),
        ("drain_s < 500ms", 11, "drain_s is in seconds; write 0.5"),
        (
            "cost_usd < $5",
            12,
            "expected a number, found `$5`: cost_usd is in US dollars; write 5",
        ),
        ("cost_usd < 5usd", 12, "cost_usd is in US dollars; write 5"),
        (
            "cost_usd < 1.5$",
            12,
            "found `1.5$`: cost_usd is in US dollars; write 1.5",
        ),
        (
            "requests < 2.5k",
            12,
            "found `2.5k`: numbers are written out in full; write 2500",
        ),
        (
            "cost_usd < 5s",
            12,
            "found `5s`: numbers are written without units, and cost_usd is in US dollars",
        ),
        (
            "requests < $5",
            12,
            "numbers are written without units; write 5",
        ),
        // The first problem wins: an earlier parse error, or the unit.
        ("a b < 2s", 3, "expected an arithmetic operator"),
        ("latency_ms.p99 < 2s )", 18, "write 2000"),
        ("latency_ms.p99 < 2s # 1", 18, "write 2000"),
    ];
    for &(src, column, fragment) in cases {
        let e = parse_err(src);
        assert_eq!(e.column, column, "{src:?}: {e}");
        assert!(e.message.contains(fragment), "{src:?}: {e}");
    }
}

#[test]
fn a_percentage_against_a_metric_with_a_unit_is_an_error() {
    let e = parse_err("latency_ms.p99 < 5%");
    assert_eq!(e.column, 18);
    assert_eq!(
        e.message,
        "`5%` is the number 0.05, but latency_ms is in milliseconds; to compare with the \
         baseline, write e.g. `latency_ms.p99 < 1.05 * baseline`"
    );
    let e = parse_err("goodput_per_min >= 95%");
    assert!(
        e.message
            .ends_with("goodput_per_min is a count per minute; to compare with the baseline, write e.g. `goodput_per_min >= 0.95 * baseline`"),
        "{e}"
    );
    assert!(
        parse_err("cost_usd > 10%")
            .message
            .contains("`cost_usd > 0.9 * baseline`")
    );
    // Percentages of fractions and ratios are what `%` is for.
    assert!(passes("(cost_usd - baseline) / baseline < 5%"));
    assert!(passes("rate_limited.total / requests < 15%"));
    parse("cache.hit_rate > 50%");
    parse("latency_ms.p99 < 5% * 100000");
}

#[test]
fn list_entries_by_name_or_index() {
    let r = json!({
        "by_model": [
            {"model": "claude-sonnet-4-5", "cost_usd": 8.0},
            {"model": "claude-haiku-4-5", "cost_usd": 2.4}
        ],
        "cost_usd": 10.4
    });
    let holds = |src: &str| parse(src).evaluate(&r, None).unwrap().passed;
    assert!(holds("by_model.claude-haiku-4-5.cost_usd == 2.4"));
    assert!(holds("by_model.1.cost_usd == 2.4"));
    assert!(holds(
        "by_model.claude-sonnet-4-5.cost_usd + by_model.claude-haiku-4-5.cost_usd == cost_usd"
    ));
    let e = parse("by_model.2.cost_usd < 1")
        .evaluate(&r, None)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("`by_model` has no entry `2` (entries of `by_model`: claude-sonnet-4-5, claude-haiku-4-5; or a 0-based index below 2)"),
        "{e}"
    );
}

#[test]
fn every_metric_a_sweep_can_name_an_assertion_can_name() {
    // `--metric` and `--fail-on` name a metric by `replicate::flatten`.
    let r = result();
    let leaves = crate::analysis::replicate::flatten(&r);
    assert!(leaves.contains_key("by_model.claude-sonnet-4-5.attempts"));
    for (p, v) in &leaves {
        let a = parse(&format!("{p} == {v}"));
        let c = a.evaluate(&r, None).unwrap();
        assert!(c.passed, "{p}: {}", c.message);
    }
}

#[test]
fn strategy_prefixes_are_checked_with_suggestions() {
    let names = ["token_bucket", "exponential_backoff"];
    assert_eq!(parse("latency_ms.p99 < 1").check_strategy(names), Ok(()));
    assert_eq!(parse("token_bucket: a < 1").check_strategy(names), Ok(()));
    let e = parse("tokn_bucket: a < 1")
        .check_strategy(names)
        .unwrap_err();
    assert_eq!(e.suggestions, ["token_bucket"]);
    assert_eq!(
        e.to_string(),
        "no strategy `tokn_bucket` in the scenario; did you mean `token_bucket`?"
    );
    let e = parse("aimd: a < 1").check_strategy(names).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no strategy `aimd` in the scenario (strategies: token_bucket, exponential_backoff)"
    );
}
