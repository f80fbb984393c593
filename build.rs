//! Embeds every file under rules.d/ into the binary, so an installed focus-sql needs no files.

use std::fs;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<_> = match fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
        Err(_) => return,
    };
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            println!("cargo:rerun-if-changed={}", path.display());
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("rules.d");
    let mut files = Vec::new();
    collect(&root, &mut files);
    let mut code =
        String::from("/// (path relative to rules.d, contents) of every embedded rule file.\n");
    code.push_str("pub static EMBEDDED_RULES: &[(&str, &str)] = &[\n");
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        code.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    code.push_str("];\n");
    // The saved queries of queries/, for `focus-sql queries` and `query --saved`.
    let qdir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("queries");
    println!("cargo:rerun-if-changed={}", qdir.display());
    let mut queries: Vec<PathBuf> = fs::read_dir(&qdir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "sql"))
                .collect()
        })
        .unwrap_or_default();
    queries.sort();
    code.push_str("/// (file stem, contents) of every saved query in queries/.\npub static EMBEDDED_QUERIES: &[(&str, &str)] = &[\n");
    for q in &queries {
        println!("cargo:rerun-if-changed={}", q.display());
        let stem = q.file_stem().unwrap().to_string_lossy().to_string();
        code.push_str(&format!(
            "    ({stem:?}, include_str!({:?})),\n",
            q.display().to_string()
        ));
    }
    code.push_str("];\n");
    // The bundled sample export is the template of `focus-sql synth`.
    let sample = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .join("testdata")
        .join("sample.csv");
    println!("cargo:rerun-if-changed={}", sample.display());
    if sample.is_file() {
        code.push_str(&format!("/// testdata/sample.csv, the template of `focus-sql synth`.\npub static SAMPLE_CSV: &str = include_str!({:?});\n", sample.display().to_string()));
    } else {
        code.push_str("/// testdata/sample.csv was absent at build time.\npub static SAMPLE_CSV: &str = \"\";\n");
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("embedded_rules.rs");
    fs::write(out, code).unwrap();
}
