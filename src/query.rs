//! Ad-hoc SQL over an export: rendering result batches as table, CSV, JSON or NDJSON, and
//! turning engine errors into messages with hints.

use crate::catalog::Catalog;
use crate::engine::Dataset;
use datafusion::arrow::array::RecordBatch;
use std::io::Write;

/// How `focus-sql query` writes its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryFormat {
    Table,
    Csv,
    Json,
    Ndjson,
    /// A Parquet file (needs --output)
    Parquet,
}

/// Rows shown by the table format before it truncates.
pub const TABLE_MAX_ROWS: usize = 50;
/// Characters shown of one value in the table format.
pub const TABLE_MAX_CELL: usize = 40;

fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    comfy_table::Table::new().width().map(usize::from)
}

/// The table format: at most TABLE_MAX_ROWS rows, values cut to TABLE_MAX_CELL characters, as
/// many columns as fit in `width`; a last line says what was left out.
pub fn table_view(batches: &[RecordBatch], width: usize) -> datafusion::common::Result<String> {
    let total: usize = batches.iter().map(|b| b.num_rows()).sum();
    let Some(first) = batches.first() else {
        return Ok("(0 rows)".into());
    };
    let schema = first.schema();
    let mut rows: Vec<Vec<Option<String>>> = Vec::new();
    for b in batches {
        if rows.len() >= TABLE_MAX_ROWS {
            break;
        }
        rows.extend(crate::engine::format_rows(b, TABLE_MAX_ROWS - rows.len())?);
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| match v {
                    None => "NULL".to_string(),
                    Some(v) if v.chars().count() > TABLE_MAX_CELL => {
                        format!(
                            "{}…",
                            v.chars().take(TABLE_MAX_CELL - 1).collect::<String>()
                        )
                    }
                    Some(v) => v.clone(),
                })
                .collect()
        })
        .collect();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let mut shown = 0;
    let mut used = 1;
    for (i, name) in names.iter().enumerate() {
        let w = cells
            .iter()
            .map(|r| r[i].chars().count())
            .chain([name.chars().count()])
            .max()
            .unwrap_or(0)
            + 3;
        if shown > 0 && used + w > width {
            break;
        }
        used += w;
        shown += 1;
    }
    let too_long = |v: &Option<String>| {
        v.as_ref()
            .is_some_and(|v| v.chars().count() > TABLE_MAX_CELL)
    };
    let cut = rows
        .iter()
        .map(|r| r.iter().take(shown).filter(|v| too_long(v)).count())
        .sum::<usize>();
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(names.iter().take(shown));
    for r in &cells {
        t.add_row(r.iter().take(shown));
    }
    let mut notes = vec![if total > rows.len() {
        format!("{total} rows, showing the first {}", rows.len())
    } else {
        format!("{total} row{}", if total == 1 { "" } else { "s" })
    }];
    if shown < names.len() {
        notes.push(format!("{shown} of {} columns shown", names.len()));
    }
    if cut > 0 {
        notes.push(format!(
            "{cut} value{} cut to {TABLE_MAX_CELL} characters",
            if cut == 1 { "" } else { "s" }
        ));
    }
    let mut out = format!("{t}\n({})", notes.join("; "));
    if notes.len() > 1 || total > rows.len() {
        out.push_str("\nuse --format csv or --output FILE for everything");
    }
    Ok(out)
}

pub fn render(
    batches: &[RecordBatch],
    format: QueryFormat,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    let to_io = |e: datafusion::arrow::error::ArrowError| std::io::Error::other(e.to_string());
    match format {
        QueryFormat::Table => {
            let width = std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.parse().ok())
                .or_else(terminal_width)
                .unwrap_or(160);
            writeln!(
                w,
                "{}",
                table_view(batches, width).map_err(|e| std::io::Error::other(e.to_string()))?
            )
        }
        QueryFormat::Csv => {
            let mut writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(w);
            for b in batches {
                writer.write(b).map_err(to_io)?;
            }
            Ok(())
        }
        QueryFormat::Json => {
            let mut writer = datafusion::arrow::json::ArrayWriter::new(w);
            for b in batches {
                writer.write(b).map_err(to_io)?;
            }
            writer.finish().map_err(to_io)
        }
        QueryFormat::Ndjson => {
            let mut writer = datafusion::arrow::json::LineDelimitedWriter::new(w);
            for b in batches {
                writer.write(b).map_err(to_io)?;
            }
            writer.finish().map_err(to_io)
        }
        QueryFormat::Parquet => Err(std::io::Error::other(
            "--format parquet writes a file: give --output FILE.parquet",
        )),
    }
}

/// Write result batches to a Parquet file, atomically (temporary file in the same directory).
pub fn write_parquet(batches: &[RecordBatch], path: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context;
    let schema = match batches.first() {
        Some(b) => b.schema(),
        None => std::sync::Arc::new(datafusion::arrow::datatypes::Schema::empty()),
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("{}: cannot create a file", dir.display()))?;
    {
        let mut writer =
            datafusion::parquet::arrow::ArrowWriter::try_new(tmp.as_file(), schema, None)?;
        for b in batches {
            writer.write(b)?;
        }
        writer.close()?;
    }
    crate::output::readable_by_all(tmp.as_file());
    tmp.persist(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {}", path.display(), e.error))?;
    Ok(())
}

/// Add a "did you mean" hint to unknown-column errors.
pub fn explain_message(catalog: &Catalog, msg: &str) -> String {
    let marker = "No field named ";
    if let Some(i) = msg.find(marker) {
        let rest = &msg[i + marker.len()..];
        let name: String = rest
            .trim_start_matches('"')
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let bare = name.rsplit('.').next().unwrap_or(&name).to_string();
        if let Some(close) = catalog.closest(&bare) {
            if close != bare {
                return format!("unknown column {bare} (did you mean {close}?)");
            }
        }
        return format!("unknown column {bare}");
    }
    msg.to_string()
}

pub fn explain_error(ds: &Dataset, msg: &str) -> String {
    explain_message(&ds.catalog, &crate::input::clean_error(msg))
}

/// An error about `sql`, with the line and column it points at (from the parser's
/// "Line: L, Column: C", or the first place an unknown column is named) and a caret under it.
pub fn error_with_position(ds: &Dataset, sql: &str, msg: &str) -> String {
    let message = explain_error(ds, msg);
    let unknown_table = || {
        let i = message.find("table '")?;
        let rest = &message[i + 7..];
        let name = rest[..rest.find("' not found")?].rsplit('.').next()?;
        locate_word(sql, name)
    };
    let position = parser_position(msg)
        .or_else(|| {
            let name = message
                .strip_prefix("unknown column ")?
                .split_whitespace()
                .next()?;
            locate_word(sql, name)
        })
        .or_else(unknown_table)
        .or_else(|| {
            // The parser ran out of input: point just past the end.
            msg.contains("found: EOF").then(|| {
                let lines: Vec<&str> = sql.trim_end().lines().collect();
                (
                    lines.len().max(1),
                    lines.last().map_or(0, |l| l.chars().count()) + 1,
                )
            })
        });
    match position {
        Some((line, col)) => {
            let text = sql.lines().nth(line - 1).unwrap_or("");
            let pad: String = text
                .chars()
                .take(col - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            format!("{message}\n  at line {line}, column {col}:\n  {text}\n  {pad}^")
        }
        None => message,
    }
}

/// The statements of a script: split at `;` outside quotes and comments, blanks dropped.
pub fn split_statements(sql: &str) -> Vec<&str> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b'-' && bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            None if b == b';' => {
                out.push(&sql[start..i]);
                start = i + 1;
            }
            None => {}
        }
        i += 1;
    }
    out.push(&sql[start..]);
    out.into_iter()
        .filter(|s| {
            !s.trim().is_empty()
                && !s
                    .lines()
                    .all(|l| l.trim().is_empty() || l.trim().starts_with("--"))
        })
        .collect()
}

/// "Line: 3, Column: 14" in a parser error.
fn parser_position(msg: &str) -> Option<(usize, usize)> {
    let i = msg.find("Line: ")?;
    let rest = &msg[i + 6..];
    let line: usize = rest.split(',').next()?.trim().parse().ok()?;
    let j = rest.find("Column: ")?;
    let col: usize = rest[j + 8..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()?;
    (line > 0 && col > 0).then_some((line, col))
}

/// Line and column (1-based, in characters) of the first whole-word occurrence of `word`.
fn locate_word(sql: &str, word: &str) -> Option<(usize, usize)> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    for (n, line) in sql.lines().enumerate() {
        let mut from = 0;
        while let Some(i) = line[from..].find(word) {
            let start = from + i;
            let end = start + word.len();
            let before_ok = !line[..start].chars().next_back().is_some_and(ident);
            let after_ok = !line[end..].chars().next().is_some_and(ident);
            if before_ok && after_ok {
                return Some((n + 1, line[..start].chars().count() + 1));
            }
            from = end;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        assert_eq!(
            parser_position(
                "sql parser error: Expected: end of statement, found: x at Line: 2, Column: 15"
            ),
            Some((2, 15))
        );
        assert_eq!(parser_position("no position"), None);
        assert_eq!(
            locate_word(
                "SELECT BilledCostX\nFROM t WHERE BilledCost > 0",
                "BilledCost"
            ),
            Some((2, 14))
        );
        assert_eq!(locate_word("SELECT a", "b"), None);
    }

    #[test]
    fn table_view_says_what_it_cut() {
        use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
        use std::sync::Arc;
        let long = "x".repeat(100);
        let n = TABLE_MAX_ROWS + 7;
        let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(0..n as i64));
        let text: ArrayRef = Arc::new(StringArray::from_iter_values((0..n).map(|_| long.as_str())));
        let batch =
            RecordBatch::try_from_iter([("id", ids.clone()), ("text", text), ("more", ids)])
                .unwrap();
        let out = table_view(std::slice::from_ref(&batch), 1000).unwrap();
        assert!(out.contains(&format!("({} rows, showing the first {TABLE_MAX_ROWS}; {TABLE_MAX_ROWS} values cut to {TABLE_MAX_CELL} characters)", n)), "{out}");
        assert!(!out.contains(&long));
        let narrow = table_view(&[batch], 20).unwrap();
        assert!(narrow.contains("1 of 3 columns shown"), "{narrow}");
    }

    #[test]
    fn statements_split_outside_quotes_and_comments() {
        let s = split_statements(
            "SELECT 'a;b' AS x; -- c;d\nSELECT \"e;f\" FROM t;\n-- only a comment;\n",
        );
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].contains("'a;b'"));
        assert!(s[1].contains("\"e;f\""));
    }
}
