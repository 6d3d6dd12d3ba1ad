//! One renderer for "here is the line, and a caret under the column", used by
//! every located error (scenario files, traces, assertions on the command
//! line), so they all look alike.

/// The lines of `source`, split where YAML (and editors) break lines: at
/// `\n`, `\r\n` and a lone `\r`. `str::lines` keeps a lone `\r` inside a
/// line, which would make line numbers disagree with the parser's.
pub fn source_lines(source: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(source);
    std::iter::from_fn(move || {
        let s = rest?;
        match s.find(['\n', '\r']) {
            None => {
                rest = None;
                (!s.is_empty()).then_some(s)
            }
            Some(i) => {
                let skip = if s[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&s[i + skip..]);
                Some(&s[..i])
            }
        }
    })
}

/// Longest source line echoed in a snippet.
const SNIPPET_WIDTH: usize = 160;

/// Line `line` of `source` (1-based) with a gutter and a caret under the
/// 1-based character column `col`:
///
/// ```text
///    |
/// 25 |     class: backgroud
///    |            ^
/// ```
///
/// Long lines are shown as a window around the column so the caret stays
/// visible. `None` when the line does not exist.
pub fn snippet(source: &str, line: u64, col: u64) -> Option<String> {
    let (line, col) = (line.max(1), col.max(1));
    let full = source_lines(source).nth(usize::try_from(line - 1).ok()?)?;
    // The line is echoed as it is (control characters included), so a
    // reader, or a test, finds the very bytes that were parsed.
    let chars: Vec<char> = full.chars().collect();
    let start = (col as usize)
        .saturating_sub(SNIPPET_WIDTH / 2)
        .min(chars.len());
    let end = (start + SNIPPET_WIDTH).min(chars.len());
    let text: String = chars[start..end].iter().collect();
    let at = (col as usize - 1).saturating_sub(start);
    // Tabs stay tabs under the text so the caret lines up in a terminal.
    let pad: String = chars[start..(start + at).min(chars.len())]
        .iter()
        .map(|&c| if c == '\t' { '\t' } else { ' ' })
        .chain(std::iter::repeat_n(
            ' ',
            (start + at).saturating_sub(chars.len()),
        ))
        .collect();
    let gutter = line.to_string().len();
    Some(format!(
        "{:gutter$} |\n{line} | {text}\n{:gutter$} | {pad}^",
        "", ""
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_break_at_lf_crlf_and_lone_cr() {
        let v: Vec<_> = source_lines("a\nb\r\nc\rd").collect();
        assert_eq!(v, ["a", "b", "c", "d"]);
        assert_eq!(source_lines("").count(), 0);
        assert_eq!(source_lines("x\n").collect::<Vec<_>>(), ["x"]);
    }

    #[test]
    fn caret_sits_under_the_column() {
        let s = snippet("a: 1\n  class: backgroud\n", 2, 10).unwrap();
        assert_eq!(s, "  |\n2 |   class: backgroud\n  |          ^");
    }

    #[test]
    fn caret_past_the_end_of_the_line_is_drawn_there() {
        let s = snippet("abc", 1, 5).unwrap();
        assert_eq!(s, "  |\n1 | abc\n  |     ^");
    }

    #[test]
    fn tabs_are_kept_under_the_text() {
        let s = snippet("\tx = 1", 1, 2).unwrap();
        assert!(s.ends_with("| \t^"), "{s:?}");
    }

    #[test]
    fn long_lines_keep_the_caret_visible() {
        let line = "x".repeat(1000) + "Y";
        let s = snippet(&line, 1, 1001).unwrap();
        let last = s.lines().last().unwrap();
        let mid = s.lines().nth(1).unwrap();
        let caret = last.find('^').unwrap();
        assert_eq!(mid.chars().nth(caret), Some('Y'));
    }

    #[test]
    fn missing_lines_give_none() {
        assert_eq!(snippet("a\n", 3, 1), None);
    }
}
