//! What the process uses, read from `/proc/self` on Linux. Elsewhere the figures are zero.

use std::time::Instant;

use parking_lot::Mutex;

/// Clock ticks per second of `/proc/self/stat` times (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: u64 = 100;

/// Resident memory in bytes (`VmRSS`), or 0 when unknown.
pub(crate) fn resident_memory() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}

/// User plus system CPU time used so far, in clock ticks.
pub(crate) fn cpu_ticks() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| parse_cpu_ticks(&stat))
        .unwrap_or(0)
}

/// User plus system CPU time used so far, in seconds.
pub(crate) fn cpu_seconds() -> f64 {
    cpu_ticks() as f64 / TICKS_PER_SECOND as f64
}

/// `utime + stime` from the text of `/proc/<pid>/stat`. The command name may hold spaces and
/// parentheses, so fields are counted from the last `)`.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    // After the name: state is field 3 of the file; utime is field 14, stime field 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `/varz` `cpu`: percent of one core used over the last sampling window, with one decimal.
///
/// The reference samples every second on a timer. rnats does no work while nobody asks: it
/// samples when asked, over the time since the previous sample once that is a second old,
/// and repeats the last figure for requests within the same second.
#[derive(Debug)]
pub(crate) struct CpuSampler {
    state: Mutex<CpuState>,
}

#[derive(Debug)]
struct CpuState {
    ticks: u64,
    at: Instant,
    percent: f64,
}

impl CpuSampler {
    /// A sampler whose first window starts now.
    pub(crate) fn new() -> Self {
        CpuSampler {
            state: Mutex::new(CpuState {
                ticks: cpu_ticks(),
                at: Instant::now(),
                percent: 0.0,
            }),
        }
    }

    /// The CPU percentage of the latest complete window.
    pub(crate) fn percent(&self) -> f64 {
        let mut state = self.state.lock();
        let elapsed = state.at.elapsed();
        if elapsed.as_secs() >= 1 {
            let ticks = cpu_ticks();
            let used = ticks.saturating_sub(state.ticks) as f64 / TICKS_PER_SECOND as f64;
            // One decimal, truncated, as the reference's integer arithmetic gives.
            state.percent = (used / elapsed.as_secs_f64() * 1000.0).floor() / 10.0;
            state.ticks = ticks;
            state.at = Instant::now();
        }
        state.percent
    }
}

/// The process's threads as `/stacksz` text: one line per thread with its id, name and state.
///
/// The reference dumps every goroutine's stack; a Rust process cannot walk other threads'
/// stacks without a debugger, so this lists what the kernel knows about each thread.
pub(crate) fn thread_dump() -> String {
    let Ok(entries) = std::fs::read_dir("/proc/self/task") else {
        return "thread list unavailable on this platform\n".to_owned();
    };
    let mut ids: Vec<u64> = entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    ids.sort_unstable();
    let mut out = String::new();
    for id in ids {
        let dir = format!("/proc/self/task/{id}");
        let name = std::fs::read_to_string(format!("{dir}/comm")).unwrap_or_default();
        let state = std::fs::read_to_string(format!("{dir}/stat"))
            .ok()
            .and_then(|stat| {
                let (_, rest) = stat.rsplit_once(')')?;
                rest.split_whitespace().next().map(str::to_owned)
            })
            .unwrap_or_default();
        out.push_str(&format!("thread {id} [{}] state {state}\n\n", name.trim()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_count_from_the_last_parenthesis() {
        let stat = "42 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0 100 200 300";
        assert_eq!(parse_cpu_ticks(stat), Some(300));
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }

    #[test]
    fn this_process_is_measurable_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(resident_memory() > 0);
            assert!(thread_dump().contains("thread "));
        }
        let sampler = CpuSampler::new();
        assert!(sampler.percent() >= 0.0);
    }
}
