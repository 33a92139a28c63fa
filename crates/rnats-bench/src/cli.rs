//! Command-line parsing (by hand: a few flags do not need a dependency).

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use crate::bail;
use crate::error::{Context, Result};
use crate::scenario::{self, Scenario};
use crate::{compare, probe};

/// The usage text.
pub const USAGE: &str = "\
rnats-bench: load generator and side-by-side comparison of rnats and nats-server

USAGE:
  rnats-bench run [--server HOST:PORT] [--scenarios LIST] [--duration D] [--server-pid PID] [--json]
      Runs scenarios against a server that is already running (default 127.0.0.1:4222).
      With --server-pid, also reports the server's CPU seconds, messages per server
      CPU-second and peak RSS (VmHWM over the server's whole life).
  rnats-bench compare [--rnats PATH] [--reference PATH] [--rounds N] [--duration D]
                      [--scenarios LIST] [--json]
      Runs every scenario N times (N >= 3, default 3) on each side, a fresh server per run,
      sides alternating, and prints medians, spreads and ratios rnats/reference.
  rnats-bench probe [--rnats PATH] [--reference PATH]
      Idle RSS, RSS per connection and per subscription, and start-up time of each side.

  D is a duration such as 3s, 500ms or 1.5 (seconds); default 3s.
  LIST is comma-separated scenario names, or all (the default):
    pub-16 pubsub-16 pubsub-128 pubsub-1k pubsub-64k fanout-5 fanin-5 queue-3
    reqrep-2000 reqrep-max-1 reqrep-max-8
  PATH defaults: target/release/rnats and target/reference/nats-server.
";

/// Options of `run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Server to drive.
    pub server: SocketAddr,
    /// Scenarios, in order.
    pub scenarios: Vec<Scenario>,
    /// Publishing time per scenario.
    pub duration: Duration,
    /// The server's pid, for CPU and memory figures.
    pub server_pid: Option<u32>,
    /// One JSON object per scenario instead of text.
    pub json: bool,
}

/// A parsed command line.
#[derive(Debug)]
pub enum Command {
    /// `run`
    Run(RunOptions),
    /// `compare`
    Compare(compare::Options),
    /// `probe`
    Probe(probe::Options),
    /// `help`, `-h`, `--help`
    Help,
}

/// Pulls `--flag value` / `--flag=value` pairs off an argument list.
struct Args {
    items: Vec<String>,
    pos: usize,
}

impl Args {
    /// The next flag and its inline value, if any (`--a=b`).
    fn next_flag(&mut self) -> Option<(String, Option<String>)> {
        let arg = self.items.get(self.pos)?.clone();
        self.pos += 1;
        Some(match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg, None),
        })
    }

    /// The flag's value: inline, or the next argument.
    fn value(&mut self, flag: &str, inline: Option<String>) -> Result<String> {
        if let Some(v) = inline {
            return Ok(v);
        }
        let Some(v) = self.items.get(self.pos) else {
            bail!("{flag} needs a value");
        };
        self.pos += 1;
        Ok(v.clone())
    }
}

/// Parses the arguments after the program name.
pub fn parse(argv: Vec<String>) -> Result<Command> {
    let Some(sub) = argv.first().cloned() else {
        return Ok(Command::Help);
    };
    let mut args = Args {
        items: argv,
        pos: 1,
    };
    let default_rnats = PathBuf::from("target/release/rnats");
    let default_reference = PathBuf::from("target/reference/nats-server");
    match sub.as_str() {
        "help" | "-h" | "--help" => Ok(Command::Help),
        "run" => {
            let mut o = RunOptions {
                server: resolve("127.0.0.1:4222")?,
                scenarios: scenario::parse_list("all")?,
                duration: Duration::from_secs(3),
                server_pid: None,
                json: false,
            };
            while let Some((flag, inline)) = args.next_flag() {
                match flag.as_str() {
                    "--server" => o.server = resolve(&args.value(&flag, inline)?)?,
                    "--scenarios" => {
                        o.scenarios = scenario::parse_list(&args.value(&flag, inline)?)?
                    }
                    "--duration" => o.duration = parse_duration(&args.value(&flag, inline)?)?,
                    "--server-pid" => {
                        let v = args.value(&flag, inline)?;
                        o.server_pid = Some(v.parse().context(format_args!("--server-pid {v}"))?);
                    }
                    "--json" => o.json = true,
                    _ => bail!("unknown option '{flag}' for run (see rnats-bench help)"),
                }
            }
            Ok(Command::Run(o))
        }
        "compare" => {
            let mut o = compare::Options {
                rnats: default_rnats,
                reference: default_reference,
                rounds: 3,
                duration: Duration::from_secs(3),
                scenarios: scenario::parse_list("all")?,
                json: false,
            };
            while let Some((flag, inline)) = args.next_flag() {
                match flag.as_str() {
                    "--rnats" => o.rnats = args.value(&flag, inline)?.into(),
                    "--reference" => o.reference = args.value(&flag, inline)?.into(),
                    "--rounds" => {
                        let v = args.value(&flag, inline)?;
                        o.rounds = v.parse().context(format_args!("--rounds {v}"))?;
                        if o.rounds < 3 {
                            bail!(
                                "--rounds must be at least 3 (medians of fewer runs mean little)"
                            );
                        }
                    }
                    "--duration" => o.duration = parse_duration(&args.value(&flag, inline)?)?,
                    "--scenarios" => {
                        o.scenarios = scenario::parse_list(&args.value(&flag, inline)?)?
                    }
                    "--json" => o.json = true,
                    _ => bail!("unknown option '{flag}' for compare (see rnats-bench help)"),
                }
            }
            Ok(Command::Compare(o))
        }
        "probe" => {
            let mut o = probe::Options {
                rnats: default_rnats,
                reference: default_reference,
            };
            while let Some((flag, inline)) = args.next_flag() {
                match flag.as_str() {
                    "--rnats" => o.rnats = args.value(&flag, inline)?.into(),
                    "--reference" => o.reference = args.value(&flag, inline)?.into(),
                    _ => bail!("unknown option '{flag}' for probe (see rnats-bench help)"),
                }
            }
            Ok(Command::Probe(o))
        }
        other => bail!("unknown command '{other}' (see rnats-bench help)"),
    }
}

fn resolve(text: &str) -> Result<SocketAddr> {
    text.to_socket_addrs()
        .context(format_args!("server address '{text}'"))?
        .next()
        .ok_or_else(|| crate::error::BenchError::msg(format!("no address for '{text}'")))
}

/// Parses `3s`, `500ms`, `1.5` (seconds), `2m`.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .context(format_args!("duration '{text}'"))?;
    if !value.is_finite() || value <= 0.0 || value * scale > 3600.0 {
        bail!("duration '{text}' must be above 0 and at most an hour");
    }
    Ok(Duration::from_secs_f64(value * scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3s").expect("ok"), Duration::from_secs(3));
        assert_eq!(
            parse_duration("500ms").expect("ok"),
            Duration::from_millis(500)
        );
        assert_eq!(
            parse_duration("1.5").expect("ok"),
            Duration::from_millis(1500)
        );
        assert_eq!(parse_duration("2m").expect("ok"), Duration::from_secs(120));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("x").is_err());
    }

    #[test]
    fn compare_flags() {
        let Command::Compare(o) = parse(argv(
            "compare --rounds=5 --duration 1s --scenarios pub-16,queue-3",
        ))
        .expect("ok") else {
            panic!("not compare");
        };
        assert_eq!(o.rounds, 5);
        assert_eq!(o.duration, Duration::from_secs(1));
        assert_eq!(o.scenarios.len(), 2);
        assert!(parse(argv("compare --rounds 2")).is_err());
        assert!(parse(argv("compare --bogus")).is_err());
    }

    #[test]
    fn run_flags() {
        let Command::Run(o) =
            parse(argv("run --server 127.0.0.1:5000 --server-pid 42 --json")).expect("ok")
        else {
            panic!("not run");
        };
        assert_eq!(o.server.port(), 5000);
        assert_eq!(o.server_pid, Some(42));
        assert!(o.json);
        assert_eq!(o.scenarios.len(), scenario::ALL.len());
        assert!(parse(argv("run --duration")).is_err());
        assert!(matches!(parse(vec![]), Ok(Command::Help)));
    }
}
