//! Reading a process's CPU time and memory from `/proc`.
//!
//! Only Linux is supported: the figures the comparison trusts most (server CPU seconds, peak
//! RSS) come from here, and `/proc` is the cheapest way to get them for a process we did not
//! necessarily start ourselves (`run --server-pid`).

use std::fs;
use std::io;

/// CPU time a process has used so far, in clock ticks (user + system, all threads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTicks {
    /// User-mode ticks (`utime`, field 14 of `/proc/PID/stat`).
    pub user: u64,
    /// Kernel-mode ticks (`stime`, field 15).
    pub system: u64,
}

impl CpuTicks {
    /// Total ticks, user plus system.
    pub fn total(self) -> u64 {
        self.user + self.system
    }
}

/// Parses the `utime` and `stime` fields out of the text of `/proc/PID/stat`.
///
/// The second field (the command name) is in parentheses and may itself contain spaces or
/// parentheses, so the fields are counted from the *last* `)`, as proc(5) advises.
pub fn parse_stat(text: &str) -> Option<CpuTicks> {
    let after_name = &text[text.rfind(')')? + 1..];
    // After the name: field 3 (state) is index 0, so utime (14) is index 11, stime (15) is 12.
    let mut fields = after_name.split_ascii_whitespace().skip(11);
    let user = fields.next()?.parse().ok()?;
    let system = fields.next()?.parse().ok()?;
    Some(CpuTicks { user, system })
}

/// Reads the CPU ticks used so far by process `pid` (`"self"` works too).
pub fn cpu_ticks(pid: &str) -> io::Result<CpuTicks> {
    let path = format!("/proc/{pid}/stat");
    let text = fs::read_to_string(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("reading {path}: {e}")))?;
    parse_stat(&text).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{path}: unexpected format"),
        )
    })
}

/// Clock ticks per second, to turn [`CpuTicks`] into seconds.
pub fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions; it returns -1 on error, handled below.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// CPU seconds between two readings of the same process.
pub fn cpu_seconds_between(before: CpuTicks, after: CpuTicks) -> f64 {
    after.total().saturating_sub(before.total()) as f64 / ticks_per_second()
}

/// Returns the value in KiB of a `Key:   1234 kB` line of `/proc/PID/status`.
pub fn parse_status_kib(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.split_ascii_whitespace().next()?.parse().ok()
    })
}

/// Reads one `kB` field of `/proc/PID/status`, such as `VmRSS` or `VmHWM` (peak RSS).
pub fn status_kib(pid: &str, key: &str) -> io::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let text = fs::read_to_string(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("reading {path}: {e}")))?;
    parse_status_kib(&text, key)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("{path}: no {key} line")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_counted_from_last_paren() {
        let text = "4242 (we ird) name)) S 1 4242 4242 0 -1 4194560 1234 0 0 0 \
                    157 42 0 0 20 0 9 0 12345 1000000 500 18446744073709551615";
        assert_eq!(
            parse_stat(text),
            Some(CpuTicks {
                user: 157,
                system: 42
            })
        );
    }

    #[test]
    fn stat_of_this_process_parses() {
        let ticks = cpu_ticks("self").expect("own stat");
        assert!(ticks.total() < u64::MAX);
    }

    #[test]
    fn truncated_stat_is_rejected() {
        assert_eq!(parse_stat("1 (x) S 1 2 3"), None);
        assert_eq!(parse_stat("no paren at all"), None);
    }

    #[test]
    fn status_kib_lines() {
        let text =
            "Name:\tnats-server\nVmPeak:\t 1000 kB\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(parse_status_kib(text, "VmHWM"), Some(20480));
        assert_eq!(parse_status_kib(text, "VmRSS"), Some(10240));
        assert_eq!(parse_status_kib(text, "VmSwap"), None);
        // A key that is a prefix of another must not match it.
        assert_eq!(parse_status_kib("VmRSSx:\t 5 kB\n", "VmRSS"), None);
    }

    #[test]
    fn cpu_seconds_use_tick_rate() {
        let a = CpuTicks {
            user: 10,
            system: 5,
        };
        let b = CpuTicks {
            user: 10 + ticks_per_second() as u64,
            system: 5,
        };
        assert!((cpu_seconds_between(a, b) - 1.0).abs() < 1e-9);
        assert_eq!(cpu_seconds_between(b, a), 0.0);
    }
}
