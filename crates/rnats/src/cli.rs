//! The nats-server command line.
//!
//! nats-server parses its flags with Go's `flag` package, so `-port 4222`, `--port=4222` and
//! `-p 4222` all work, boolean flags take `-D` or `-D=false`, and the first argument that is
//! not a flag ends the flags. clap cannot express single-dash long names like `-js` or `-DV`,
//! so this small parser does it. Flags of capabilities rnats does not have yet are recognised
//! and refused with a clear error rather than silently ignored.

use std::path::PathBuf;

use rnats_server::{Authentication, Options, TlsOptions};

use crate::logging::LogSettings;

/// Everything the command line asks for.
#[derive(Debug, Default)]
pub struct Cli {
    /// What to do.
    pub action: Action,
    /// Server options from the flags.
    pub options: Options,
    /// Log settings from the flags.
    pub log: LogSettings,
    /// The configuration file (`-c`).
    pub config_file: Option<PathBuf>,
    /// Check the configuration file and exit (`-t`).
    pub check_config: bool,
    /// The flags that set options, in order, to lay over a configuration file's options.
    settings: Vec<(&'static str, String)>,
}

/// What the process should do.
#[derive(Debug, Default, PartialEq, Eq)]
pub enum Action {
    /// Run the server.
    #[default]
    Run,
    /// Print usage and exit.
    Help,
    /// Print the version and exit.
    Version,
    /// Send a signal to a running server (`--signal name[=pid]`) and exit.
    Signal(String),
    /// Print the TLS help and exit.
    HelpTls,
}

/// A command line that cannot be run.
#[derive(Debug, PartialEq, Eq)]
pub enum CliError {
    /// A flag nats-server does not have.
    UnknownFlag(String),
    /// A flag that needs a value came last.
    MissingValue(String),
    /// A value that does not parse.
    InvalidValue {
        /// The flag as given.
        flag: String,
        /// The value as given.
        value: String,
    },
    /// TLS flags that cannot be used (no certificate or key).
    Tls(String),
    /// An argument that is not a flag.
    UnrecognizedCommand(String),
    /// A nats-server flag for a capability rnats does not have yet.
    NotSupported {
        /// The flag as given.
        flag: String,
        /// The capability it belongs to.
        capability: &'static str,
    },
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::UnknownFlag(flag) => write!(f, "flag provided but not defined: -{flag}"),
            CliError::MissingValue(flag) => write!(f, "flag needs an argument: -{flag}"),
            CliError::InvalidValue { flag, value } => {
                write!(f, "invalid value \"{value}\" for flag -{flag}: parse error")
            }
            CliError::UnrecognizedCommand(arg) => write!(f, "unrecognized command: \"{arg}\""),
            CliError::Tls(message) => f.write_str(message),
            CliError::NotSupported { flag, capability } => {
                write!(
                    f,
                    "flag -{flag} ({capability}) is not supported by rnats yet"
                )
            }
        }
    }
}

/// How a flag takes its value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Value,
}

/// Flags by name, with the capability for those rnats refuses for now.
const FLAGS: &[(&[&str], Kind, Option<&str>)] = &[
    (&["a", "addr", "net"], Kind::Value, None),
    (&["p", "port"], Kind::Value, None),
    (&["n", "name", "server_name"], Kind::Value, None),
    (&["P", "pid"], Kind::Value, None),
    (&["ports_file_dir"], Kind::Value, None),
    (&["client_advertise"], Kind::Value, None),
    (&["l", "log"], Kind::Value, None),
    (&["T", "logtime"], Kind::Bool, None),
    (&["logtime_utc"], Kind::Bool, None),
    (&["D", "debug"], Kind::Bool, None),
    (&["V", "trace"], Kind::Bool, None),
    (&["VV"], Kind::Bool, None),
    (&["DV"], Kind::Bool, None),
    (&["DVV"], Kind::Bool, None),
    (&["max_traced_msg_len"], Kind::Value, None),
    (&["user"], Kind::Value, None),
    (&["pass"], Kind::Value, None),
    (&["auth"], Kind::Value, None),
    (&["h", "help"], Kind::Bool, None),
    (&["v", "version"], Kind::Bool, None),
    (&["m", "http_port"], Kind::Value, None),
    (&["ms", "https_port"], Kind::Value, None),
    (&["c", "config"], Kind::Value, None),
    (&["t"], Kind::Bool, None),
    (&["sl", "signal"], Kind::Value, None),
    (&["s", "syslog"], Kind::Bool, Some("syslog")),
    (&["r", "remote_syslog"], Kind::Value, Some("syslog")),
    (&["log_size_limit"], Kind::Value, None),
    (&["log_json"], Kind::Bool, None),
    (&["js", "jetstream"], Kind::Bool, Some("JetStream")),
    (&["sd", "store_dir"], Kind::Value, Some("JetStream")),
    (&["tls"], Kind::Bool, None),
    (&["tlscert"], Kind::Value, None),
    (&["tlskey"], Kind::Value, None),
    (&["tlsverify"], Kind::Bool, None),
    (&["tlscacert"], Kind::Value, None),
    (&["help_tls"], Kind::Bool, None),
    (&["routes"], Kind::Value, Some("clustering")),
    (&["cluster"], Kind::Value, Some("clustering")),
    (&["cluster_name"], Kind::Value, Some("clustering")),
    (&["no_advertise"], Kind::Bool, Some("clustering")),
    (&["cluster_advertise"], Kind::Value, Some("clustering")),
    (&["connect_retries"], Kind::Value, Some("clustering")),
    (&["cluster_listen"], Kind::Value, Some("clustering")),
    (&["profile"], Kind::Value, Some("profiling")),
];

impl Cli {
    /// Parses the arguments after the program name.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Cli, CliError> {
        let mut cli = Cli::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let Some(flag) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
                return Err(CliError::UnrecognizedCommand(arg));
            };
            if flag.is_empty() {
                // A lone "--" ends the flags; nats-server takes no positional arguments.
                return match args.next() {
                    Some(arg) => Err(CliError::UnrecognizedCommand(arg)),
                    None => {
                        cli.options.auth = flag_authentication(&cli.settings, Authentication::None);
                        Ok(cli)
                    }
                };
            }
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (flag, None),
            };
            let (names, kind, unsupported) = FLAGS
                .iter()
                .find(|(names, _, _)| names.contains(&name))
                .ok_or_else(|| CliError::UnknownFlag(name.to_owned()))?;
            if let Some(capability) = unsupported {
                return Err(CliError::NotSupported {
                    flag: name.to_owned(),
                    capability,
                });
            }
            let value = match (kind, inline) {
                (Kind::Bool, Some(value)) => value,
                (Kind::Bool, None) => "true".to_owned(),
                (Kind::Value, Some(value)) => value,
                (Kind::Value, None) => args
                    .next()
                    .ok_or_else(|| CliError::MissingValue(name.to_owned()))?,
            };
            match names[0] {
                "h" if parse_flag_bool(name, &value)? => cli.action = Action::Help,
                "v" if parse_flag_bool(name, &value)? => cli.action = Action::Version,
                "help_tls" if parse_flag_bool(name, &value)? => cli.action = Action::HelpTls,
                "h" | "v" | "help_tls" => {}
                "sl" => cli.action = Action::Signal(value),
                "c" => cli.config_file = Some(PathBuf::from(value)),
                "t" => cli.check_config = parse_flag_bool(name, &value)?,
                canonical => {
                    apply_flag(canonical, name, &value, &mut cli.options, &mut cli.log)?;
                    cli.settings.push((canonical, value));
                }
            }
        }
        cli.options.auth = flag_authentication(&cli.settings, Authentication::None);
        check_tls_flags(&cli.settings)?;
        Ok(cli)
    }

    /// Lays the flags over options read from a configuration file: a flag given on the
    /// command line wins over the file, as in the reference.
    pub fn overlay(&self, options: &mut Options, log: &mut LogSettings) {
        for (canonical, value) in &self.settings {
            // Every recorded flag was applied once already, so it cannot fail now.
            let _ = apply_flag(canonical, canonical, value, options, log);
        }
        options.auth = flag_authentication(&self.settings, std::mem::take(&mut options.auth));
    }
}

/// Sets what one flag (by its first name) says; authentication flags are handled by
/// `flag_authentication`.
fn apply_flag(
    canonical: &str,
    name: &str,
    value: &str,
    options: &mut Options,
    log: &mut LogSettings,
) -> Result<(), CliError> {
    let invalid = || CliError::InvalidValue {
        flag: name.to_owned(),
        value: value.to_owned(),
    };
    let flag_bool = || parse_bool(value).ok_or_else(invalid);
    match canonical {
        "a" => options.host = value.to_owned(),
        "p" => options.port = parse_port(value).ok_or_else(invalid)?,
        "n" => options.server_name = Some(value.to_owned()),
        "P" => options.pid_file = Some(PathBuf::from(value)),
        "ports_file_dir" => options.ports_file_dir = Some(PathBuf::from(value)),
        "client_advertise" => options.client_advertise = Some(value.to_owned()),
        "m" => options.http_port = Some(parse_port(value).ok_or_else(invalid)?),
        "l" => log.file = Some(PathBuf::from(value)),
        "T" => log.time = flag_bool()?,
        "logtime_utc" => log.utc = flag_bool()?,
        "D" => log.debug = flag_bool()?,
        "V" | "VV" => log.trace = flag_bool()?,
        "DV" | "DVV" => {
            let on = flag_bool()?;
            log.debug = on;
            log.trace = on;
        }
        "log_size_limit" => log.size_limit = value.parse().map_err(|_| invalid())?,
        "log_json" => log.json = flag_bool()?,
        "max_traced_msg_len" => {
            options.max_traced_msg_len = value.parse().map_err(|_| invalid())?;
        }
        "ms" => options.https_port = Some(parse_port(value).ok_or_else(invalid)?),
        "tls" | "tlsverify" | "tlscert" | "tlskey" | "tlscacert" => {
            let on = canonical == "tlscert"
                || canonical == "tlskey"
                || canonical == "tlscacert"
                || flag_bool()?;
            if !on {
                return Ok(());
            }
            let tls = options.tls.get_or_insert_with(TlsOptions::default);
            match canonical {
                "tlsverify" => tls.verify = true,
                "tlscert" => tls.cert_file = Some(PathBuf::from(value)),
                "tlskey" => tls.key_file = Some(PathBuf::from(value)),
                "tlscacert" => tls.ca_file = Some(PathBuf::from(value)),
                _ => {}
            }
            // Clients get the TLS timeout plus a second to authenticate, as with a file.
            if options.auth_timeout == rnats_server::DEFAULT_AUTH_TIMEOUT {
                options.auth_timeout = tls.timeout + std::time::Duration::from_secs(1);
            }
        }
        _ => {}
    }
    Ok(())
}

/// TLS flags need a certificate and a key among them, as in the reference.
fn check_tls_flags(settings: &[(&'static str, String)]) -> Result<(), CliError> {
    let given = |name: &str| settings.iter().any(|(canonical, _)| *canonical == name);
    let enabled = settings.iter().any(|(canonical, value)| match *canonical {
        "tls" | "tlsverify" => parse_bool(value) == Some(true),
        "tlscert" | "tlskey" | "tlscacert" => true,
        _ => false,
    });
    if !enabled {
        return Ok(());
    }
    if !given("tlscert") {
        return Err(CliError::Tls(
            "TLS Server certificate must be present and valid".to_owned(),
        ));
    }
    if !given("tlskey") {
        return Err(CliError::Tls(
            "TLS Server private key must be present and valid".to_owned(),
        ));
    }
    Ok(())
}

/// The authentication `--user`, `--pass` and `--auth` make of `base` (the file's): each flag
/// replaces only its own part, as the reference merges them.
fn flag_authentication(
    settings: &[(&'static str, String)],
    base: Authentication,
) -> Authentication {
    let flag = |name: &str| {
        settings
            .iter()
            .rev()
            .find(|(canonical, _)| *canonical == name)
            .map(|(_, value)| value.clone())
    };
    let (user, password, token) = (flag("user"), flag("pass"), flag("auth"));
    match (base, user, password, token) {
        (base, None, None, None) => base,
        (_, None, None, Some(token)) => Authentication::Token(token),
        (Authentication::UserPassword { user, password }, new_user, new_password, _) => {
            Authentication::UserPassword {
                user: new_user.unwrap_or(user),
                password: new_password.unwrap_or(password),
            }
        }
        (_, Some(user), password, _) => Authentication::UserPassword {
            user,
            password: password.unwrap_or_default(),
        },
        (base, None, Some(_), _) => base,
    }
}

/// A boolean flag's value.
fn parse_flag_bool(name: &str, value: &str) -> Result<bool, CliError> {
    parse_bool(value).ok_or_else(|| CliError::InvalidValue {
        flag: name.to_owned(),
        value: value.to_owned(),
    })
}

/// `-1` asks for a random port; `0` means the default port, as in nats-server.
fn parse_port(value: &str) -> Option<u16> {
    match value.parse::<i64>().ok()? {
        -1 => Some(0),
        0 => Some(rnats_server::DEFAULT_PORT),
        port => u16::try_from(port).ok(),
    }
}

/// The spellings Go's `strconv.ParseBool` accepts.
fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// The text `-h` prints.
pub const USAGE: &str = "\
Usage: rnats [options]

Server Options:
    -a, --addr, --net <host>         Bind to host address (default: 0.0.0.0)
    -p, --port <port>                Use port for clients (default: 4222)
    -n, --name
        --server_name <server_name>  Server name (default: auto)
    -P, --pid <file>                 File to store PID
        --client_advertise <string>  Client URL to advertise to other servers
        --ports_file_dir <dir>       Creates a ports file in the specified directory (<executable_name>_<pid>.ports).
    -m, --http_port <port>           Use port for http monitoring
    -c, --config <file>              Configuration file
    -t                               Test configuration and exit
    -sl,--signal <signal>[=<pid>]    Send signal to rnats process (ldm, stop, quit, term, reopen, reload)
                                     <pid> can be either a PID (e.g. 1) or the path to a PID file

Logging Options:
    -l, --log <file>                 File to redirect log output
    -T, --logtime                    Timestamp log entries (default: true)
        --logtime_utc                Timestamps in UTC instead of local timezone (default: false)
    -D, --debug                      Enable debugging output
    -V, --trace                      Trace the raw protocol
    -VV                              Verbose trace
    -DV                              Debug and trace
    -DVV                             Debug and verbose trace
        --log_size_limit <limit>     Logfile size limit in bytes; the file is rotated past it (default: none)
        --log_json                   Log JSON objects, one per line, instead of text lines
        --max_traced_msg_len <len>   Maximum printable length for traced messages (default: unlimited)

TLS Options:
        --tls                        Enable TLS, do not verify clients (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Private key for server certificate
        --tlsverify                  Enable TLS, verify client certificates
        --tlscacert <file>           Client certificate CA for verification
    -ms,--https_port <port>          Use port for https monitoring
        --help_tls                   TLS help

Authorization Options:
        --user <user>                User required for connections
        --pass <password>            Password required for connections
        --auth <token>               Authorization token required for connections

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version

Recognised but not supported yet (rnats stops with an error naming the capability):
    -s/--syslog, -r/--remote_syslog, -js/--jetstream, -sd/--store_dir, --routes,
    --cluster, --cluster_name, --no_advertise, --cluster_advertise, --connect_retries,
    --cluster_listen, --profile
";

/// The text `--help_tls` prints.
pub const TLS_USAGE: &str = "\
TLS is configured in the tls block of a configuration file, or with the --tls flags:

    tls {
        cert_file:       \"./certs/server-cert.pem\"
        key_file:        \"./certs/server-key.pem\"
        ca_file:         \"./certs/ca.pem\"    # client certificates must chain to it
        verify:          true                 # require a client certificate
        verify_and_map:  true                 # and let it select the user
        timeout:         2                    # seconds for the handshake
        handshake_first: false                # true, \"auto\" or a fallback delay (\"300ms\")
        min_version:     \"1.2\"                # or \"1.3\"
        cipher_suites:   [\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\"]
        curve_preferences: [\"X25519\", \"CurveP256\"]
    }
    allow_non_tls: true                       # plaintext clients on the same port

Cipher suites (TLS 1.2; the TLS 1.3 suites are always on):
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256

Curve preferences: X25519, CurveP256, CurveP384
";

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, CliError> {
        Cli::parse(args.iter().map(|a| (*a).to_owned()))
    }

    #[test]
    fn go_flag_spellings() {
        let cli = parse(&["-p", "-1", "--addr=127.0.0.1", "-name", "x", "-DV"]).expect("valid");
        assert_eq!(cli.options.port, 0);
        assert_eq!(cli.options.host, "127.0.0.1");
        assert_eq!(cli.options.server_name.as_deref(), Some("x"));
        assert!(cli.log.debug && cli.log.trace);
        let cli = parse(&["--port=0", "-T=false", "--logtime_utc"]).expect("valid");
        assert_eq!(cli.options.port, 4222);
        assert!(!cli.log.time && cli.log.utc);
        assert_eq!(parse(&["-v"]).expect("valid").action, Action::Version);
        assert_eq!(parse(&["--help"]).expect("valid").action, Action::Help);
    }

    #[test]
    fn authentication_flags() {
        let cli = parse(&["--user", "u", "--pass", "p"]).expect("valid");
        assert_eq!(
            cli.options.auth,
            Authentication::UserPassword {
                user: "u".into(),
                password: "p".into()
            }
        );
        let cli = parse(&["--auth", "t"]).expect("valid");
        assert_eq!(cli.options.auth, Authentication::Token("t".into()));
    }

    #[test]
    fn errors_name_the_flag() {
        assert_eq!(
            parse(&["--bogus"]).err(),
            Some(CliError::UnknownFlag("bogus".into()))
        );
        assert_eq!(
            parse(&["-p"]).err(),
            Some(CliError::MissingValue("p".into()))
        );
        assert_eq!(
            parse(&["-p", "abc"]).err(),
            Some(CliError::InvalidValue {
                flag: "p".into(),
                value: "abc".into()
            })
        );
        assert_eq!(
            parse(&["-p", "99999"]).err().map(|e| e.to_string()),
            Some("invalid value \"99999\" for flag -p: parse error".into())
        );
        assert_eq!(
            parse(&["foo"]).err(),
            Some(CliError::UnrecognizedCommand("foo".into()))
        );
        assert_eq!(
            parse(&["-js"]).err(),
            Some(CliError::NotSupported {
                flag: "js".into(),
                capability: "JetStream"
            })
        );
        assert!(
            parse(&["--cluster", "nats://x:1"])
                .err()
                .is_some_and(|e| e.to_string().contains("clustering"))
        );
    }
}
