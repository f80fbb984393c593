//! Rendering a regression run: table (terminal), markdown (pull requests), JSON, JUnit XML.

use super::diff::ChangeKind;
use super::{DatasetRun, RegressReport};
use crate::report::junit::escape;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RegressFormat {
    Table,
    Json,
    Junit,
    Markdown,
}

pub fn render(r: &RegressReport, format: RegressFormat, w: &mut dyn Write) -> std::io::Result<()> {
    match format {
        RegressFormat::Table => table(r, w),
        RegressFormat::Markdown => markdown(r, w),
        RegressFormat::Json => {
            serde_json::to_writer_pretty(&mut *w, r).map_err(std::io::Error::other)?;
            writeln!(w)
        }
        RegressFormat::Junit => junit(r, w),
    }
}

fn kind_label(c: &super::diff::Change) -> String {
    match &c.via {
        Some(v) => format!("{} (via {v})", c.kind.as_str()),
        None => c.kind.as_str().to_string(),
    }
}

fn verdict(d: &DatasetRun) -> String {
    match (&d.error, d.conformant) {
        (Some(e), _) => format!("unreadable: {e}"),
        (None, Some(true)) => "conformant".into(),
        (None, Some(false)) => format!("not conformant ({} MUST failures)", d.mandatory_failures),
        (None, None) => "-".into(),
    }
}

fn expected(d: &DatasetRun) -> String {
    let e = if d.expected_conformant {
        "conformant"
    } else {
        "not conformant"
    };
    if d.unexpected() {
        format!("{e} (UNEXPECTED)")
    } else {
        e.into()
    }
}

fn rows_per_second(d: &DatasetRun) -> String {
    d.rows_per_second()
        .map(|r| format!("{:.0}", r))
        .unwrap_or_else(|| "-".into())
}

fn summary_line(r: &RegressReport) -> String {
    let others = r.changes.len() - r.regressions - r.derived_regressions - r.improvements;
    let mut s = format!("{} regression(s)", r.regressions);
    if r.derived_regressions > 0 {
        s.push_str(&format!(
            " (and {} composite requirement(s) failing because of them)",
            r.derived_regressions
        ));
    }
    s.push_str(&format!(
        ", {} improvement(s), {} other change(s)",
        r.improvements, others
    ));
    if r.baseline_updated {
        s.push_str(&format!("; baseline {} rewritten", r.baseline));
    }
    s
}

fn table(r: &RegressReport, w: &mut dyn Write) -> std::io::Result<()> {
    writeln!(w, "corpus: {}   baseline: {}", r.corpus, r.baseline)?;
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header([
            "dataset", "format", "rows", "seconds", "rows/s", "expected", "verdict",
        ]);
    for d in &r.datasets {
        t.add_row([
            d.name.clone(),
            d.format.clone().unwrap_or_else(|| "-".into()),
            d.rows.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
            format!("{:.2}", d.seconds),
            rows_per_second(d),
            expected(d),
            verdict(d),
        ]);
    }
    writeln!(w, "{t}")?;
    if r.changes.is_empty() {
        writeln!(w, "no changes against the baseline")?;
    } else {
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
            .set_header(["change", "dataset", "requirement", "before", "after"]);
        for c in &r.changes {
            t.add_row([
                kind_label(c),
                c.dataset.clone(),
                c.rule.clone().unwrap_or_else(|| "(dataset)".into()),
                c.before.clone(),
                c.after.clone(),
            ]);
        }
        writeln!(w, "{t}")?;
    }
    writeln!(w, "result: {}", summary_line(r))
}

fn markdown(r: &RegressReport, w: &mut dyn Write) -> std::io::Result<()> {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    writeln!(w, "## focus-sql regress\n")?;
    writeln!(w, "**{}**\n", summary_line(r))?;
    writeln!(
        w,
        "| dataset | format | rows | seconds | rows/s | expected | verdict |"
    )?;
    writeln!(w, "|---|---|---:|---:|---:|---|---|")?;
    for d in &r.datasets {
        writeln!(
            w,
            "| {} | {} | {} | {:.2} | {} | {} | {} |",
            cell(&d.name),
            d.format.as_deref().unwrap_or("-"),
            d.rows.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
            d.seconds,
            rows_per_second(d),
            expected(d),
            cell(&verdict(d))
        )?;
    }
    if !r.changes.is_empty() {
        writeln!(w, "\n| change | dataset | requirement | before | after |")?;
        writeln!(w, "|---|---|---|---|---|")?;
        for c in &r.changes {
            let marker = if c.kind == ChangeKind::Regression && c.via.is_none() {
                format!("**{}**", kind_label(c))
            } else {
                kind_label(c)
            };
            writeln!(
                w,
                "| {marker} | {} | {} | {} | {} |",
                cell(&c.dataset),
                c.rule.as_deref().unwrap_or("(dataset)"),
                c.before,
                c.after
            )?;
        }
    }
    Ok(())
}

/// One test case per dataset; its regressions are the failure.
fn junit(r: &RegressReport, w: &mut dyn Write) -> std::io::Result<()> {
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    let failing: Vec<&DatasetRun> = r
        .datasets
        .iter()
        .filter(|d| {
            r.changes
                .iter()
                .any(|c| c.kind == ChangeKind::Regression && c.dataset == d.name)
        })
        .collect();
    writeln!(
        w,
        r#"<testsuites name="focus-sql regress" tests="{}" failures="{}">"#,
        r.datasets.len(),
        failing.len()
    )?;
    writeln!(
        w,
        r#"  <testsuite name="{}" tests="{}" failures="{}">"#,
        escape(&r.corpus),
        r.datasets.len(),
        failing.len()
    )?;
    for d in &r.datasets {
        write!(
            w,
            r#"    <testcase classname="regress" name="{}" time="{:.3}""#,
            escape(&d.name),
            d.seconds
        )?;
        let regressions: Vec<String> = r
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Regression && c.dataset == d.name)
            .map(|c| {
                format!(
                    "{}: {} -> {}",
                    c.rule.as_deref().unwrap_or("(dataset)"),
                    c.before,
                    c.after
                )
            })
            .collect();
        if regressions.is_empty() {
            writeln!(w, "/>")?;
        } else {
            writeln!(w, ">")?;
            writeln!(
                w,
                r#"      <failure message="{} regression(s)">{}</failure>"#,
                regressions.len(),
                escape(&regressions.join("\n"))
            )?;
            writeln!(w, "    </testcase>")?;
        }
    }
    writeln!(w, "  </testsuite>")?;
    writeln!(w, "</testsuites>")
}
