//! Which applicability criteria a data generator declares (`--applicability`, a declaration's
//! feature areas): rules that need an undeclared criterion are skipped as not applicable.

use std::collections::BTreeSet;
use std::str::FromStr;

/// Which applicability criteria the data generator declares.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Applicability {
    All,
    #[default]
    None,
    Only(BTreeSet<String>),
}

impl Applicability {
    pub fn parse(s: &str) -> Result<Applicability, String> {
        match s.trim() {
            "all" => Ok(Applicability::All),
            "none" | "" => Ok(Applicability::None),
            list => Ok(Applicability::Only(
                list.split(',')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect(),
            )),
        }
    }
    pub fn declares(&self, criterion: &str) -> bool {
        match self {
            Applicability::All => true,
            Applicability::None => false,
            Applicability::Only(set) => set.contains(criterion),
        }
    }
    pub fn describe(&self) -> String {
        match self {
            Applicability::All => "all".into(),
            Applicability::None => "none".into(),
            Applicability::Only(s) => s.iter().cloned().collect::<Vec<_>>().join(","),
        }
    }
}

impl FromStr for Applicability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Applicability::parse(s)
    }
}
