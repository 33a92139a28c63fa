//! rnats: a NATS server that is a drop-in replacement for nats-server.

mod cli;
mod logging;

use std::process::ExitCode;

use rnats_server::{COMPATIBLE_VERSION, Server};
use tokio::signal::unix::{SignalKind, signal};

use crate::cli::{Action, Cli, CliError, USAGE};

fn main() -> ExitCode {
    let cli = match Cli::parse(std::env::args().skip(1)) {
        Ok(cli) => cli,
        Err(error @ (CliError::UnrecognizedCommand(_) | CliError::NotSupported { .. })) => {
            let _ = logging::init(&cli::LogSettings::default());
            logging::fatal(&error);
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("{error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match cli.action {
        Action::Help => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Action::Version => {
            println!(
                "rnats: v{} (nats-server v{COMPATIBLE_VERSION} compatible)",
                env!("CARGO_PKG_VERSION")
            );
            return ExitCode::SUCCESS;
        }
        Action::Run => {}
    }
    if let Err(error) = logging::init(&cli.log) {
        eprintln!("rnats: cannot open log file: {error}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            logging::fatal(format!("cannot start the runtime: {error}"));
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    let mut signals = match Signals::new() {
        Ok(signals) => signals,
        Err(error) => {
            logging::fatal(format!("cannot install signal handlers: {error}"));
            return ExitCode::FAILURE;
        }
    };
    let server = match Server::start(cli.options).await {
        Ok(server) => server,
        Err(error) => {
            logging::fatal(error);
            return ExitCode::FAILURE;
        }
    };
    signals.until_shutdown().await;
    server.shutdown().await;
    ExitCode::SUCCESS
}

/// The signals nats-server reacts to.
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
    user1: tokio::signal::unix::Signal,
    user2: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
            user1: signal(SignalKind::user_defined1())?,
            user2: signal(SignalKind::user_defined2())?,
        })
    }

    /// Waits for SIGINT or SIGTERM. Reload (SIGHUP), log reopening (SIGUSR1) and lame duck
    /// mode (SIGUSR2) are not built yet; they are logged instead of killing the process.
    async fn until_shutdown(&mut self) {
        loop {
            let name = tokio::select! {
                _ = self.interrupt.recv() => "interrupt",
                _ = self.terminate.recv() => "terminated",
                _ = self.hangup.recv() => {
                    tracing::warn!("Trapped \"hangup\" signal: configuration reload is not supported by rnats yet");
                    continue;
                }
                _ = self.user1.recv() => {
                    tracing::warn!("Trapped \"user defined signal 1\" signal: log file reopening is not supported by rnats yet");
                    continue;
                }
                _ = self.user2.recv() => {
                    tracing::warn!("Trapped \"user defined signal 2\" signal: lame duck mode is not supported by rnats yet");
                    continue;
                }
            };
            tracing::info!("Trapped \"{name}\" signal");
            return;
        }
    }
}

/// The C library's `pow`, from the `libm` crate (rust-lang's port of musl's libm).
///
/// tokio's multi-threaded scheduler calls `pow` (an average of task poll times), and it is
/// the only function rnats needs from the system's libm. Defining it here lets the linker
/// drop libm.so: about 0.5 MB less resident memory and one library less to load at start.
#[unsafe(no_mangle)]
pub extern "C" fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}
