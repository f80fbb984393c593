//! `focus-sql report`: a draft Conformance Gap Report (certification summary, deviations with
//! workarounds, KILs, disclosed findings, applicability declarations, attestations) and a column
//! mapping reference template, as Markdown or one self-contained HTML file.

use crate::certify::{Certification, Finding, Level, Verdict};
use crate::engine::{quote_ident, Dataset};
use crate::report::Report;
use crate::rules::declaration::{Declaration, Feature};
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GapFormat {
    Markdown,
    Html,
}

/// One column of the mapping reference: what the data shows, and blanks for the generator.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnProfile {
    pub name: String,
    /// Mandatory, conditional, recommended, optional; "custom" for x_ and other columns.
    pub level: String,
    pub present: bool,
    pub type_seen: Option<String>,
    pub null_share: Option<f64>,
    pub sample_values: Vec<String>,
}

/// Profile every catalog column (and every other column of the file).
pub async fn profile(ds: &Dataset, rows: u64) -> anyhow::Result<Vec<ColumnProfile>> {
    let mut names: Vec<(String, String)> = ds
        .catalog
        .columns
        .iter()
        .map(|c| (c.name.clone(), format!("{:?}", c.level).to_lowercase()))
        .collect();
    for c in &ds.columns {
        if ds.catalog.column(&c.name).is_none() {
            names.push((c.name.clone(), "custom".into()));
        }
    }
    let present: Vec<&str> = names
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| ds.has_column(n))
        .collect();
    let mut non_null = std::collections::HashMap::new();
    if !present.is_empty() {
        let items: Vec<String> = present
            .iter()
            .map(|n| format!("COUNT({})", quote_ident(n)))
            .collect();
        let sql = format!(
            "SELECT {} FROM {}",
            items.join(", "),
            crate::engine::SOURCE_TABLE
        );
        let (_, s) = ds.count_and_sample(&sql, 1).await?;
        if let Some(row) = s.rows.first() {
            for (n, v) in present.iter().zip(row) {
                non_null.insert(
                    n.to_string(),
                    v.as_deref().unwrap_or("0").parse::<u64>().unwrap_or(0),
                );
            }
        }
    }
    let mut out = Vec::new();
    for (name, level) in names {
        let Some(col) = ds.column(&name) else {
            out.push(ColumnProfile {
                name,
                level,
                present: false,
                type_seen: None,
                null_share: None,
                sample_values: vec![],
            });
            continue;
        };
        let q = quote_ident(&name);
        let sql = format!("SELECT DISTINCT CAST({q} AS VARCHAR) AS v FROM {} WHERE {q} IS NOT NULL ORDER BY v LIMIT 5", crate::engine::SOURCE_TABLE);
        let sample_values = match ds.count_and_sample(&sql, 5).await {
            Ok((_, s)) => s
                .rows
                .into_iter()
                .filter_map(|r| r.into_iter().next().flatten())
                .collect(),
            Err(_) => vec![],
        };
        let nn = non_null.get(&name).copied().unwrap_or(0);
        out.push(ColumnProfile {
            name,
            level,
            present: true,
            type_seen: Some(col.data_type.to_string()),
            null_share: (rows > 0).then(|| (rows - nn.min(rows)) as f64 / rows as f64),
            sample_values,
        });
    }
    Ok(out)
}

/// Everything the report shows.
pub struct GapReport<'a> {
    pub report: &'a Report,
    pub cert: &'a Certification,
    pub declaration: &'a Declaration,
    pub columns: Vec<ColumnProfile>,
    pub generated: String,
    /// The scorecards of the bundle's other datasets (FOCUS 1.3+).
    pub companions: &'a [Report],
}

/// The draft for a dataset validated with a declaration: its columns profiled.
pub async fn build<'a>(
    ds: &Dataset,
    report: &'a Report,
    cert: &'a Certification,
    declaration: &'a Declaration,
    companions: &'a [Report],
) -> anyhow::Result<GapReport<'a>> {
    Ok(GapReport {
        report,
        cert,
        declaration,
        columns: profile(ds, report.dataset.rows).await?,
        generated: format!("focus-sql {}", env!("CARGO_PKG_VERSION")),
        companions,
    })
}

fn verdict_text(c: &Certification) -> String {
    match c.verdict {
        Verdict::Blocked => {
            "Blocked: mandatory columns fail static checks or the sample is insufficient".into()
        }
        Verdict::Deviations => format!(
            "{} deviation(s) count toward the threshold",
            c.deviation_count
        ),
        Verdict::Clean => "No deviation counts toward the threshold".into(),
    }
}

fn level_text(l: Level) -> &'static str {
    match l {
        Level::Ok => "ok",
        Level::Warning => "warning",
        Level::Insufficient => "insufficient",
    }
}

fn state_text<T: Serialize>(s: &T) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "-".into())
}

/// The report as (heading, header row, rows) tables plus key facts, shared by both formats.
struct Section {
    title: String,
    intro: Option<String>,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    empty: &'static str,
}

fn findings_section(title: &str, intro: &str, list: &[Finding], with_workaround: bool) -> Section {
    let mut header = vec![
        "Requirement",
        "Keyword",
        "Column / attribute",
        "Violations",
        "Requirement text",
    ];
    if with_workaround {
        header.push("Workaround");
    }
    Section {
        title: title.into(),
        intro: Some(intro.into()),
        header: header.into_iter().map(String::from).collect(),
        rows: list
            .iter()
            .map(|f| {
                let mut r = vec![
                    f.id.clone(),
                    f.keyword.to_string(),
                    f.entity.clone(),
                    f.violations.to_string(),
                    f.requirement.clone(),
                ];
                if with_workaround {
                    r.push(
                        f.workaround
                            .clone()
                            .or_else(|| f.kil.clone())
                            .unwrap_or_else(|| "(to be described)".into()),
                    );
                }
                r
            })
            .collect(),
        empty: "None.",
    }
}

fn sections(g: &GapReport) -> Vec<Section> {
    let c = g.cert;
    let mut out = vec![
        Section {
            title: "1. Certification summary".into(),
            intro: None,
            header: vec!["Item".into(), "Value".into()],
            rows: vec![
                vec!["Provider".into(), c.provider.clone()],
                vec!["FOCUS version".into(), c.focus_version.clone()],
                vec!["Sample".into(), format!("{} ({}, {} rows, {} columns)", g.report.dataset.paths.join(", "), g.report.dataset.format, g.report.dataset.rows, g.report.dataset.columns)],
            ]
            .into_iter()
            .chain(g.companions.iter().map(|r| {
                let s = &r.summary;
                vec![
                    "Other dataset".into(),
                    format!(
                        "{} ({} rows): {}",
                        r.dataset.paths.join(", "),
                        r.dataset.rows,
                        if s.conformant {
                            "no MUST or MUST NOT requirement failed".to_string()
                        } else {
                            format!("{} MUST / MUST NOT requirement(s) failed", s.mandatory_failures)
                        }
                    ),
                ]
            }))
            .chain([
                vec!["Verdict".into(), verdict_text(c)],
                vec!["Deviations counted".into(), c.deviation_count.to_string()],
                vec!["Blocking failures".into(), c.blocking.len().to_string()],
                vec!["Known Industry Limitations".into(), c.kils.len().to_string()],
                vec!["Conformance score".into(), format!("{:.1}% ({} of {} applicable requirements met)", c.score * 100.0, c.met, c.applicable)],
                vec!["Needing evidence, not attested".into(), c.unattested_evidence.len().to_string()],
                vec!["Generated".into(), g.generated.clone()],
            ])
            .collect(),
            empty: "",
        },
        Section {
            title: "2. Sample sufficiency".into(),
            intro: None,
            header: vec!["Check".into(), "Result".into(), "Detail".into()],
            rows: c.sufficiency.iter().map(|s| vec![s.check.clone(), level_text(s.level).into(), s.detail.clone()]).collect(),
            empty: "None.",
        },
        findings_section(
            "3. Blocking failures",
            "Static checks failing on mandatory columns; certification cannot proceed until they pass.",
            &c.blocking,
            false,
        ),
        findings_section(
            "4. Deviations",
            "MUST and MUST NOT violations on mandatory or conditional columns. These count toward the deviation threshold.",
            &c.deviations,
            true,
        ),
        findings_section("5. Known Industry Limitations", "Approved KILs: disclosed, excluded from the count.", &c.kils, true),
        findings_section(
            "6. Disclosed findings",
            "SHOULD findings, and MUST findings on recommended or optional columns, attributes or the dataset: disclosed, not counted.",
            &[c.should.clone(), c.disclosed.clone()].concat(),
            true,
        ),
    ];
    let declared: std::collections::BTreeSet<Feature> =
        g.declaration.features.iter().copied().collect();
    let mut rows: Vec<Vec<String>> = Feature::of_version(&g.cert.focus_version)
        .iter()
        .map(|f| {
            vec![
                f.name().into(),
                if declared.contains(f) {
                    "supported".into()
                } else {
                    "not supported".into()
                },
                f.criteria().join(", "),
            ]
        })
        .collect();
    for a in &g.declaration.applicability {
        rows.push(vec!["(criterion)".into(), "supported".into(), a.clone()]);
    }
    out.push(Section {
        title: "7. Applicability declarations".into(),
        intro: Some("Feature areas the generator declares, and the requirements model criteria they turn on.".into()),
        header: vec!["Feature area".into(), "Declared".into(), "Criteria".into()],
        rows,
        empty: "",
    });
    out.push(Section {
        title: "8. Attestations".into(),
        intro: Some("Checks that need evidence beyond the data: automated where the sample allows, otherwise attested in the declaration.".into()),
        header: vec!["Area".into(), "State".into(), "Detail".into()],
        rows: c.attestations.iter().map(|a| vec![a.name.clone(), state_text(&a.state), a.detail.clone()]).collect(),
        empty: "",
    });
    out.push(Section {
        title: "9. Column mapping reference".into(),
        intro: Some("What the sample shows for each column. The generator fills in the source field and the transform.".into()),
        header: ["Column", "Level", "Present", "Type seen", "Null share", "Sample values", "Source field", "Transform"].map(String::from).to_vec(),
        rows: g
            .columns
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.level.clone(),
                    if p.present { "yes".into() } else { "no".into() },
                    p.type_seen.clone().unwrap_or_else(|| "-".into()),
                    pct(p.null_share),
                    p.sample_values.iter().map(|v| if v.chars().count() > 40 { format!("{}…", v.chars().take(39).collect::<String>()) } else { v.clone() }).collect::<Vec<_>>().join("; "),
                    String::new(),
                    String::new(),
                ]
            })
            .collect(),
        empty: "",
    });
    out
}

pub fn render(g: &GapReport, format: GapFormat, w: &mut dyn Write) -> std::io::Result<()> {
    let title = format!(
        "FOCUS {} Conformance Gap Report: {} (draft)",
        g.cert.focus_version, g.cert.provider
    );
    match format {
        GapFormat::Markdown => {
            let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
            writeln!(w, "# {title}\n")?;
            writeln!(w, "_Draft generated by focus-sql from the sample; review every section before publishing._\n")?;
            for s in sections(g) {
                writeln!(w, "## {}\n", s.title)?;
                if let Some(i) = &s.intro {
                    writeln!(w, "{i}\n")?;
                }
                if s.rows.is_empty() {
                    writeln!(w, "{}\n", s.empty)?;
                    continue;
                }
                writeln!(w, "| {} |", s.header.join(" | "))?;
                writeln!(
                    w,
                    "|{}|",
                    s.header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
                )?;
                for r in &s.rows {
                    writeln!(
                        w,
                        "| {} |",
                        r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
                    )?;
                }
                writeln!(w)?;
            }
            Ok(())
        }
        GapFormat::Html => {
            let e = crate::report::junit::escape;
            writeln!(w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>", e(&title))?;
            writeln!(w, "<style>{CSS}</style>\n</head>\n<body>")?;
            let badge = match g.cert.verdict {
                Verdict::Blocked => "blocked",
                Verdict::Deviations => "deviations",
                Verdict::Clean => "clean",
            };
            writeln!(
                w,
                "<header><h1>{}</h1><p class=\"verdict {badge}\">{}</p>",
                e(&title),
                e(&verdict_text(g.cert))
            )?;
            writeln!(w, "<p class=\"note\">Draft generated by focus-sql from the sample; review every section before publishing.</p></header>")?;
            writeln!(w, "<nav><ol>")?;
            for (i, s) in sections(g).iter().enumerate() {
                writeln!(
                    w,
                    "<li><a href=\"#s{i}\">{}</a></li>",
                    e(s.title.split_once(". ").map_or(&s.title[..], |x| x.1))
                )?;
            }
            writeln!(w, "</ol></nav>")?;
            for (i, s) in sections(g).iter().enumerate() {
                writeln!(w, "<section id=\"s{i}\"><h2>{}</h2>", e(&s.title))?;
                if let Some(intro) = &s.intro {
                    writeln!(w, "<p>{}</p>", e(intro))?;
                }
                if s.rows.is_empty() {
                    writeln!(w, "<p class=\"empty\">{}</p></section>", e(s.empty))?;
                    continue;
                }
                writeln!(
                    w,
                    "<table><thead><tr>{}</tr></thead><tbody>",
                    s.header
                        .iter()
                        .map(|h| format!("<th>{}</th>", e(h)))
                        .collect::<String>()
                )?;
                for r in &s.rows {
                    let cells: String = r
                        .iter()
                        .map(|c| {
                            let class = match c.as_str() {
                                "ok" | "automated: pass" | "supported" | "yes" => " class=\"good\"",
                                "warning" | "missing" | "attested" => " class=\"warn\"",
                                "insufficient" | "automated: fail" | "no" => " class=\"bad\"",
                                "" => " class=\"fill\"",
                                _ => "",
                            };
                            format!("<td{class}>{}</td>", e(c))
                        })
                        .collect();
                    writeln!(w, "<tr>{cells}</tr>")?;
                }
                writeln!(w, "</tbody></table></section>")?;
            }
            writeln!(w, "<footer>FOCUS is © the FinOps Foundation, CC BY 4.0. Requirement texts are quoted from the specification.</footer>")?;
            writeln!(w, "</body>\n</html>")
        }
    }
}

const CSS: &str = "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d2330;margin:0 auto;max-width:1180px;padding:24px 32px}\
h1{font-size:24px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid #e3e7ef;padding-bottom:4px}\
.verdict{display:inline-block;padding:6px 12px;border-radius:6px;font-weight:600}.clean{background:#e3f5e8;color:#145c2c}\
.deviations{background:#fff4d6;color:#7a5200}.blocked{background:#fde2e1;color:#8f1d17}.note{color:#5b6474;font-style:italic}\
nav ol{columns:3;padding-left:20px;color:#5b6474}nav a{color:#2754c5;text-decoration:none}\
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #dfe3ea;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#f3f5f9}td:first-child{white-space:nowrap}tr:nth-child(even) td{background:#fafbfd}td.good{color:#145c2c}td.warn{color:#7a5200}td.bad{color:#8f1d17;font-weight:600}\
td.fill{background:#fffbe8!important}.empty{color:#5b6474}footer{margin-top:32px;color:#8a92a3;font-size:12px}";
