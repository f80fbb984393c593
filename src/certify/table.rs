//! The certification section of the table scorecard (validate --declaration).

use super::{Certification, Finding, Level, Verdict};
use crate::report::table::{new_table, truncate};

fn findings(title: &str, list: &[Finding], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    writeln!(out, "{title} ({}):", list.len())?;
    for f in list {
        writeln!(
            out,
            "  {} [{}] {} violation(s): {}",
            f.id,
            f.keyword,
            f.violations,
            truncate(&f.requirement, 90)
        )?;
        if let Some(w) = &f.workaround {
            writeln!(out, "      workaround: {w}")?;
        }
        if let Some(k) = &f.kil {
            writeln!(out, "      KIL: {k}")?;
        }
    }
    Ok(())
}

/// The certification section (with --declaration).
pub fn render(c: &Certification, out: &mut dyn std::io::Write, color: bool) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "Certification ({}, FOCUS {})",
        c.provider, c.focus_version
    )?;
    writeln!(
        out,
        "  feature areas: {}",
        if c.features.is_empty() {
            "none declared".into()
        } else {
            c.features.join(", ")
        }
    )?;
    let mut t = new_table(color);
    t.set_header(["sample check", "", "detail"]);
    for x in &c.sufficiency {
        let level = match x.level {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Insufficient => "INSUFFICIENT",
        };
        t.add_row([x.check.as_str(), level, x.detail.as_str()]);
    }
    writeln!(out, "{t}")?;
    let mut t = new_table(color);
    t.set_header(["attestation area", "state", "detail"]);
    for a in &c.attestations {
        let state = serde_json::to_value(&a.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        t.add_row([a.name.clone(), state, truncate(&a.detail, 70)]);
    }
    writeln!(out, "{t}")?;
    findings(
        "Blocking: mandatory columns failing static checks",
        &c.blocking,
        out,
    )?;
    findings(
        "Deviations (MUST / MUST NOT on mandatory or conditional columns; counted)",
        &c.deviations,
        out,
    )?;
    findings(
        "Known Industry Limitations (approved; disclosed, not counted)",
        &c.kils,
        out,
    )?;
    findings(
        "Other MUST findings (recommended or optional columns, attributes, dataset; disclosed)",
        &c.disclosed,
        out,
    )?;
    findings("SHOULD findings (disclosed, not counted)", &c.should, out)?;
    let verdict = match c.verdict {
        Verdict::Blocked => {
            "BLOCKED: mandatory columns fail static checks or the sample is insufficient"
                .to_string()
        }
        Verdict::Deviations => format!(
            "{} deviation(s) count toward the threshold",
            c.deviation_count
        ),
        Verdict::Clean => "no deviation counts toward the threshold".to_string(),
    };
    writeln!(out, "certification: {verdict}")?;
    writeln!(
        out,
        "conformance score: {:.1}% ({} of {} applicable requirements met; {} need evidence not yet attested)",
        c.score * 100.0,
        c.met,
        c.applicable,
        c.unattested_evidence.len()
    )
}
