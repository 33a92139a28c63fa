//! `rnats --signal <name>[=<pid or pid file>]`: send a signal to a running server.
//!
//! The names are nats-server's: `stop` (SIGKILL), `quit` (SIGINT), `term` (SIGTERM),
//! `reopen` (SIGUSR1, reopen the log file), `reload` (SIGHUP, reload the configuration) and
//! `ldm` (SIGUSR2, lame duck mode). Without a target, the one running rnats process is used.

use std::path::Path;

/// Sends the signal `spec` asks for; the error is the message to print.
pub fn send(spec: &str) -> Result<(), String> {
    let (name, target) = match spec.split_once('=') {
        Some((name, target)) => (name, Some(target)),
        None => (spec, None),
    };
    let signal = signal_number(name).ok_or_else(|| format!("unknown signal \"{name}\""))?;
    let pid = match target {
        Some(target) => resolve_pid(target)?,
        None => the_running_server()?,
    };
    // SAFETY: kill(2) with a pid and a valid signal number touches no memory of ours.
    let result = unsafe { libc::kill(pid, signal) };
    if result != 0 {
        let error = std::io::Error::last_os_error();
        let reason = match error.raw_os_error() {
            Some(libc::ESRCH) => "no such process".to_owned(),
            _ => error.to_string(),
        };
        return Err(format!("signal \"{name}\" {pid}: {reason}"));
    }
    Ok(())
}

fn signal_number(name: &str) -> Option<libc::c_int> {
    Some(match name {
        "stop" => libc::SIGKILL,
        "quit" => libc::SIGINT,
        "term" => libc::SIGTERM,
        "reopen" => libc::SIGUSR1,
        "reload" => libc::SIGHUP,
        "ldm" => libc::SIGUSR2,
        _ => return None,
    })
}

/// A pid given as a number or as the path of a pid file.
fn resolve_pid(target: &str) -> Result<libc::pid_t, String> {
    if let Ok(pid) = target.parse::<libc::pid_t>() {
        return Ok(pid);
    }
    let invalid = || format!("invalid pid: {target}");
    let text = std::fs::read_to_string(Path::new(target)).map_err(|_| invalid())?;
    text.trim().parse().map_err(|_| invalid())
}

/// The pid of the only rnats process running (other than this one).
fn the_running_server() -> Result<libc::pid_t, String> {
    let pids = running_servers();
    match pids.as_slice() {
        [] => Err("no rnats processes running".to_owned()),
        [pid] => Ok(*pid),
        pids => {
            let list: Vec<String> = pids.iter().map(ToString::to_string).collect();
            Err(format!(
                "multiple rnats processes running:\n{}",
                list.join("\n")
            ))
        }
    }
}

/// Live processes whose executable name is this program's, except this process.
fn running_servers() -> Vec<libc::pid_t> {
    let own = std::process::id();
    let name = std::env::args_os()
        .next()
        .and_then(|arg0| {
            Path::new(&arg0)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "rnats".to_owned());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<libc::pid_t> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<libc::pid_t>().ok())
        .filter(|&pid| u32::try_from(pid).is_ok_and(|pid| pid != own))
        .filter(|&pid| is_live_process_named(pid, &name))
        .collect();
    pids.sort_unstable();
    pids
}

fn is_live_process_named(pid: libc::pid_t, name: &str) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    let field = |key: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key).map(str::trim))
            .unwrap_or_default()
    };
    // `comm` is cut to 15 bytes, so compare that much of the name; zombies do not count.
    let comm_limit = name.len().min(15);
    field("Name:") == &name[..comm_limit] && !field("State:").starts_with('Z')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_targets() {
        assert_eq!(signal_number("reload"), Some(libc::SIGHUP));
        assert_eq!(signal_number("ldm"), Some(libc::SIGUSR2));
        assert_eq!(signal_number("bogus"), None);
        assert_eq!(resolve_pid("42"), Ok(42));
        assert_eq!(
            resolve_pid("/nonexistent.pid"),
            Err("invalid pid: /nonexistent.pid".into())
        );
        let file = std::env::temp_dir().join(format!("rnats-signal-{}.pid", std::process::id()));
        std::fs::write(&file, "4242").expect("writes");
        assert_eq!(resolve_pid(file.to_str().expect("utf-8")), Ok(4242));
        let _ = std::fs::remove_file(file);
        assert_eq!(send("bogus=1"), Err("unknown signal \"bogus\"".into()));
    }
}
