//! The configuration file (`-c`): from the parsed document to `Options` and `LogSettings`.
//!
//! The file format itself is `rnats-conf`'s business; this module knows what the keys mean.
//! Keys match case-insensitively, as in the reference. A key the reference does not know
//! is an error; a block for a capability rnats does not have yet is checked and ignored with
//! a warning, except the security ones rnats cannot enforce yet (e.g. OCSP), which
//! stop the server: running without the protection a file asks for is worse than not running.

mod accounts;
mod authorization;
mod blocks;
mod field;
mod operator;
mod tls;

use std::path::{Path, PathBuf};

use rnats_conf::{Entry, Map};
use rnats_server::Options;

use crate::logging::LogSettings;
use field::{Field, Problem};

/// The smallest `lame_duck_duration` the reference accepts.
const MIN_LAME_DUCK_DURATION: std::time::Duration = std::time::Duration::from_secs(30);

/// What a configuration file sets.
#[derive(Debug, Clone)]
pub struct FileConfig {
    /// Server options: the defaults with the file's values.
    pub options: Options,
    /// Log settings: the defaults with the file's values.
    pub log: LogSettings,
    /// `sha256:<hex>`, which identifies this version of the file in the logs.
    pub digest: String,
    /// Problems that did not stop the server, as `file:line:col: message`.
    pub warnings: Vec<String>,
    /// Blocks for capabilities rnats does not have yet, ignored (key as written, capability).
    pub ignored_blocks: Vec<(String, &'static str)>,
}

/// Why a configuration file cannot be used: the reference's messages, warnings first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Each line of the report.
    pub problems: Vec<String>,
    /// The file is well formed but its options are not; the reference ends such a report
    /// with a blank line.
    pub in_options: bool,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.problems.join("\n"))?;
        if self.in_options {
            f.write_str("\n")?;
        }
        Ok(())
    }
}

/// Reads and checks a configuration file. In `strict` mode (`-t`) warnings are errors too,
/// as in the reference's configuration check.
pub fn load(path: &Path, strict: bool) -> Result<FileConfig, ConfigError> {
    let document = rnats_conf::parse_file(path).map_err(|error| ConfigError {
        problems: vec![error.to_string()],
        in_options: false,
    })?;
    let mut reader = Reader::default();
    for entry in document.root.iter().filter(|entry| !entry.used_as_variable) {
        let field = Field { entry };
        if let Err(problem) = reader.apply(&field) {
            reader.problems.push(problem);
        }
    }
    tls::default_auth_timeout(&document.root, &mut reader.options);
    operator::finish(&mut reader.options);
    // Limits that contradict each other stop the server, but the reference's check mode
    // judges the file alone.
    if !strict {
        reader.cross_checks();
    }
    let (mut warnings, mut errors) = (Vec::new(), Vec::new());
    for problem in reader.problems {
        match problem {
            Problem::Warning(text) => warnings.push(text),
            Problem::Error(text) => errors.push(text),
        }
    }
    if !errors.is_empty() || (strict && !warnings.is_empty()) {
        warnings.extend(errors);
        return Err(ConfigError {
            problems: warnings,
            in_options: true,
        });
    }
    Ok(FileConfig {
        options: reader.options,
        log: reader.log,
        digest: document.digest,
        warnings,
        ignored_blocks: reader.ignored_blocks,
    })
}

/// The options being built from one file.
#[derive(Default)]
struct Reader {
    options: Options,
    log: LogSettings,
    problems: Vec<Problem>,
    ignored_blocks: Vec<(String, &'static str)>,
}

impl Reader {
    /// Applies one top-level entry.
    fn apply(&mut self, field: &Field<'_>) -> Result<(), Problem> {
        let options = &mut self.options;
        let log = &mut self.log;
        let key = field.key().to_ascii_lowercase();
        match key.as_str() {
            "listen" => {
                let (host, port) = host_port(field)?;
                if let Some(host) = host {
                    options.host = host;
                }
                options.port = port;
            }
            "port" => options.port = port(field)?,
            "host" | "net" => options.host = field.string()?.to_owned(),
            "server_name" => {
                let name = field.string()?;
                if name.contains(' ') {
                    return Err(field.error("server name cannot contain spaces"));
                }
                options.server_name = Some(name.to_owned());
            }
            "client_advertise" => options.client_advertise = Some(field.string()?.to_owned()),
            "debug" => log.debug = field.boolean()?,
            "trace" | "trace_verbose" => log.trace = field.boolean()?,
            "logtime" => log.time = field.boolean()?,
            "logtime_utc" => log.utc = field.boolean()?,
            "log_file" | "logfile" => log.file = Some(PathBuf::from(field.string()?)),
            "log_size_limit" | "logfile_size_limit" => log.size_limit = field.size()?,
            "logfile_max_num" | "log_max_num" => log.max_files = field.size()?,
            // An rnats extension: the reference has no structured logs.
            "log_json" => log.json = field.boolean()?,
            "pidfile" | "pid_file" => options.pid_file = Some(PathBuf::from(field.string()?)),
            "ports_file_dir" => options.ports_file_dir = Some(PathBuf::from(field.string()?)),
            "max_control_line" => {
                options.max_control_line =
                    or_default(field.size()?, rnats_server::DEFAULT_MAX_CONTROL_LINE);
            }
            "max_payload" => {
                let value: i32 = field.size()?;
                options.max_payload =
                    or_default(value.unsigned_abs(), rnats_server::DEFAULT_MAX_PAYLOAD);
            }
            "max_pending" => {
                options.max_pending = or_default(field.size()?, rnats_server::DEFAULT_MAX_PENDING);
            }
            // Zero (or less) admits nobody, as in the reference.
            "max_connections" | "max_conn" => options.max_connections = field.size()?,
            "max_subscriptions" | "max_subs" => options.max_subscriptions = field.size()?,
            "max_traced_msg_len" => options.max_traced_msg_len = field.size()?,
            "max_closed_clients" => options.max_closed_clients = field.size()?,
            "ping_interval" => {
                let interval = field.duration(&mut self.problems)?;
                options.ping_interval = or_default(interval, rnats_server::DEFAULT_PING_INTERVAL);
            }
            "ping_max" => {
                options.ping_max = or_default(field.size()?, rnats_server::DEFAULT_PING_MAX);
            }
            "write_deadline" => {
                let deadline = field.duration(&mut self.problems)?;
                options.write_deadline = or_default(deadline, rnats_server::DEFAULT_WRITE_DEADLINE);
            }
            "lame_duck_duration" => {
                let duration = field.duration(&mut self.problems)?;
                if duration < MIN_LAME_DUCK_DURATION {
                    return Err(field.error(format!(
                        "invalid lame_duck_duration of {}, minimum is 30 seconds",
                        rnats_server::format_duration(duration)
                    )));
                }
                options.lame_duck_duration = duration;
            }
            "lame_duck_grace_period" => {
                if let rnats_conf::ValueKind::String(text) = field.kind()
                    && text.trim_start().starts_with('-')
                {
                    return Err(field.error("invalid lame_duck_grace_period, needs to be positive"));
                }
                options.lame_duck_grace_period = field.duration(&mut self.problems)?;
            }
            "no_header_support" => options.no_header_support = field.boolean()?,
            "disable_sublist_cache" | "no_sublist_cache" => {
                options.no_sublist_cache = field.boolean()?;
            }
            "no_fast_producer_stall" => options.no_fast_producer_stall = field.boolean()?,
            "http" => {
                let (host, port) = host_port(field)?;
                options.http_host = host.or(options.http_host.take());
                options.http_port = Some(port);
            }
            "http_port" | "monitor_port" => options.http_port = Some(port(field)?),
            "http_base_path" => options.http_base_path = field.string()?.to_owned(),
            "authorization" => authorization::read(field, options)?,
            "accounts" => accounts::read(field, options)?,
            "no_auth_user" => options.no_auth_user = Some(field.string()?.to_owned()),
            "system_account" | "system" => {
                options.system_account = Some(field.string()?.to_owned());
            }
            "no_system_account" | "no_sys_acc" | "no_system" => {
                options.no_system_account = field.boolean()?;
            }
            "operator" | "operators" | "trusted" | "trusted_keys" | "resolver"
            | "resolver_preload" => operator::apply(&key, field, options)?,
            "tls" | "allow_non_tls" | "https_port" | "https" => {
                tls::apply(&key, field, options, &mut self.problems)?;
            }
            _ => return blocks::check(&key, field, &mut self.problems, &mut self.ignored_blocks),
        }
        Ok(())
    }

    /// Checks between options, once every key is read.
    fn cross_checks(&mut self) {
        let options = &self.options;
        if u64::from(options.max_payload) > options.max_pending {
            self.problems.push(Problem::Error(format!(
                "max_payload ({}) cannot be higher than max_pending ({})",
                options.max_payload, options.max_pending
            )));
        }
        if let Some(problem) = authorization::cross_checks(options) {
            self.problems.push(problem);
        }
    }
}

/// Zero means the default, for the options where the reference says so.
fn or_default<T: PartialEq + Default>(value: T, default: T) -> T {
    if value == T::default() {
        default
    } else {
        value
    }
}

/// A client or monitoring port: `-1` is a random port (0 for the listener).
fn port(field: &Field<'_>) -> Result<u16, Problem> {
    match field.integer()? {
        -1 => Ok(0),
        value => u16::try_from(value)
            .map_err(|_| field.error(format!("invalid port {value} for \"{}\"", field.key()))),
    }
}

/// `listen` and `http`: `host:port`, or a bare port.
fn host_port(field: &Field<'_>) -> Result<(Option<String>, u16), Problem> {
    if let rnats_conf::ValueKind::Integer(_) = field.kind() {
        return Ok((None, port(field)?));
    }
    let text = field.string()?;
    let unparsable = || field.error(format!("could not parse address string \"{text}\""));
    let (host, port_text) = text.rsplit_once(':').ok_or_else(unparsable)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = match port_text.parse::<i64>().map_err(|_| unparsable())? {
        -1 => 0,
        value => u16::try_from(value).map_err(|_| unparsable())?,
    };
    Ok((Some(host.to_owned()), port))
}

/// The entries of a map, for blocks that are checked but not used.
fn entries(map: &Map) -> impl Iterator<Item = Field<'_>> {
    map.iter().map(|entry: &Entry| Field { entry })
}

#[cfg(test)]
mod tests;
