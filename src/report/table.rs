//! The human scorecard: totals by keyword, a line per column, then every failing or erroring
//! requirement with its text, violation count and a few offending rows.

use super::{Counts, Report};
use crate::check::outcome::Status;
use crate::rules::Keyword;
use comfy_table::{presets, Attribute, Cell, CellAlignment, Color, ContentArrangement, Table};

const STATUS_HEADERS: [(&str, Status); 5] = [
    ("pass", Status::Pass),
    ("fail", Status::Fail),
    ("skip", Status::Skip),
    ("needs evidence", Status::NeedsEvidence),
    ("error", Status::Error),
];

pub(crate) fn new_table(color: bool) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(120);
    if !color {
        t.force_no_tty();
    } else {
        t.enforce_styling();
    }
    t
}

fn count_cell(n: u64, status: Status, color: bool) -> Cell {
    let mut c = Cell::new(n).set_alignment(CellAlignment::Right);
    if color && n > 0 {
        c = match status {
            Status::Fail => c.fg(Color::Red).add_attribute(Attribute::Bold),
            Status::Error => c.fg(Color::Magenta),
            Status::Pass => c.fg(Color::Green),
            _ => c,
        };
    }
    c
}

fn counts_row(label: &str, counts: &Counts, color: bool) -> Vec<Cell> {
    let mut row = vec![Cell::new(label)];
    for (_, s) in STATUS_HEADERS {
        row.push(count_cell(counts.get(s), s, color));
    }
    row.push(Cell::new(counts.total).set_alignment(CellAlignment::Right));
    row
}

/// Everything up to the closing line: header, totals by keyword and column, failing
/// requirements with their offending rows.
pub fn render_scorecard(
    report: &Report,
    out: &mut dyn std::io::Write,
    color: bool,
) -> std::io::Result<()> {
    let s = &report.summary;
    writeln!(
        out,
        "focus-sql: FOCUS {} {} validation of {} ({}, {} rows, {} columns)",
        report.focus_version,
        report.dataset.name,
        report.dataset.paths.join(", "),
        report.dataset.format,
        report.dataset.rows,
        report.dataset.columns
    )?;
    writeln!(
        out,
        "applicability criteria declared: {}",
        report.applicability
    )?;
    writeln!(out)?;

    let mut t = new_table(color);
    let mut header = vec![Cell::new("keyword")];
    header.extend(STATUS_HEADERS.iter().map(|(h, _)| Cell::new(h)));
    header.push(Cell::new("total"));
    t.set_header(header);
    for k in Keyword::ALL {
        if let Some(c) = s.by_keyword.get(&k) {
            t.add_row(counts_row(k.as_str(), c, color));
        }
    }
    t.add_row(counts_row("all", &s.totals, color));
    writeln!(out, "{t}")?;

    let mut t = new_table(color);
    let mut header = vec![Cell::new("column / attribute")];
    header.extend(STATUS_HEADERS.iter().map(|(h, _)| Cell::new(h)));
    header.push(Cell::new("total"));
    t.set_header(header);
    for (entity, c) in &s.by_entity {
        t.add_row(counts_row(entity, c, color));
    }
    writeln!(out, "{t}")?;

    let problems: Vec<_> = report
        .rules
        .iter()
        .filter(|r| matches!(r.status, Status::Fail | Status::Error))
        .collect();
    if !problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "Failing requirements ({}):", problems.len())?;
    }
    for r in problems {
        writeln!(out)?;
        let label = if r.status == Status::Fail {
            format!("FAIL {} violation(s)", r.violations)
        } else {
            "ERROR".into()
        };
        writeln!(out, "{} [{}] {}  ({})", r.id, r.keyword, label, r.entity)?;
        writeln!(out, "  {}", r.requirement)?;
        if let Some(reason) = &r.reason {
            writeln!(out, "  {reason}")?;
        }
        if let Some(sample) = &r.sample {
            if !sample.rows.is_empty() {
                let mut t = new_table(false);
                t.load_preset(presets::ASCII_BORDERS_ONLY_CONDENSED);
                t.set_header(sample.columns.iter().map(Cell::new));
                for row in &sample.rows {
                    t.add_row(row.iter().map(|v| {
                        Cell::new(
                            v.as_deref()
                                .map(|s| truncate(s, 60))
                                .unwrap_or_else(|| "NULL".into()),
                        )
                    }));
                }
                for line in t.to_string().lines() {
                    writeln!(out, "  {line}")?;
                }
                if r.violations > sample.rows.len() as u64 {
                    writeln!(
                        out,
                        "  ... {} more",
                        r.violations - sample.rows.len() as u64
                    )?;
                }
            }
        }
    }
    let noted: Vec<_> = report.rules.iter().filter(|r| r.note.is_some()).collect();
    if !noted.is_empty() {
        writeln!(out)?;
        writeln!(out, "Notes ({}):", noted.len())?;
        for r in noted {
            writeln!(out)?;
            writeln!(out, "{} [{}] {}  ({})", r.id, r.keyword, r.status, r.entity)?;
            writeln!(out, "  note: {}", r.note.as_deref().unwrap_or_default())?;
        }
    }
    Ok(())
}

/// The closing line: the verdict on MUST / MUST NOT requirements and the totals.
pub fn render_result(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let s = &report.summary;
    writeln!(out)?;
    let verdict = if s.conformant {
        "no MUST or MUST NOT requirement failed".to_string()
    } else {
        format!(
            "{} MUST / MUST NOT requirement(s) failed",
            s.mandatory_failures
        )
    };
    let t = &s.totals;
    writeln!(
        out,
        "result: {verdict} ({} pass, {} fail, {} skip, {} needs evidence, {} error)",
        t.pass, t.fail, t.skip, t.needs_evidence, t.error
    )
}

pub(crate) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
