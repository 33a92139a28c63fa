//! The server: its shared state, and the embedding API around it.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use parking_lot::{Mutex, RwLock};
use rnats_proto::ServerInfo;
use rustc_hash::FxHashMap;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::account::registry::Accounts;
use crate::account::{Account, Traffic};
use crate::auth::Authenticator;
use crate::client::ClientHandle;
use crate::client::info::ConnectionSnapshot;
use crate::listener;
use crate::options::Options;
use crate::process_files;
use crate::stats::{ServerStats, StatsSnapshot};
use crate::tls::{TlsError, TlsSetup};

/// The nats-server release whose protocol and behaviour rnats reproduces.
///
/// Clients read INFO `version` to decide which features they may use, so it names the
/// compatible nats-server release rather than rnats' own version.
pub const COMPATIBLE_VERSION: &str = "2.15.0";

/// A running server. Dropping it does not stop it; call [`Server::shutdown`].
pub struct Server {
    state: Arc<ServerState>,
    client_addr: SocketAddr,
    monitoring_addr: Option<SocketAddr>,
}

/// Why a server could not start.
#[derive(Debug)]
pub enum StartError {
    /// The client listener could not bind its address.
    Listen {
        /// The address it tried.
        addr: String,
        /// What the operating system said.
        source: io::Error,
    },
    /// The pid file could not be written.
    PidFile(io::Error),
    /// The ports file could not be written.
    PortsFile(io::Error),
    /// The TLS options cannot be used (files, key pair, settings).
    Tls(TlsError),
    /// HTTPS monitoring was asked for without a TLS certificate.
    HttpsWithoutTls,
    /// Both an HTTP and an HTTPS monitoring port were given.
    HttpAndHttps {
        /// The HTTP port.
        http: u16,
        /// The HTTPS port.
        https: u16,
    },
    /// The accounts' imports and exports do not fit together (the reference's text).
    Accounts(String),
    /// The monitoring listener could not bind its address.
    Monitor {
        /// The address it tried.
        addr: String,
        /// What the operating system said.
        source: io::Error,
    },
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Listen { addr, source } => {
                write!(f, "Error listening on port: {addr}, \"{source}\"")
            }
            StartError::PidFile(source) => write!(f, "Could not write pidfile: {source}"),
            StartError::PortsFile(source) => write!(f, "Error writing ports file: {source}"),
            StartError::Tls(error) => write!(f, "{error}"),
            StartError::Accounts(error) => f.write_str(error),
            StartError::HttpsWithoutTls => {
                f.write_str("Can't start monitoring: TLS cert and key required for HTTPS")
            }
            StartError::HttpAndHttps { http, https } => write!(
                f,
                "Can't start monitoring: can't specify both HTTP ({http}) and HTTPs ({https}) ports"
            ),
            StartError::Monitor { addr, source } => write!(
                f,
                "Can't start monitoring: can't listen to the monitor port: listen tcp {addr}: {source}"
            ),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Listen { source, .. }
            | StartError::PidFile(source)
            | StartError::PortsFile(source)
            | StartError::Monitor { source, .. } => Some(source),
            StartError::Tls(error) => Some(error),
            StartError::HttpsWithoutTls
            | StartError::HttpAndHttps { .. }
            | StartError::Accounts(_) => None,
        }
    }
}

impl Server {
    /// Starts a server in the current tokio runtime; it accepts clients when this returns.
    pub async fn start(options: Options) -> Result<Server, StartError> {
        let server_id = nkeys::KeyPair::new_server().public_key();
        let server_name = options
            .server_name
            .clone()
            .unwrap_or_else(|| server_id.clone());
        tracing::info!("Starting rnats");
        tracing::info!(
            "  Version:  {} (nats-server {COMPATIBLE_VERSION} compatible)",
            env!("CARGO_PKG_VERSION")
        );
        tracing::info!("  Name:     {server_name}");
        tracing::info!("  ID:       {server_id}");
        if crate::auth::has_plaintext_passwords(&options) {
            tracing::warn!("{}", crate::auth::PLAINTEXT_WARNING);
        }
        if let Some(path) = &options.config_file {
            let digest = &options.config_digest;
            tracing::info!("Using configuration file: {} ({digest})", path.display());
        }
        let tls = TlsSetup::build(&options).map_err(StartError::Tls)?;
        let mut accounts = Accounts::build(&options.accounts, !options.no_sublist_cache)
            .map_err(StartError::Accounts)?;
        let operator = crate::operator::start(&options).map_err(StartError::Accounts)?;
        let system = crate::system::resolve(
            &options,
            &mut accounts,
            !options.no_sublist_cache,
            operator.as_deref(),
        )
        .map_err(StartError::Accounts)?;
        if let (Some(http), Some(https)) = (options.http_port, options.https_port) {
            return Err(StartError::HttpAndHttps { http, https });
        }
        if options.https_port.is_some() && tls.is_none() {
            return Err(StartError::HttpsWithoutTls);
        }
        if let Some(path) = &options.pid_file {
            process_files::write_pid_file(path).map_err(StartError::PidFile)?;
        }
        let bind = display_addr(&options.host, options.port);
        let listen_error = |source| StartError::Listen {
            addr: bind.clone(),
            source,
        };
        let listener = TcpListener::bind(&bind).await.map_err(listen_error)?;
        let client_addr = listener.local_addr().map_err(listen_error)?;
        let state = Arc::new(ServerState::new(
            options,
            accounts,
            system,
            tls,
            server_id,
            server_name,
            client_addr,
        ));
        if let Some(operator) = operator {
            let _ = state.operator.set(operator);
        }
        crate::system::start(&state);
        let options = state.options();
        let monitoring_addr =
            match options.http_port.or(options.https_port) {
                Some(_) => Some(crate::monitor::start(&state).await.map_err(|error| {
                    StartError::Monitor {
                        addr: error.addr,
                        source: error.source,
                    }
                })?),
                None => None,
            };
        let port = client_addr.port();
        tracing::info!(
            "Listening for client connections on {}",
            display_addr(&options.host, port)
        );
        if let Some(tls) = &options.tls {
            if options.allow_non_tls {
                tracing::info!("TLS available for client connections");
            } else {
                tracing::info!("TLS required for client connections");
            }
            if tls.handshake_first == crate::tls::HandshakeFirst::On {
                tracing::warn!(
                    "Clients that are not using \"TLS Handshake First\" option will fail to connect"
                );
            }
        }
        if let Some(dir) = &options.ports_file_dir {
            let path = process_files::write_ports_file(dir, &options.host, port)
                .map_err(StartError::PortsFile)?;
            *state.ports_file.lock() = Some(path);
        }
        state
            .tasks
            .spawn(listener::accept_loop(state.clone(), listener));
        tracing::info!("Server is ready");
        Ok(Server {
            state,
            client_addr,
            monitoring_addr,
        })
    }

    /// A handle other tasks can use to act on the server while something else owns it.
    pub fn handle(&self) -> ServerHandle {
        ServerHandle {
            state: self.state.clone(),
        }
    }

    /// The state every task of this server shares.
    pub(crate) fn state(&self) -> &Arc<ServerState> {
        &self.state
    }

    /// The address the client listener is bound to.
    pub fn client_addr(&self) -> SocketAddr {
        self.client_addr
    }

    /// The address the monitoring HTTP listener is bound to, when monitoring is on.
    pub fn monitoring_addr(&self) -> Option<SocketAddr> {
        self.monitoring_addr
    }

    /// A URL clients can connect to, e.g. `nats://127.0.0.1:4222`.
    pub fn client_url(&self) -> String {
        let host = match self.client_addr.ip() {
            ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
            ip => ip.to_string(),
        };
        format!("nats://{}", display_addr(&host, self.client_addr.port()))
    }

    /// The server's public NKey, as sent in INFO `server_id`.
    pub fn server_id(&self) -> &str {
        &self.state.server_id
    }

    /// The server's name, as sent in INFO `server_name`.
    pub fn server_name(&self) -> &str {
        &self.state.server_name
    }

    /// The options the server runs with now (a reload replaces them).
    pub fn options(&self) -> Arc<Options> {
        self.state.options()
    }

    /// Message and connection counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.state.stats.snapshot()
    }

    /// Client connections open now.
    pub fn num_connections(&self) -> usize {
        self.state.connection_count()
    }

    /// Subscriptions held now, across all clients (of the global account); those that
    /// stand for the system account's imports are not clients'.
    pub fn num_subscriptions(&self) -> usize {
        self.state.global_account.client_subscriptions()
    }

    /// Stops accepting, closes every client and waits until all connection tasks are done.
    pub async fn shutdown(self) {
        tracing::info!("Initiating Shutdown...");
        crate::system::shutting_down(&self.state);
        self.state.shutdown.cancel();
        self.state.tasks.close();
        self.state.tasks.wait().await;
        if let Some(path) = self.state.ports_file.lock().take() {
            let _ = std::fs::remove_file(path);
        }
        tracing::info!("Server Exiting..");
    }
}

/// A cheap, cloneable handle on a running server (for signal handlers, for instance).
#[derive(Clone)]
pub struct ServerHandle {
    state: Arc<ServerState>,
}

impl ServerHandle {
    /// Asks the server to shut down; `Server::shutdown` (or a lame duck mode in progress)
    /// completes it.
    pub fn stop(&self) {
        self.state.shutdown.cancel();
    }

    /// Reload requests from the system account (`$SYS.REQ.SERVER.<id>.RELOAD`): whoever
    /// reads the configuration file takes them, reloads and sends the outcome back. Until
    /// this is called (and after a second call), such requests are refused.
    pub fn reload_requests(&self) -> tokio::sync::mpsc::Receiver<crate::system::ReloadRequest> {
        let (sender, receiver) = crate::system::reload_channel();
        let _ = self.state.reload_requests.set(sender);
        receiver
    }

    /// The state of the server this handle acts on.
    pub(crate) fn state(&self) -> &Arc<ServerState> {
        &self.state
    }
}

/// `host:port`, with brackets around an IPv6 host.
fn display_addr(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The host and port INFO tells clients: `client_advertise` when set, else the listener's.
fn advertised(options: &Options, listen_port: u16) -> (String, u16) {
    let Some(advertise) = options.client_advertise.as_deref() else {
        return (options.host.clone(), listen_port);
    };
    if let Some((host, port)) = advertise.rsplit_once(':')
        && let Ok(port) = port.parse::<u16>()
        && !host.is_empty()
    {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        return (host.to_owned(), port);
    }
    (advertise.to_owned(), listen_port)
}

/// What every task of a server shares.
pub(crate) struct ServerState {
    /// The options now, with the INFO they make; a reload replaces both at once.
    settings: RwLock<Settings>,
    /// Bumped by every reload, so connections know to pick up the new options.
    options_generation: AtomicU64,
    /// Held for the whole of a reload, so reloads happen one after the other.
    pub(crate) reloading: Mutex<()>,
    pub(crate) server_id: String,
    pub(crate) server_name: String,
    /// The port the client listener is bound to (INFO advertises it).
    pub(crate) client_port: u16,
    /// The ports file written at start (or by a reload); removed at shutdown, as the
    /// reference does.
    pub(crate) ports_file: Mutex<Option<std::path::PathBuf>>,
    pub(crate) global_account: Arc<Account>,
    /// The system account and the server's client in it, unless `no_system_account`.
    pub(crate) system: Option<crate::system::System>,
    /// Operator mode's trusted operators and accounts, set once at start.
    pub(crate) operator: std::sync::OnceLock<Arc<crate::operator::OperatorMode>>,
    clients: Mutex<FxHashMap<u64, Arc<ClientHandle>>>,
    /// The last `max_closed_clients` closed connections, oldest first.
    closed: Mutex<VecDeque<ConnectionSnapshot>>,
    next_client_id: AtomicU64,
    /// When the server started.
    pub(crate) started: SystemTime,
    /// When the options were last loaded: at start, then at every reload.
    pub(crate) config_loaded: Mutex<SystemTime>,
    /// Where the system account's `RELOAD` requests go, once someone reloads the
    /// configuration file (see [`ServerHandle::reload_requests`]).
    pub(crate) reload_requests:
        std::sync::OnceLock<tokio::sync::mpsc::Sender<crate::system::ReloadRequest>>,
    /// Monitoring HTTP requests per endpoint (`/varz` `http_req_stats`); the system
    /// account's requests for the same documents are not counted, as in the reference.
    pub(crate) http_requests: Mutex<std::collections::BTreeMap<&'static str, u64>>,
    pub(crate) stats: ServerStats,
    /// Cancelled when the server shuts down.
    pub(crate) shutdown: CancellationToken,
    /// Cancelled when the server stops accepting clients: at shutdown, or in lame duck mode.
    pub(crate) accepting: CancellationToken,
    /// Cancelled once the client listener is closed, after `accepting` was cancelled.
    pub(crate) listener_closed: CancellationToken,
    /// Every task of the server, so shutdown can wait for them.
    pub(crate) tasks: TaskTracker,
}

/// Options and the INFO template made from them, replaced together.
struct Settings {
    options: Arc<Options>,
    /// The INFO clients get, without the per-client fields.
    info: ServerInfo,
    /// The TLS configuration built from the options, for new connections.
    tls: Option<Arc<TlsSetup>>,
    /// The identities and permissions built from the options.
    auth: Arc<Authenticator>,
    /// Every account by name, `$G` included, as the options configure them. Clients hold
    /// their own account, so publishing never reads this.
    accounts: Arc<Accounts>,
}

impl Settings {
    fn new(
        options: Options,
        accounts: Arc<Accounts>,
        tls: Option<Arc<TlsSetup>>,
        server_id: &str,
        server_name: &str,
        client_port: u16,
    ) -> Self {
        let (host, port) = advertised(&options, client_port);
        let auth = Arc::new(Authenticator::new(&options));
        let info = ServerInfo {
            server_id: server_id.to_owned(),
            server_name: server_name.to_owned(),
            version: COMPATIBLE_VERSION.to_owned(),
            proto: 1,
            go: concat!("rnats ", env!("CARGO_PKG_VERSION")).to_owned(),
            host,
            port,
            headers: !options.no_header_support,
            auth_required: auth.info_auth_required(),
            tls_required: tls.is_some() && !options.allow_non_tls,
            tls_verify: tls
                .as_ref()
                .is_some_and(|tls| tls.options.requires_client_cert()),
            tls_available: tls.is_some() && options.allow_non_tls,
            max_payload: i32::try_from(options.max_payload).unwrap_or(i32::MAX),
            ..ServerInfo::default()
        };
        Settings {
            options: Arc::new(options),
            info,
            tls,
            auth,
            accounts,
        }
    }
}

impl ServerState {
    fn new(
        options: Options,
        accounts: Accounts,
        system: Option<crate::system::System>,
        tls: Option<Arc<TlsSetup>>,
        server_id: String,
        server_name: String,
        client_addr: SocketAddr,
    ) -> Self {
        let client_port = client_addr.port();
        let shutdown = CancellationToken::new();
        ServerState {
            global_account: accounts.global.clone(),
            system,
            operator: std::sync::OnceLock::new(),
            settings: RwLock::new(Settings::new(
                options,
                Arc::new(accounts),
                tls,
                &server_id,
                &server_name,
                client_port,
            )),
            options_generation: AtomicU64::new(0),
            reloading: Mutex::new(()),
            server_id,
            server_name,
            client_port,
            ports_file: Mutex::new(None),
            clients: Mutex::new(FxHashMap::default()),
            closed: Mutex::new(VecDeque::new()),
            next_client_id: AtomicU64::new(1),
            started: SystemTime::now(),
            config_loaded: Mutex::new(SystemTime::now()),
            http_requests: Mutex::new(std::collections::BTreeMap::new()),
            reload_requests: std::sync::OnceLock::new(),
            stats: ServerStats::default(),
            accepting: shutdown.child_token(),
            listener_closed: CancellationToken::new(),
            shutdown,
            tasks: TaskTracker::new(),
        }
    }

    /// The options now.
    pub(crate) fn options(&self) -> Arc<Options> {
        self.settings.read().options.clone()
    }

    /// Changes whenever the options are replaced.
    pub(crate) fn options_generation(&self) -> u64 {
        self.options_generation.load(Ordering::Acquire)
    }

    /// The identities and permissions clients are checked against.
    pub(crate) fn authenticator(&self) -> Arc<Authenticator> {
        self.settings.read().auth.clone()
    }

    /// The TLS configuration for new connections, when TLS is on.
    pub(crate) fn tls(&self) -> Option<Arc<TlsSetup>> {
        self.settings.read().tls.clone()
    }

    /// Every account by name, as the options now configure them.
    pub(crate) fn accounts(&self) -> Arc<Accounts> {
        self.settings.read().accounts.clone()
    }

    /// The account named `name`: configured (`$G` and the system account included) or, in
    /// operator mode, made from its JWT.
    pub(crate) fn find_account(&self, name: &str) -> Option<Arc<Account>> {
        if let Some(account) = self.accounts().get(name) {
            return Some(account.clone());
        }
        self.operator.get()?.made_account(name)
    }

    /// Subscriptions in every account, those internal and those standing for imports
    /// included (`/varz` `subscriptions`, the statsz heartbeat).
    pub(crate) fn subscription_count(&self) -> usize {
        self.every_account().iter().map(|a| a.sublist.count()).sum()
    }

    /// Every account in use: the configured ones by name, then those operator mode made
    /// (the system account once).
    pub(crate) fn every_account(&self) -> Vec<Arc<Account>> {
        let mut every: Vec<Arc<Account>> = self.accounts().all().cloned().collect();
        if let Some(operator) = self.operator.get() {
            let mut made = operator.made_accounts();
            made.sort_by(|a, b| a.name.cmp(&b.name));
            for account in made {
                if !every.iter().any(|known| Arc::ptr_eq(known, &account)) {
                    every.push(account);
                }
            }
        }
        every
    }

    /// Replaces the options and the accounts made from them (a reload) and wakes every
    /// reader to pick them up.
    pub(crate) fn replace_options(
        &self,
        options: Options,
        accounts: Arc<Accounts>,
        tls: Option<Arc<TlsSetup>>,
    ) {
        let settings = Settings::new(
            options,
            accounts,
            tls,
            &self.server_id,
            &self.server_name,
            self.client_port,
        );
        *self.settings.write() = settings;
        *self.config_loaded.lock() = SystemTime::now();
        self.options_generation.fetch_add(1, Ordering::AcqRel);
        for client in self.client_handles() {
            client.wake_reader();
        }
    }

    /// A fresh connection id.
    pub(crate) fn next_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The INFO for one client.
    pub(crate) fn client_info(&self, client_id: u64, addr: SocketAddr) -> ServerInfo {
        ServerInfo {
            client_id,
            client_ip: addr.ip().to_string(),
            ..self.settings.read().info.clone()
        }
    }

    /// The first INFO a client gets: `client_info` with the connection's NKey nonce.
    pub(crate) fn first_info(&self, client: &ClientHandle) -> ServerInfo {
        ServerInfo {
            nonce: client.nonce.clone(),
            ..self.client_info(client.id, client.addr)
        }
    }

    /// Admits a client unless the server is at `max_connections`.
    pub(crate) fn register(&self, client: &Arc<ClientHandle>) -> bool {
        let mut clients = self.clients.lock();
        if clients.len() >= self.options().max_connections as usize {
            return false;
        }
        clients.insert(client.id, client.clone());
        self.stats.add_connection();
        true
    }

    /// Forgets a closed client, keeping its last snapshot for monitoring.
    pub(crate) fn deregister(&self, client: &ClientHandle, last: ConnectionSnapshot) {
        self.clients.lock().remove(&client.id);
        if client.is_bound() {
            client.account().release_client_place();
        }
        client.account().record_closed(Traffic {
            in_msgs: last.in_msgs,
            in_bytes: last.in_bytes,
            out_msgs: last.out_msgs,
            out_bytes: last.out_bytes,
        });
        crate::system::client_disconnected(self, client, &last);
        let limit = self.options().max_closed_clients;
        if limit == 0 {
            return;
        }
        let mut closed = self.closed.lock();
        while closed.len() >= limit {
            closed.pop_front();
        }
        closed.push_back(last);
    }

    /// Snapshots of the open connections, by connection id.
    pub(crate) fn open_connections(&self, with_subscriptions: bool) -> Vec<ConnectionSnapshot> {
        let clients: Vec<Arc<ClientHandle>> = self.clients.lock().values().cloned().collect();
        let mut snapshots: Vec<_> = clients
            .iter()
            .map(|c| c.snapshot(with_subscriptions))
            .collect();
        snapshots.sort_by_key(|s| s.cid);
        snapshots
    }

    /// Snapshots of the connections closed most recently, oldest first.
    pub(crate) fn closed_connections(&self) -> Vec<ConnectionSnapshot> {
        self.closed.lock().iter().cloned().collect()
    }

    /// The open clients, in no particular order.
    pub(crate) fn client_handles(&self) -> Vec<Arc<ClientHandle>> {
        self.clients.lock().values().cloned().collect()
    }

    /// The open connection with id `id`, if it is still open.
    pub(crate) fn client(&self, id: u64) -> Option<Arc<ClientHandle>> {
        self.clients.lock().get(&id).cloned()
    }

    /// The number of connections open now.
    pub(crate) fn connection_count(&self) -> usize {
        self.clients.lock().len()
    }
}
