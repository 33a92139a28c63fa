//! rnats: a NATS server that is a drop-in replacement for nats-server.

mod cli;
mod config;
mod logging;
mod signal_command;
mod signals;

use std::process::ExitCode;

use rnats_server::{COMPATIBLE_VERSION, Options, Server, ServerHandle};
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
        Err(error @ CliError::Tls(_)) => {
            eprintln!("rnats: {error}");
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
        Action::HelpTls => {
            print!("{}", cli::TLS_USAGE);
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
    if cli.check_config {
        return check_config(&cli);
    }
    let settings = match Settings::read(&cli, false) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("rnats: {error}");
            return ExitCode::FAILURE;
        }
    };
    for warning in &settings.warnings {
        eprintln!("{warning}");
    }
    let logger = match Logger::install(&settings.log) {
        Ok(logger) => logger,
        Err(error) => {
            eprintln!("rnats: cannot open log file: {error}");
            return ExitCode::FAILURE;
        }
    };
    for (key, capability) in &settings.ignored_blocks {
        tracing::warn!("Ignoring the \"{key}\" block: rnats does not support {capability} yet");
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
    runtime.block_on(run(cli, settings, logger))
}

/// What the server runs with: the configuration file's settings (if any) with the flags
/// laid over them.
struct Settings {
    options: Options,
    log: LogSettings,
    warnings: Vec<String>,
    ignored_blocks: Vec<(String, &'static str)>,
}

impl Settings {
    /// Reads the configuration file (if any) and lays the flags over it.
    fn read(cli: &Cli, strict: bool) -> Result<Settings, config::ConfigError> {
        let mut settings = match &cli.config_file {
            Some(path) => {
                let file = config::load(path, strict)?;
                let mut options = file.options;
                options.config_file = Some(path.clone());
                options.config_digest = file.digest;
                Settings {
                    options,
                    log: file.log,
                    warnings: file.warnings,
                    ignored_blocks: file.ignored_blocks,
                }
            }
            None => Settings {
                options: Options::default(),
                log: LogSettings::default(),
                warnings: Vec::new(),
                ignored_blocks: Vec::new(),
            },
        };
        cli.overlay(&mut settings.options, &mut settings.log);
        Ok(settings)
    }
}

/// `-t`: checks the configuration file strictly and says whether it is valid.
fn check_config(cli: &Cli) -> ExitCode {
    let Some(path) = &cli.config_file else {
        eprintln!("rnats: must specify [-c, --config] option to check configuration file syntax");
        return ExitCode::FAILURE;
    };
    match Settings::read(cli, true) {
        Ok(settings) => {
            let digest = &settings.options.config_digest;
            eprintln!(
                "rnats: configuration file {} is valid ({digest})",
                path.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("rnats: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the server until a signal ends it.
async fn run(cli: Cli, settings: Settings, logger: Logger) -> ExitCode {
    let mut signals = match Signals::install() {
        Ok(signals) => signals,
        Err(error) => {
            logging::fatal(format!("cannot install signal handlers: {error}"));
            return ExitCode::FAILURE;
        }
    };
    let mut log_settings = settings.log;
    let server = match Server::start(settings.options).await {
        Ok(server) => server,
        Err(error) => {
            logging::fatal(error);
            return ExitCode::FAILURE;
        }
    };
    let handle = server.handle();
    let mut reload_requests = handle.reload_requests();
    let mut server = Some(server);
    let mut lame_duck: Option<JoinHandle<()>> = None;
    loop {
        let trapped = tokio::select! {
            trapped = signals.next() => trapped,
            _ = finished(&mut lame_duck) => return ExitCode::SUCCESS,
            Some(requested) = reload_requests.recv() => {
                // `$SYS.REQ.SERVER.<id>.RELOAD`: as SIGHUP, and the outcome goes back.
                let outcome = reload(&cli, &handle, &logger, &mut log_settings);
                if let Err(error) = &outcome {
                    tracing::error!("Failed to reload server configuration: {error}");
                }
                let _ = requested.send(outcome);
                continue;
            }
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
            Trapped::Reload => {
                if let Err(error) = reload(&cli, &handle, &logger, &mut log_settings) {
                    tracing::error!("Failed to reload server configuration: {error}");
                }
            }
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

/// Reloads the configuration file: everything or nothing changes.
fn reload(
    cli: &Cli,
    server: &ServerHandle,
    logger: &Logger,
    log: &mut LogSettings,
) -> Result<(), String> {
    if cli.config_file.is_none() {
        return Err(
            "can only reload config when a file is provided using -c or --config".to_owned(),
        );
    }
    let settings = Settings::read(cli, false).map_err(|error| error.to_string())?;
    for warning in &settings.warnings {
        tracing::warn!("{warning}");
    }
    let log_changes = logging::changes(log, &settings.log)?;
    let digest = settings.options.config_digest.clone();
    let server_changes = server
        .reload(settings.options)
        .map_err(|error| error.to_string())?;
    logger
        .reconfigure(&settings.log)
        .map_err(|error| format!("cannot open the log file: {error}"))?;
    *log = settings.log;
    for change in log_changes.iter().chain(&server_changes) {
        tracing::info!("{change}");
    }
    tracing::info!("Reloaded server configuration ({digest})");
    Ok(())
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
