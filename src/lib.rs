//! focus-sql: validate FinOps FOCUS cost-and-usage exports against the specification's
//! requirements (rules as YAML + SQL run on DataFusion) and query them with SQL.

pub mod catalog;
pub mod certify;
pub mod cli;
pub mod convert;
pub mod declaration;
pub mod engine;
pub mod gapreport;
pub mod input;
pub mod lint;
pub mod outcome;
pub mod output;
pub mod query;
pub mod regress;
pub mod report;
pub mod rules;
pub mod ruletest;
pub mod runner;
pub mod saved;
pub mod scrub;
pub mod shell;
pub mod sync;
pub mod synth;
