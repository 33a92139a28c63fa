//! rnats run with a configuration file: loading, `-t`, flags over the file, and reload by
//! SIGHUP and `--signal reload`, with a client connected.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use common::{Process, run_to_end, temp_dir};
use futures::StreamExt;

/// A raw protocol connection, for what the official client checks on its own side.
struct RawClient {
    stream: std::net::TcpStream,
}

impl RawClient {
    fn connect(port: u16) -> RawClient {
        let stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
        stream
            .set_read_timeout(Some(common::PATIENCE))
            .expect("timeout");
        RawClient { stream }
    }

    /// Sends `lines` and a PING, and returns what the server answers until PONG or close.
    fn exchange(&mut self, lines: &str) -> String {
        self.stream
            .write_all(format!("{lines}PING\r\n").as_bytes())
            .expect("write");
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        while let Ok(read @ 1..) = self.stream.read(&mut chunk) {
            answer.extend_from_slice(&chunk[..read]);
            if answer.ends_with(b"PONG\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&answer).into_owned()
    }
}

/// Writes the configuration file and returns its path as a string.
fn write_config(path: &Path, text: &str) -> String {
    std::fs::write(path, text).expect("write config");
    path.to_str().expect("utf-8 path").to_owned()
}

fn config_in(dir: &Path) -> PathBuf {
    dir.join("rnats.conf")
}

#[test]
fn config_test_mode_reports_valid_and_invalid_files() {
    let dir = temp_dir("config-test");
    let path = write_config(&config_in(&dir), "port: 4333\nmax_payload: 2MB\n");
    let (status, _, stderr) = run_to_end(&["-t", "-c", &path]);
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "rnats: configuration file {path} is valid (sha256:"
        )),
        "{stderr}"
    );
    write_config(&config_in(&dir), "port: 4333\nping_interval: 5\nbogus: 1\n");
    let (status, _, stderr) = run_to_end(&["-t", "-c", &path]);
    assert_eq!(status.code(), Some(1));
    assert_eq!(
        stderr,
        format!(
            "rnats: {path}:2:1: invalid use of field \"ping_interval\": ping_interval should be \
             converted to a duration\n{path}:3:1: unknown field \"bogus\"\n\n"
        )
    );
    let (status, _, stderr) = run_to_end(&["-t"]);
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("must specify [-c, --config]"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_bad_file_stops_the_server_and_warnings_do_not() {
    let dir = temp_dir("config-bad");
    let path = write_config(&config_in(&dir), "port: \"x\"\n");
    let (status, _, stderr) = run_to_end(&["-c", &path]);
    assert_eq!(status.code(), Some(1));
    assert!(
        stderr.contains("interface {} is string, not int64"),
        "{stderr}"
    );
    let (status, _, stderr) = run_to_end(&["-c", &dir.join("missing.conf").display().to_string()]);
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("missing.conf"), "{stderr}");

    write_config(
        &config_in(&dir),
        "ping_interval: 5\ncluster { name: c, port: -1 }\n",
    );
    let mut process = Process::start(&["-c", &path, "-p", "-1", "-a", "127.0.0.1"]);
    process.wait_for("invalid use of field \"ping_interval\"");
    process.wait_for("[WRN] Ignoring the \"cluster\" block: rnats does not support clustering yet");
    process.wait_for(&format!("[INF] Using configuration file: {path} (sha256:"));
    process.ready();
    process.signal(libc::SIGINT);
    assert!(process.wait_exit().success());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn flags_override_the_file() {
    let dir = temp_dir("config-flags");
    let path = write_config(
        &config_in(&dir),
        "listen: 127.0.0.1:1\nserver_name: from-file\nmax_payload: 2KB\n\
         authorization { user: a, password: b }\n",
    );
    let mut process = Process::start(&["-c", &path, "-p", "-1", "--pass", "flag"]);
    let port = process.ready();
    let client = async_nats::ConnectOptions::with_user_and_password("a".into(), "flag".into())
        .connect(format!("nats://127.0.0.1:{port}"))
        .await
        .expect("user from the file, password from the flag");
    let info = client.server_info();
    assert_eq!(info.server_name, "from-file");
    assert_eq!(info.max_payload, 2048);
    drop(client);
    process.signal(libc::SIGINT);
    assert!(process.wait_exit().success());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn reload_applies_what_may_change_and_refuses_the_rest() {
    let dir = temp_dir("config-reload");
    let config = config_in(&dir);
    let pid_file = dir.join("rnats.pid");
    let pid_path = pid_file.to_str().expect("utf-8 path");
    let path = write_config(
        &config,
        &format!("listen: 127.0.0.1:-1\nmax_payload: 1KB\npid_file: \"{pid_path}\"\n"),
    );
    let mut process = Process::start(&["-c", &path]);
    let port = process.ready();
    let url = format!("nats://127.0.0.1:{port}");
    let before = async_nats::connect(&url).await.expect("connects");
    assert_eq!(before.server_info().max_payload, 1024);
    let mut subscription = before.subscribe("reload.>").await.expect("subscribes");
    before.flush().await.expect("flush");
    let mut raw = RawClient::connect(port);
    assert!(raw.exchange("CONNECT {}\r\n").ends_with("PONG\r\n"));

    // A change that cannot be made while running: nothing changes.
    write_config(
        &config,
        "listen: 127.0.0.1:-1\nmax_payload: 2KB\nserver_name: renamed\n",
    );
    process.signal(libc::SIGHUP);
    process.wait_for(
        "[ERR] Failed to reload server configuration: config reload not supported for \
         ServerName: old=, new=renamed",
    );
    let unchanged = async_nats::connect(&url).await.expect("connects");
    assert_eq!(unchanged.server_info().max_payload, 1024);

    // Reloadable changes apply, by SIGHUP and by --signal reload.
    let moved_pid = dir.join("moved.pid");
    write_config(
        &config,
        &format!(
            "listen: 127.0.0.1:-1\nmax_payload: 2KB\ndebug: true\npid_file: \"{}\"\n",
            moved_pid.display()
        ),
    );
    let (status, _, stderr) = run_to_end(&["--signal", &format!("reload={pid_path}")]);
    assert!(status.success(), "{stderr}");
    process.wait_for("[INF] Reloaded: debug = true");
    process.wait_for("[INF] Reloaded: pid_file = ");
    assert_eq!(
        std::fs::read_to_string(&moved_pid).expect("the new pid file"),
        process.child.id().to_string()
    );
    process.wait_for("[INF] Reloaded: max_payload = 2048");
    process.wait_for("[INF] Reloaded server configuration (sha256:");
    let after = async_nats::connect(&url).await.expect("connects");
    assert_eq!(after.server_info().max_payload, 2048);
    // A connection from before the reload takes the new limit too.
    let payload = "x".repeat(1500);
    let answer = raw.exchange(&format!("PUB reload.big 1500\r\n{payload}\r\n"));
    assert!(!answer.contains("-ERR"), "{answer}");
    let message = subscription.next().await.expect("delivered");
    assert_eq!(message.payload.len(), 1500);

    // Authentication added by a reload closes the clients it does not admit.
    write_config(
        &config,
        "listen: 127.0.0.1:-1\nmax_payload: 2KB\nauthorization { token: s3cr3t }\n",
    );
    process.signal(libc::SIGHUP);
    process.wait_for("[INF] Reloaded: authorization token");
    process.wait_for(" - authentication error");
    assert!(
        RawClient::connect(port)
            .exchange("CONNECT {}\r\n")
            .contains("-ERR 'Authorization Violation'"),
        "new clients need the token"
    );
    let admitted = async_nats::ConnectOptions::with_token("s3cr3t".into())
        .connect(&url)
        .await
        .expect("the token admits");
    admitted.flush().await.expect("flush");

    process.signal(libc::SIGINT);
    assert!(process.wait_exit().success());
    let _ = std::fs::remove_dir_all(dir);
}

/// Logs in on a raw connection as `user` (password `pw`) and subscribes to `subject`.
fn raw_login(port: u16, user: &str, subject: &str) -> RawClient {
    let mut client = RawClient::connect(port);
    let connect = format!("CONNECT {{\"user\":\"{user}\",\"pass\":\"pw\",\"verbose\":false}}\r\n");
    let answer = client.exchange(&format!("{connect}SUB {subject} 1\r\n"));
    assert!(answer.ends_with("PONG\r\n"), "{user}: {answer}");
    client
}

#[tokio::test]
async fn reload_changes_accounts_and_their_imports() {
    let dir = temp_dir("config-reload-accounts");
    let config = config_in(&dir);
    let exporter = "A { users [{user: a, password: pw}], exports [{stream: \"s.>\"}] }";
    let path = write_config(
        &config,
        &format!(
            "listen: 127.0.0.1:-1\naccounts {{\n{exporter}\n\
             B {{ users [{{user: b, password: pw}}] }}\n}}\n"
        ),
    );
    let mut process = Process::start(&["-c", &path]);
    let port = process.ready();
    let mut a = raw_login(port, "a", "x");
    let mut b = raw_login(port, "b", "s.>");

    // B imports A's stream, D is new.
    write_config(
        &config,
        &format!(
            "listen: 127.0.0.1:-1\naccounts {{\n{exporter}\n\
             B {{ users [{{user: b, password: pw}}], \
             imports [{{stream: {{account: A, subject: \"s.>\"}}}}] }}\n\
             D {{ users [{{user: d, password: pw}}] }}\n}}\n"
        ),
    );
    process.signal(libc::SIGHUP);
    process.wait_for("[INF] Reloaded: authorization users");
    process.wait_for("[INF] Reloaded: accounts");
    process.wait_for("[INF] Reloaded server configuration (sha256:");
    assert_eq!(a.exchange("PUB s.1 2\r\nhi\r\n"), "PONG\r\n");
    assert_eq!(
        b.exchange(""),
        "MSG s.1 1 2\r\nhi\r\nPONG\r\n",
        "the subscriber from before the reload gets the new import"
    );
    let d = async_nats::ConnectOptions::with_user_and_password("d".into(), "pw".into())
        .connect(format!("nats://127.0.0.1:{port}"))
        .await
        .expect("the new account's user connects");
    d.flush().await.expect("flush");

    // An import nothing exports: the reload is refused and the import stays.
    write_config(
        &config,
        "listen: 127.0.0.1:-1\naccounts {\nA { users [{user: a, password: pw}] }\n\
         B { users [{user: b, password: pw}], \
         imports [{stream: {account: A, subject: \"s.>\"}}] }\n}\n",
    );
    process.signal(libc::SIGHUP);
    process.wait_for("stream import not authorized");
    assert_eq!(a.exchange("PUB s.2 2\r\nho\r\n"), "PONG\r\n");
    assert_eq!(b.exchange(""), "MSG s.2 1 2\r\nho\r\nPONG\r\n");

    process.signal(libc::SIGINT);
    assert!(process.wait_exit().success());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_system_user_can_ask_for_a_reload() {
    let dir = temp_dir("config-reload-request");
    let config = config_in(&dir);
    let accounts = "accounts { SYS: { users: [{user: sys, password: pw}] } }\n\
                    system_account: SYS\nlisten: 127.0.0.1:-1\n";
    let path = write_config(&config, &format!("{accounts}max_payload: 1KB\n"));
    let mut process = Process::start(&["-c", &path]);
    let port = process.ready();
    let url = format!("nats://127.0.0.1:{port}");
    let system = async_nats::ConnectOptions::with_user_and_password("sys".into(), "pw".into())
        .connect(&url)
        .await
        .expect("connects");
    let id = system.server_info().server_id;
    let subject = format!("$SYS.REQ.SERVER.{id}.RELOAD");
    let ask = async || -> serde_json::Value {
        let reply = system
            .request(subject.clone(), "".into())
            .await
            .expect("answered");
        serde_json::from_slice(&reply.payload).expect("JSON")
    };

    write_config(&config, &format!("{accounts}max_payload: 2KB\n"));
    let done = ask().await;
    assert!(done.get("error").is_none(), "{done}");
    process.wait_for("[INF] Reloaded: max_payload = 2048");
    let after = async_nats::ConnectOptions::with_user_and_password("sys".into(), "pw".into())
        .connect(&url)
        .await
        .expect("connects");
    assert_eq!(after.server_info().max_payload, 2048);

    // A refused reload is the answer's error, and the log's.
    write_config(
        &config,
        &format!("{accounts}max_payload: 2KB\nserver_name: renamed\n"),
    );
    let refused = ask().await;
    assert_eq!(refused["error"]["code"], 500, "{refused}");
    assert_eq!(
        refused["error"]["description"],
        "config reload not supported for ServerName: old=, new=renamed"
    );
    process.wait_for("[ERR] Failed to reload server configuration: config reload not supported");

    process.signal(libc::SIGINT);
    assert!(process.wait_exit().success());
    let _ = std::fs::remove_dir_all(dir);
}
