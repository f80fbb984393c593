//! JSON rendering of the report: `{ "summary": ..., "rules": [ { "id", "status", ... } ] }`.

use super::Report;

pub fn render(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
