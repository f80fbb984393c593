//! A panic is never what a user sees. A bug in the program or in a dependency (a reader that
//! slices a corrupt file by a length it did not check) unwinds to the top of the command, which
//! turns it into exit status 2 with the files being read and the panic's message on stderr.
//! Inputs are never modified and outputs are written atomically, so nothing is left half-done.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;

/// The message and place of the last panic, kept by the hook for the top level to report.
static LAST: Mutex<Option<String>> = Mutex::new(None);

/// Install the hook that records a panic instead of printing Rust's default text. With
/// `FOCUS_SQL_BACKTRACE` set, the default text (and backtrace) is printed as well.
pub fn install_hook() {
    let default = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_string());
        let place = info
            .location()
            .map(|l| format!(" (at {}:{})", l.file(), l.line()))
            .unwrap_or_default();
        let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
        // The first panic is the cause; a task that re-raises it panics again with less to say.
        if last.is_none() {
            *last = Some(format!("{message}{place}"));
        }
        drop(last);
        if std::env::var_os("FOCUS_SQL_BACKTRACE").is_some() {
            default(info);
        }
    }));
}

/// Run `f`; a panic inside it becomes exit status 2 with what was being read.
pub fn guard(f: impl FnOnce() -> i32) -> i32 {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(code) => code,
        Err(payload) => {
            let recorded = LAST.lock().unwrap_or_else(|e| e.into_inner()).take();
            let message = recorded.unwrap_or_else(|| {
                payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".to_string())
            });
            let reading = crate::engine::input::being_read();
            let what = if reading.is_empty() {
                String::new()
            } else {
                format!(" while reading {}", reading)
            };
            eprintln!(
                "focus-sql: error{what}: the input could not be read (internal failure: \
                 {message}); nothing was written. Please report this with the file if it \
                 is not corrupt."
            );
            2
        }
    }
}
