//! Log lines in nats-server's format:
//! `[pid] 2026/11/21 23:36:38.489732 [INF] 127.0.0.1:56350 - cid:9 - message`.
//!
//! The server library logs through `tracing` with `addr`, `cid` and `client` fields on
//! connection events; this formatter turns them into the reference's prefix. Client test
//! harnesses wait for lines like `[INF] Server is ready`, so the shape matters.

use std::fmt;
use std::fs::OpenOptions;
use std::io;
use std::sync::Mutex;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;

use crate::cli::LogSettings;

/// Installs the process-wide logger; only the first call has an effect.
pub fn init(settings: &LogSettings) -> io::Result<()> {
    let format = ReferenceFormat {
        pid: std::process::id(),
        clock: match (settings.time, settings.utc) {
            (false, _) => None,
            (true, false) => Some(Clock::Local),
            (true, true) => Some(Clock::Utc),
        },
    };
    let (debug, trace) = (settings.debug, settings.trace);
    // -V alone traces without debug lines, as in nats-server, so levels are picked one by one.
    let filter = filter_fn(move |meta| {
        meta.target().starts_with("rnats")
            && match *meta.level() {
                Level::TRACE => trace,
                Level::DEBUG => debug,
                _ => true,
            }
    });
    let layer = tracing_subscriber::fmt::layer().event_format(format);
    let subscriber = match &settings.file {
        Some(path) => {
            let file = OpenOptions::new().create(true).append(true).open(path)?;
            let layer = layer.with_writer(Mutex::new(file)).with_filter(filter);
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
        }
        None => {
            let layer = layer.with_writer(io::stderr).with_filter(filter);
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
        }
    };
    // Already installed (a second call) is fine: keep the first logger.
    let _ = subscriber;
    Ok(())
}

/// Logs a fatal error as `[FTL]`.
pub fn fatal(message: impl fmt::Display) {
    tracing::error!(fatal = true, "{message}");
}

#[derive(Clone, Copy)]
enum Clock {
    Local,
    Utc,
}

struct ReferenceFormat {
    pid: u32,
    clock: Option<Clock>,
}

const TIME_FORMAT: &str = "%Y/%m/%d %H:%M:%S%.6f";

impl<S, N> FormatEvent<S, N> for ReferenceFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _context: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        write!(writer, "[{}] ", self.pid)?;
        match self.clock {
            Some(Clock::Local) => write!(writer, "{} ", chrono::Local::now().format(TIME_FORMAT))?,
            Some(Clock::Utc) => write!(writer, "{} ", chrono::Utc::now().format(TIME_FORMAT))?,
            None => {}
        }
        let tag = match *event.metadata().level() {
            _ if fields.fatal => "[FTL]",
            Level::ERROR => "[ERR]",
            Level::WARN => "[WRN]",
            Level::INFO => "[INF]",
            Level::DEBUG => "[DBG]",
            Level::TRACE => "[TRC]",
        };
        write!(writer, "{tag} ")?;
        if let Some(addr) = &fields.addr {
            write!(writer, "{addr} - ")?;
        }
        if let Some(cid) = fields.cid {
            write!(writer, "cid:{cid} - ")?;
        }
        if let Some(client) = fields.client.as_deref().filter(|c| !c.is_empty()) {
            write!(writer, "\"{client}\" - ")?;
        }
        writeln!(writer, "{}", fields.message)
    }
}

/// The fields of one event that the line format uses.
#[derive(Default)]
struct Fields {
    message: String,
    addr: Option<String>,
    cid: Option<u64>,
    client: Option<String>,
    fatal: bool,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "addr" => self.addr = Some(format!("{value:?}")),
            "client" => self.client = Some(format!("{value:?}")),
            _ => {}
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_owned(),
            "addr" => self.addr = Some(value.to_owned()),
            "client" => self.client = Some(value.to_owned()),
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "cid" {
            self.cid = Some(value);
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if field.name() == "fatal" {
            self.fatal = value;
        }
    }
}
