//! The interactive `focus-sql query` shell: line editing and history (rustyline), statements
//! that span lines until `;`, `\d` to inspect tables, `\timing`, and Ctrl-C that cancels the
//! running query and keeps the shell.

use crate::engine::{Dataset, COLUMNS_TABLE};
use anyhow::Result;
use rustyline::error::ReadlineError;
use std::time::Instant;

const HELP: &str = "\\d              list tables
\\d TABLE        columns of TABLE and their types
\\timing         toggle timing of each statement
\\q              quit (or Ctrl-D)
Statements end with ';' and may span lines. Ctrl-C cancels a running query.";

fn history_path() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".focus-sql_history"))
}

/// What a line typed at the prompt asks for.
#[derive(Debug, PartialEq)]
enum Meta<'a> {
    Quit,
    Help,
    Timing,
    Tables,
    Describe(&'a str),
    Unknown(&'a str),
}

fn meta(line: &str) -> Option<Meta<'_>> {
    let line = line.trim().trim_end_matches(';');
    let cmd = line.strip_prefix('\\')?;
    let (name, arg) = cmd
        .split_once(char::is_whitespace)
        .map(|(a, b)| (a, b.trim()))
        .unwrap_or((cmd, ""));
    Some(match (name, arg) {
        ("q" | "quit", _) => Meta::Quit,
        ("?" | "h" | "help", _) => Meta::Help,
        ("timing", _) => Meta::Timing,
        ("d", "") => Meta::Tables,
        ("d", table) => Meta::Describe(table),
        _ => Meta::Unknown(line),
    })
}

async fn describe(ds: &Dataset, table: &str) -> Result<()> {
    let df = ds
        .ctx
        .table(datafusion::common::TableReference::bare(table))
        .await?;
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(["column", "type", "FOCUS"]);
    for f in df.schema().fields() {
        if f.name().ends_with(crate::engine::view::RAW_SUFFIX) {
            continue;
        }
        let focus = ds
            .catalog
            .column(f.name())
            .map(|c| format!("{:?}", c.ty))
            .unwrap_or_default();
        t.add_row([f.name().clone(), f.data_type().to_string(), focus]);
    }
    println!("{t}");
    Ok(())
}

/// A count of Ctrl-C presses. The signal handler only bumps an atomic counter; a small thread
/// passes changes on to the shell. Nothing here depends on the engine's worker threads, which
/// may be busy for long stretches inside one query.
fn interrupts() -> Result<tokio::sync::watch::Receiver<u64>> {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let count = Arc::new(AtomicU64::new(0));
    let in_handler = count.clone();
    // SAFETY: the action only does an atomic add, which is async-signal-safe.
    unsafe {
        signal_hook_registry::register(libc::SIGINT, move || {
            in_handler.fetch_add(1, Ordering::SeqCst);
        })?;
    }
    let (tx, rx) = tokio::sync::watch::channel(0u64);
    std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let n = count.load(Ordering::SeqCst);
        if n != *tx.borrow() && tx.send(n).is_err() {
            break;
        }
    });
    Ok(rx)
}

/// Run the shell until \q or end of input.
pub async fn run(ds: &Dataset, format: crate::query::QueryFormat) -> Result<i32> {
    let mut rl = rustyline::DefaultEditor::new()?;
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    println!(
        "focus-sql: {} is the table CostAndUsage ({} columns). \\? for help.",
        ds.label,
        ds.columns.len()
    );
    let mut timing = false;
    let mut interrupted = interrupts()?;
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            "focus-sql> "
        } else {
            "       ...> "
        };
        let line = match tokio::task::block_in_place(|| rl.readline(prompt)) {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        };
        if buffer.is_empty() {
            if let Some(m) = meta(&line) {
                let _ = rl.add_history_entry(line.as_str());
                match m {
                    Meta::Quit => break,
                    Meta::Help => println!("{HELP}"),
                    Meta::Timing => {
                        timing = !timing;
                        println!("timing is {}", if timing { "on" } else { "off" });
                    }
                    Meta::Tables => {
                        println!("{}", ds.catalog.dataset);
                        for t in &ds.attached {
                            println!("{t}");
                        }
                        println!("{COLUMNS_TABLE}");
                    }
                    Meta::Describe(t) => {
                        if let Err(e) = describe(ds, t).await {
                            eprintln!("error: {}", crate::engine::clean_error(&e.to_string()));
                        }
                    }
                    Meta::Unknown(c) => eprintln!("unknown command {c}; \\? for help"),
                }
                continue;
            }
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if !line.trim_end().ends_with(';') {
            continue;
        }
        let sql = std::mem::take(&mut buffer);
        let _ = rl.add_history_entry(sql.trim());
        let sql = sql.trim().trim_end_matches(';').to_string();
        let started = Instant::now();
        // Each statement runs on a runtime of its own. On Ctrl-C that runtime is shut down without
        // waiting: the shell is back at once, and an operator busy inside one long computation
        // cannot hold the threads the next statement needs.
        let ctx = ds.ctx.clone();
        let query = sql.clone();
        interrupted.borrow_and_update();
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?;
        let mut task = rt.spawn(crate::query::execute_on(ctx, query));
        tokio::select! {
            joined = &mut task => match joined {
                Ok(Ok(batches)) => {
                    let mut out = std::io::stdout();
                    if let Err(e) = crate::query::render(&batches, format, &mut out) {
                        eprintln!("error: {e}");
                    }
                    if timing {
                        println!("time: {:.3} s", started.elapsed().as_secs_f64());
                    }
                }
                Ok(Err(e)) => eprintln!("error: {}", crate::query::error_with_position(ds, &sql, &e)),
                Err(e) => eprintln!("error: the query stopped: {e}"),
            },
            _ = interrupted.changed() => {
                task.abort();
                eprintln!("cancelled after {:.1} s", started.elapsed().as_secs_f64());
            }
        }
        rt.shutdown_background();
    }
    if let Some(h) = &history {
        let _ = rl.save_history(h);
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_commands() {
        assert_eq!(meta("\\q"), Some(Meta::Quit));
        assert_eq!(meta("\\d"), Some(Meta::Tables));
        assert_eq!(
            meta("\\d CostAndUsage;"),
            Some(Meta::Describe("CostAndUsage"))
        );
        assert_eq!(meta("\\timing"), Some(Meta::Timing));
        assert_eq!(meta("\\x"), Some(Meta::Unknown("\\x")));
        assert_eq!(meta("SELECT 1;"), None);
    }
}
