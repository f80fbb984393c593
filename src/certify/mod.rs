//! Certification: the verdict a FinOps Foundation review would reach on a sample, from the
//! scorecard plus the provider's declaration. Mandatory-column static failures block; MUST and
//! MUST NOT failures on mandatory or conditional columns count as deviations unless an approved
//! KIL covers them; SHOULD findings and gaps elsewhere are disclosed without counting. Also the
//! sample sufficiency checks and the evidence checks (`rules.d/evidence/*.yaml`) that automate,
//! where the data allows, what is otherwise attested.

pub mod gap;
pub mod table;

use crate::check::outcome::{Outcome, Status};
use crate::engine::Dataset;
use crate::report::{Report, RuleEntry};
use crate::rules::catalog::FeatureLevel;
use crate::rules::declaration::{AttestationArea, Declaration};
use crate::rules::{EntityType, Function, Keyword, RuleSet, RuleType};
use anyhow::{anyhow, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

// ---------------------------------------------------------------------------------------------
// Evidence checks

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requires {
    /// A query returning one boolean: whether the check can say anything on this sample.
    pub sql: String,
    pub reason: String,
}

/// A data check that stands in for (part of) an attestation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceCheck {
    pub id: String,
    pub area: AttestationArea,
    pub title: String,
    /// Requirements (usually "needs evidence" ones) this check gives evidence for.
    #[serde(default)]
    pub requirements: Vec<String>,
    /// Columns the check reads; it is skipped when one is missing.
    #[serde(default)]
    pub needs: Vec<String>,
    /// Needs the invoice totals file (table Invoices(InvoiceId, currency, total)).
    #[serde(default)]
    pub needs_invoices: bool,
    #[serde(default)]
    pub requires: Option<Requires>,
    /// Returns the offending rows.
    pub sql: String,
}

fn parse_check(text: &str, display: &str) -> Result<EvidenceCheck> {
    serde_yaml::from_str(text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(":{}", l.line()))
            .unwrap_or_default();
        anyhow!("{display}{at}: {e}")
    })
}

/// The embedded evidence checks, overridden or extended by `extra/evidence/*.yaml`.
pub fn load_checks(extra: Option<&Path>) -> Result<Vec<EvidenceCheck>> {
    let mut by_id = std::collections::BTreeMap::new();
    for (rel, text) in crate::rules::embedded_evidence() {
        let c = parse_check(text, &format!("rules.d/{rel}"))?;
        by_id.insert(c.id.clone(), c);
    }
    if let Some(dir) = extra
        .map(|d| d.join(crate::rules::EVIDENCE_DIR))
        .filter(|d| d.is_dir())
    {
        let mut files: Vec<_> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        {
            let text = std::fs::read_to_string(&f)
                .with_context(|| format!("{}: cannot read", f.display()))?;
            let c = parse_check(&text, &f.display().to_string())?;
            by_id.insert(c.id.clone(), c);
        }
    }
    Ok(by_id.into_values().collect())
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceResult {
    pub id: String,
    pub area: AttestationArea,
    pub title: String,
    pub requirements: Vec<String>,
    /// Status, violations, reason and offending rows, as for a requirement.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Register an invoice totals CSV (columns InvoiceId, currency or BillingCurrency, total or
/// amount; names in any case) as the table `Invoices(InvoiceId, currency, total)`.
pub async fn register_invoices(ds: &Dataset, path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the invoice totals", path.display()))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = crate::engine::input::split_csv_line(
        lines
            .next()
            .ok_or_else(|| anyhow!("{}: empty file", path.display()))?,
    );
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let (Some(i), Some(c), Some(t)) = (
        find(&["InvoiceId"]),
        find(&["currency", "BillingCurrency"]),
        find(&["total", "amount"]),
    ) else {
        anyhow::bail!(
            "{}: expected columns InvoiceId, currency and total",
            path.display()
        );
    };
    let mut ids = Vec::new();
    let mut currencies = Vec::new();
    let mut totals = Vec::new();
    for (n, line) in lines.enumerate() {
        let f = crate::engine::input::split_csv_line(line);
        let get = |k: usize| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
        let total: f64 = get(t).parse().map_err(|_| {
            anyhow!(
                "{}:{}: total `{}` is not a number",
                path.display(),
                n + 2,
                get(t)
            )
        })?;
        ids.push(get(i));
        currencies.push(get(c));
        totals.push(total);
    }
    use datafusion::arrow::array::{ArrayRef, Float64Array, StringArray};
    let batch = datafusion::arrow::array::RecordBatch::try_from_iter([
        (
            "InvoiceId",
            std::sync::Arc::new(StringArray::from(ids)) as ArrayRef,
        ),
        (
            "currency",
            std::sync::Arc::new(StringArray::from(currencies)) as ArrayRef,
        ),
        (
            "total",
            std::sync::Arc::new(Float64Array::from(totals)) as ArrayRef,
        ),
    ])?;
    Ok(ds.register_batch("Invoices", batch)?)
}

/// Register the declaration's third-party invoice issuers as the table
/// `ThirdPartyIssuers(InvoiceIssuerName)` (empty when none are declared), for the marketplace
/// billing check.
pub fn register_third_party_issuers(ds: &Dataset, names: &[String]) -> Result<()> {
    use datafusion::arrow::array::{ArrayRef, StringArray};
    let batch = datafusion::arrow::array::RecordBatch::try_from_iter([(
        "InvoiceIssuerName",
        std::sync::Arc::new(StringArray::from_iter_values(names)) as ArrayRef,
    )])?;
    Ok(ds.register_batch("ThirdPartyIssuers", batch)?)
}

pub async fn run_checks(
    ds: &Dataset,
    checks: &[EvidenceCheck],
    invoices: bool,
) -> Vec<EvidenceResult> {
    let mut out = Vec::new();
    for c in checks {
        let missing: Vec<&str> = c
            .needs
            .iter()
            .filter(|n| !ds.has_column(n))
            .map(String::as_str)
            .collect();
        let outcome = if !missing.is_empty() {
            Outcome::with(
                Status::Skip,
                format!("missing column(s): {}", missing.join(", ")),
            )
        } else if c.needs_invoices && !invoices {
            Outcome::with(
                Status::Skip,
                "needs the invoice totals (--invoices FILE or `invoices:` in the declaration)",
            )
        } else {
            let applies = match &c.requires {
                None => Ok(None),
                Some(req) => ds.collect(&req.sql).await.map(|b| {
                    let holds = b
                        .first()
                        .filter(|b| b.num_rows() > 0)
                        .and_then(|b| {
                            b.column(0)
                                .as_any()
                                .downcast_ref::<datafusion::arrow::array::BooleanArray>()
                                .map(|a| a.value(0))
                        })
                        .unwrap_or(false);
                    (!holds).then(|| req.reason.clone())
                }),
            };
            match applies {
                Ok(Some(reason)) => Outcome::with(Status::Skip, reason),
                Err(e) => Outcome::with(Status::Error, crate::engine::clean_error(&e.to_string())),
                Ok(None) => match ds.count_and_sample(&c.sql, 5).await {
                    Ok((n, sample)) => Outcome::counted(n, (n > 0).then_some(sample)),
                    Err(e) => {
                        Outcome::with(Status::Error, crate::engine::clean_error(&e.to_string()))
                    }
                },
            }
        };
        out.push(EvidenceResult {
            id: c.id.clone(),
            area: c.area,
            title: c.title.clone(),
            requirements: c.requirements.clone(),
            outcome,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Sample sufficiency

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    Warning,
    /// Certification cannot proceed on this sample.
    Insufficient,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sufficiency {
    pub check: String,
    pub level: Level,
    pub detail: String,
}

/// Rows below which a sample is called small.
pub const SMALL_SAMPLE_ROWS: u64 = 1000;

async fn scalar_rows(ds: &Dataset, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
    let (_, s) = ds
        .count_and_sample(sql, 10_000)
        .await
        .map_err(|e| anyhow!(crate::engine::clean_error(&e.to_string())))?;
    Ok(s.rows)
}

pub async fn sufficiency(ds: &Dataset, rows: u64) -> Vec<Sufficiency> {
    let mut out = Vec::new();
    let mut push = |check: &str, level, detail: String| {
        out.push(Sufficiency {
            check: check.into(),
            level,
            detail,
        })
    };
    push(
        "row count",
        if rows == 0 {
            Level::Insufficient
        } else if rows < SMALL_SAMPLE_ROWS {
            Level::Warning
        } else {
            Level::Ok
        },
        if rows < SMALL_SAMPLE_ROWS && rows > 0 {
            format!("{rows} rows: a sample this small may not be representative")
        } else {
            format!("{rows} rows")
        },
    );
    let periods = [
        "BillingPeriodStart",
        "BillingPeriodEnd",
        "ChargePeriodStart",
        "ChargePeriodEnd",
    ];
    if periods.iter().all(|c| ds.has_column(c)) {
        // A billing period is complete when its charges reach from its start to its end.
        let sql = "SELECT s, e, complete FROM (SELECT BillingPeriodStart AS s, BillingPeriodEnd AS e, \
                   MIN(ChargePeriodStart) <= BillingPeriodStart AND MAX(ChargePeriodEnd) >= BillingPeriodEnd AS complete \
                   FROM CostAndUsage WHERE BillingPeriodStart IS NOT NULL AND BillingPeriodEnd IS NOT NULL \
                   GROUP BY BillingPeriodStart, BillingPeriodEnd) ORDER BY s";
        match scalar_rows(ds, sql).await {
            Ok(r) => {
                let complete: Vec<String> = r
                    .iter()
                    .filter(|x| x[2].as_deref() == Some("true"))
                    .map(|x| x[0].clone().unwrap_or_default())
                    .collect();
                let (level, detail) = if complete.is_empty() {
                    (Level::Insufficient, format!("none of the {} billing period(s) is covered from start to end by its charges", r.len()))
                } else {
                    (
                        Level::Ok,
                        format!(
                            "{} of {} billing period(s) complete (from {})",
                            complete.len(),
                            r.len(),
                            complete.join(", ")
                        ),
                    )
                };
                push("complete billing period", level, detail);
            }
            Err(e) => push(
                "complete billing period",
                Level::Warning,
                format!("could not be checked: {e}"),
            ),
        }
    } else {
        push(
            "complete billing period",
            Level::Insufficient,
            "billing or charge period columns are missing".into(),
        );
    }
    if ds.has_column("ChargeCategory") {
        match scalar_rows(
            ds,
            "SELECT ChargeCategory, COUNT(*) FROM CostAndUsage GROUP BY 1 ORDER BY 1",
        )
        .await
        {
            Ok(r) => {
                let present: Vec<String> = r.iter().filter_map(|x| x[0].clone()).collect();
                let all = ["Usage", "Purchase", "Tax", "Credit", "Adjustment"];
                let missing: Vec<&str> = all
                    .iter()
                    .copied()
                    .filter(|c| !present.iter().any(|p| p == c))
                    .collect();
                let level = if !present.iter().any(|p| p == "Usage") {
                    Level::Insufficient
                } else if present.len() < 2 {
                    Level::Warning
                } else {
                    Level::Ok
                };
                let counts: Vec<String> = r
                    .iter()
                    .map(|x| {
                        format!(
                            "{} {}",
                            x[0].as_deref().unwrap_or("NULL"),
                            x[1].as_deref().unwrap_or("0")
                        )
                    })
                    .collect();
                let mut detail = counts.join(", ");
                if !missing.is_empty() {
                    detail.push_str(&format!("; absent: {}", missing.join(", ")));
                }
                push("charge categories", level, detail);
            }
            Err(e) => push(
                "charge categories",
                Level::Warning,
                format!("could not be checked: {e}"),
            ),
        }
    }
    // Conditional columns that may be null but never are: a sample trimmed of its edge cases?
    let nullable: Vec<&str> = ds
        .catalog
        .columns
        .iter()
        .filter(|c| c.level == FeatureLevel::Conditional && c.nullable && ds.has_column(&c.name))
        .map(|c| c.name.as_str())
        .collect();
    if !nullable.is_empty() {
        let items: Vec<String> = nullable
            .iter()
            .map(|c| format!("COUNT(*) - COUNT({})", crate::engine::quote_ident(c)))
            .collect();
        let sql = format!("SELECT {} FROM CostAndUsage", items.join(", "));
        if let Ok(r) = scalar_rows(ds, &sql).await {
            let nulls: Vec<u64> = r
                .first()
                .map(|row| {
                    row.iter()
                        .map(|v| v.as_deref().unwrap_or("0").parse().unwrap_or(0))
                        .collect()
                })
                .unwrap_or_default();
            let never: Vec<&str> = nullable
                .iter()
                .zip(&nulls)
                .filter(|(_, n)| **n == 0)
                .map(|(c, _)| *c)
                .collect();
            let (level, detail) = if !never.is_empty() && never.len() == nullable.len() {
                (Level::Warning, format!("none of the {} nullable conditional columns has a single null: the sample may have been chosen to avoid edge cases", never.len()))
            } else if !never.is_empty() {
                (
                    Level::Ok,
                    format!(
                        "{} of {} nullable conditional columns have nulls; never null: {}",
                        nullable.len() - never.len(),
                        nullable.len(),
                        never.join(", ")
                    ),
                )
            } else {
                (
                    Level::Ok,
                    format!(
                        "all {} nullable conditional columns have nulls",
                        nullable.len()
                    ),
                )
            };
            push("edge cases", level, detail);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The verdict

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub id: String,
    pub entity: String,
    pub keyword: Keyword,
    pub requirement: String,
    pub violations: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workaround: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kil: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Mandatory columns fail static checks, or the sample is insufficient: certification stops.
    Blocked,
    /// Deviations count toward the threshold.
    Deviations,
    /// No counted deviation.
    Clean,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum AttestationState {
    /// An evidence check on the data passed.
    #[serde(rename = "automated: pass")]
    AutomatedPass,
    /// An evidence check on the data found violations.
    #[serde(rename = "automated: fail")]
    AutomatedFail,
    #[serde(rename = "attested")]
    Attested,
    #[serde(rename = "missing")]
    Missing,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttestationStatus {
    pub area: AttestationArea,
    pub name: String,
    pub state: AttestationState,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Certification {
    pub provider: String,
    pub focus_version: String,
    pub features: Vec<String>,
    pub criteria: Vec<String>,
    pub verdict: Verdict,
    pub blocking: Vec<Finding>,
    pub deviation_count: usize,
    pub deviations: Vec<Finding>,
    pub kils: Vec<Finding>,
    pub should: Vec<Finding>,
    /// MUST findings outside mandatory and conditional columns: disclosed, not counted.
    pub disclosed: Vec<Finding>,
    /// Requirements met over requirements that apply (skipped ones excluded; needing evidence
    /// counts as met only when attested or backed by a passing evidence check).
    pub score: f64,
    pub met: u64,
    pub applicable: u64,
    pub unattested_evidence: Vec<String>,
    pub attestations: Vec<AttestationStatus>,
    pub evidence: Vec<EvidenceResult>,
    pub sufficiency: Vec<Sufficiency>,
}

fn finding(r: &RuleEntry, d: &Declaration) -> Finding {
    Finding {
        id: r.id.clone(),
        entity: r.entity.clone(),
        keyword: r.keyword,
        requirement: r.requirement.clone(),
        violations: r.violations,
        workaround: d.deviation_for(&r.id).and_then(|x| x.workaround.clone()),
        kil: d.kil_for(&r.id).map(|k| {
            format!(
                "{} ({}{})",
                k.description,
                k.evidence,
                if k.approved {
                    ", approved"
                } else {
                    ", not approved"
                }
            )
        }),
    }
}

impl Certification {
    /// The verdict over `report` and the scorecards of the bundle's other datasets.
    pub fn build(
        report: &Report,
        companions: &[Report],
        set: &RuleSet,
        d: &Declaration,
        evidence: Vec<EvidenceResult>,
        sufficiency: Vec<Sufficiency>,
    ) -> Certification {
        let (mut blocking, mut deviations, mut kils, mut should, mut disclosed) =
            (vec![], vec![], vec![], vec![], vec![]);
        let evidence_passed = |id: &str| {
            evidence
                .iter()
                .any(|e| e.outcome.status == Status::Pass && e.requirements.iter().any(|r| r == id))
        };
        let (mut met, mut applicable) = (0u64, 0u64);
        let mut unattested = Vec::new();
        let all = std::iter::once(report)
            .chain(companions)
            .flat_map(|rep| rep.rules.iter());
        for r in all {
            match r.status {
                Status::Skip => {}
                Status::Pass => {
                    met += 1;
                    applicable += 1;
                }
                Status::NeedsEvidence => {
                    applicable += 1;
                    if d.attestation_for(&r.id).is_some() || evidence_passed(&r.id) {
                        met += 1;
                    } else {
                        unattested.push(r.id.clone());
                    }
                }
                Status::Fail | Status::Error => applicable += 1,
            }
            if r.status != Status::Fail || r.function == Function::Composite {
                continue;
            }
            let f = finding(r, d);
            // A column's level is that of the dataset the requirement belongs to.
            let catalog = set
                .get(&r.id)
                .map_or(&set.catalog, |rule| set.catalog_of(rule));
            let level = (r.entity_type == EntityType::Column)
                .then(|| catalog.column(&r.entity).map(|c| c.level))
                .flatten();
            let counted_column = matches!(
                level,
                Some(FeatureLevel::Mandatory | FeatureLevel::Conditional)
            );
            if !r.keyword.is_mandatory() {
                should.push(f);
            } else if !counted_column {
                disclosed.push(f);
            } else {
                if level == Some(FeatureLevel::Mandatory) && r.rule_type == RuleType::Static {
                    blocking.push(f.clone());
                }
                if d.kil_for(&r.id).is_some_and(|k| k.approved) {
                    kils.push(f);
                } else {
                    deviations.push(f);
                }
            }
        }
        let insufficient = sufficiency.iter().any(|s| s.level == Level::Insufficient);
        let verdict = if !blocking.is_empty() || insufficient {
            Verdict::Blocked
        } else if !deviations.is_empty() {
            Verdict::Deviations
        } else {
            Verdict::Clean
        };
        let attestations = AttestationArea::ALL
            .iter()
            .map(|&area| {
                let checks: Vec<&EvidenceResult> = evidence
                    .iter()
                    .filter(|e| e.area == area && e.outcome.status != Status::Skip)
                    .collect();
                let attested = d.attestations.iter().find(|a| a.area == area);
                let (state, detail) = if let Some(bad) = checks
                    .iter()
                    .find(|e| matches!(e.outcome.status, Status::Fail | Status::Error))
                {
                    let what = match (&bad.outcome.status, &bad.outcome.reason) {
                        (Status::Error, Some(reason)) => {
                            format!("the check failed to run: {reason}")
                        }
                        _ => format!("{} violation(s)", bad.outcome.violations),
                    };
                    (
                        AttestationState::AutomatedFail,
                        format!("{}: {what}", bad.title),
                    )
                } else if !checks.is_empty() {
                    (
                        AttestationState::AutomatedPass,
                        checks
                            .iter()
                            .map(|e| e.title.clone())
                            .collect::<Vec<_>>()
                            .join("; "),
                    )
                } else if let Some(a) = attested {
                    (AttestationState::Attested, a.statement.clone())
                } else {
                    (
                        AttestationState::Missing,
                        "neither attested in the declaration nor checkable on this sample".into(),
                    )
                };
                AttestationStatus {
                    area,
                    name: area.name().into(),
                    state,
                    detail,
                }
            })
            .collect();
        let deviation_count = deviations.len();
        Certification {
            provider: d.provider.clone(),
            focus_version: d.focus_version.clone(),
            features: d.features.iter().map(|f| f.name().to_string()).collect(),
            criteria: d.criteria().into_iter().collect(),
            verdict,
            blocking,
            deviation_count,
            deviations,
            kils,
            should,
            disclosed,
            score: if applicable == 0 {
                0.0
            } else {
                met as f64 / applicable as f64
            },
            met,
            applicable,
            unattested_evidence: unattested,
            attestations,
            evidence,
            sufficiency,
        }
    }
}

/// The certification verdict for a validated dataset: invoices and third-party issuers
/// registered, the evidence checks run, the sample's sufficiency judged, the verdict built.
pub async fn certify(
    ds: &Dataset,
    report: &Report,
    companions: &[Report],
    set: &RuleSet,
    d: &Declaration,
    invoices: Option<&Path>,
    rules_dir: Option<&Path>,
) -> Result<Certification> {
    if let Some(i) = invoices {
        register_invoices(ds, i).await?;
    }
    register_third_party_issuers(ds, &d.third_party_invoice_issuers)?;
    let checks = load_checks(rules_dir)?;
    let mut evidence = run_checks(ds, &checks, invoices.is_some()).await;
    // A check names the requirements of every FOCUS version it serves; keep this version's.
    for e in &mut evidence {
        e.requirements.retain(|r| set.get(r).is_some());
    }
    let sufficiency = sufficiency(ds, report.dataset.rows).await;
    Ok(Certification::build(
        report,
        companions,
        set,
        d,
        evidence,
        sufficiency,
    ))
}
