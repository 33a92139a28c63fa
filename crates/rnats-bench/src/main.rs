//! rnats-bench: a NATS load generator, and a side-by-side comparison of rnats with the
//! reference nats-server. See `rnats-bench help` and `scripts/bench`.

mod cli;
mod compare;
mod error;
mod frame_counter;
mod latency;
mod machine;
mod metrics;
mod msg_parser;
mod probe;
mod proc_stats;
mod protocol;
mod report;
mod reqrep;
mod scenario;
mod server_process;
mod stats;
mod throughput;

use std::process::ExitCode;

use cli::Command;
use error::Result;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match run(argv) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("rnats-bench: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the command; returns the number of scenario runs or probes that failed.
fn run(argv: Vec<String>) -> Result<usize> {
    let command = cli::parse(argv)?;
    raise_fd_limit();
    match command {
        Command::Help => {
            print!("{}", cli::USAGE);
            Ok(0)
        }
        Command::Run(o) => {
            let mut failures = 0;
            for sc in &o.scenarios {
                match scenario::run(o.server, sc, o.duration, o.server_pid) {
                    Ok(r) if o.json => println!("{}", report::run_json(&r, &[])),
                    Ok(r) => print!("{}", report::run_text(&r)),
                    Err(e) => {
                        failures += 1;
                        eprintln!("rnats-bench: error: {e}");
                    }
                }
            }
            Ok(failures)
        }
        Command::Compare(o) => compare::run(&o),
        Command::Probe(o) => probe::run(&o),
    }
}

/// Raises the soft open-file limit to the hard limit: the connection probes need 10,000+
/// sockets, and servers started from here inherit the limit.
fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                eprintln!(
                    "rnats-bench: warning: could not raise the open-file limit: {}",
                    std::io::Error::last_os_error()
                );
            }
        }
    }
}
