//! JUnit XML rendering: one test case per requirement, grouped in one suite per column or
//! attribute; fail → <failure>, error → <error>, skip and needs_evidence → <skipped>.

use super::Report;
use crate::check::outcome::Status;
use std::collections::BTreeMap;

pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

pub fn render(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut suites: BTreeMap<&str, Vec<&super::RuleEntry>> = BTreeMap::new();
    for r in &report.rules {
        suites.entry(r.entity.as_str()).or_default().push(r);
    }
    let t = &report.summary.totals;
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="focus-sql FOCUS {}" tests="{}" failures="{}" errors="{}" skipped="{}">"#,
        escape(&report.focus_version),
        t.total,
        t.fail,
        t.error,
        t.skip + t.needs_evidence
    )?;
    for (entity, rules) in suites {
        let count = |s: Status| rules.iter().filter(|r| r.status == s).count();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{}" errors="{}" skipped="{}">"#,
            escape(entity),
            rules.len(),
            count(Status::Fail),
            count(Status::Error),
            count(Status::Skip) + count(Status::NeedsEvidence)
        )?;
        for r in rules {
            let name = format!("{} {}", r.id, r.keyword);
            write!(
                out,
                r#"    <testcase classname="{}" name="{}""#,
                escape(entity),
                escape(&name)
            )?;
            let reason = r.reason.clone().unwrap_or_default();
            match r.status {
                Status::Pass => writeln!(out, "/>")?,
                Status::Fail => {
                    writeln!(out, ">")?;
                    writeln!(
                        out,
                        r#"      <failure message="{} violation(s): {}">{}</failure>"#,
                        r.violations,
                        escape(&r.requirement),
                        escape(&reason)
                    )?;
                    writeln!(out, "    </testcase>")?;
                }
                Status::Error => {
                    writeln!(out, ">")?;
                    writeln!(out, r#"      <error message="{}"/>"#, escape(&reason))?;
                    writeln!(out, "    </testcase>")?;
                }
                Status::Skip | Status::NeedsEvidence => {
                    writeln!(out, ">")?;
                    writeln!(
                        out,
                        r#"      <skipped message="{}: {}"/>"#,
                        r.status,
                        escape(&reason)
                    )?;
                    writeln!(out, "    </testcase>")?;
                }
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}
