//! A one-line progress display on stderr, shown only when stderr is a terminal (never in the
//! sandbox `stderr` file the agent gives us). Log lines clear it before they are written.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Serialises writes to stderr between log lines and the progress line.
pub(crate) static STDERR: Mutex<()> = Mutex::new(());
/// Whether a progress line is on screen (and must be cleared before a log line).
pub(crate) static SHOWING: AtomicBool = AtomicBool::new(false);

/// Whether stderr is a terminal.
pub fn stderr_is_terminal() -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(2) == 1 }
}

/// Bytes received across all items of a run.
#[derive(Debug, Default)]
pub struct Progress {
    received: AtomicU64,
    expected: AtomicU64,
    active: AtomicU64,
}

impl Progress {
    pub fn add_expected(&self, n: u64) {
        self.expected.fetch_add(n, Ordering::Relaxed);
    }

    pub fn add_received(&self, n: u64) {
        self.received.fetch_add(n, Ordering::Relaxed);
    }

    pub fn start_item(&self) {
        self.active.fetch_add(1, Ordering::Relaxed);
    }

    pub fn end_item(&self) {
        self.active.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Clears the progress line if one is shown; call with [`STDERR`] held.
pub(crate) fn clear_line(out: &mut impl Write) {
    if SHOWING.swap(false, Ordering::Relaxed) {
        let _ = out.write_all(b"\r\x1b[K");
    }
}

fn human(n: u64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Redraws the line every 200 ms until `done` is set; a no-op task when stderr is not a
/// terminal.
pub fn spawn_display(
    progress: Arc<Progress>,
    done: Arc<AtomicBool>,
) -> Option<std::thread::JoinHandle<()>> {
    if !stderr_is_terminal() {
        return None;
    }
    Some(std::thread::spawn(move || {
        let start = Instant::now();
        while !done.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(200));
            if progress.active.load(Ordering::Relaxed) == 0 {
                continue;
            }
            let got = progress.received.load(Ordering::Relaxed);
            let total = progress.expected.load(Ordering::Relaxed);
            let rate = got as f64 / start.elapsed().as_secs_f64().max(0.001);
            let line = if total > 0 {
                format!(
                    "Fetching: {} / {} ({:.0}%), {}/s",
                    human(got),
                    human(total),
                    100.0 * got as f64 / total as f64,
                    human(rate as u64)
                )
            } else {
                format!("Fetching: {}, {}/s", human(got), human(rate as u64))
            };
            let _guard = STDERR.lock().unwrap_or_else(|e| e.into_inner());
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K{line}");
            let _ = err.flush();
            SHOWING.store(true, Ordering::Relaxed);
        }
        let _guard = STDERR.lock().unwrap_or_else(|e| e.into_inner());
        clear_line(&mut std::io::stderr().lock());
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_sizes() {
        assert_eq!(super::human(12), "12 B");
        assert_eq!(super::human(1536), "1.5 KiB");
        assert_eq!(super::human(1 << 30), "1.0 GiB");
    }
}
