//! The server's log: nats-server's text lines (or JSON lines) on stderr or in a file, with
//! the levels, file and rotation changeable while the server runs (config reload, SIGUSR1).
//!
//! The server library logs through `tracing` with `addr`, `cid` and `client` fields on
//! connection events; this layer turns them into the reference's prefix. Client test
//! harnesses wait for lines like `[INF] Server is ready`, so the shape matters.
//!
//! Levels are decided per callsite and the decision is cached by `tracing`, so a disabled
//! level (protocol tracing, usually) costs nothing; changing the levels rebuilds that cache.

mod file;
mod format;

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

use file::LogFile;
use format::{Clock, Fields};

/// How to log; from the command line and the configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// Log to this file instead of stderr.
    pub file: Option<PathBuf>,
    /// Prefix text lines with the time.
    pub time: bool,
    /// The time in UTC instead of local time.
    pub utc: bool,
    /// Debug lines.
    pub debug: bool,
    /// Protocol trace lines.
    pub trace: bool,
    /// JSON objects instead of text lines.
    pub json: bool,
    /// Rotate the file past this many bytes; 0 never rotates.
    pub size_limit: u64,
    /// Keep at most this many log files, the current one included; 0 keeps all.
    pub max_files: usize,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            file: None,
            time: true,
            utc: false,
            debug: false,
            trace: false,
            json: false,
            size_limit: 0,
            max_files: 0,
        }
    }
}

/// What a reload changes in the log settings, as the reference reports it (`Reloaded: debug =
/// true`); an error for a change the reference cannot make while running.
pub fn changes(old: &LogSettings, new: &LogSettings) -> Result<Vec<String>, String> {
    if old.size_limit != new.size_limit {
        return Err(format!(
            "config reload not supported for LogSizeLimit: old={}, new={}",
            old.size_limit, new.size_limit
        ));
    }
    let mut changes = Vec::new();
    let mut note = |changed: bool, name: &str, value: String| {
        if changed {
            changes.push(format!("Reloaded: {name} = {value}"));
        }
    };
    note(old.debug != new.debug, "debug", new.debug.to_string());
    note(old.trace != new.trace, "trace", new.trace.to_string());
    note(old.time != new.time, "logtime", new.time.to_string());
    note(old.utc != new.utc, "logtime_utc", new.utc.to_string());
    let file = |settings: &LogSettings| {
        settings
            .file
            .as_ref()
            .map(|path| path.display().to_string())
            .unwrap_or_default()
    };
    note(old.file != new.file, "log_file", file(new));
    note(
        old.max_files != new.max_files,
        "logfile_max_num",
        new.max_files.to_string(),
    );
    note(old.json != new.json, "log_json", new.json.to_string());
    Ok(changes)
}

/// The installed logger; cheap to clone, used to reconfigure or reopen it.
#[derive(Clone)]
pub struct Logger {
    shared: Arc<Shared>,
}

struct Shared {
    pid: u32,
    debug: AtomicBool,
    trace: AtomicBool,
    output: Mutex<Output>,
}

/// Where lines go, and how they look.
struct Output {
    clock: Clock,
    json: bool,
    file: Option<LogFile>,
}

impl Logger {
    /// Installs the process-wide logger. Only the first call in a process installs anything;
    /// later calls get a logger that is not the one `tracing` uses.
    pub fn install(settings: &LogSettings) -> io::Result<Logger> {
        let logger = Logger {
            shared: Arc::new(Shared {
                pid: std::process::id(),
                debug: AtomicBool::new(settings.debug),
                trace: AtomicBool::new(settings.trace),
                output: Mutex::new(Output::new(settings)?),
            }),
        };
        let layer = ReferenceLayer {
            shared: logger.shared.clone(),
        };
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer));
        Ok(logger)
    }

    /// Applies new settings: levels at once, and a new file if the path or rotation changed.
    pub fn reconfigure(&self, settings: &LogSettings) -> io::Result<()> {
        let fresh = Output::new(settings)?;
        *self.shared.output.lock() = fresh;
        self.shared.debug.store(settings.debug, Ordering::Relaxed);
        self.shared.trace.store(settings.trace, Ordering::Relaxed);
        // Callsites cached their enabled state; ask them again.
        tracing::callsite::rebuild_interest_cache();
        Ok(())
    }

    /// Reopens the log file at its path, after an external tool moved it (SIGUSR1).
    pub fn reopen(&self) -> io::Result<()> {
        let mut output = self.shared.output.lock();
        let Some(file) = output.file.as_mut() else {
            drop(output);
            tracing::info!("File log re-open ignored, not a file logger");
            return Ok(());
        };
        file.reopen()?;
        drop(output);
        tracing::info!("File log re-opened");
        Ok(())
    }
}

/// Logs a fatal error as `[FTL]`.
pub fn fatal(message: impl std::fmt::Display) {
    tracing::error!(fatal = true, "{message}");
}

impl Output {
    fn new(settings: &LogSettings) -> io::Result<Output> {
        let clock = match (settings.time, settings.utc) {
            (false, _) => Clock::Off,
            (true, false) => Clock::Local,
            (true, true) => Clock::Utc,
        };
        let file = match &settings.file {
            Some(path) => Some(LogFile::open(
                path,
                settings.size_limit,
                settings.max_files,
            )?),
            None => None,
        };
        Ok(Output {
            clock,
            json: settings.json,
            file,
        })
    }

    fn line(&self, pid: u32, level: Level, fields: &Fields) -> Vec<u8> {
        if self.json {
            format::json_line(pid, level, fields)
        } else {
            format::text_line(pid, self.clock, level, fields)
        }
    }

    fn write(&mut self, pid: u32, level: Level, fields: &Fields) {
        let line = self.line(pid, level, fields);
        let result = match &mut self.file {
            Some(file) => {
                let (clock, json) = (self.clock, self.json);
                file.write_line(&line, |text| {
                    let output = Output {
                        clock,
                        json,
                        file: None,
                    };
                    output.line(pid, Level::INFO, &Fields::message(text))
                })
            }
            None => io::stderr().lock().write_all(&line),
        };
        // Nowhere left to report a failed log write; the server goes on without it.
        let _ = result;
    }
}

/// The `tracing` layer that writes rnats' log.
struct ReferenceLayer {
    shared: Arc<Shared>,
}

impl ReferenceLayer {
    fn wants(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("rnats")
            && match *metadata.level() {
                Level::TRACE => self.shared.trace.load(Ordering::Relaxed),
                Level::DEBUG => self.shared.debug.load(Ordering::Relaxed),
                _ => true,
            }
    }
}

impl<S: Subscriber> Layer<S> for ReferenceLayer {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.wants(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _context: Context<'_, S>) -> bool {
        self.wants(metadata)
    }

    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        self.shared
            .output
            .lock()
            .write(self.shared.pid, *event.metadata().level(), &fields);
    }
}
