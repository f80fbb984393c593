//! Ad-hoc SQL over an export: rendering result batches as table, CSV, JSON or NDJSON, and
//! turning engine errors into messages with hints.

pub mod saved;
pub mod shell;

use crate::engine::Dataset;
use crate::rules::catalog::Catalog;
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
    // Numbers right-aligned, so that magnitudes line up.
    for (i, field) in schema.fields().iter().take(shown).enumerate() {
        if field.data_type().is_numeric() {
            if let Some(c) = t.column_mut(i) {
                c.set_cell_alignment(comfy_table::CellAlignment::Right);
            }
        }
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

/// Decimal columns with the smallest scale that still holds every value exactly: the query view
/// types costs as DECIMAL(38,12), so `SUM(BilledCost)` would print `113.360000000000`; this
/// prints `113.36`. Only trailing zeros go; no value changes. Used for the text formats (Parquet
/// keeps the engine's types).
pub fn narrow_decimals(
    batches: &[RecordBatch],
) -> Result<Vec<RecordBatch>, datafusion::arrow::error::ArrowError> {
    use datafusion::arrow::array::{Array, ArrayRef, Decimal128Array};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    let Some(first) = batches.first() else {
        return Ok(Vec::new());
    };
    let schema = first.schema();
    let mut narrowed: Vec<Option<DataType>> = vec![None; schema.fields().len()];
    for (i, field) in schema.fields().iter().enumerate() {
        let DataType::Decimal128(precision, scale) = *field.data_type() else {
            continue;
        };
        if scale <= 0 {
            continue;
        }
        // The largest number of fractional digits any value really has.
        let mut needed: i8 = 0;
        'batches: for b in batches {
            let col = b.column(i).as_any().downcast_ref::<Decimal128Array>();
            let Some(col) = col else { continue };
            for v in col.iter().flatten() {
                let mut v = v;
                let mut digits = scale;
                while digits > needed && v % 10 == 0 {
                    v /= 10;
                    digits -= 1;
                }
                needed = needed.max(digits);
                if needed == scale {
                    break 'batches;
                }
            }
        }
        if needed < scale {
            let drop = (scale - needed) as u8;
            narrowed[i] = Some(DataType::Decimal128(
                precision.saturating_sub(drop).max(needed as u8).max(1),
                needed,
            ));
        }
    }
    if narrowed.iter().all(Option::is_none) {
        return Ok(batches.to_vec());
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .zip(&narrowed)
        .map(|(f, n)| match n {
            Some(t) => f.as_ref().clone().with_data_type(t.clone()),
            None => f.as_ref().clone(),
        })
        .collect();
    let new_schema =
        std::sync::Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    batches
        .iter()
        .map(|b| {
            let cols = b
                .columns()
                .iter()
                .zip(&narrowed)
                .map(|(c, n)| match n {
                    Some(t) => datafusion::arrow::compute::cast(c, t),
                    None => Ok(c.clone()),
                })
                .collect::<Result<Vec<ArrayRef>, _>>()?;
            RecordBatch::try_new(new_schema.clone(), cols)
        })
        .collect()
}

pub fn render(
    batches: &[RecordBatch],
    format: QueryFormat,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    let to_io = |e: datafusion::arrow::error::ArrowError| std::io::Error::other(e.to_string());
    let narrowed;
    let batches = if format == QueryFormat::Parquet {
        batches
    } else {
        narrowed = narrow_decimals(batches).map_err(to_io)?;
        &narrowed[..]
    };
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

pub fn explain_error(ds: &Dataset, msg: &str) -> String {
    let message =
        crate::engine::error::explain_message(&ds.catalog, &crate::engine::clean_error(msg));
    // A fault in the data itself names the file, when the query reads one dataset only (with
    // others attached, the engine does not say which of them it was reading).
    let of_data = ["malformed CSV", "malformed data"]
        .iter()
        .any(|p| message.starts_with(p));
    if of_data && ds.attached.is_empty() && !message.contains(&ds.label) {
        format!("{}: {message}", ds.label)
    } else {
        message
    }
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
    fn decimals_lose_only_trailing_zeros() {
        use datafusion::arrow::array::{Array, ArrayRef, Decimal128Array};
        use datafusion::arrow::datatypes::DataType;
        use std::sync::Arc;
        let dec = |vals: Vec<Option<i128>>| -> ArrayRef {
            Arc::new(
                Decimal128Array::from(vals)
                    .with_precision_and_scale(38, 12)
                    .unwrap(),
            )
        };
        // 113.36, NULL, -0.36 | 2.3424, 100
        let a = RecordBatch::try_from_iter([(
            "cost",
            dec(vec![
                Some(113_360_000_000_000),
                None,
                Some(-360_000_000_000),
            ]),
        )])
        .unwrap();
        let b = RecordBatch::try_from_iter([(
            "cost",
            dec(vec![Some(2_342_400_000_000), Some(100_000_000_000_000)]),
        )])
        .unwrap();
        let out = narrow_decimals(&[a, b]).unwrap();
        assert_eq!(
            out[0].schema().field(0).data_type(),
            &DataType::Decimal128(30, 4)
        );
        let mut csv = Vec::new();
        render(&out, QueryFormat::Csv, &mut csv).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "cost\n113.3600\n\"\"\n-0.3600\n2.3424\n100.0000\n"
        );
        assert_eq!(out[0].column(0).null_count(), 1);
        // A column of whole numbers loses its fraction entirely.
        let whole =
            RecordBatch::try_from_iter([("n", dec(vec![Some(5_000_000_000_000)]))]).unwrap();
        let mut json = Vec::new();
        render(&[whole], QueryFormat::Json, &mut json).unwrap();
        assert_eq!(String::from_utf8(json).unwrap(), r#"[{"n":5}]"#);
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

/// Where the SQL of a `query` comes from.
#[derive(Debug, Clone)]
pub enum SqlSource {
    /// `-c SQL`
    Text(String),
    /// `-f FILE`
    File(std::path::PathBuf),
    /// `--saved NAME --param k=v`
    Saved {
        name: String,
        params: Vec<(String, String)>,
        dir: Option<std::path::PathBuf>,
    },
    /// Standard input when it is not a terminal, the interactive shell when it is.
    StdinOrShell,
}

impl SqlSource {
    /// The SQL text, or None for the interactive shell.
    pub fn read(&self) -> anyhow::Result<Option<String>> {
        use anyhow::Context;
        Ok(Some(match self {
            SqlSource::Text(sql) => sql.clone(),
            SqlSource::File(f) => std::fs::read_to_string(f)
                .with_context(|| format!("{}: cannot read", f.display()))?,
            SqlSource::Saved { name, params, dir } => {
                let all = saved::load(dir.as_deref())?;
                let q = saved::find(&all, name)?;
                q.bind(&params.iter().cloned().collect())?
            }
            SqlSource::StdinOrShell => {
                use std::io::IsTerminal;
                if std::io::stdin().is_terminal() {
                    return Ok(None);
                }
                let mut sql = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut sql)?;
                sql
            }
        }))
    }
}

/// Run one statement read-only (the guard, then the engine): the one executor behind `-c`,
/// `-f`, `--saved` and the shell. Errors are one message with the line and column of the fault.
pub async fn execute(ds: &Dataset, sql: &str) -> Result<Vec<RecordBatch>, String> {
    execute_on(ds.ctx.clone(), sql.to_string())
        .await
        .map_err(|e| error_with_position(ds, sql, &e))
}

/// [`execute`] on an owned session, for a task of its own (the shell cancels it on Ctrl-C);
/// the error is the engine's text.
pub async fn execute_on(
    ctx: datafusion::prelude::SessionContext,
    sql: String,
) -> Result<Vec<RecordBatch>, String> {
    crate::engine::guard::check_user_query(&sql)?;
    let df = ctx
        .sql_with_options(&sql, crate::engine::guard::read_only())
        .await
        .map_err(|e| e.to_string())?;
    df.collect().await.map_err(|e| e.to_string())
}

/// Run each statement of `sql` in order; the last one's result is returned.
pub async fn run_script(ds: &Dataset, sql: &str) -> anyhow::Result<Vec<RecordBatch>> {
    let statements = split_statements(sql);
    if statements.is_empty() {
        anyhow::bail!("no SQL statement given");
    }
    let mut last = Vec::new();
    for stmt in &statements {
        let stmt = stmt.trim_matches(|c: char| c == '\n' || c == '\r');
        last = execute(ds, stmt).await.map_err(anyhow::Error::msg)?;
    }
    Ok(last)
}

/// Open `paths` as the typed table of their dataset (CostAndUsage, or ContractCommitment) for
/// people, plus each `--table NAME=PATH` (typed as the dataset it is named after, if any),
/// refusing an `output` that is one of the inputs.
pub async fn open(
    paths: &[String],
    tables: &[(String, Vec<String>)],
    set: &crate::rules::RuleSet,
    catalog: &Catalog,
    engine: &crate::engine::EngineOptions,
    output: Option<&std::path::Path>,
) -> anyhow::Result<Dataset> {
    use crate::engine::input;
    use anyhow::anyhow;
    let main = input::resolve(paths).await.map_err(|e| anyhow!("{e}"))?;
    let mut extra = Vec::new();
    for (name, paths) in tables {
        extra.push((
            name,
            input::resolve(paths).await.map_err(|e| anyhow!("{e}"))?,
        ));
    }
    if let Some(out) = output {
        crate::output::check_not_input(out, &main.files)?;
        for (_, i) in &extra {
            crate::output::check_not_input(out, &i.files)?;
        }
    }
    let kind = crate::engine::view::ViewKind::Query;
    let mut ds = Dataset::open_as(&main, catalog, engine, kind)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    for (name, i) in &extra {
        // A table named after one of the version's datasets is typed as that dataset.
        let typed = set.dataset(name).unwrap_or(catalog);
        ds.attach_as(name, i, typed, kind)
            .await
            .map_err(|e| anyhow!("{e}"))?;
    }
    Ok(ds)
}
