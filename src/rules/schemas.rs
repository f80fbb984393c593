//! The JSON Schemas of the JSON object columns (`rules.d/schemas/`): rule material like the rule
//! files, so the rule loader keeps their texts here (the embedded ones, overridden by a
//! `--rules` folder's) and the engine asks for a text by name when a query first names it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

/// The folder of rules.d holding the JSON Schemas.
pub const SCHEMA_DIR: &str = "schemas";

/// Schema texts by name (path under `schemas/` without `.json`): the file it came from and
/// its text.
pub type Texts = HashMap<String, (PathBuf, String)>;

static TEXTS: Mutex<Option<Texts>> = Mutex::new(None);

/// Use these schema texts from now on.
pub fn provide(texts: Texts) {
    *TEXTS.lock().unwrap_or_else(|e| e.into_inner()) = Some(texts);
}

/// The schema named `name`: where it came from (for messages) and its text; or an error that
/// lists the names known.
pub fn text(name: &str) -> Result<(String, String), String> {
    let texts = TEXTS.lock().unwrap_or_else(|e| e.into_inner());
    let provided = texts.as_ref();
    if let Some((display, text)) = provided.and_then(|t| t.get(name)) {
        return Ok((display.display().to_string(), text.clone()));
    }
    let path = format!("{SCHEMA_DIR}/{name}.json");
    if let Some((_, text)) = super::embedded::all().iter().find(|(p, _)| *p == path) {
        return Ok((format!("rules.d/{path}"), text.to_string()));
    }
    let mut known: Vec<String> = super::embedded::all()
        .iter()
        .filter_map(|(p, _)| p.strip_prefix(&format!("{SCHEMA_DIR}/")))
        .filter_map(|p| p.strip_suffix(".json"))
        .map(str::to_string)
        .chain(provided.into_iter().flat_map(|t| t.keys().cloned()))
        .collect();
    known.sort();
    known.dedup();
    Err(format!(
        "focus_json_schema: no schema `{name}` (known: {})",
        known.join(", ")
    ))
}
