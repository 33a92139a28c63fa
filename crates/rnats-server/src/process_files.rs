//! The pid file and the ports file that nats-server writes for process managers and tests.

use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Writes the process id, without a newline, as nats-server does.
pub(crate) fn write_pid_file(path: &Path) -> io::Result<()> {
    std::fs::write(path, std::process::id().to_string())
}

/// Writes `<dir>/<executable>_<pid>.ports` with the client URLs; returns its path for removal.
pub(crate) fn write_ports_file(dir: &Path, host: &str, port: u16) -> io::Result<PathBuf> {
    let program = std::env::args_os().next().unwrap_or_default();
    let name = Path::new(&program)
        .file_name()
        .map_or("rnats".into(), |n| n.to_string_lossy());
    let path = dir.join(format!("{name}_{}.ports", std::process::id()));
    let document = serde_json::json!({ "nats": client_urls(host, port) });
    std::fs::write(&path, document.to_string())?;
    Ok(path)
}

/// One URL for the listen host, or one per interface address when it listens on all of them.
fn client_urls(host: &str, port: u16) -> Vec<String> {
    let unspecified = host.parse::<IpAddr>().is_ok_and(|ip| ip.is_unspecified()) || host.is_empty();
    let hosts: Vec<IpAddr> = if unspecified {
        if_addrs::get_if_addrs()
            .map(|ifs| ifs.iter().map(|i| i.ip()).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    if hosts.is_empty() {
        return vec![url(host, port)];
    }
    hosts.iter().map(|ip| url(&ip.to_string(), port)).collect()
}

fn url(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("nats://[{host}]:{port}")
    } else {
        format!("nats://{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_for_one_host_or_every_interface() {
        assert_eq!(
            client_urls("127.0.0.1", 4222),
            vec!["nats://127.0.0.1:4222"]
        );
        assert_eq!(client_urls("::1", 4222), vec!["nats://[::1]:4222"]);
        let all = client_urls("0.0.0.0", 4222);
        assert!(all.contains(&"nats://127.0.0.1:4222".to_owned()), "{all:?}");
    }
}
