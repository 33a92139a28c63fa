//! Server options, with nats-server's defaults.

use std::path::PathBuf;
use std::time::Duration;

use crate::account::config::AccountConfig;
use crate::auth::{Permissions, User};
use crate::tls::TlsOptions;

/// The default client port.
pub const DEFAULT_PORT: u16 = 4222;
/// The default `max_payload`: 1 MiB.
pub const DEFAULT_MAX_PAYLOAD: u32 = 1024 * 1024;
/// The default `max_control_line`: 4 KiB.
pub const DEFAULT_MAX_CONTROL_LINE: u32 = 4096;
/// The default `max_connections`.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 64 * 1024;
/// The default `max_pending`: 64 MiB of unsent bytes per client.
pub const DEFAULT_MAX_PENDING: u64 = 64 * 1024 * 1024;
/// The default `write_deadline`.
pub const DEFAULT_WRITE_DEADLINE: Duration = Duration::from_secs(10);
/// The default `ping_interval`.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(120);
/// The default `ping_max`: unanswered PINGs before a connection is stale.
pub const DEFAULT_PING_MAX: u32 = 2;
/// The default authentication timeout.
pub const DEFAULT_AUTH_TIMEOUT: Duration = Duration::from_secs(2);
/// The default `max_closed_clients`: closed connections kept for `/connz?state=closed`.
pub const DEFAULT_MAX_CLOSED_CLIENTS: usize = 10_000;
/// The default `lame_duck_duration`: the time lame duck mode spreads client closes over.
pub const DEFAULT_LAME_DUCK_DURATION: Duration = Duration::from_secs(120);
/// The default `lame_duck_grace_period`: the wait before lame duck mode closes anyone.
pub const DEFAULT_LAME_DUCK_GRACE_PERIOD: Duration = Duration::from_secs(10);
/// The first PING goes out sooner than `ping_interval`, so dead peers are found early.
pub const FIRST_PING_INTERVAL: Duration = Duration::from_secs(2);

/// Everything that configures a server.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Address to listen on for clients.
    pub host: String,
    /// Client port; 0 picks a free port (the reference's `-p -1`).
    pub port: u16,
    /// Server name; the server id when unset.
    pub server_name: Option<String>,
    /// `host[:port]` clients are told to connect to (INFO `host`/`port`), when not the listener's.
    pub client_advertise: Option<String>,
    /// Largest accepted payload, in bytes.
    pub max_payload: u32,
    /// Longest accepted control line (op arguments), in bytes.
    pub max_control_line: u32,
    /// Most client connections at once.
    pub max_connections: u32,
    /// Most subscriptions per connection; 0 is unlimited.
    pub max_subscriptions: u32,
    /// Most unsent bytes queued for a client before it is cut off as a slow consumer.
    pub max_pending: u64,
    /// Longest a write to a client may make no progress before it is cut off.
    pub write_deadline: Duration,
    /// Time between server PINGs on an idle connection.
    pub ping_interval: Duration,
    /// Unanswered PINGs after which a connection is stale.
    pub ping_max: u32,
    /// Refuse HPUB and strip headers from every delivery.
    pub no_header_support: bool,
    /// Disable the shared Sublist result cache.
    pub no_sublist_cache: bool,
    /// Never pause a publisher for a consumer that falls behind; it is cut off at
    /// `max_pending` instead.
    pub no_fast_producer_stall: bool,
    /// How clients must authenticate.
    pub auth: Authentication,
    /// How long a client may take to send CONNECT when authentication is required.
    pub auth_timeout: Duration,
    /// The `authorization` block's users: name and password, or NKey, with permissions.
    pub users: Vec<User>,
    /// Permissions of the users listed without their own.
    pub default_permissions: Option<Permissions>,
    /// The user a client that sends no credentials connects as (one of `users`).
    pub no_auth_user: Option<String>,
    /// The accounts besides `$G`: their exports and imports (their users are in `users`).
    pub accounts: Vec<AccountConfig>,
    /// The account whose users see the server's events and may ask it questions; `$SYS`
    /// (created when not configured) unless named here.
    pub system_account: Option<String>,
    /// Runs without a system account (and without its events and requests).
    pub no_system_account: bool,
    /// Longest payload shown by protocol tracing; 0 shows all of it.
    pub max_traced_msg_len: usize,
    /// In lame duck mode, the time over which clients are closed (grace period included).
    pub lame_duck_duration: Duration,
    /// In lame duck mode, the wait before the first client is closed.
    pub lame_duck_grace_period: Duration,
    /// Closed connections remembered for monitoring.
    pub max_closed_clients: usize,
    /// Address of the monitoring HTTP listener (the reference defaults it to `host`).
    pub http_host: Option<String>,
    /// Port of the monitoring HTTP listener; `None` is off, 0 picks a free port.
    pub http_port: Option<u16>,
    /// Prefix for every monitoring path, e.g. `/nats`.
    pub http_base_path: String,
    /// Write the process id to this file at start.
    pub pid_file: Option<PathBuf>,
    /// The configuration file these options were read from, if any (for logs and `/varz`).
    pub config_file: Option<PathBuf>,
    /// The configuration file's digest, `sha256:<hex>`.
    pub config_digest: String,
    /// Write `<executable>_<pid>.ports` with the client URLs into this directory while running.
    pub ports_file_dir: Option<PathBuf>,
    /// TLS for client connections (and HTTPS monitoring); `None` is plaintext only.
    pub tls: Option<TlsOptions>,
    /// With `tls`, accept plaintext clients too (INFO says `tls_available`).
    pub allow_non_tls: bool,
    /// Port of the monitoring HTTPS listener (with `tls`'s certificate); 0 picks a free port.
    pub https_port: Option<u16>,
    /// Operator mode (JWT authentication): trusted operators and the account resolver.
    pub operator: Option<crate::operator::OperatorOptions>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            host: "0.0.0.0".to_owned(),
            port: DEFAULT_PORT,
            server_name: None,
            client_advertise: None,
            max_payload: DEFAULT_MAX_PAYLOAD,
            max_control_line: DEFAULT_MAX_CONTROL_LINE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_subscriptions: 0,
            max_pending: DEFAULT_MAX_PENDING,
            write_deadline: DEFAULT_WRITE_DEADLINE,
            ping_interval: DEFAULT_PING_INTERVAL,
            ping_max: DEFAULT_PING_MAX,
            no_header_support: false,
            no_sublist_cache: false,
            no_fast_producer_stall: false,
            auth: Authentication::None,
            auth_timeout: DEFAULT_AUTH_TIMEOUT,
            users: Vec::new(),
            default_permissions: None,
            no_auth_user: None,
            accounts: Vec::new(),
            system_account: None,
            no_system_account: false,
            max_traced_msg_len: 0,
            lame_duck_duration: DEFAULT_LAME_DUCK_DURATION,
            lame_duck_grace_period: DEFAULT_LAME_DUCK_GRACE_PERIOD,
            max_closed_clients: DEFAULT_MAX_CLOSED_CLIENTS,
            http_host: None,
            http_port: None,
            http_base_path: String::new(),
            pid_file: None,
            config_file: None,
            config_digest: String::new(),
            ports_file_dir: None,
            tls: None,
            allow_non_tls: false,
            https_port: None,
            operator: None,
        }
    }
}

impl Options {
    /// Options for a server on a free port of the loopback interface: what tests and
    /// embedders usually want.
    pub fn local() -> Self {
        Options {
            host: "127.0.0.1".to_owned(),
            port: 0,
            ..Options::default()
        }
    }
}

/// The single-identity authentication of the command line (`--user/--pass`, `--auth`).
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Authentication {
    /// Anyone may connect.
    #[default]
    None,
    /// CONNECT must carry this token.
    Token(String),
    /// CONNECT must carry this user and password.
    UserPassword {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
}

impl std::fmt::Debug for Authentication {
    /// Never prints secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Authentication::None => f.write_str("None"),
            Authentication::Token(_) => f.write_str("Token(<redacted>)"),
            Authentication::UserPassword { user, .. } => {
                write!(f, "UserPassword {{ user: {user:?}, password: <redacted> }}")
            }
        }
    }
}

impl Authentication {
    /// Whether clients must authenticate.
    pub fn is_required(&self) -> bool {
        !matches!(self, Authentication::None)
    }
}
