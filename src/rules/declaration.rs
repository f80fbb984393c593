//! The provider's declaration (YAML): FOCUS version, provider, supported feature areas (mapped
//! to the requirements model's applicability criteria), attestations for what the data cannot
//! show, known deviations with workarounds, and claimed Known Industry Limitations (KILs).

use crate::rules::Applicability;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

/// The feature areas a data generator declares for certification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Feature {
    #[serde(rename = "Availability Zones")]
    AvailabilityZones,
    #[serde(rename = "Capacity Reservations")]
    CapacityReservations,
    #[serde(rename = "Commitment Discounts")]
    CommitmentDiscounts,
    #[serde(rename = "Multi-Currency Pricing")]
    MultiCurrencyPricing,
    #[serde(rename = "Multiple Billing Account Types")]
    MultipleBillingAccountTypes,
    #[serde(rename = "Multiple Sub Account Types")]
    MultipleSubAccountTypes,
    #[serde(rename = "Regions")]
    Regions,
    #[serde(rename = "Resource-Based Billing")]
    ResourceBasedBilling,
    #[serde(rename = "SKU Pricing")]
    SkuPricing,
    #[serde(rename = "Sub Accounts")]
    SubAccounts,
    #[serde(rename = "Tags")]
    Tags,
    #[serde(rename = "Unit Pricing")]
    UnitPricing,
    /// FOCUS 1.3
    #[serde(rename = "Contract Commitments")]
    ContractCommitments,
    /// FOCUS 1.3
    #[serde(rename = "Data Generator Calculated Split Cost Allocation")]
    SplitCostAllocation,
}

impl Feature {
    /// The feature areas of FOCUS 1.2.
    pub const ALL: [Feature; 12] = [
        Feature::AvailabilityZones,
        Feature::CapacityReservations,
        Feature::CommitmentDiscounts,
        Feature::MultiCurrencyPricing,
        Feature::MultipleBillingAccountTypes,
        Feature::MultipleSubAccountTypes,
        Feature::Regions,
        Feature::ResourceBasedBilling,
        Feature::SkuPricing,
        Feature::SubAccounts,
        Feature::Tags,
        Feature::UnitPricing,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Feature::AvailabilityZones => "Availability Zones",
            Feature::CapacityReservations => "Capacity Reservations",
            Feature::CommitmentDiscounts => "Commitment Discounts",
            Feature::MultiCurrencyPricing => "Multi-Currency Pricing",
            Feature::MultipleBillingAccountTypes => "Multiple Billing Account Types",
            Feature::MultipleSubAccountTypes => "Multiple Sub Account Types",
            Feature::Regions => "Regions",
            Feature::ResourceBasedBilling => "Resource-Based Billing",
            Feature::SkuPricing => "SKU Pricing",
            Feature::SubAccounts => "Sub Accounts",
            Feature::Tags => "Tags",
            Feature::UnitPricing => "Unit Pricing",
            Feature::ContractCommitments => "Contract Commitments",
            Feature::SplitCostAllocation => "Data Generator Calculated Split Cost Allocation",
        }
    }

    /// The feature areas a declaration for `focus_version` may name.
    pub fn of_version(focus_version: &str) -> Vec<Feature> {
        let mut all = Feature::ALL.to_vec();
        if focus_version != "1.2" {
            all.extend([Feature::ContractCommitments, Feature::SplitCostAllocation]);
        }
        all
    }

    /// The requirements model's applicability criteria this feature area turns on.
    pub fn criteria(self) -> &'static [&'static str] {
        match self {
            Feature::AvailabilityZones => &["AVAILABILITY_ZONE_SUPPORTED"],
            Feature::CapacityReservations => &["CAPACITY_RESERVATION_SUPPORTED"],
            Feature::CommitmentDiscounts => &["COMMITMENT_DISCOUNT_SUPPORTED"],
            Feature::MultiCurrencyPricing => &["PRICING_BILLING_CURRENCY_DIFFERENCES_SUPPORTED"],
            Feature::MultipleBillingAccountTypes => &["MULTIPLE_BILLING_ACCOUNT_TYPES_SUPPORTED"],
            Feature::MultipleSubAccountTypes => &["MULTIPLE_SUB_ACCOUNT_TYPES_SUPPORTED"],
            Feature::Regions => &["REGION_SUPPORTED"],
            Feature::ResourceBasedBilling => &["BILLING_BASED_ON_PROVISIONED_RESOURCES_SUPPORTED"],
            Feature::SkuPricing => &["PUBLIC_PRICE_LIST_SUPPORTED"],
            Feature::SubAccounts => &["SUB_ACCOUNT_SUPPORTED"],
            Feature::Tags => &["TAGGING_SUPPORTED"],
            Feature::UnitPricing => &["UNIT_PRICING_SUPPORTED"],
            Feature::ContractCommitments => &["CONTRACT_COMMITMENTS_SUPPORTED"],
            Feature::SplitCostAllocation => &["DATA_GENERATOR_SPLIT_COST_ALLOCATION_SUPPORTED"],
        }
    }
}

/// The checks certification asks a provider to attest to, as they cannot be automated in general.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttestationArea {
    InvoiceAlignment,
    MarketplaceBilling,
    CommitmentAmortization,
    PurchaseEffectiveCost,
    ConsumedQuantitySemantics,
    PricingMath,
    CurrencyConsistency,
    PeriodBoundaries,
    IdentifierUniqueness,
    ImmutableIdConsistency,
}

impl AttestationArea {
    pub const ALL: [AttestationArea; 10] = [
        AttestationArea::InvoiceAlignment,
        AttestationArea::MarketplaceBilling,
        AttestationArea::CommitmentAmortization,
        AttestationArea::PurchaseEffectiveCost,
        AttestationArea::ConsumedQuantitySemantics,
        AttestationArea::PricingMath,
        AttestationArea::CurrencyConsistency,
        AttestationArea::PeriodBoundaries,
        AttestationArea::IdentifierUniqueness,
        AttestationArea::ImmutableIdConsistency,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AttestationArea::InvoiceAlignment => "invoice alignment",
            AttestationArea::MarketplaceBilling => "marketplace billing",
            AttestationArea::CommitmentAmortization => "commitment amortization",
            AttestationArea::PurchaseEffectiveCost => "purchase EffectiveCost",
            AttestationArea::ConsumedQuantitySemantics => "consumed quantity semantics",
            AttestationArea::PricingMath => "pricing math",
            AttestationArea::CurrencyConsistency => "currency consistency",
            AttestationArea::PeriodBoundaries => "billing and charge period boundaries",
            AttestationArea::IdentifierUniqueness => "identifier uniqueness",
            AttestationArea::ImmutableIdConsistency => "immutable ID consistency",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    pub area: AttestationArea,
    /// What the provider states, e.g. "BilledCost per InvoiceId equals the invoice total".
    pub statement: String,
    /// Requirement ids this attestation covers (they stay "needs evidence" in the data check,
    /// and are listed as attested in the gap report).
    #[serde(default)]
    pub requirements: Vec<String>,
    #[serde(default)]
    pub evidence: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    pub requirement: String,
    pub description: String,
    #[serde(default)]
    pub workaround: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kil {
    pub requirement: String,
    pub description: String,
    pub evidence: String,
    /// Approved by the FinOps Foundation: only then is it excluded from the deviation count.
    #[serde(default)]
    pub approved: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declaration {
    #[serde(default = "default_version")]
    pub focus_version: String,
    pub provider: String,
    #[serde(default)]
    pub features: Vec<Feature>,
    /// Further applicability criteria by their model names (e.g. NEGOTIATED_PRICING_SUPPORTED).
    #[serde(default)]
    pub applicability: Vec<String>,
    #[serde(default)]
    pub attestations: Vec<Attestation>,
    #[serde(default)]
    pub deviations: Vec<Deviation>,
    #[serde(default)]
    pub kils: Vec<Kil>,
    /// An invoice totals file (CSV: InvoiceId, currency, total) for the invoice alignment check.
    #[serde(default)]
    pub invoices: Option<String>,
    /// InvoiceIssuerName values that collect the payment for charges in this export as a third
    /// party (e.g. a cloud marketplace reselling the provider's product). BilledCost must be 0
    /// on their rows (BilledCost-C-005-C); the marketplace billing check tests that. No FOCUS
    /// column says who receives a payment, so only the provider can name them.
    #[serde(default)]
    pub third_party_invoice_issuers: Vec<String>,
}

fn default_version() -> String {
    "1.2".into()
}

impl Declaration {
    pub fn load(path: &Path) -> Result<Declaration> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the declaration", path.display()))?;
        Self::parse(&text).map_err(|e| anyhow::anyhow!("{}{e}", path.display()))
    }

    /// Parse declaration text; errors start with ":line:column: " when the YAML says where.
    pub fn parse(text: &str) -> Result<Declaration> {
        let d: Declaration = serde_yaml::from_str(text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            let msg = e.to_string();
            let hint = if msg.contains("unknown variant") && msg.contains("Availability Zones") {
                String::new()
            } else if msg.contains("unknown variant") {
                format!(
                    " (feature areas: {})",
                    Feature::of_version("1.3")
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                String::new()
            };
            anyhow::anyhow!("{at}: {msg}{hint}")
        })?;
        if d.provider.trim().is_empty() {
            bail!(": provider is empty");
        }
        Ok(d)
    }

    /// The criteria this declaration turns on.
    pub fn criteria(&self) -> BTreeSet<String> {
        let mut c: BTreeSet<String> = self
            .features
            .iter()
            .flat_map(|f| f.criteria().iter().map(|s| s.to_string()))
            .collect();
        c.extend(self.applicability.iter().cloned());
        c
    }

    /// `base` (from --applicability) widened by what this declaration declares.
    pub fn applicability(&self, base: &Applicability) -> Applicability {
        match base {
            Applicability::All => Applicability::All,
            Applicability::None => Applicability::Only(self.criteria()),
            Applicability::Only(set) => {
                Applicability::Only(set.iter().cloned().chain(self.criteria()).collect())
            }
        }
    }

    /// Requirement ids the declaration names that the rule set does not know.
    pub fn unknown_requirements(&self, known: &dyn Fn(&str) -> bool) -> Vec<String> {
        let named = self
            .attestations
            .iter()
            .flat_map(|a| a.requirements.iter())
            .chain(self.deviations.iter().map(|d| &d.requirement))
            .chain(self.kils.iter().map(|k| &k.requirement));
        named.filter(|id| !known(id)).cloned().collect()
    }

    /// Whether a requirement is covered by an approved KIL.
    pub fn kil_for(&self, id: &str) -> Option<&Kil> {
        self.kils.iter().find(|k| k.requirement == id)
    }

    pub fn deviation_for(&self, id: &str) -> Option<&Deviation> {
        self.deviations.iter().find(|d| d.requirement == id)
    }

    pub fn attestation_for(&self, id: &str) -> Option<&Attestation> {
        self.attestations
            .iter()
            .find(|a| a.requirements.iter().any(|r| r == id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
focus_version: "1.2"
provider: Nimbus Cloud
features: [Commitment Discounts, Tags, Regions]
applicability: [NEGOTIATED_PRICING_SUPPORTED]
attestations:
  - area: invoice-alignment
    statement: BilledCost per InvoiceId equals the invoice total.
    requirements: [BilledCost-C-007-M]
deviations:
  - requirement: ChargeDescription-C-004-S
    description: Some marketplace rows have no description.
    workaround: Use SkuId to look the product up.
kils:
  - requirement: InvoiceId-C-003-M
    description: Invoices are issued after the export is produced.
    evidence: KIL-2026-004
    approved: true
"#;

    #[test]
    fn features_map_to_criteria_and_widen_applicability() {
        let d = Declaration::parse(EXAMPLE).unwrap();
        let a = d.applicability(&Applicability::None);
        for c in [
            "COMMITMENT_DISCOUNT_SUPPORTED",
            "TAGGING_SUPPORTED",
            "REGION_SUPPORTED",
            "NEGOTIATED_PRICING_SUPPORTED",
        ] {
            assert!(a.declares(c), "{c}");
        }
        assert!(!a.declares("CAPACITY_RESERVATION_SUPPORTED"));
        assert_eq!(d.applicability(&Applicability::All), Applicability::All);
        assert!(d.kil_for("InvoiceId-C-003-M").unwrap().approved);
        assert_eq!(
            d.attestation_for("BilledCost-C-007-M").unwrap().area,
            AttestationArea::InvoiceAlignment
        );
        let unknown = d.unknown_requirements(&|id: &str| id == "BilledCost-C-007-M");
        assert_eq!(unknown.len(), 2);
    }

    #[test]
    fn mistakes_are_located_and_feature_names_listed() {
        let e = Declaration::parse("provider: X\nfeatures: [Tagz]\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(":2:"), "{e}");
        assert!(e.contains("Availability Zones"), "{e}");
        let e = Declaration::parse("provider: X\ncolour: red\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `colour`"), "{e}");
    }
}
