//! The signals nats-server reacts to, as events for the main loop.

use std::io;

use tokio::signal::unix::{Signal, SignalKind, signal};

/// A signal the server acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trapped {
    /// SIGINT: shut down now.
    Interrupt,
    /// SIGTERM: shut down, unless lame duck mode is already taking care of it.
    Terminate,
    /// SIGHUP: reload the configuration file.
    Reload,
    /// SIGUSR1: reopen the log file.
    ReopenLog,
    /// SIGUSR2: enter lame duck mode.
    LameDuck,
}

/// The installed signal handlers.
pub struct Signals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
    user1: Signal,
    user2: Signal,
}

impl Signals {
    /// Installs the handlers; from now on these signals no longer kill the process.
    pub fn install() -> io::Result<Signals> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
            user1: signal(SignalKind::user_defined1())?,
            user2: signal(SignalKind::user_defined2())?,
        })
    }

    /// Waits for the next signal and logs it as the reference does.
    pub async fn next(&mut self) -> Trapped {
        let (trapped, name) = tokio::select! {
            _ = self.interrupt.recv() => (Trapped::Interrupt, "interrupt"),
            _ = self.terminate.recv() => (Trapped::Terminate, "terminated"),
            _ = self.hangup.recv() => (Trapped::Reload, "hangup"),
            _ = self.user1.recv() => (Trapped::ReopenLog, "user defined signal 1"),
            _ = self.user2.recv() => (Trapped::LameDuck, "user defined signal 2"),
        };
        tracing::info!("Trapped \"{name}\" signal");
        trapped
    }
}
