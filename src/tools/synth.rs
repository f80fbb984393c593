//! Synthetic exports for benchmarks and tests, deterministic from a seed and written as a stream
//! (memory does not grow with the row count).
//!
//! Every row starts from a row of a conformant template (by default the bundled sample) and is
//! then varied the way real exports vary: a provider profile (AWS-, Azure- or GCP-like) renames
//! providers, accounts, regions and resources in that provider's id formats and weighs the charge
//! categories as that provider's exports do; about one resource per ten rows and a thousand SKU
//! prices per million rows; quantities and unit prices drawn per row and per SKU price, with the
//! costs that follow from them; charge periods spread over the billing month; tags of 1 to 12
//! keys. Everything a requirement ties together stays tied (a SKU price has one unit price, a
//! region id one name, a resource one type), so the output stays conformant. `replicate` copies
//! the template over and over instead (the old, flattering benchmark).

use crate::engine::input::{self, InputFormat};
use crate::engine::{format_rows, Dataset, EngineOptions};
use crate::rules::catalog::Catalog;
use crate::rules::FocusType;
use anyhow::{anyhow, bail, Context, Result};
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Columns whose values are made distinct per replica in `replicate` mode.
const PER_REPLICA: &[&str] = &["ResourceId", "ResourceName", "CommitmentDiscountId"];

/// How many distinct replicas of each resource at most in `replicate` mode.
const RESOURCE_CARDINALITY: u64 = 50_000;

/// Rows per batch written (and held in memory) at a time.
const CHUNK: usize = 64 * 1024;

/// Whose export the synthetic data resembles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    Aws,
    Azure,
    Gcp,
    /// The template repeated, with only resource ids varied.
    Replicate,
}

pub struct SynthOptions {
    pub rows: u64,
    pub template: Option<PathBuf>,
    pub output: PathBuf,
    pub profile: Profile,
    pub seed: u64,
}

/// A CSV cell, quoted when needed (RFC 4180).
fn csv_cell(out: &mut String, v: Option<&str>) {
    match v {
        None => {}
        Some(s) if s.contains([',', '"', '\n', '\r']) || s.is_empty() => {
            out.push('"');
            out.push_str(&s.replace('"', "\"\""));
            out.push('"');
        }
        Some(s) => out.push_str(s),
    }
}

async fn load_template(
    template: Option<&Path>,
    catalog: &Catalog,
) -> Result<(Vec<String>, Vec<Vec<Option<String>>>)> {
    let tmp;
    let path = match template {
        Some(p) => p.to_path_buf(),
        None => {
            let text = crate::rules::embedded_sample();
            if text.is_empty() {
                bail!("no template: this build has no bundled sample; pass --template FILE");
            }
            tmp = tempfile::Builder::new().suffix(".csv").tempfile()?;
            std::fs::write(tmp.path(), text)?;
            tmp.path().to_path_buf()
        }
    };
    let input = input::resolve(&[path.display().to_string()])
        .await
        .map_err(|e| anyhow!("{e}"))?;
    if input.format != InputFormat::Csv {
        bail!("{}: the template must be a CSV file", path.display());
    }
    let ds = Dataset::open(&input, catalog, &EngineOptions::default())
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let sql = format!("SELECT * FROM {}", crate::engine::SOURCE_TABLE);
    let batches = ds.ctx.sql(&sql).await?.collect().await?;
    let columns = ds.columns.iter().map(|c| c.name.clone()).collect();
    let mut rows = Vec::new();
    for b in &batches {
        rows.extend(format_rows(b, usize::MAX)?);
    }
    Ok((columns, rows))
}

/// SplitMix64: small, fast, and the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }
    /// Uniform in [0, n).
    fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            0
        } else {
            self.next() % n
        }
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Skewed towards small values (a few resources carry most rows, as in real bills).
    fn skewed(&mut self, n: u64) -> u64 {
        let u = self.unit();
        ((n as f64).powf(u * u) as u64)
            .saturating_sub(1)
            .min(n.saturating_sub(1))
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable hash of text (FNV-1a), to derive per-value facts such as a SKU price's multiplier.
fn hash(s: &str, salt: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ salt;
    for b in s.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    mix(h)
}

/// A decimal as exporters write it: up to 10 decimal places, no trailing zeros.
fn decimal(v: f64) -> String {
    let mut s = format!("{v:.10}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

struct ProfileData {
    provider: &'static str,
    regions: &'static [(&'static str, &'static str)],
    /// Relative weight of template rows by (ChargeCategory, CommitmentDiscountStatus).
    usage: u64,
    commitment: u64,
    other: u64,
    tag_keys: &'static [&'static str],
}

const AWS: ProfileData = ProfileData {
    provider: "Amazon Web Services",
    regions: &[
        ("us-east-1", "US East (N. Virginia)"),
        ("us-east-2", "US East (Ohio)"),
        ("us-west-2", "US West (Oregon)"),
        ("eu-west-1", "Europe (Ireland)"),
        ("eu-central-1", "Europe (Frankfurt)"),
        ("ap-southeast-2", "Asia Pacific (Sydney)"),
        ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ],
    usage: 900,
    commitment: 80,
    other: 20,
    tag_keys: &[
        "user:Name",
        "user:env",
        "user:team",
        "user:app",
        "user:owner",
        "aws:createdBy",
        "user:cost-center",
        "aws:cloudformation:stack-name",
        "user:project",
        "user:version",
        "user:tier",
        "user:backup",
    ],
};

const AZURE: ProfileData = ProfileData {
    provider: "Microsoft",
    regions: &[
        ("eastus", "East US"),
        ("eastus2", "East US 2"),
        ("westeurope", "West Europe"),
        ("northeurope", "North Europe"),
        ("southeastasia", "Southeast Asia"),
        ("uksouth", "UK South"),
    ],
    usage: 850,
    commitment: 130,
    other: 20,
    tag_keys: &[
        "Environment",
        "Owner",
        "CostCenter",
        "Application",
        "Department",
        "ms-resource-usage",
        "hidden-link",
        "Project",
        "Criticality",
        "DataClassification",
        "BusinessUnit",
        "Version",
    ],
};

const GCP: ProfileData = ProfileData {
    provider: "Google Cloud",
    regions: &[
        ("us-central1", "Iowa"),
        ("us-east1", "South Carolina"),
        ("europe-west1", "Belgium"),
        ("europe-west4", "Netherlands"),
        ("asia-east1", "Taiwan"),
        ("asia-northeast1", "Tokyo"),
    ],
    usage: 930,
    commitment: 40,
    other: 30,
    tag_keys: &[
        "env",
        "team",
        "app",
        "goog-gke-node",
        "goog-k8s-cluster-name",
        "owner",
        "component",
        "cost-center",
        "k8s-namespace",
        "service",
        "release",
        "tier",
    ],
};

/// Values of a tag key: a few for most keys, many for owners and names.
const TAG_VALUES: &[&str] = &[
    "prod",
    "staging",
    "dev",
    "test",
    "web",
    "data",
    "platform",
    "ml",
    "payments",
    "search",
    "checkout",
    "analytics",
    "blue",
    "green",
    "critical",
    "low",
];

/// Column positions the generator varies (None when the template lacks the column).
#[derive(Default)]
struct Cols {
    idx: datafusion::common::HashMap<&'static str, usize>,
}

const COST: &[&str] = &[
    "BilledCost",
    "ContractedCost",
    "EffectiveCost",
    "ListCost",
    "PricingCurrencyEffectiveCost",
];
const UNIT_PRICE: &[&str] = &[
    "ContractedUnitPrice",
    "ListUnitPrice",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyListUnitPrice",
];
const QUANTITY: &[&str] = &[
    "ConsumedQuantity",
    "PricingQuantity",
    "CommitmentDiscountQuantity",
];
const NAMED: &[&str] = &[
    "ProviderName",
    "PublisherName",
    "InvoiceIssuerName",
    "RegionId",
    "RegionName",
    "AvailabilityZone",
    "ResourceId",
    "ResourceName",
    "SkuId",
    "SkuPriceId",
    "SkuMeter",
    "SubAccountId",
    "SubAccountName",
    "Tags",
    "x_CostCenter",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargeDescription",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "ChargeCategory",
    "CommitmentDiscountStatus",
];

impl Cols {
    fn of(columns: &[String]) -> Cols {
        let mut idx = datafusion::common::HashMap::new();
        for name in COST.iter().chain(UNIT_PRICE).chain(QUANTITY).chain(NAMED) {
            if let Some(i) = columns.iter().position(|c| c == name) {
                idx.insert(*name, i);
            }
        }
        Cols { idx }
    }
    fn get(&self, name: &str) -> Option<usize> {
        self.idx.get(name).copied()
    }
}

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SSZ`.
fn epoch(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

fn format_epoch(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// The realistic generator's state: the template, the profile, and the sizes that follow from
/// the row count.
struct Generator<'a> {
    template: &'a [Vec<Option<String>>],
    cols: Cols,
    profile: &'static ProfileData,
    /// Cumulative weights over template rows.
    weights: Vec<u64>,
    resources: u64,
    sku_prices: u64,
    sub_accounts: u64,
    rng: Rng,
}

impl<'a> Generator<'a> {
    fn new(
        columns: &[String],
        template: &'a [Vec<Option<String>>],
        profile: Profile,
        rows: u64,
        seed: u64,
    ) -> Generator<'a> {
        let cols = Cols::of(columns);
        let profile = match profile {
            Profile::Azure => &AZURE,
            Profile::Gcp => &GCP,
            _ => &AWS,
        };
        // Each template row is plain usage (0), a commitment row (1) or another charge (2);
        // a class's weight is shared by its rows.
        let class = |r: &Vec<Option<String>>| {
            let cell = |c: &str| cols.get(c).and_then(|i| r[i].as_deref()).unwrap_or("");
            match (cell("ChargeCategory"), cell("CommitmentDiscountStatus")) {
                (_, status) if !status.is_empty() => 1,
                ("Usage", _) => 0,
                _ => 2,
            }
        };
        let mut members = [0u64; 3];
        for r in template {
            members[class(r)] += 1;
        }
        let share = [profile.usage, profile.commitment, profile.other];
        let mut weights = Vec::new();
        let mut total = 0;
        for r in template {
            let k = class(r);
            total += (share[k] * 1000 / members[k]).max(1);
            weights.push(total);
        }
        Generator {
            template,
            cols,
            profile,
            weights,
            // Skewed draws realise about half their range: ~10^5 resources per 10^6 rows.
            resources: (rows / 5 / template.len() as u64).max(1),
            // Template rows share SKUs (about 20 in the sample): ~10^3 SKU prices per 10^6 rows.
            sku_prices: (rows / 6_000).clamp(1, 100_000),
            sub_accounts: 40,
            rng: Rng(seed),
        }
    }

    fn pick(&mut self) -> usize {
        let total = *self.weights.last().unwrap_or(&1);
        let x = self.rng.below(total);
        self.weights.partition_point(|w| *w <= x)
    }

    fn resource_id(&self, kind: &str, r: u64, region: &str, account: &str) -> String {
        let kind = kind.to_ascii_lowercase().replace(' ', "-");
        match self.profile.provider {
            "Microsoft" => format!(
                "/subscriptions/{account}/resourcegroups/rg-{:03}/providers/microsoft.{kind}/{kind}-{r:06}",
                r % 97
            ),
            "Google Cloud" => format!(
                "//{kind}.googleapis.com/projects/{account}/zones/{region}-b/instances/{kind}-{r:07}"
            ),
            _ => format!("arn:aws:{kind}:{region}:{account}:{kind}/i-{:017x}", hash(&kind, r) >> 4),
        }
    }

    fn account(&self, base: &str, a: u64) -> String {
        match self.profile.provider {
            "Microsoft" => {
                let h = hash(base, a);
                format!(
                    "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                    h >> 32,
                    (h >> 16) & 0xffff,
                    h & 0xffff,
                    (h >> 48) & 0xffff,
                    hash(base, a + 1) >> 16
                )
            }
            "Google Cloud" => format!("{base}-{a:02}"),
            _ => format!("{:012}", hash(base, a) % 1_000_000_000_000),
        }
    }

    fn tags(&mut self, r: u64) -> String {
        // A resource's tags are its own: derived from the resource, sized 1 to 12 keys.
        let mut rr = Rng(mix(r ^ 0x7a65));
        let keys = self.profile.tag_keys;
        let n = 1 + rr.skewed(keys.len() as u64) as usize;
        let start = rr.below(keys.len() as u64) as usize;
        let mut out = String::from("{");
        for k in 0..n {
            if k > 0 {
                out.push(',');
            }
            let key = keys[(start + k) % keys.len()];
            let value = if key.contains("owner") || key.contains("Owner") || key.contains("Name") {
                format!("user{:05}", rr.below(20_000))
            } else {
                TAG_VALUES[rr.below(TAG_VALUES.len() as u64) as usize].to_string()
            };
            out.push_str(&format!("\"{key}\":\"{value}\""));
        }
        out.push('}');
        out
    }

    /// One row, varied from a template row.
    fn row(&mut self) -> Vec<Option<String>> {
        let t = self.pick();
        let mut row = self.template[t].clone();
        let get = |row: &Vec<Option<String>>, c: &str, cols: &Cols| -> Option<String> {
            cols.get(c).and_then(|i| row[i].clone())
        };
        let set = |row: &mut Vec<Option<String>>, c: &str, v: Option<String>, cols: &Cols| {
            if let Some(i) = cols.get(c) {
                row[i] = v;
            }
        };
        let cols = std::mem::take(&mut self.cols);
        let provider = self.profile.provider.to_string();
        for c in ["ProviderName", "PublisherName", "InvoiceIssuerName"] {
            if get(&row, c, &cols).is_some() {
                set(&mut row, c, Some(provider.clone()), &cols);
            }
        }
        // Resource: skewed over this template row's resources; its region and tags follow.
        let r = self.rng.skewed(self.resources) * self.template.len() as u64 + t as u64;
        let regions = self.profile.regions;
        let (region_id, region_name) = regions[(mix(r ^ 0x5eed) % regions.len() as u64) as usize];
        if get(&row, "RegionId", &cols).is_some() {
            set(&mut row, "RegionId", Some(region_id.into()), &cols);
            set(&mut row, "RegionName", Some(region_name.into()), &cols);
        }
        if get(&row, "AvailabilityZone", &cols).is_some() {
            let zone = ["a", "b", "c"][(mix(r ^ 0x20e) % 3) as usize];
            set(
                &mut row,
                "AvailabilityZone",
                Some(format!("{region_id}-{zone}")),
                &cols,
            );
        }
        let a = mix(r ^ 0xacc) % self.sub_accounts;
        let account_base = get(&row, "SubAccountId", &cols);
        let account = account_base.as_deref().map(|b| self.account(b, a));
        if let Some(acc) = &account {
            set(&mut row, "SubAccountId", Some(acc.clone()), &cols);
            if let Some(name) = get(&row, "SubAccountName", &cols) {
                set(
                    &mut row,
                    "SubAccountName",
                    Some(format!("{name} {a:02}")),
                    &cols,
                );
            }
            if get(&row, "x_CostCenter", &cols).is_some() {
                set(
                    &mut row,
                    "x_CostCenter",
                    Some(format!("CC-{}", 100 + a)),
                    &cols,
                );
            }
        }
        // Commitment discounts: a handful per template row. A row whose resource is the
        // commitment itself (its purchase, its unused part) keeps naming it.
        if let Some(id) = get(&row, "CommitmentDiscountId", &cols) {
            let k = self.rng.below(20);
            let new_id = format!("{id}-{k:02}");
            let resource = cols
                .get("ResourceId")
                .and_then(|i| self.template[t][i].as_deref());
            if resource == Some(id.as_str()) {
                set(&mut row, "ResourceId", Some(new_id.clone()), &cols);
            }
            set(&mut row, "CommitmentDiscountId", Some(new_id), &cols);
            if let Some(name) = get(&row, "CommitmentDiscountName", &cols) {
                set(
                    &mut row,
                    "CommitmentDiscountName",
                    Some(format!("{name} {k:02}")),
                    &cols,
                );
            }
        }
        let is_commitment = get(&row, "ResourceId", &cols).is_some()
            && get(&row, "ResourceId", &cols) == get(&row, "CommitmentDiscountId", &cols);
        if let Some(kind) = get(&row, "ResourceId", &cols).filter(|_| !is_commitment) {
            let kind = kind.split('-').next().unwrap_or("res").to_string();
            let id = self.resource_id(
                &kind,
                r,
                region_id,
                account.as_deref().unwrap_or("000000000000"),
            );
            set(&mut row, "ResourceId", Some(id), &cols);
            if let Some(name) = get(&row, "ResourceName", &cols) {
                set(&mut row, "ResourceName", Some(format!("{name}-{r}")), &cols);
            }
            if get(&row, "Tags", &cols).is_some() {
                let tags = self.tags(r);
                set(&mut row, "Tags", Some(tags), &cols);
            }
        }
        // SKU price: its unit prices scale by a factor of its own; quantities vary per row.
        let mut price_factor = 1.0;
        if let Some(price_id) = get(&row, "SkuPriceId", &cols) {
            let s = self.rng.below(self.sku_prices);
            if s > 0 {
                price_factor = 0.25 + (hash(&price_id, s) % 10_000) as f64 / 2_500.0;
                set(
                    &mut row,
                    "SkuPriceId",
                    Some(format!("{price_id}-{s}")),
                    &cols,
                );
                if let Some(sku) = get(&row, "SkuId", &cols) {
                    set(&mut row, "SkuId", Some(format!("{sku}-{s}")), &cols);
                }
                if let Some(meter) = get(&row, "SkuMeter", &cols) {
                    set(&mut row, "SkuMeter", Some(format!("{meter} v{s}")), &cols);
                }
            }
        }
        let qty_factor = (0.01f64).powf(self.rng.unit() - 0.5); // 0.1 .. 10, log-uniform
        let scale = |row: &mut Vec<Option<String>>, names: &[&str], f: f64| {
            for c in names {
                if let Some(i) = cols.get(c) {
                    if let Some(v) = row[i].as_deref().and_then(|v| v.parse::<f64>().ok()) {
                        row[i] = Some(decimal(v * f));
                    }
                }
            }
        };
        scale(&mut row, UNIT_PRICE, price_factor);
        scale(&mut row, QUANTITY, qty_factor);
        scale(&mut row, COST, price_factor * qty_factor);
        // Charge period: moved within the billing period, its length kept.
        if let (Some(bs), Some(be), Some(cs), Some(ce)) = (
            get(&row, "BillingPeriodStart", &cols)
                .as_deref()
                .and_then(epoch),
            get(&row, "BillingPeriodEnd", &cols)
                .as_deref()
                .and_then(epoch),
            get(&row, "ChargePeriodStart", &cols)
                .as_deref()
                .and_then(epoch),
            get(&row, "ChargePeriodEnd", &cols)
                .as_deref()
                .and_then(epoch),
        ) {
            let len = ce - cs;
            let room = (be - bs - len) / 3600;
            if len > 0 && room > 0 && cs >= bs && ce <= be {
                let start = bs + self.rng.below(room as u64 + 1) as i64 * 3600;
                set(
                    &mut row,
                    "ChargePeriodStart",
                    Some(format_epoch(start)),
                    &cols,
                );
                set(
                    &mut row,
                    "ChargePeriodEnd",
                    Some(format_epoch(start + len)),
                    &cols,
                );
            }
        }
        self.cols = cols;
        row
    }
}

/// The source of rows: varied (a profile) or replicated.
enum Rows<'a> {
    Varied(Box<Generator<'a>>),
    Replicated {
        template: &'a [Vec<Option<String>>],
        replica_cols: Vec<usize>,
        n: u64,
    },
}

impl Rows<'_> {
    fn next_row(&mut self) -> Vec<Option<String>> {
        match self {
            Rows::Varied(g) => g.row(),
            Rows::Replicated {
                template,
                replica_cols,
                n,
            } => {
                let len = template.len() as u64;
                let mut row = template[(*n % len) as usize].clone();
                let replica = (*n / len) % RESOURCE_CARDINALITY;
                *n += 1;
                if replica > 0 {
                    for i in replica_cols.iter() {
                        if let Some(v) = &row[*i] {
                            row[*i] = Some(format!("{v}-r{replica}"));
                        }
                    }
                }
                row
            }
        }
    }
}

fn write_csv(w: &mut dyn Write, columns: &[String], rows: &mut Rows, count: u64) -> Result<()> {
    let mut line = String::new();
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        csv_cell(&mut line, Some(c));
    }
    line.push('\n');
    w.write_all(line.as_bytes())?;
    for _ in 0..count {
        line.clear();
        for (i, cell) in rows.next_row().iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            csv_cell(&mut line, cell.as_deref());
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Typed Parquet, as a provider's Parquet delivery stores it: decimals as DOUBLE, date/times as
/// UTC timestamps, everything else as text. Written a chunk at a time.
fn write_parquet(
    file: std::fs::File,
    columns: &[String],
    catalog: &Catalog,
    rows: &mut Rows,
    count: u64,
) -> Result<()> {
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::basic::{Compression, ZstdLevel};
    use datafusion::parquet::file::properties::WriterProperties;
    let types: Vec<DataType> = columns
        .iter()
        .map(|c| match catalog.column(c).map(|d| d.ty) {
            Some(FocusType::Decimal) => DataType::Float64,
            Some(FocusType::DateTime) => {
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
            }
            _ => DataType::Utf8,
        })
        .collect();
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .zip(&types)
            .map(|(c, t)| Field::new(c, t.clone(), true))
            .collect::<Vec<_>>(),
    ));
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_max_row_group_row_count(Some(128 * 1024))
        .build();
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props))?;
    let mut left = count;
    while left > 0 {
        let n = left.min(CHUNK as u64) as usize;
        left -= n as u64;
        let mut cells: Vec<StringBuilder> = (0..columns.len())
            .map(|_| StringBuilder::with_capacity(n, n * 16))
            .collect();
        for _ in 0..n {
            for (b, v) in cells.iter_mut().zip(rows.next_row()) {
                b.append_option(v);
            }
        }
        let arrays: Vec<ArrayRef> = cells
            .iter_mut()
            .zip(&types)
            .map(|(b, t)| {
                let text: ArrayRef = Arc::new(b.finish());
                datafusion::arrow::compute::cast(&text, t)
            })
            .collect::<std::result::Result<_, _>>()?;
        writer.write(&RecordBatch::try_new(schema.clone(), arrays)?)?;
    }
    writer.close()?;
    Ok(())
}

pub async fn synth(opts: &SynthOptions, catalog: &Catalog) -> Result<()> {
    let (columns, template) = load_template(opts.template.as_deref(), catalog).await?;
    if template.is_empty() {
        bail!("the template has no rows");
    }
    let format = InputFormat::of(&opts.output).ok_or_else(|| {
        anyhow!(
            "{}: unknown output format: expected .csv, .csv.gz or .parquet",
            opts.output.display()
        )
    })?;
    let mut rows = match opts.profile {
        Profile::Replicate => Rows::Replicated {
            template: &template,
            replica_cols: columns
                .iter()
                .enumerate()
                .filter(|(_, c)| PER_REPLICA.contains(&c.as_str()))
                .map(|(i, _)| i)
                .collect(),
            n: 0,
        },
        p => Rows::Varied(Box::new(Generator::new(
            &columns, &template, p, opts.rows, opts.seed,
        ))),
    };
    let dir = opts
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("{}: cannot create a file", dir.display()))?;
    match format {
        InputFormat::Csv | InputFormat::CsvGz => {
            let file = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
            if format == InputFormat::CsvGz {
                let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
                write_csv(&mut gz, &columns, &mut rows, opts.rows)?;
                gz.finish()?.flush()?;
            } else {
                let mut file = file;
                write_csv(&mut file, &columns, &mut rows, opts.rows)?;
                file.flush()?;
            }
        }
        InputFormat::Parquet => {
            write_parquet(tmp.reopen()?, &columns, catalog, &mut rows, opts.rows)?;
        }
        InputFormat::NdJson => bail!(
            "{}: synth writes CSV, CSV.gz or Parquet",
            opts.output.display()
        ),
    }
    crate::output::readable_by_all(tmp.as_file());
    tmp.persist(&opts.output)
        .map_err(|e| anyhow!("{}: {}", opts.output.display(), e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_epoch_seconds() {
        for s in [
            "2026-05-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
            "1999-12-31T12:30:00Z",
        ] {
            assert_eq!(format_epoch(epoch(s).unwrap()), s);
        }
        assert_eq!(epoch("1970-01-02T00:00:00Z"), Some(86_400));
    }

    #[test]
    fn decimals_are_written_without_trailing_zeros() {
        assert_eq!(decimal(4.32), "4.32");
        assert_eq!(decimal(2.0), "2");
        assert_eq!(decimal(-0.0000000001), "-0.0000000001");
        assert_eq!(decimal(-0.00000000001), "0");
    }

    #[test]
    fn the_same_seed_gives_the_same_rows_and_another_seed_others() {
        let columns: Vec<String> = [
            "ResourceId",
            "SkuPriceId",
            "ListUnitPrice",
            "PricingQuantity",
            "ListCost",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let template = vec![vec![
            Some("vm-web-01".to_string()),
            Some("PRICE-1".to_string()),
            Some("0.5".to_string()),
            Some("4".to_string()),
            Some("2".to_string()),
        ]];
        let take = |seed| {
            let mut g = Generator::new(&columns, &template, Profile::Aws, 100_000, seed);
            (0..50).map(|_| g.row()).collect::<Vec<_>>()
        };
        assert_eq!(take(7), take(7));
        assert_ne!(take(7), take(8));
        // Costs follow from unit price and quantity on every varied row.
        for row in take(7) {
            let f = |i: usize| row[i].as_deref().unwrap().parse::<f64>().unwrap();
            assert!(
                crate::engine::formats::approx_eq(f(2) * f(3), f(4)),
                "{row:?}"
            );
        }
        let distinct: std::collections::BTreeSet<_> =
            take(7).into_iter().map(|r| r[0].clone()).collect();
        assert!(distinct.len() > 5, "resources vary: {distinct:?}");
    }
}
