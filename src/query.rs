//! Ad-hoc SQL over an export: rendering result batches as table, CSV, JSON or NDJSON, and
//! turning engine errors into messages with hints.

use crate::catalog::Catalog;
use crate::engine::Dataset;
use datafusion::arrow::array::RecordBatch;
use std::io::Write;

/// Rows shown by the table format before it truncates.
pub const TABLE_MAX_ROWS: usize = 50;

pub fn render(batches: &[RecordBatch], format: &str, w: &mut dyn Write) -> std::io::Result<()> {
    let to_io = |e: datafusion::arrow::error::ArrowError| std::io::Error::other(e.to_string());
    match format {
        "table" => {
            let total: usize = batches.iter().map(|b| b.num_rows()).sum();
            let mut shown = Vec::new();
            let mut left = TABLE_MAX_ROWS;
            for b in batches {
                if left == 0 {
                    break;
                }
                let take = b.num_rows().min(left);
                shown.push(b.slice(0, take));
                left -= take;
            }
            let table = datafusion::arrow::util::pretty::pretty_format_batches(&shown).map_err(to_io)?;
            writeln!(w, "{table}")?;
            if total > TABLE_MAX_ROWS {
                writeln!(w, "({total} rows, showing the first {TABLE_MAX_ROWS}; use --format csv or --output for all)")?;
            } else {
                writeln!(w, "({total} row{})", if total == 1 { "" } else { "s" })?;
            }
            Ok(())
        }
        "csv" => {
            let mut writer = datafusion::arrow::csv::WriterBuilder::new().with_header(true).build(w);
            for b in batches {
                writer.write(b).map_err(to_io)?;
            }
            Ok(())
        }
        "json" => {
            let mut writer = datafusion::arrow::json::ArrayWriter::new(w);
            for b in batches {
                writer.write(b).map_err(to_io)?;
            }
            writer.finish().map_err(to_io)
        }
        "ndjson" => {
            let mut writer = datafusion::arrow::json::LineDelimitedWriter::new(w);
            for b in batches {
                writer.write(b).map_err(to_io)?;
            }
            writer.finish().map_err(to_io)
        }
        other => Err(std::io::Error::other(format!("unknown --format `{other}` (expected table, csv, json or ndjson)"))),
    }
}

/// Add a "did you mean" hint to unknown-column errors.
pub fn explain_message(catalog: &Catalog, msg: &str) -> String {
    let marker = "No field named ";
    if let Some(i) = msg.find(marker) {
        let rest = &msg[i + marker.len()..];
        let name: String = rest.trim_start_matches('"').chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
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
