//! Errors that name the rule file and line, and finding a key's line in YAML text.

use std::fmt;
use std::path::PathBuf;

/// A rule file that could not be loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path.display(), line, self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for LoadError {}

impl LoadError {
    /// A YAML error of `path`, at the line serde_yaml names (its own " at line X column Y" suffix
    /// dropped, since the line is printed in front).
    pub fn yaml(path: &std::path::Path, e: &serde_yaml::Error) -> LoadError {
        let msg = e.to_string();
        LoadError {
            path: path.to_path_buf(),
            line: e.location().map(|l| l.line()),
            message: match msg.find(" at line ") {
                Some(i) => msg[..i].to_string(),
                None => msg,
            },
        }
    }
}

/// 1-based line of the first line that starts (after indentation) with `key:`.
pub fn line_of_key(text: &str, key: &str, from_line: usize) -> Option<usize> {
    let needle = format!("{key}:");
    text.lines()
        .enumerate()
        .skip(from_line.saturating_sub(1))
        .find(|(_, l)| {
            let t = l.trim_start().trim_start_matches("- ");
            t.starts_with(&needle)
        })
        .map(|(i, _)| i + 1)
}
