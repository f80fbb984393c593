//! The read-only guard for rule and user SQL: one query statement, no DDL/DML/COPY/SET, and the
//! identifiers a piece of SQL mentions (to skip rules whose columns are absent).

use datafusion::execution::context::SQLOptions;
use datafusion::sql::sqlparser::ast::Statement;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

/// Options under which every rule and `query` statement is planned.
pub fn read_only() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

/// Accept exactly one SELECT/WITH query; say what was found otherwise.
pub fn check_query(sql: &str) -> Result<(), String> {
    let statements = Parser::parse_sql(&GenericDialect {}, sql)
        .map_err(|e| format!("SQL does not parse: {e}"))?;
    match statements.as_slice() {
        [Statement::Query(_)] => Ok(()),
        [] => Err("SQL is empty".into()),
        [other] => Err(format!(
            "only a read-only query (SELECT or WITH) is allowed, found: {}",
            first_words(&other.to_string())
        )),
        many => Err(format!(
            "exactly one statement is allowed, found {}",
            many.len()
        )),
    }
}

/// For `query`: a read-only query, or EXPLAIN [ANALYZE] of one (to see the plan a query gets).
pub fn check_user_query(sql: &str) -> Result<(), String> {
    let statements = Parser::parse_sql(&GenericDialect {}, sql)
        .map_err(|e| format!("SQL does not parse: {e}"))?;
    if let [Statement::Explain { statement, .. }] = statements.as_slice() {
        return match statement.as_ref() {
            Statement::Query(_) => Ok(()),
            other => Err(format!(
                "EXPLAIN is allowed for queries only, found: {}",
                first_words(&other.to_string())
            )),
        };
    }
    check_query(sql)
}

/// Accept exactly one SQL expression (for `row:` and `when:`).
pub fn check_expr(expr: &str) -> Result<(), String> {
    let dialect = GenericDialect {};
    let mut parser = Parser::new(&dialect)
        .try_with_sql(expr)
        .map_err(|e| format!("SQL does not parse: {e}"))?;
    parser
        .parse_expr()
        .map_err(|e| format!("SQL expression does not parse: {e}"))?;
    match parser.peek_token().token {
        Token::EOF => Ok(()),
        t => Err(format!("unexpected `{t}` after the end of the expression")),
    }
}

fn first_words(s: &str) -> String {
    s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// Every word token (identifiers and keywords) in `sql`; string literals are not words.
pub fn words(sql: &str) -> Vec<String> {
    let dialect = GenericDialect {};
    match Tokenizer::new(&dialect, sql).tokenize() {
        Ok(tokens) => tokens
            .into_iter()
            .filter_map(|t| match t {
                Token::Word(w) => Some(w.value),
                _ => None,
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explain_is_for_queries_only() {
        assert!(check_user_query("EXPLAIN SELECT 1").is_ok());
        assert!(check_user_query("EXPLAIN ANALYZE SELECT 1").is_ok());
        assert!(check_user_query("EXPLAIN DROP TABLE t").is_err());
        assert!(
            check_query("EXPLAIN SELECT 1").is_err(),
            "rules stay plain queries"
        );
    }

    #[test]
    fn only_queries_pass() {
        assert!(check_query("SELECT 1").is_ok());
        assert!(check_query("WITH a AS (SELECT 1) SELECT * FROM a").is_ok());
        for bad in [
            "DROP TABLE CostAndUsage",
            "COPY (SELECT 1) TO '/tmp/x.csv'",
            "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/etc/passwd'",
            "SELECT 1; SELECT 2",
            "SET datafusion.execution.batch_size = 1",
            "INSERT INTO t VALUES (1)",
        ] {
            assert!(check_query(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn expressions_must_be_whole() {
        assert!(check_expr("BilledCost >= 0 AND x IS NOT NULL").is_ok());
        assert!(check_expr("1) FROM t; DROP TABLE t; SELECT (1").is_err());
        assert!(check_expr("a = = b").is_err());
    }

    #[test]
    fn words_skip_literals() {
        let w = words("BilledCost = 'ListCost' AND \"EffectiveCost\" > 0");
        assert!(w.contains(&"BilledCost".to_string()) && w.contains(&"EffectiveCost".to_string()));
        assert!(!w.contains(&"ListCost".to_string()));
    }
}
