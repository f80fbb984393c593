//! focus-sql: validate FinOps FOCUS exports against the specification's requirements (rules as
//! YAML + SQL run on DataFusion) and query them with SQL.
//!
//! The layers, each depending only on those above it:
//! - [`rules`]: the rule model, loading, column catalogs, versions, applicability, declarations
//!   (no DataFusion);
//! - [`engine`]: the DataFusion session, input formats, the typed views, SQL functions and guard;
//! - [`check`]: planning rules into queries, the fused scan, composites, examples, lint;
//! - [`report`]: the scorecard and its renderers;
//! - [`certify`]: the certification verdict, evidence checks, sample sufficiency, gap report;
//! - [`pipeline`]: the one "validate a dataset" sequence every command uses;
//! - [`regress`], [`query`], [`tools`]: the other commands' work;
//! - [`cli`]: argument definitions and dispatch.

pub mod certify;
pub mod check;
pub mod cli;
pub mod engine;
pub mod output;
pub mod pipeline;
pub mod query;
pub mod regress;
pub mod report;
pub mod rules;
pub mod store;
pub mod tools;
