//! The reference Go `nats-server`: installing it and running it on a random port.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The version the reference binary must report (`nats-server --version`).
pub const REFERENCE_VERSION: &str = "v2.15.0";

const INSTALL_SCRIPT: &str = "scripts/install-reference-server";
const READY_TIMEOUT: Duration = Duration::from_secs(10);
const LISTENING: &str = "Listening for client connections on ";
const READY: &str = "Server is ready";

/// The workspace root: the nearest ancestor of this crate's directory holding
/// `scripts/install-reference-server`.
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|dir| dir.join(INSTALL_SCRIPT).is_file())
        .unwrap_or_else(|| {
            panic!(
                "no ancestor of {} contains {INSTALL_SCRIPT}",
                here.display()
            )
        })
        .to_path_buf()
}

/// Path of a reference `nats-server` v2.15.0, installing it if needed.
///
/// The binary lives at `<workspace>/target/reference/nats-server`. If it is missing or reports
/// another version, `scripts/install-reference-server` is run for that directory while holding
/// an exclusive lock on `target/reference/.install.lock`, so concurrent test processes install
/// it once. The environment variable `RNATS_REFERENCE_SERVER` may name a binary to use instead
/// (it must still be v2.15.0). The result is cached for the process. Panics if the binary cannot
/// be installed.
pub fn reference_server_path() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(locate_or_install).clone()
}

fn locate_or_install() -> PathBuf {
    if let Some(path) = std::env::var_os("RNATS_REFERENCE_SERVER") {
        let path = PathBuf::from(path);
        assert!(
            is_reference(&path),
            "RNATS_REFERENCE_SERVER={} is not an executable nats-server {REFERENCE_VERSION}",
            path.display()
        );
        return path;
    }
    let root = workspace_root();
    let dir = root.join("target").join("reference");
    let bin = dir.join("nats-server");
    if is_reference(&bin) {
        return bin;
    }
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {} failed: {e}", dir.display()));
    let lock_path = dir.join(".install.lock");
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap_or_else(|e| panic!("opening {} failed: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("locking {} failed: {e}", lock_path.display()));
    // Another process may have installed it while this one waited for the lock.
    if !is_reference(&bin) {
        let script = root.join(INSTALL_SCRIPT);
        let out = Command::new("bash")
            .arg(&script)
            .arg(&dir)
            .current_dir(&root)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("running {} failed: {e}", script.display()));
        assert!(
            out.status.success() && is_reference(&bin),
            "installing the reference nats-server with `{} {}` failed ({}):\n{}{}",
            script.display(),
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    drop(lock);
    bin
}

fn is_reference(bin: &Path) -> bool {
    Command::new(bin)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| {
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains(REFERENCE_VERSION)
        })
}

/// A running reference `nats-server`, listening on 127.0.0.1. Killed and reaped on drop.
#[derive(Debug)]
pub struct ReferenceServer {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
    config: Option<PathBuf>,
}

/// Options for [`ReferenceServer`]; get one from [`ReferenceServer::builder`].
#[derive(Debug, Clone, Default)]
pub struct ReferenceServerBuilder {
    args: Vec<String>,
    config: Option<String>,
}

impl ReferenceServerBuilder {
    /// Adds command-line arguments, passed after `-a 127.0.0.1 -p -1` (so they override them).
    pub fn args<S: AsRef<str>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets configuration file text. It is written to a fresh file in the system temporary
    /// directory, passed with `-c`, and removed when the server is dropped. A `port` in it is
    /// overridden by the `-p -1` added unless the arguments give a port; likewise `host`.
    pub fn config(mut self, text: impl Into<String>) -> Self {
        self.config = Some(text.into());
        self
    }

    /// Starts the server and waits (up to 10 s) until it logs `Server is ready`. Blocks the
    /// calling thread; in async code use [`start_async`](Self::start_async). Panics if the
    /// server exits, or is not ready in time, with its log in the message.
    pub fn start(self) -> ReferenceServer {
        let bin = reference_server_path();
        let mut cmd = Command::new(&bin);
        cmd.args(["-a", "127.0.0.1"]);
        if !self.args.iter().any(|a| is_port_flag(a)) {
            cmd.args(["-p", "-1"]);
        }
        cmd.args(&self.args);
        let config = self.config.as_deref().map(write_config);
        if let Some(path) = &config {
            cmd.arg("-c").arg(path);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {} failed: {e}", bin.display()));
        let stderr = child.stderr.take().expect("child stderr is piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let thread_log = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stderr);
            let mut raw = Vec::new();
            loop {
                raw.clear();
                match reader.read_until(b'\n', &mut raw) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let line = String::from_utf8_lossy(&raw).trim_end().to_owned();
                if let Ok(mut log) = thread_log.lock() {
                    log.push(line.clone());
                }
                // After startup nobody listens; keep draining so the server never blocks.
                let _ = tx.send(line);
            }
        });
        let mut server = ReferenceServer {
            child,
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            log,
            config,
        };
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut addr = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(at) = line.find(LISTENING) {
                        addr = parse_listen_addr(&line[at + LISTENING.len()..]);
                    } else if line.contains(READY) {
                        break;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "reference nats-server not ready after {READY_TIMEOUT:?}:\n{}",
                        server.logs()
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = server.child.wait().map(|s| s.to_string());
                    panic!(
                        "reference nats-server exited during startup ({status:?}):\n{}",
                        server.logs()
                    )
                }
            }
        }
        server.addr = addr.unwrap_or_else(|| {
            panic!(
                "reference nats-server was ready without logging `{LISTENING}`:\n{}",
                server.logs()
            )
        });
        server
    }

    /// [`start`](Self::start) on tokio's blocking pool, for async tests that start servers
    /// concurrently.
    pub async fn start_async(self) -> ReferenceServer {
        tokio::task::spawn_blocking(move || self.start())
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }
}

impl ReferenceServer {
    /// Starts a server with extra command-line arguments (see [`ReferenceServerBuilder::start`]).
    pub fn start(args: &[&str]) -> ReferenceServer {
        Self::builder().args(args).start()
    }

    /// Starts a server with configuration file text and extra arguments.
    pub fn start_with_config(config: &str, args: &[&str]) -> ReferenceServer {
        Self::builder().config(config).args(args).start()
    }

    /// A builder, for async starts or combining arguments and configuration.
    pub fn builder() -> ReferenceServerBuilder {
        ReferenceServerBuilder::default()
    }

    /// The client address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Everything the server has logged so far, one line per log line.
    pub fn logs(&self) -> String {
        match self.log.lock() {
            Ok(log) => log.join("\n"),
            Err(poisoned) => poisoned.into_inner().join("\n"),
        }
    }
}

impl Drop for ReferenceServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(path) = &self.config {
            let _ = fs::remove_file(path);
        }
    }
}

fn is_port_flag(arg: &str) -> bool {
    let name = arg.trim_start_matches('-');
    let name = name.split('=').next().unwrap_or(name);
    arg.starts_with('-') && (name == "p" || name == "port")
}

/// Parses `127.0.0.1:4222` or `[::1]:4222`; an unspecified address becomes loopback.
fn parse_listen_addr(text: &str) -> Option<SocketAddr> {
    let mut addr: SocketAddr = text.trim().parse().ok()?;
    if addr.ip().is_unspecified() {
        addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    Some(addr)
}

fn write_config(text: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!(
        "rnats-testkit-{}-{}-{nanos}.conf",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let path = std::env::temp_dir().join(name);
    let mut file = File::options()
        .write(true)
        .create_new(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("creating config file {} failed: {e}", path.display()));
    file.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("writing config file {} failed: {e}", path.display()));
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_flags_are_recognised() {
        for arg in ["-p", "--p", "-port", "--port", "--port=4222", "-p=1"] {
            assert!(is_port_flag(arg), "{arg}");
        }
        for arg in ["-a", "4222", "--pass", "p", "-pid"] {
            assert!(!is_port_flag(arg), "{arg}");
        }
    }

    #[test]
    fn listen_addresses_parse() {
        assert_eq!(
            parse_listen_addr("127.0.0.1:14222"),
            Some("127.0.0.1:14222".parse().expect("literal"))
        );
        assert_eq!(
            parse_listen_addr("0.0.0.0:5"),
            Some("127.0.0.1:5".parse().expect("literal"))
        );
        assert_eq!(
            parse_listen_addr("[::1]:7"),
            Some("[::1]:7".parse().expect("literal"))
        );
        assert_eq!(parse_listen_addr("nonsense"), None);
    }
}
