//! The one aligned text table every terminal rendering uses: columns
//! aligned left or right, widths counted in characters (so `±`, `–` and `†`
//! line up), two spaces between columns, no trailing spaces.

/// How a column's cells are padded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text: padded on the right.
    Left,
    /// Numbers: padded on the left.
    Right,
}

/// A table being built: a header row, then rows of cells.
#[derive(Clone, Debug)]
pub struct TextTable {
    indent: String,
    header: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl TextTable {
    /// A table with these `(header, alignment)` columns.
    pub fn new<S: Into<String>>(columns: impl IntoIterator<Item = (S, Align)>) -> TextTable {
        let (header, align) = columns.into_iter().map(|(h, a)| (h.into(), a)).unzip();
        TextTable {
            indent: String::new(),
            header,
            align,
            rows: Vec::new(),
        }
    }

    /// Prefixes every line with `indent`.
    pub fn indent(mut self, indent: &str) -> TextTable {
        self.indent = indent.to_string();
        self
    }

    /// Adds a row; missing cells are empty, extra cells are dropped.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut r: Vec<String> = cells.into_iter().map(Into::into).collect();
        r.resize(self.header.len(), String::new());
        self.rows.push(r);
    }

    /// The table as lines, each ending in `\n`.
    pub fn render(&self) -> String {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|i| {
                std::iter::once(&self.header[i])
                    .chain(self.rows.iter().map(|r| &r[i]))
                    .map(|c| c.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for cells in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = self.indent.clone();
            for (i, c) in cells.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                let pad = " ".repeat(widths[i] - c.chars().count());
                match self.align[i] {
                    Align::Left => {
                        line.push_str(c);
                        line.push_str(&pad);
                    }
                    Align::Right => {
                        line.push_str(&pad);
                        line.push_str(c);
                    }
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_by_characters_and_trims_line_ends() {
        let mut t = TextTable::new([("name", Align::Left), ("n", Align::Right)]).indent("> ");
        t.row(["a", "1,000"]);
        t.row(["β±γ", "–"]);
        t.row(["long name", ""]);
        assert_eq!(
            t.render(),
            "> name           n\n> a          1,000\n> β±γ            –\n> long name\n"
        );
    }

    #[test]
    fn short_rows_are_padded_with_empty_cells() {
        let mut t = TextTable::new([("a", Align::Right), ("b", Align::Left)]);
        t.row(["xyz"]);
        assert_eq!(t.render(), "  a  b\nxyz\n");
    }
}
