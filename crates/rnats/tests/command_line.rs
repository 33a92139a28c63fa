//! The rnats binary as a process: flags, log lines, pid and ports files, signals.

mod common;

use std::time::{Duration, Instant};

use common::{PATIENCE, Process, run_to_end, temp_dir};

#[tokio::test]
async fn serves_clients_and_stops_on_sigterm() {
    let mut process = Process::start(&["-p", "-1", "-a", "127.0.0.1", "-n", "cli-test"]);
    let port = process.ready();
    let line = process.wait_for("Starting rnats");
    assert!(
        line.starts_with(&format!("[{}] ", process.child.id())),
        "pid prefix: {line}"
    );
    let client = async_nats::connect(format!("nats://127.0.0.1:{port}"))
        .await
        .expect("connects");
    assert_eq!(client.server_info().server_name, "cli-test");
    client.flush().await.expect("flush");
    process.signal(libc::SIGTERM);
    process.wait_for("[INF] Trapped \"terminated\" signal");
    process.wait_for("[INF] Server Exiting..");
    assert!(process.wait_exit().success());
}

#[test]
fn sigint_is_a_clean_shutdown_too() {
    let mut process = Process::start(&["--port=-1", "--addr=127.0.0.1"]);
    process.ready();
    process.signal(libc::SIGINT);
    process.wait_for("Trapped \"interrupt\" signal");
    assert!(process.wait_exit().success());
}

#[test]
fn sighup_without_a_configuration_file_is_refused_and_harmless() {
    let mut process = Process::start(&["-p", "-1", "-a", "127.0.0.1"]);
    process.ready();
    process.signal(libc::SIGHUP);
    process.wait_for(
        "[ERR] Failed to reload server configuration: can only reload config when a file is \
         provided using -c or --config",
    );
    process.signal(libc::SIGUSR1);
    process.wait_for("[INF] File log re-open ignored, not a file logger");
    process.signal(libc::SIGTERM);
    assert!(process.wait_exit().success());
}

#[test]
fn sigusr2_enters_lame_duck_mode_and_sigint_cuts_it_short() {
    let mut process = Process::start(&["-p", "-1", "-a", "127.0.0.1"]);
    let port = process.ready();
    process.signal(libc::SIGUSR2);
    process.wait_for("[INF] Trapped \"user defined signal 2\" signal");
    process.wait_for("[INF] Entering lame duck mode, stop accepting new clients");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "still accepting"
    );
    // The default grace period is 10 s; an interrupt ends it now.
    process.signal(libc::SIGINT);
    process.wait_for("[INF] Server Exiting..");
    assert!(process.wait_exit().success());
}

#[test]
fn the_signal_command_reaches_a_running_server() {
    let dir = temp_dir("signal");
    let pid_file = dir.join("rnats.pid");
    let pid_path = pid_file.to_str().expect("utf-8 path");
    let mut process = Process::start(&["-p", "-1", "-a", "127.0.0.1", "-P", pid_path]);
    process.ready();
    let (status, _, _) = run_to_end(&["--signal", &format!("reopen={pid_path}")]);
    assert!(status.success());
    process.wait_for("Trapped \"user defined signal 1\" signal");
    let pid = process.child.id().to_string();
    let (status, _, _) = run_to_end(&["-sl", &format!("quit={pid}")]);
    assert!(status.success());
    process.wait_for("Trapped \"interrupt\" signal");
    assert!(process.wait_exit().success());
    let (status, _, stderr) = run_to_end(&["--signal", "reload=999999999"]);
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("no such process"), "{stderr}");
    let (status, _, stderr) = run_to_end(&["--signal", "bogus=1"]);
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("unknown signal \"bogus\""), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_log_file_rotates_by_size() {
    let dir = temp_dir("rotate");
    let log = dir.join("rnats.log");
    let log_path = log.to_str().expect("utf-8 path");
    let args = [
        "-p",
        "-1",
        "-a",
        "127.0.0.1",
        "-DV",
        "-l",
        log_path,
        "--log_size_limit",
        "600",
    ];
    let mut process = Process::start(&args);
    // Each connection logs a few debug lines; some kilobytes of them force rotations.
    let deadline = Instant::now() + PATIENCE;
    let port = loop {
        if let Ok(text) = std::fs::read_to_string(&log)
            && let Some(line) = text
                .lines()
                .find(|l| l.contains("Listening for client connections"))
        {
            break line
                .rsplit(':')
                .next()
                .and_then(|p| p.parse::<u16>().ok())
                .expect("port");
        }
        assert!(Instant::now() < deadline, "no listening line");
        std::thread::sleep(Duration::from_millis(10));
    };
    for _ in 0..20 {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
        std::io::Write::write_all(&mut stream, b"PING\r\n").expect("writes");
        let mut pong = [0u8; 512];
        let _ = std::io::Read::read(&mut stream, &mut pong);
    }
    process.signal(libc::SIGTERM);
    assert!(process.wait_exit().success());
    let backups: Vec<_> = std::fs::read_dir(&dir)
        .expect("readable")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("rnats.log."))
        .collect();
    assert!(!backups.is_empty(), "rotated at least once");
    let current = std::fs::read_to_string(&log).expect("readable");
    assert!(
        current.contains("[INF] Rotated log, backup saved as"),
        "{current}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn json_log_lines() {
    let mut process = Process::start(&["-p", "-1", "-a", "127.0.0.1", "--log_json"]);
    let line = process.wait_for("Server is ready");
    let value: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(value["level"], "info");
    assert_eq!(value["msg"], "Server is ready");
    assert_eq!(value["pid"], process.child.id());
}

#[test]
fn pid_and_ports_files() {
    let dir = temp_dir("files");
    let pid_file = dir.join("rnats.pid");
    let args = [
        "-p",
        "-1",
        "-a",
        "127.0.0.1",
        "-P",
        pid_file.to_str().expect("utf-8 path"),
    ];
    let mut process = Process::start(
        &[
            &args[..],
            &["--ports_file_dir", dir.to_str().expect("utf-8 path")],
        ]
        .concat(),
    );
    let port = process.ready();
    let pid = process.child.id();
    assert_eq!(
        std::fs::read_to_string(&pid_file).expect("pid file"),
        pid.to_string()
    );
    let ports_file = dir.join(format!("rnats_{pid}.ports"));
    let ports: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ports_file).expect("ports file"))
            .expect("ports file is JSON");
    assert_eq!(
        ports,
        serde_json::json!({ "nats": [format!("nats://127.0.0.1:{port}")] })
    );
    process.signal(libc::SIGTERM);
    assert!(process.wait_exit().success());
    assert!(
        !ports_file.exists(),
        "the ports file is removed at exit, as nats-server does"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn log_file_and_time_format() {
    let dir = temp_dir("log");
    let log = dir.join("rnats.log");
    let pid_file = dir.join("pid");
    let mut process = Process::start(&[
        "-p",
        "-1",
        "-a",
        "127.0.0.1",
        "-l",
        log.to_str().expect("utf-8 path"),
        "-P",
        pid_file.to_str().expect("utf-8 path"),
    ]);
    // Nothing on stderr to wait for: the pid file appears once the server is starting, and
    // then the log file fills; poll both (there is no event to await across processes).
    let deadline = Instant::now() + PATIENCE;
    while !std::fs::read_to_string(&log).is_ok_and(|text| text.contains("Server is ready")) {
        assert!(Instant::now() < deadline, "no ready line in the log file");
        std::thread::sleep(Duration::from_millis(10));
    }
    process.signal(libc::SIGTERM);
    assert!(process.wait_exit().success());
    let text = std::fs::read_to_string(&log).expect("log file written");
    let ready = text
        .lines()
        .find(|l| l.contains("[INF] Server is ready"))
        .expect("ready line");
    // [pid] YYYY/MM/DD HH:MM:SS.micro [INF] ...
    let fields: Vec<&str> = ready.splitn(4, ' ').collect();
    assert_eq!(fields[1].len(), "2026/11/21".len(), "{ready}");
    assert_eq!(fields[2].len(), "23:36:38.489732".len(), "{ready}");

    let mut untimed = Process::start(&["-p", "-1", "-a", "127.0.0.1", "-T=false"]);
    let line = untimed.wait_for("Server is ready");
    assert_eq!(
        line,
        format!("[{}] [INF] Server is ready", untimed.child.id())
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn debug_and_trace_lines() {
    let mut process = Process::start(&["-p", "-1", "-a", "127.0.0.1", "-DV"]);
    let port = process.ready();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
    std::io::Write::write_all(
        &mut stream,
        b"CONNECT {\"user\":\"bob\",\"pass\":\"s3cr3t\"}\r\nPING\r\n",
    )
    .expect("writes");
    let traced = process.wait_for("<<- [CONNECT ");
    assert!(
        traced.contains(r#"{"user":"bob","pass":"[REDACTED]"}"#) && !traced.contains("s3cr3t"),
        "the password stays out of the log: {traced}"
    );
    drop(stream);
    let line = process.wait_for("Client connection closed");
    assert!(
        line.contains("[DBG] 127.0.0.1:") && line.contains(" - cid:"),
        "{line}"
    );
}

#[test]
fn version_and_help() {
    let (status, stdout, _) = run_to_end(&["-v"]);
    assert!(status.success());
    assert!(stdout.starts_with("rnats: v"), "{stdout}");
    let (status, stdout, _) = run_to_end(&["--help"]);
    assert!(status.success());
    assert!(stdout.contains("Usage: rnats [options]") && stdout.contains("--ports_file_dir"));
}

#[test]
fn bad_flags_are_refused() {
    let (status, _, stderr) = run_to_end(&["--bogus"]);
    assert_eq!(status.code(), Some(2));
    assert!(
        stderr.starts_with("flag provided but not defined: -bogus"),
        "{stderr}"
    );
    let (status, _, stderr) = run_to_end(&["-p"]);
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains("flag needs an argument: -p"), "{stderr}");
    let (status, _, stderr) = run_to_end(&["extra"]);
    assert_eq!(status.code(), Some(1));
    assert!(
        stderr.contains("[FTL] unrecognized command: \"extra\""),
        "{stderr}"
    );
}

#[test]
fn flags_of_later_capabilities_stop_the_server_clearly() {
    for flag in [
        &["-js"][..],
        &["--cluster", "nats://127.0.0.1:6222"],
        &["-sd", "/tmp/js"],
        &["--profile", "6060"],
    ] {
        let (status, _, stderr) = run_to_end(flag);
        assert_eq!(status.code(), Some(1), "{flag:?}");
        assert!(
            stderr.contains("[FTL]") && stderr.contains("not supported by rnats yet"),
            "{flag:?}: {stderr}"
        );
    }
}

#[test]
fn a_port_in_use_is_fatal() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let (status, _, stderr) = run_to_end(&["-a", "127.0.0.1", "-p", &port]);
    assert_eq!(status.code(), Some(1));
    assert!(
        stderr.contains(&format!("[FTL] Error listening on port: 127.0.0.1:{port}")),
        "{stderr}"
    );
}

#[tokio::test]
async fn user_and_password_flags() {
    let mut process =
        Process::start(&["-p", "-1", "-a", "127.0.0.1", "--user", "u", "--pass", "p"]);
    let port = process.ready();
    let url = format!("nats://127.0.0.1:{port}");
    assert!(async_nats::connect(&url).await.is_err());
    let client = async_nats::ConnectOptions::with_user_and_password("u".into(), "p".into())
        .connect(&url)
        .await
        .expect("connects with the right password");
    client.flush().await.expect("works");
}
