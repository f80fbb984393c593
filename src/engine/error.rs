//! Turning DataFusion's layered error messages into one line a user can act on.

use crate::rules::catalog::Catalog;

/// Strip DataFusion's layered prefixes from an error so one line says what went wrong.
pub fn clean_error(msg: &str) -> String {
    let mut m = msg.trim().to_string();
    for prefix in [
        "External error: ",
        "Arrow error: ",
        "Execution error: ",
        "Parquet error: ",
        "Object Store error: ",
        "Error during planning: ",
        "Internal error: ",
        "Generic focus-sql error: ",
    ] {
        while let Some(i) = m.find(prefix) {
            m.replace_range(i..i + prefix.len(), "");
        }
    }
    let m = m.lines().next().unwrap_or("").to_string();
    m.replace("Csv error: ", "malformed CSV: ")
        .replace("Parser error: ", "malformed data: ")
}

/// Add a "did you mean" hint to unknown-column errors.
pub fn explain_message(catalog: &Catalog, msg: &str) -> String {
    let marker = "No field named ";
    if let Some(i) = msg.find(marker) {
        let rest = &msg[i + marker.len()..];
        let name: String = rest
            .trim_start_matches('"')
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let bare = name.rsplit('.').next().unwrap_or(&name).to_string();
        if let Some(close) = catalog.closest(&bare) {
            if close != bare {
                return format!("unknown column {bare} (did you mean {close}?)");
            }
        }
        return format!("unknown column {bare}");
    }
    msg.to_string()
}
