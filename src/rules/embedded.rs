//! What is embedded in the binary at build time (see build.rs): every file under rules.d, the
//! saved queries and the bundled sample.

mod files {
    include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));
}

/// (path relative to rules.d, contents) of every embedded file under rules.d.
pub fn all() -> &'static [(&'static str, &'static str)] {
    files::EMBEDDED_RULES
}

/// The saved queries embedded at build time: (name, text).
pub fn embedded_queries() -> &'static [(&'static str, &'static str)] {
    files::EMBEDDED_QUERIES
}

/// The bundled sample export (testdata/sample.csv) as embedded at build time; empty if absent.
pub fn embedded_sample() -> &'static str {
    files::SAMPLE_CSV
}

/// The folder of rules.d holding certification evidence checks (`certify::EvidenceCheck`).
pub const EVIDENCE_DIR: &str = "evidence";

/// (path relative to rules.d, contents) of the embedded evidence checks.
pub fn embedded_evidence() -> Vec<(&'static str, &'static str)> {
    files::EMBEDDED_RULES
        .iter()
        .filter(|(p, _)| p.starts_with("evidence/"))
        .copied()
        .collect()
}

/// The embedded JSON Schema of a rule file (`rules.d/rule.schema.json`), if present.
pub fn embedded_rule_schema() -> Option<&'static str> {
    files::EMBEDDED_RULES
        .iter()
        .find(|(p, _)| *p == SCHEMA_FILE)
        .map(|(_, t)| *t)
}

/// The JSON Schema of rule files, relative to rules.d.
pub const SCHEMA_FILE: &str = "rule.schema.json";

/// How a rule file's first line names its schema, for editors (YAML language server).
pub const SCHEMA_COMMENT_PREFIX: &str = "# yaml-language-server: $schema=";
