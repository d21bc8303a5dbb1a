//! glog-style log lines on stderr, as the C++ fetcher prints them:
//! `I0118 20:54:57.718894  3339 fetch.rs:409] Fetching URI '...'`.

use crate::flags::{Flags, LoggingLevel};
use crate::progress;
use std::fmt;
use std::io::Write;
use std::path::Path;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// The glog line prefix and the message.
pub struct GlogFormat;

impl<S, N> FormatEvent<S, N> for GlogFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let letter = match *meta.level() {
            Level::ERROR => 'E',
            Level::WARN => 'W',
            _ => 'I',
        };
        let file = meta
            .file()
            .and_then(|f| Path::new(f).file_name())
            .and_then(|f| f.to_str())
            .unwrap_or("fetcher.rs");
        write!(
            writer,
            "{letter}{} {:>5} {file}:{}] ",
            timestamp(),
            nix::unistd::gettid(),
            meta.line().unwrap_or(0)
        )?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// `mmdd hh:mm:ss.uuuuuu` in local time, as glog writes it.
fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    // SAFETY: localtime_r writes only into `tm`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe { libc::localtime_r(&secs, &mut tm) };
    format!(
        "{:02}{:02} {:02}:{:02}:{:02}.{:06}",
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_micros()
    )
}

/// Stderr, clearing the progress line before each log line.
#[derive(Clone, Copy)]
pub struct StderrWriter;

pub struct LockedStderr;

impl Write for LockedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _guard = progress::STDERR.lock().unwrap_or_else(|e| e.into_inner());
        let mut err = std::io::stderr().lock();
        progress::clear_line(&mut err);
        err.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for StderrWriter {
    type Writer = LockedStderr;
    fn make_writer(&'a self) -> Self::Writer {
        LockedStderr
    }
}

fn level_filter(level: LoggingLevel) -> tracing::level_filters::LevelFilter {
    match level {
        LoggingLevel::Debug => tracing::level_filters::LevelFilter::DEBUG,
        LoggingLevel::Info => tracing::level_filters::LevelFilter::INFO,
        LoggingLevel::Warning => tracing::level_filters::LevelFilter::WARN,
        LoggingLevel::Error => tracing::level_filters::LevelFilter::ERROR,
    }
}

/// Installs the global subscriber for the binary: glog lines on stderr at or above
/// `--logging_level` (none with `--quiet`), plus a log file in `--log_dir` when set.
pub fn init(flags: &Flags) {
    let stderr_layer = (!flags.quiet).then(|| {
        tracing_subscriber::fmt::layer()
            .event_format(GlogFormat)
            .with_writer(StderrWriter)
            .with_filter(level_filter(flags.logging_level))
    });
    let file_layer = flags.log_dir.as_ref().and_then(|dir| {
        let path = log_file_path(dir);
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
        {
            Ok(file) => {
                let _ = std::fs::remove_file(dir.join("mesos-fetcher.INFO"));
                let _ = std::os::unix::fs::symlink(
                    path.file_name().unwrap_or_default(),
                    dir.join("mesos-fetcher.INFO"),
                );
                Some(
                    tracing_subscriber::fmt::layer()
                        .event_format(GlogFormat)
                        .with_writer(std::sync::Mutex::new(file))
                        .with_filter(tracing::level_filters::LevelFilter::INFO),
                )
            }
            Err(e) => {
                eprintln!("Failed to open log file '{}': {e}", path.display());
                None
            }
        }
    });
    let _ = tracing_subscriber::registry()
        .with(stderr_layer)
        .with(file_layer)
        .try_init();
}

/// `<log_dir>/mesos-fetcher.<host>.<user>.log.INFO.<yyyymmdd-hhmmss>.<pid>`, as glog names
/// its files.
fn log_file_path(dir: &Path) -> std::path::PathBuf {
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into());
    let user = nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map_or_else(|| "unknown".into(), |u| u.name);
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as libc::time_t;
    // SAFETY: localtime_r writes only into `tm`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe { libc::localtime_r(&secs, &mut tm) };
    dir.join(format!(
        "mesos-fetcher.{host}.{user}.log.INFO.{:04}{:02}{:02}-{:02}{:02}{:02}.{}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        std::process::id()
    ))
}
