//! Splitting a documented command line into words, as a POSIX shell would
//! for the simple lines ratesim's help and examples use.

/// The words of `line` up to the first unquoted `#`, `>`, `|`, `&&` or `;`
/// (a comment, a redirection or the next command). Single and double quotes
/// group words; no variable or glob expansion.
pub fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    word.push(q);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '#' | '>' | '|' | ';' if !in_word => break,
            '&' if !in_word && chars.peek() == Some(&'&') => break,
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        out.push(word);
    }
    out
}
