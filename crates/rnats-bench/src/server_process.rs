//! Starting and stopping a server process (rnats or the reference nats-server; same flags and
//! same log lines).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::bail;
use crate::error::{Context, Result};

/// How long a server may take to say it is ready.
const START_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a server may take to exit after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Log lines kept for error messages.
const LOG_TAIL: usize = 40;

const LISTENING: &str = "Listening for client connections on ";
const READY: &str = "Server is ready";

/// A running server, stopped (SIGTERM, then SIGKILL) when dropped.
pub struct ServerProcess {
    child: Child,
    /// Where it accepts clients.
    pub addr: SocketAddr,
    path: PathBuf,
    log: Arc<Mutex<VecDeque<String>>>,
}

impl ServerProcess {
    /// Starts `path -a 127.0.0.1 -p -1` and waits until it logs that it is ready.
    pub fn start(path: &Path) -> Result<Self> {
        let mut child = Command::new(path)
            .args(["-a", "127.0.0.1", "-p", "-1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context(format_args!("starting {}", path.display()))?;
        let Some(stderr) = child.stderr.take() else {
            bail!("no stderr pipe for {}", path.display());
        };
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let (lines_tx, lines_rx) = mpsc::channel();
        let tail = Arc::clone(&log);
        // The log must be drained for the server's whole life, or it blocks once the pipe fills.
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Ok(mut tail) = tail.lock() {
                    if tail.len() == LOG_TAIL {
                        tail.pop_front();
                    }
                    tail.push_back(line.clone());
                }
                let _ = lines_tx.send(line);
            }
        });

        let mut server = Self {
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            path: path.to_path_buf(),
            log,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        let mut port = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines_rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(p) = listening_port(&line) {
                        port = Some(p);
                    }
                    if line.contains(READY) {
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    bail!(
                        "{} did not log '{READY}' within {START_TIMEOUT:?}; log:\n{}",
                        path.display(),
                        server.log_tail()
                    )
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = server.child.wait().map(|s| s.to_string());
                    bail!(
                        "{} exited before it was ready ({}); log:\n{}",
                        path.display(),
                        status.unwrap_or_else(|e| e.to_string()),
                        server.log_tail()
                    )
                }
            }
        }
        let Some(port) = port else {
            bail!(
                "{} was ready without logging '{LISTENING}<addr>'",
                path.display()
            );
        };
        server.addr.set_port(port);
        Ok(server)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last lines the server logged, for error messages.
    pub fn log_tail(&self) -> String {
        self.log
            .lock()
            .map(|t| t.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }

    /// Log lines at warning or error level so far (slow consumers and the like).
    pub fn warnings(&self) -> Vec<String> {
        self.log
            .lock()
            .map(|t| {
                t.iter()
                    .filter(|l| l.contains("[WRN]") || l.contains("[ERR]") || l.contains("[FTL]"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Stops the server: SIGTERM, then SIGKILL if it has not exited after a grace period.
    pub fn stop(mut self) -> Result<()> {
        stop_child(&mut self.child, STOP_GRACE)
            .context(format_args!("stopping {}", self.path.display()))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Already reaped by `stop`, or stopping on an error path: best effort either way.
        if let Ok(None) = self.child.try_wait() {
            let _ = stop_child(&mut self.child, STOP_GRACE);
        }
    }
}

/// Sends SIGTERM, waits up to `grace`, then kills. Reaps the child either way.
pub fn stop_child(child: &mut Child, grace: Duration) -> Result<()> {
    if child.try_wait()?.is_some() {
        return Ok(());
    }
    let pid = libc::pid_t::try_from(child.id()).context("pid out of range")?;
    // SAFETY: kill has no memory preconditions; the pid is our own unreaped child, so it
    // cannot have been reused by another process.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(5));
    }
    child.kill()?;
    child.wait()?;
    bail!("did not exit within {grace:?} of SIGTERM; killed")
}

/// The port in a `... Listening for client connections on 127.0.0.1:4222` log line.
pub fn listening_port(line: &str) -> Option<u16> {
    let rest = &line[line.find(LISTENING)? + LISTENING.len()..];
    let addr = rest.split_whitespace().next()?;
    addr.rsplit(':').next()?.parse().ok()
}

/// Runs `path -v` and returns what it printed (either stream), trimmed.
pub fn version(path: &Path) -> Result<String> {
    let out = Command::new(path)
        .arg("-v")
        .output()
        .context(format_args!("running {} -v", path.display()))?;
    let mut text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if text.is_empty() {
        text = String::from_utf8_lossy(&out.stderr).trim().to_string();
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_from_log_line() {
        let line = "[3481] 2026/11/22 00:34:50.843298 [INF] Listening for client connections on 127.0.0.1:36799";
        assert_eq!(listening_port(line), Some(36799));
        assert_eq!(
            listening_port("[INF] Listening for client connections on [::1]:4222"),
            Some(4222)
        );
        assert_eq!(listening_port("[INF] Server is ready"), None);
    }
}
