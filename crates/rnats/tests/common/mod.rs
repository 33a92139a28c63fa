//! The test harness for rnats as a process: start it, read its stderr lines as they come,
//! signal it, wait for it to exit.

#![allow(
    dead_code,
    reason = "each test binary uses its own part of the harness"
)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

pub const PATIENCE: Duration = Duration::from_secs(10);

/// A running rnats process whose stderr lines are collected as they arrive.
pub struct Process {
    pub child: Child,
    lines: Receiver<String>,
    pub seen: Vec<String>,
}

impl Process {
    pub fn start(args: &[&str]) -> Process {
        Process::start_program(std::path::Path::new(env!("CARGO_BIN_EXE_rnats")), args)
    }

    /// Starts another server binary (the reference) the same way.
    pub fn start_program(program: &std::path::Path, args: &[&str]) -> Process {
        let mut child = Command::new(program)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("rnats starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Process {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a stderr line containing `needle` and returns it.
    pub fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no line with {needle:?} in {:#?}", self.seen)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("stderr closed before {needle:?}: {:#?}", self.seen)
                }
            }
        }
    }

    /// Waits until the server is ready and returns its client port.
    pub fn ready(&mut self) -> u16 {
        let listening = self.wait_for("Listening for client connections on ");
        self.wait_for("Server is ready");
        let address = listening
            .rsplit(' ')
            .next()
            .expect("an address ends the line");
        address
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port ends the address")
    }

    pub fn signal(&self, signal: i32) {
        let pid = i32::try_from(self.child.id()).expect("pid fits");
        // SAFETY: kill(2) on a child process we own; no memory is involved.
        let result = unsafe { libc::kill(pid, signal) };
        assert_eq!(result, 0, "signal delivered");
    }

    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait works") {
                // Collect the remaining lines: the pipe is closed, so this ends.
                while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
                    self.seen.push(line);
                }
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "rnats did not exit: {:#?}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn run_to_end(args: &[&str]) -> (ExitStatus, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_rnats"))
        .args(args)
        .output()
        .expect("runs");
    (
        output.status,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rnats-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
