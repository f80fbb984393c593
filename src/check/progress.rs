//! The progress line of a long validation on a terminal: the phase, and the rows the fused scan
//! has read so far (taken from the live metrics of the plan's scans, so it costs the scan
//! nothing).

use datafusion::physical_plan::ExecutionPlan;
use std::sync::Arc;
use std::time::Duration;

/// A spinner with the phase and a row count; hidden unless asked for (`Progress::terminal`).
#[derive(Debug, Clone)]
pub struct Progress(indicatif::ProgressBar);

impl Default for Progress {
    fn default() -> Self {
        Progress(indicatif::ProgressBar::hidden())
    }
}

impl Progress {
    /// Shown on standard error when it is a terminal (indicatif draws nothing otherwise).
    pub fn terminal() -> Progress {
        let bar = indicatif::ProgressBar::new_spinner();
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress(bar)
    }

    pub fn phase(&self, text: &str) {
        self.0.set_message(text.to_string());
    }

    /// Report the rows `plan` has scanned while it runs, until the returned guard is dropped.
    pub fn watch_scan(&self, phase: &str, plan: Arc<dyn ExecutionPlan>) -> Option<Watch> {
        if self.0.is_hidden() {
            return None;
        }
        let bar = self.0.clone();
        let phase = phase.to_string();
        let task = tokio::spawn(async move {
            loop {
                let rows = scanned_rows(plan.as_ref());
                bar.set_message(format!("{phase}: {} rows read", group_digits(rows)));
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        });
        Some(Watch(task))
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// Stops the row count when dropped.
pub struct Watch(tokio::task::JoinHandle<()>);

impl Drop for Watch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Rows produced so far by the leaves of a plan (its scans).
pub fn scanned_rows(plan: &dyn ExecutionPlan) -> usize {
    let children = plan.children();
    if children.is_empty() {
        plan.metrics().and_then(|m| m.output_rows()).unwrap_or(0)
    } else {
        children.iter().map(|c| scanned_rows(c.as_ref())).sum()
    }
}

fn group_digits(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn digits_are_grouped_by_thousands() {
        assert_eq!(super::group_digits(0), "0");
        assert_eq!(super::group_digits(1234), "1,234");
        assert_eq!(super::group_digits(100_000_000), "100,000,000");
    }
}
