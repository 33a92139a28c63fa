//! `compare`: every scenario, several rounds, a fresh server per run, sides alternating.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::Result;
use crate::report;
use crate::scenario::{self, RunResult, Scenario};
use crate::server_process::{self, ServerProcess};
use crate::{machine, metrics};

/// What to compare and how long.
#[derive(Debug, Clone)]
pub struct Options {
    /// The rnats binary.
    pub rnats: PathBuf,
    /// The reference nats-server binary.
    pub reference: PathBuf,
    /// Rounds per scenario (each round runs both sides once).
    pub rounds: usize,
    /// Publishing time per run.
    pub duration: Duration,
    /// Scenarios, in order.
    pub scenarios: Vec<Scenario>,
    /// Also print one JSON object per run.
    pub json: bool,
}

/// The two sides, in the order of the report columns.
const SIDES: [&str; 2] = ["rnats", "reference"];

/// Runs the comparison and prints it. Returns the number of runs that failed.
pub fn run(opts: &Options) -> Result<usize> {
    let paths = [&opts.rnats, &opts.reference];
    let versions = [
        server_process::version(&opts.rnats)?,
        server_process::version(&opts.reference)?,
    ];
    print!("{}", header(opts, &versions));

    let mut failures = 0;
    let mut all: Vec<(&'static str, [Vec<RunResult>; 2])> = Vec::new();
    for sc in &opts.scenarios {
        let mut runs: [Vec<RunResult>; 2] = [Vec::new(), Vec::new()];
        for round in 1..=opts.rounds {
            // Odd rounds rnats first, even rounds reference first: neither side always gets the
            // warmer (or colder) machine.
            let order = if round % 2 == 1 { [0, 1] } else { [1, 0] };
            for side in order {
                match run_once(paths[side], sc, opts.duration) {
                    Ok(r) => {
                        eprintln!(
                            "  {:<13} round {round}/{} {:<9} {:>9} pub msgs/s  {:>9} msgs/CPU-s",
                            sc.name,
                            opts.rounds,
                            SIDES[side],
                            metrics::rate(r.publish_rate()),
                            r.msgs_per_server_cpu_sec()
                                .map_or("-".to_string(), metrics::rate),
                        );
                        if opts.json {
                            let round = round.to_string();
                            let tags = [("server", SIDES[side]), ("round", round.as_str())];
                            println!("{}", report::run_json(&r, &tags));
                        }
                        runs[side].push(r);
                    }
                    Err(e) => {
                        failures += 1;
                        println!("ERROR {} round {round} {}: {e}", sc.name, SIDES[side]);
                    }
                }
            }
        }
        print!("{}", report::compare_table(sc.name, &runs[0], &runs[1]));
        all.push((sc.name, runs));
    }
    let rows: Vec<(&str, &[RunResult], &[RunResult])> = all
        .iter()
        .map(|(name, [a, b])| (*name, a.as_slice(), b.as_slice()))
        .collect();
    print!("{}", report::summary_table(&rows));
    if failures > 0 {
        println!("\n{failures} run(s) failed; see the ERROR lines above.");
    }
    Ok(failures)
}

/// One run on a fresh server, which is stopped afterwards whatever happened.
fn run_once(path: &Path, sc: &Scenario, duration: Duration) -> Result<RunResult> {
    let server = ServerProcess::start(path)?;
    let result = scenario::run(server.addr, sc, duration, Some(server.pid()));
    let warnings = server.warnings();
    let stopped = server.stop();
    match result {
        Ok(r) => {
            stopped?;
            Ok(r)
        }
        Err(e) if warnings.is_empty() => Err(e),
        Err(e) => {
            let shown = &warnings[warnings.len().saturating_sub(5)..];
            Err(crate::error::BenchError::msg(format!(
                "{e}\n  server warnings:\n    {}",
                shown.join("\n    ")
            )))
        }
    }
}

/// Date, machine, versions, and the warning about noise.
fn header(opts: &Options, versions: &[String; 2]) -> String {
    let names: Vec<_> = opts.scenarios.iter().map(|s| s.name).collect();
    format!(
        "rnats-bench compare\n\
         date:       {}\n\
         machine:    {}, {} cores\n\
         rnats:      {} ({})\n\
         reference:  {} ({})\n\
         runs:       {} rounds x {} scenarios, {:?} of publishing each, a fresh server per run, \
         order alternating (rnats first in odd rounds)\n\
         scenarios:  {}\n\
         \n\
         NOTE: these machines are shared and noisy: a 20-60% spread between runs of the same\n\
         thing is normal, so throughput and latency ratios move with the noise. The ratio of\n\
         messages per server CPU-second is the figure to trust; [min-max] shows each spread.\n",
        machine::utc_now(),
        machine::cpu_model(),
        machine::cores(),
        versions[0],
        opts.rnats.display(),
        versions[1],
        opts.reference.display(),
        opts.rounds,
        opts.scenarios.len(),
        opts.duration,
        names.join(", "),
    )
}
