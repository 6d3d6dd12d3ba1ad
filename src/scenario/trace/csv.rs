//! CSV traces, read with the `csv` crate: a header naming the columns (in
//! any order, any ASCII case), then one row per request. Quoted fields may
//! hold delimiters, quotes (`""`) and newlines.
//!
//! The crate parses; this file only finds where each field starts in the
//! text (a record may span lines), so every error names the line and column
//! of the offending cell.

use super::cell::{Cells, Pos, Val};
use super::row::Builder;
use super::{COLUMNS, Field, IGNORED, REQUIRED, field, name};
use crate::scenario::{ErrorKind, ScenarioError};
use crate::text::suggest;

/// Each column's field (`None`: ignored) and the header's names with
/// where they are.
type Header = (Vec<Option<Field>>, Vec<(String, Pos)>);

impl Builder<'_> {
    pub(super) fn csv(&mut self) -> Result<(), ScenarioError> {
        let bom = if self.text.starts_with('\u{feff}') {
            3
        } else {
            0
        };
        let body = &self.text[bom..];
        let delimiter = sniff_delimiter(body);
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .trim(::csv::Trim::All)
            .from_reader(body.as_bytes());
        let lines = LineIndex::new(self.text);
        let mut header: Option<Header> = None;
        let mut record = ::csv::StringRecord::new();
        loop {
            let start = reader.position().byte() as usize;
            let more = reader.read_record(&mut record).map_err(|e| {
                let at = lines.pos(bom + start);
                self.err(at, format!("cannot read the CSV: {e}"))
            })?;
            if !more {
                break;
            }
            let end = reader.position().byte() as usize;
            if record.iter().all(str::is_empty) {
                continue;
            }
            let starts = field_starts(body, start, end, delimiter)
                .map_err(|(at, why)| self.err(lines.pos(bom + at), why))?;
            let at = |i: usize| {
                starts
                    .get(i)
                    .map_or_else(|| lines.pos(bom + start), |&o| lines.pos(bom + o))
            };
            let row_line = at(0).0;
            let Some((map, names)) = &header else {
                let names: Vec<(String, Pos)> = record
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.to_string(), at(i)))
                    .collect();
                header = Some((self.header(&names)?, names));
                continue;
            };
            if record.len() != names.len() {
                return Err(self.err(
                    at(record.len() - 1),
                    format!(
                        "expected {} fields, as in the header, found {}",
                        names.len(),
                        record.len()
                    ),
                ));
            }
            let mut cells: Cells = [None; 8];
            for (i, (v, f)) in record.iter().zip(map).enumerate() {
                if let Some(f) = f {
                    cells[*f as usize] = Some((Val::Text(v), at(i)));
                }
            }
            self.row(row_line, &cells)?;
        }
        if header.is_none() {
            return Err(ScenarioError::whole_file(
                self.file,
                ErrorKind::Trace,
                format!(
                    "the trace is empty: expected a header row naming its columns ({})",
                    COLUMNS.join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// Maps header names to fields: every name known (ignoring case), none
    /// twice, the required ones present.
    fn header(&self, names: &[(String, Pos)]) -> Result<Vec<Option<Field>>, ScenarioError> {
        let mut map = Vec::with_capacity(names.len());
        let mut seen = [false; 8];
        for (n, at) in names {
            match field(&n.to_ascii_lowercase()) {
                None => {
                    return Err(self.err(
                        *at,
                        format!(
                            "unknown column `{n}`, expected one of {} (ignored: {}){}",
                            COLUMNS.join(", "),
                            IGNORED.join(", "),
                            suggest::hint(n, COLUMNS.iter().chain(&IGNORED).copied())
                        ),
                    ));
                }
                Some(Some(f)) if seen[f as usize] => {
                    return Err(self.err(*at, format!("column `{n}` appears twice")));
                }
                Some(f) => {
                    if let Some(f) = f {
                        seen[f as usize] = true;
                    }
                    map.push(f);
                }
            }
        }
        if let Some(f) = REQUIRED.iter().find(|f| !seen[**f as usize]) {
            let listed: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
            let mut msg = format!(
                "missing column `{}`: a trace needs timestamp, input_tokens and \
                 output_tokens (the header names {})",
                name(*f),
                listed.join(", ")
            );
            if names.len() == 1 && listed[0].contains([';', '\t', '|']) {
                msg.push_str(
                    "; the header is one column: ratesim reads comma-separated CSV \
                     (or semicolon- or tab-separated when the header has no comma)",
                );
            }
            return Err(self.err(names.first().map_or((1, 1), |n| (n.1.0, 1)), msg));
        }
        Ok(map)
    }
}

/// `,`, unless the header line has none and has semicolons (or tabs):
/// spreadsheets in locales with a decimal comma save "CSV" with `;`.
fn sniff_delimiter(body: &str) -> u8 {
    let header = body
        .split(['\n', '\r'])
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    if header.contains(',') {
        b','
    } else if header.contains(';') {
        b';'
    } else if header.contains('\t') {
        b'\t'
    } else {
        b','
    }
}

/// Byte offsets (in `body`) where each field of the record in
/// `body[start..end]` starts, past leading spaces, the way the csv crate
/// splits it: a quote opens a quoted field only as a field's first byte.
/// An error (offset, message) for a quoted field still open at the end of
/// the file, or text after a closing quote (`"a"b`, which the crate would
/// silently read as `ab`).
fn field_starts(
    body: &str,
    start: usize,
    end: usize,
    delimiter: u8,
) -> Result<Vec<usize>, (usize, &'static str)> {
    let b = body.as_bytes();
    let mut i = start;
    // Skip the blank lines the reader skipped before the record.
    while i < end && matches!(b[i], b'\n' | b'\r') {
        i += 1;
    }
    let mut starts = Vec::new();
    loop {
        let field = i;
        let mut shown = i;
        while shown < end && matches!(b[shown], b' ' | b'\t') && b[shown] != delimiter {
            shown += 1;
        }
        starts.push(shown);
        if i < end && b[i] == b'"' {
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err((field, "unterminated quoted field")),
                    Some(b'"') if b.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            while i < end && matches!(b[i], b' ' | b'\t') && b[i] != delimiter {
                i += 1;
            }
            if i < end && b[i] != delimiter && !matches!(b[i], b'\n' | b'\r') {
                let what = match delimiter {
                    b';' => "expected a semicolon after the closing quote",
                    b'\t' => "expected a tab after the closing quote",
                    _ => "expected a comma after the closing quote",
                };
                return Err((i, what));
            }
        }
        while i < end && b[i] != delimiter && !matches!(b[i], b'\n' | b'\r') {
            i += 1;
        }
        if i < end && b[i] == delimiter {
            i += 1;
        } else {
            return Ok(starts);
        }
    }
}

/// Line starts of a text, breaking lines where the scenario loader does
/// (`\n`, `\r\n`, a lone `\r`), to turn byte offsets into line:column.
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> LineIndex<'a> {
        let b = text.as_bytes();
        let mut starts = vec![0];
        for (i, &c) in b.iter().enumerate() {
            let lone_cr = c == b'\r' && b.get(i + 1) != Some(&b'\n');
            if c == b'\n' || lone_cr {
                starts.push(i + 1);
            }
        }
        LineIndex { text, starts }
    }

    /// 1-based line and character column of byte `offset`.
    fn pos(&self, offset: usize) -> Pos {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let from = self.starts[line - 1];
        let col = self.text[from..offset].chars().count() + 1;
        (line as u64, col as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_start_where_the_crate_splits() {
        let body = "a,\"b,\"\"c\"\"\" , d\n";
        let starts = field_starts(body, 0, body.len(), b',').unwrap();
        assert_eq!(starts, vec![0, 2, 14]);
        // A quoted newline stays inside the field.
        let body = "x,\"two\nlines\",y\n";
        assert_eq!(
            field_starts(body, 0, body.len(), b',').unwrap(),
            vec![0, 2, 14]
        );
        assert_eq!(
            field_starts("a,\"open", 0, 7, b','),
            Err((2, "unterminated quoted field"))
        );
        assert_eq!(
            field_starts("\"a\"b,c", 0, 6, b',').map_err(|e| e.0),
            Err(3)
        );
    }

    #[test]
    fn offsets_become_lines_and_columns() {
        let ix = LineIndex::new("ab\ncé\rx\r\ny");
        assert_eq!(ix.pos(0), (1, 1));
        assert_eq!(ix.pos(4), (2, 2));
        assert_eq!(ix.pos(7), (3, 1));
        assert_eq!(ix.pos(10), (4, 1));
    }

    #[test]
    fn delimiter_is_sniffed_from_the_header() {
        assert_eq!(sniff_delimiter("a,b;c\n"), b',');
        assert_eq!(sniff_delimiter("\ntimestamp;input_tokens\n"), b';');
        assert_eq!(sniff_delimiter("timestamp\tinput_tokens\n"), b'\t');
    }
}
