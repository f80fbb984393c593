//! The rule model: one FOCUS requirement, its check and its examples, as typed values.
//! Nothing here knows about DataFusion; the engine turns checks into queries.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// The normative keyword of a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Keyword {
    #[serde(rename = "MUST")]
    Must,
    #[serde(rename = "MUST NOT")]
    MustNot,
    #[serde(rename = "SHOULD")]
    Should,
    #[serde(rename = "SHOULD NOT")]
    ShouldNot,
    #[serde(rename = "RECOMMENDED")]
    Recommended,
    #[serde(rename = "MAY")]
    May,
}

impl Keyword {
    pub const ALL: [Keyword; 6] = [
        Keyword::Must,
        Keyword::MustNot,
        Keyword::Should,
        Keyword::ShouldNot,
        Keyword::Recommended,
        Keyword::May,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Must => "MUST",
            Keyword::MustNot => "MUST NOT",
            Keyword::Should => "SHOULD",
            Keyword::ShouldNot => "SHOULD NOT",
            Keyword::Recommended => "RECOMMENDED",
            Keyword::May => "MAY",
        }
    }

    pub fn parse(s: &str) -> Option<Keyword> {
        Keyword::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// MUST and MUST NOT: a failure makes the dataset non-conformant.
    pub fn is_mandatory(self) -> bool {
        matches!(self, Keyword::Must | Keyword::MustNot)
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
            pub fn expected() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
            /// Parse `s`, or say which words a `what` can be.
            pub fn parse_as(s: &str, what: &str) -> Result<$name, String> {
                Self::parse(s).ok_or_else(|| {
                    format!("unknown {what} `{s}`, expected one of: {}", Self::expected())
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

word_enum!(
    /// What a requirement is about.
    EntityType { Column => "column", Attribute => "attribute", Dataset => "dataset", Object => "object" }
);
word_enum!(
    /// Static requirements hold row by row or on the schema; dynamic ones depend on context.
    RuleType { Static => "static", Dynamic => "dynamic" }
);
word_enum!(
    /// The requirements model's classification of a requirement.
    Function {
        Presence => "presence",
        Type => "type",
        Format => "format",
        Nullability => "nullability",
        Validation => "validation",
        Composite => "composite",
    }
);
word_enum!(
    /// FOCUS data types of columns.
    FocusType { Decimal => "decimal", String => "string", DateTime => "datetime", Json => "json" }
);
word_enum!(
    /// FOCUS value-format attributes.
    ValueFormat {
        Numeric => "numeric",
        DateTime => "datetime",
        Currency => "currency",
        Unit => "unit",
        KeyValue => "key_value",
        JsonObject => "json_object",
    }
);
word_enum!(
    /// What an example expects of its rule.
    Expect { Pass => "pass", Fail => "fail" }
);

/// How a requirement is checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// A predicate that must not be FALSE on any row where `when` is TRUE.
    /// With `each`, the predicate is written for the placeholder `{column}` and applies to each
    /// listed column that is present (a row violates when any of them does).
    Row {
        expr: String,
        when: Option<String>,
        each: Vec<String>,
    },
    /// A query returning the offending rows.
    Sql { query: String },
    /// The column must be present in the dataset.
    Present { column: String },
    /// The column holds values of a FOCUS data type.
    Type {
        column: String,
        ty: FocusType,
        when: Option<String>,
    },
    /// The column follows a FOCUS value format.
    Format {
        column: String,
        format: ValueFormat,
        when: Option<String>,
    },
    /// All of these requirements hold.
    AllOf(Vec<String>),
    /// At least one of these requirements holds.
    AnyOf(Vec<String>),
    /// Needs evidence from outside the dataset; the text names it.
    Evidence(String),
    /// A permission no data can violate; the text says why.
    Permission(String),
    /// The named dataset of the version is part of the bundle (FOCUS 1.4: "BillingPeriod MUST be
    /// present when ..."); an absent one is reported by the pipeline.
    Dataset(String),
}

/// The placeholder a `for_each` row check writes in place of the column name.
pub const COLUMN_PLACEHOLDER: &str = "{column}";

impl Check {
    pub fn shape(&self) -> &'static str {
        match self {
            Check::Row { .. } => "row",
            Check::Sql { .. } => "sql",
            Check::Present { .. } => "present",
            Check::Type { .. } => "type",
            Check::Format { .. } => "format",
            Check::AllOf(_) => "all_of",
            Check::AnyOf(_) => "any_of",
            Check::Evidence(_) => "evidence",
            Check::Permission(_) => "permission",
            Check::Dataset(_) => "dataset",
        }
    }

    /// Checks that look at the data and therefore need examples.
    pub fn is_data_check(&self) -> bool {
        matches!(
            self,
            Check::Row { .. }
                | Check::Sql { .. }
                | Check::Present { .. }
                | Check::Type { .. }
                | Check::Format { .. }
        )
    }

    /// Ids of the children of a composite.
    pub fn children(&self) -> &[String] {
        match self {
            Check::AllOf(ids) | Check::AnyOf(ids) => ids,
            _ => &[],
        }
    }
}

/// One example dataset for a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub expect: Expect,
    pub note: Option<String>,
    pub violations: Option<u64>,
    /// Columns of the example dataset, in first-seen order.
    pub columns: Vec<String>,
    /// Physical storage of some columns (as a Parquet file would hold them); the rest are text.
    pub types: BTreeMap<String, PhysicalType>,
    /// Cell values as written (None is NULL), aligned with `columns`.
    pub rows: Vec<Vec<Option<String>>>,
    /// Rows of the version's other datasets (for requirements that read two datasets).
    pub with: Vec<TableRows>,
    /// Line of the example in its file.
    pub line: usize,
    /// The file it was written in, when not the rule's own (a shared example set).
    pub path: Option<PathBuf>,
}

/// Rows of one dataset of an example.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRows {
    pub dataset: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// Where a rule came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// Path as shown to users (relative to the rules root for embedded rules).
    pub path: PathBuf,
    /// 1-based line of the `check:` key.
    pub check_line: usize,
    pub embedded: bool,
    /// For a requirement carried from an earlier version: where its file is written.
    pub carried_from: Option<CarriedFrom>,
    /// The later versions the file is carried into (its `carried_into`).
    pub carried_into: Vec<String>,
}

/// The earlier version whose folder holds a carried requirement's file, and the id it has there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarriedFrom {
    pub version: String,
    pub id: String,
}

/// One FOCUS requirement.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub focus_version: String,
    /// The dataset the requirement belongs to (from the id's prefix); None for attribute
    /// requirements, which apply to every dataset of the version.
    pub dataset: Option<String>,
    pub entity: String,
    pub entity_type: EntityType,
    pub keyword: Keyword,
    pub requirement: String,
    pub rule_type: RuleType,
    pub function: Function,
    pub applicability: Vec<String>,
    pub depends_on: Vec<String>,
    pub note: Option<String>,
    /// Why the requirement no longer applies in this version (never evaluated when set).
    pub removed: Option<String>,
    pub check: Check,
    /// A screen: the data check can show a violation, but passing it is not enough. When it finds
    /// none, the outcome is `needs_evidence` with this text.
    pub screen: Option<String>,
    /// For a query across two datasets: how to count the keys they share. When it counts none,
    /// a pass compared nothing, and the outcome says so in a note.
    pub overlap: Option<Overlap>,
    pub examples: Vec<Example>,
    pub origin: Origin,
}

/// The keys two datasets share, for a requirement that joins them (`overlap:` beside `sql:`).
#[derive(Debug, Clone, PartialEq)]
pub struct Overlap {
    /// The keys matched, in words, for the note (`InvoiceId and InvoiceIssuerName`).
    pub keys: String,
    /// A query whose first row's first value is the number of keys found in both datasets.
    pub sql: String,
}

/// How an example column is stored, for checks that depend on the file's physical types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhysicalType {
    String,
    Double,
    Int64,
    Boolean,
    Timestamp,
}

impl PhysicalType {
    pub fn parse(s: &str) -> Option<PhysicalType> {
        Some(match s {
            "string" => PhysicalType::String,
            "double" => PhysicalType::Double,
            "int64" => PhysicalType::Int64,
            "boolean" => PhysicalType::Boolean,
            "timestamp" => PhysicalType::Timestamp,
            _ => return None,
        })
    }
}
