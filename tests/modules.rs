//! The module graph has no cycle: each top-level module of `src/` depends only on the modules
//! CONTRIBUTING.md's table lists above it (read from the table itself, so the map and the code
//! cannot drift apart).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules a piece of source names through `crate::` paths.
fn uses(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a::b, c, d::{e, f}}`: the first name of each top-level item.
            let mut depth = 0;
            let mut start = true;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && (c.is_alphanumeric() || c == '_') => {
                        out.insert(ident(&group[k..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn every_module_depends_only_on_those_listed_above_it() {
    let contributing = fs::read_to_string(root().join("CONTRIBUTING.md")).unwrap();
    let order: Vec<String> = contributing
        .lines()
        .skip_while(|l| !l.starts_with("| module | job |"))
        .skip(2)
        .take_while(|l| l.starts_with("| `"))
        .map(|l| {
            l.trim_start_matches("| `")
                .split('`')
                .next()
                .unwrap()
                .trim_end_matches('/')
                .to_string()
        })
        .collect();
    assert!(order.len() >= 8, "module table not found: {order:?}");
    let src = root().join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        if ["lib", "main"].contains(&name.as_str()) {
            continue;
        }
        let mut files = Vec::new();
        if p.is_dir() {
            rust_files(&p, &mut files);
        } else {
            files.push(p.clone());
        }
        let deps = graph.entry(name.clone()).or_default();
        for f in files {
            let text = fs::read_to_string(&f).unwrap();
            deps.extend(uses(&text).into_iter().filter(|d| *d != name));
        }
    }
    for module in graph.keys() {
        assert!(
            order.contains(module),
            "src/{module} is not in CONTRIBUTING.md's module table"
        );
    }
    let mut problems = Vec::new();
    for (module, deps) in &graph {
        let at = order.iter().position(|m| m == module).unwrap();
        for d in deps {
            match order.iter().position(|m| m == d) {
                Some(k) if k < at => {}
                Some(_) => problems.push(format!("{module} uses {d}, listed below it")),
                None => problems.push(format!("{module} uses {d}, not in the table")),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_reader_of_crate_paths_finds_grouped_and_nested_uses() {
    let found = uses("use crate::{a::b, c, d::{e, f}};\nlet x = crate::g::h();");
    let names: Vec<&str> = found.iter().map(String::as_str).collect();
    assert_eq!(names, ["a", "c", "d", "g"]);
}
