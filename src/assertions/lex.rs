//! The lexer: characters to tokens, each with its 1-based column.

use super::Comparison;
use super::error::ParseError;

/// Longest token text quoted in an error message.
const QUOTE_LIMIT: usize = 24;

/// Suffixes read as a unit after a number (`2.5s`, `5usd`, `2k`): never
/// valid, but worth a message saying what to write instead.
const UNITS: &[&str] = &[
    "us", "µs", "ms", "s", "sec", "secs", "m", "min", "mins", "h", "hr", "hrs", "usd", "USD",
    "dollars", "k", "K", "$",
];

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Number(f64),
    /// A number with a unit (`2.5s`, `$5`), reported once the metric it is
    /// compared with is known.
    Quantity {
        value: f64,
        unit: String,
    },
    /// A dotted path, as written.
    Path(String),
    Plus,
    Minus,
    Star,
    Slash,
    LParen,
    RParen,
    Cmp(Comparison),
    /// A run of `= < > !` that is not a comparison operator.
    BadOperator(String),
    End,
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub(super) tok: Tok,
    /// 1-based column of its first character.
    pub(super) column: usize,
    /// Its text, for messages.
    pub(super) text: String,
}

impl Token {
    pub(super) fn describe(&self) -> String {
        match self.tok {
            Tok::End => "end of input".to_string(),
            _ => quote(&self.text),
        }
    }
}

/// The tokens up to the first malformed one (always ending with
/// [`Tok::End`]), and the error there, if any.
pub(super) struct Lexed {
    pub(super) tokens: Vec<Token>,
    pub(super) error: Option<ParseError>,
}

pub(super) fn quote(text: &str) -> String {
    let mut t: String = text.chars().take(QUOTE_LIMIT).collect();
    if text.chars().count() > QUOTE_LIMIT {
        t.push('…');
    }
    format!("\"{}\"", t.escape_debug())
}

pub(super) fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        '\t' => "a tab".to_string(),
        '\n' | '\r' => "a line break".to_string(),
        _ => format!("\"{}\"", c.escape_debug()),
    }
}

fn describe_at(chars: &[char], i: usize) -> String {
    chars
        .get(i)
        .map_or("end of input".to_string(), |&c| describe_char(c))
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_operator_char(c: char) -> bool {
    matches!(c, '=' | '<' | '>' | '!')
}

fn starts_number(chars: &[char], i: usize) -> bool {
    chars.get(i).is_some_and(char::is_ascii_digit)
        || (chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(char::is_ascii_digit))
}

/// Splits `chars[start..]` into tokens.
pub(super) fn lex(chars: &[char], start: usize) -> Lexed {
    let mut tokens = Vec::new();
    let mut i = start;
    let mut error = None;
    while i < chars.len() {
        match token_at(chars, i) {
            Ok(None) => i += 1,
            Ok(Some((tok, end))) => {
                tokens.push(Token {
                    tok,
                    column: i + 1,
                    text: chars[i..end].iter().collect(),
                });
                i = end;
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    tokens.push(Token {
        tok: Tok::End,
        column: i + 1,
        text: String::new(),
    });
    Lexed { tokens, error }
}

/// The token at `i` and its end, `None` for whitespace.
fn token_at(chars: &[char], i: usize) -> Result<Option<(Tok, usize)>, ParseError> {
    let c = chars[i];
    if c.is_whitespace() {
        return Ok(None);
    }
    let single = match c {
        '+' => Some(Tok::Plus),
        '-' => Some(Tok::Minus),
        '*' => Some(Tok::Star),
        '/' => Some(Tok::Slash),
        '(' => Some(Tok::LParen),
        ')' => Some(Tok::RParen),
        _ => None,
    };
    if let Some(tok) = single {
        return Ok(Some((tok, i + 1)));
    }
    if is_operator_char(c) {
        let end = chars[i..]
            .iter()
            .position(|&c| !is_operator_char(c))
            .map_or(chars.len(), |p| i + p);
        let text: String = chars[i..end].iter().collect();
        let tok = match Comparison::from_symbol(&text) {
            Some(cmp) => Tok::Cmp(cmp),
            None => Tok::BadOperator(text),
        };
        return Ok(Some((tok, end)));
    }
    if c == '$' && starts_number(chars, i + 1) {
        let (value, _, end) = lex_number(chars, i + 1)?;
        let unit = "$".to_string();
        return Ok(Some((Tok::Quantity { value, unit }, end)));
    }
    if starts_number(chars, i) {
        let (value, unit, end) = lex_number(chars, i)?;
        let tok = match unit {
            None => Tok::Number(value),
            Some(unit) => Tok::Quantity { value, unit },
        };
        return Ok(Some((tok, end)));
    }
    if c.is_ascii_alphabetic() || c == '_' {
        let (path, end) = lex_path(chars, i)?;
        return Ok(Some((Tok::Path(path), end)));
    }
    Err(unexpected_char(c, i + 1))
}

fn unexpected_char(c: char, column: usize) -> ParseError {
    let hint = match c {
        '≤' => " (write <=)",
        '≥' => " (write >=)",
        '≠' => " (write !=)",
        '×' | '·' => " (write *)",
        '÷' => " (write /)",
        '−' | '–' => " (write -)",
        '%' => " ('%' must directly follow a number, as in `5%`)",
        '$' => " (amounts are written without a currency sign: `cost_usd < 5`)",
        ':' => " (only one `STRATEGY:` prefix is allowed, at the start)",
        '&' | '|' => " (an assertion holds one comparison; write several assertions instead)",
        '"' | '\'' | '`' => " (metric paths are written without quotes)",
        ',' => " (use '.' as the decimal point and '_' to group digits, as in `2_500.5`)",
        '[' | ']' => " (write list entries as path segments: `by_model.NAME.cost_usd`)",
        _ => "",
    };
    ParseError::new(
        column,
        format!("unexpected character {}{hint}", describe_char(c)),
    )
}

/// Digits with `_` separators from `i`, appended to `out`; returns the end.
fn lex_digits(chars: &[char], mut i: usize, out: &mut String) -> Result<usize, ParseError> {
    while let Some(&c) = chars.get(i) {
        if c.is_ascii_digit() {
            out.push(c);
        } else if c == '_' {
            let after_digit = i > 0 && chars[i - 1].is_ascii_digit();
            let before_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if !(after_digit && before_digit) {
                return Err(ParseError::new(
                    i + 1,
                    "a '_' in a number must sit between two digits (as in `2_500`)",
                ));
            }
        } else {
            break;
        }
        i += 1;
    }
    Ok(i)
}

/// The unit written right after a number at `i`, and its end.
fn unit_at(chars: &[char], i: usize) -> Option<(String, usize)> {
    let end = chars[i..]
        .iter()
        .position(|&c| !(c.is_ascii_alphabetic() || c == 'µ' || c == '$'))
        .map_or(chars.len(), |p| i + p);
    let unit: String = chars[i..end].iter().collect();
    let ends_here = !chars.get(end).is_some_and(|&c| is_word_char(c) || c == '.');
    (UNITS.contains(&unit.as_str()) && ends_here).then_some((unit, end))
}

/// A number literal starting at `start`: its value, the unit written after
/// it (never valid; see [`Tok::Quantity`]) and its end.
fn lex_number(chars: &[char], start: usize) -> Result<(f64, Option<String>, usize), ParseError> {
    let mut mantissa = String::new();
    let mut i = lex_digits(chars, start, &mut mantissa)?;
    let written = |end: usize| chars[start..end].iter().collect::<String>();
    if chars.get(i) == Some(&'.') {
        if chars.get(i + 1).is_some_and(char::is_ascii_digit) {
            mantissa.push('.');
            i = lex_digits(chars, i + 1, &mut mantissa)?;
        } else {
            return Err(ParseError::new(
                i + 2,
                format!(
                    "expected a digit after the decimal point in \"{}\", found {}",
                    written(i + 1),
                    describe_at(chars, i + 1)
                ),
            ));
        }
    }
    let mut exponent = None;
    if matches!(chars.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        let mut exp = String::new();
        if let Some(&sign @ ('+' | '-')) = chars.get(j) {
            exp.push(sign);
            j += 1;
        }
        if !chars.get(j).is_some_and(char::is_ascii_digit) {
            return Err(ParseError::new(
                j + 1,
                format!(
                    "expected the digits of the exponent in \"{}\", found {}",
                    written(j),
                    describe_at(chars, j)
                ),
            ));
        }
        i = lex_digits(chars, j, &mut exp)?;
        exponent = Some(exp);
    }
    let percent = chars.get(i) == Some(&'%');
    let number_end = i;
    if percent {
        i += 1;
    }
    let mut unit = None;
    if let Some(&c) = chars.get(i) {
        if c == '.' {
            let end = chars[i..]
                .iter()
                .position(|&c| !(is_word_char(c) || c == '.'))
                .map_or(chars.len(), |p| i + p);
            return Err(ParseError::new(
                i + 1,
                format!(
                    "malformed number \"{}\": a number has at most one decimal point",
                    written(end)
                ),
            ));
        }
        if !percent && let Some((u, end)) = unit_at(chars, i) {
            unit = Some(u);
            i = end;
        } else if is_word_char(c) || c == '%' || c == '$' {
            return Err(ParseError::new(
                i + 1,
                format!(
                    "unexpected {} right after the number \"{}\"; put an operator between them",
                    describe_char(c),
                    written(i)
                ),
            ));
        }
    }
    let out_of_range = || {
        ParseError::new(
            start + 1,
            format!("number \"{}\" is out of range", written(number_end)),
        )
    };
    // Scale percentages in decimal (`5%` is exactly 0.05) when possible.
    let text = match (&exponent, percent) {
        (None, true) => format!("{mantissa}e-2"),
        (Some(e), true) => match e.parse::<i64>() {
            Ok(e) => format!("{mantissa}e{}", e.saturating_sub(2)),
            Err(_) => format!("{mantissa}e{e}"),
        },
        (Some(e), false) => format!("{mantissa}e{e}"),
        (None, false) => mantissa,
    };
    let mut value: f64 = text.parse().map_err(|_| out_of_range())?;
    if percent && exponent.as_ref().is_some_and(|e| e.parse::<i64>().is_err()) {
        value /= 100.0;
    }
    if !value.is_finite() {
        return Err(out_of_range());
    }
    Ok((value, unit, i))
}

/// A dotted metric path starting at `start`; returns it and its end.
fn lex_path(chars: &[char], start: usize) -> Result<(String, usize), ParseError> {
    let mut i = start;
    loop {
        let seg_start = i;
        while let Some(&c) = chars.get(i) {
            let joins = c == '-'
                && i > seg_start
                && is_word_char(chars[i - 1])
                && chars.get(i + 1).is_some_and(|&n| is_word_char(n));
            if is_word_char(c) || joins {
                i += 1;
            } else {
                break;
            }
        }
        if i == seg_start {
            let so_far: String = chars[start..i].iter().collect();
            return Err(ParseError::new(
                i + 1,
                format!(
                    "expected a key after '.' in the metric path \"{so_far}\", found {}",
                    describe_at(chars, i)
                ),
            ));
        }
        if chars.get(i) == Some(&'.') {
            i += 1;
        } else {
            return Ok((chars[start..i].iter().collect(), i));
        }
    }
}
