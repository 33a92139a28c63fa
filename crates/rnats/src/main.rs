//! rnats: a NATS server that is a drop-in replacement for nats-server.

mod cli;
mod logging;
mod signal_command;
mod signals;

use std::process::ExitCode;

use rnats_server::{COMPATIBLE_VERSION, Server};
use tokio::task::JoinHandle;

use crate::cli::{Action, Cli, CliError, USAGE};
use crate::logging::{LogSettings, Logger};
use crate::signals::{Signals, Trapped};

fn main() -> ExitCode {
    let cli = match Cli::parse(std::env::args().skip(1)) {
        Ok(cli) => cli,
        Err(error @ (CliError::UnrecognizedCommand(_) | CliError::NotSupported { .. })) => {
            let _ = Logger::install(&LogSettings::default());
            logging::fatal(&error);
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("{error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match &cli.action {
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
        Action::Signal(spec) => {
            return match signal_command::send(spec) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("rnats: {message}");
                    ExitCode::FAILURE
                }
            };
        }
        Action::Run => {}
    }
    let logger = match Logger::install(&cli.log) {
        Ok(logger) => logger,
        Err(error) => {
            eprintln!("rnats: cannot open log file: {error}");
            return ExitCode::FAILURE;
        }
    };
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
    runtime.block_on(run(cli, logger))
}

/// Runs the server until a signal ends it.
async fn run(cli: Cli, logger: Logger) -> ExitCode {
    let mut signals = match Signals::install() {
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
    let handle = server.handle();
    let mut server = Some(server);
    let mut lame_duck: Option<JoinHandle<()>> = None;
    loop {
        let trapped = tokio::select! {
            trapped = signals.next() => trapped,
            _ = finished(&mut lame_duck) => return ExitCode::SUCCESS,
        };
        match trapped {
            Trapped::Interrupt => break,
            // The reference lets a lame duck mode in progress finish on SIGTERM.
            Trapped::Terminate if lame_duck.is_some() => {}
            Trapped::Terminate => break,
            Trapped::ReopenLog => {
                if let Err(error) = logger.reopen() {
                    tracing::error!("Error re-opening the log file: {error}");
                }
            }
            Trapped::LameDuck => {
                if let Some(server) = server.take() {
                    lame_duck = Some(tokio::spawn(server.lame_duck()));
                }
            }
            Trapped::Reload => tracing::error!(
                "Failed to reload server configuration: can only reload config when a file is \
                 provided using -c or --config"
            ),
        }
    }
    handle.stop();
    if let Some(server) = server.take() {
        server.shutdown().await;
    }
    if let Some(task) = lame_duck {
        let _ = task.await;
    }
    ExitCode::SUCCESS
}

/// Completes when the lame duck mode in progress has shut the server down; never without one.
async fn finished(lame_duck: &mut Option<JoinHandle<()>>) {
    match lame_duck {
        Some(task) => {
            let _ = task.await;
            *lame_duck = None;
        }
        None => std::future::pending().await,
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
