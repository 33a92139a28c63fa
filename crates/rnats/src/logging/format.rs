//! The two line formats: nats-server's text line, and a JSON object per line.
//!
//! Text: `[pid] 2026/11/21 23:36:38.489732 [INF] 127.0.0.1:56350 - cid:9 - "v1.2:py:nm" - msg`.
//! JSON (rnats' addition, for log pipelines):
//! `{"time":"2026-11-21T23:36:38.489732Z","level":"info","pid":1,"cid":9,"addr":"...","msg":"..."}`.

use std::fmt;

use tracing::Level;
use tracing::field::{Field, Visit};

/// Timestamps on text lines: local time, UTC, or none (`-T=false`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Clock {
    Local,
    Utc,
    Off,
}

const TEXT_TIME: &str = "%Y/%m/%d %H:%M:%S%.6f";

/// The fields of one event that the formats use.
#[derive(Default)]
pub(super) struct Fields {
    pub(super) message: String,
    pub(super) addr: Option<String>,
    pub(super) cid: Option<u64>,
    pub(super) client: Option<String>,
    /// `<account>/<user>` of an authenticated client (`$G/user:alice`).
    pub(super) user: Option<String>,
    pub(super) fatal: bool,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "addr" => self.addr = Some(format!("{value:?}")),
            "client" => self.client = Some(format!("{value:?}")),
            "user" => self.user = Some(format!("{value:?}")),
            _ => {}
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_owned(),
            "addr" => self.addr = Some(value.to_owned()),
            "client" => self.client = Some(value.to_owned()),
            "user" => self.user = Some(value.to_owned()),
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

impl Fields {
    /// A plain message, as the logger writes about itself (e.g. after a rotation).
    pub(super) fn message(text: &str) -> Fields {
        Fields {
            message: text.to_owned(),
            ..Fields::default()
        }
    }

    fn client_label(&self) -> Option<&str> {
        self.client.as_deref().filter(|label| !label.is_empty())
    }

    fn user_label(&self) -> Option<&str> {
        self.user.as_deref().filter(|label| !label.is_empty())
    }
}

/// One text line, with its newline.
pub(super) fn text_line(pid: u32, clock: Clock, level: Level, fields: &Fields) -> Vec<u8> {
    let mut line = format!("[{pid}] ");
    match clock {
        Clock::Local => line.push_str(&format!("{} ", chrono::Local::now().format(TEXT_TIME))),
        Clock::Utc => line.push_str(&format!("{} ", chrono::Utc::now().format(TEXT_TIME))),
        Clock::Off => {}
    }
    line.push_str(tag(level, fields.fatal));
    line.push(' ');
    if let Some(addr) = &fields.addr {
        line.push_str(&format!("{addr} - "));
    }
    if let Some(cid) = fields.cid {
        line.push_str(&format!("cid:{cid} - "));
    }
    if let Some(client) = fields.client_label() {
        line.push_str(&format!("\"{client}\" - "));
    }
    if let Some(user) = fields.user_label() {
        line.push_str(&format!("\"{user}\" - "));
    }
    line.push_str(&fields.message);
    line.push('\n');
    line.into_bytes()
}

/// One JSON object, with its newline. Times are always UTC with microseconds.
pub(super) fn json_line(pid: u32, level: Level, fields: &Fields) -> Vec<u8> {
    let mut object = serde_json::Map::new();
    let time = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    object.insert("time".into(), time.into());
    let level = if fields.fatal {
        "fatal"
    } else {
        level_name(level)
    };
    object.insert("level".into(), level.into());
    object.insert("pid".into(), pid.into());
    if let Some(cid) = fields.cid {
        object.insert("cid".into(), cid.into());
    }
    if let Some(addr) = &fields.addr {
        object.insert("addr".into(), addr.clone().into());
    }
    if let Some(client) = fields.client_label() {
        object.insert("client".into(), client.into());
    }
    if let Some(user) = fields.user_label() {
        object.insert("user".into(), user.into());
    }
    object.insert("msg".into(), fields.message.clone().into());
    let mut line = serde_json::Value::Object(object).to_string().into_bytes();
    line.push(b'\n');
    line
}

/// `[INF]` and friends; `[FTL]` for fatal errors.
fn tag(level: Level, fatal: bool) -> &'static str {
    match level {
        _ if fatal => "[FTL]",
        Level::ERROR => "[ERR]",
        Level::WARN => "[WRN]",
        Level::INFO => "[INF]",
        Level::DEBUG => "[DBG]",
        Level::TRACE => "[TRC]",
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection_fields() -> Fields {
        Fields {
            message: "Client connection created".into(),
            addr: Some("127.0.0.1:5000".into()),
            cid: Some(7),
            client: Some("v1:rust:app".into()),
            user: None,
            fatal: false,
        }
    }

    #[test]
    fn text_lines_match_the_reference_shape() {
        let line = text_line(42, Clock::Off, Level::DEBUG, &connection_fields());
        assert_eq!(
            String::from_utf8_lossy(&line),
            "[42] [DBG] 127.0.0.1:5000 - cid:7 - \"v1:rust:app\" - Client connection created\n"
        );
        let user = Fields {
            user: Some("$G/user:alice".into()),
            ..connection_fields()
        };
        assert_eq!(
            String::from_utf8_lossy(&text_line(1, Clock::Off, Level::ERROR, &user)),
            "[1] [ERR] 127.0.0.1:5000 - cid:7 - \"v1:rust:app\" - \"$G/user:alice\" - \
             Client connection created\n"
        );
        let fatal = Fields {
            fatal: true,
            ..Fields::message("boom")
        };
        assert_eq!(
            text_line(1, Clock::Off, Level::ERROR, &fatal),
            b"[1] [FTL] boom\n"
        );
        let timed = String::from_utf8_lossy(&text_line(
            1,
            Clock::Utc,
            Level::INFO,
            &Fields::message("x"),
        ))
        .into_owned();
        // [1] 2026/11/21 23:36:38.489732 [INF] x
        assert_eq!(
            timed.len(),
            "[1] 2026/11/21 23:36:38.489732 [INF] x\n".len(),
            "{timed}"
        );
    }

    #[test]
    fn json_lines_are_objects_with_the_same_fields() {
        let line = json_line(42, Level::INFO, &connection_fields());
        let value: serde_json::Value = serde_json::from_slice(&line).expect("valid JSON");
        assert_eq!(value["level"], "info");
        assert_eq!(value["pid"], 42);
        assert_eq!(value["cid"], 7);
        assert_eq!(value["addr"], "127.0.0.1:5000");
        assert_eq!(value["client"], "v1:rust:app");
        assert_eq!(value["msg"], "Client connection created");
        assert!(value["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
}
