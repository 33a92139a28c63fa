//! The TLS flags and the `tls` block, with rnats as a process.

#[path = "../../rnats-server/tests/tls/certs.rs"]
mod certs;
mod common;

use certs::Certs;
use common::{Process, run_to_end};

fn path(certs: &Certs, file: &str) -> String {
    certs.path(file).display().to_string()
}

/// A client trusting the test CA gets through a TLS round trip on `port`.
async fn tls_round_trip(certs: &Certs, port: u16) {
    let client = async_nats::ConnectOptions::new()
        .require_tls(true)
        .add_root_certificates(certs.path("ca.pem"))
        .connect(format!("tls://127.0.0.1:{port}"))
        .await
        .expect("TLS client connects");
    client.flush().await.expect("round trip");
}

#[tokio::test]
async fn tls_flags_start_a_tls_port() {
    let certs = Certs::new("flags");
    let (cert, key) = (path(&certs, "server.pem"), path(&certs, "server-key.pem"));
    let mut server = Process::start(&[
        "-a",
        "127.0.0.1",
        "-p",
        "-1",
        "--tls",
        "--tlscert",
        &cert,
        "--tlskey",
        &key,
    ]);
    let port = server.ready();
    server.wait_for("TLS required for client connections");
    tls_round_trip(&certs, port).await;
    server.signal(libc::SIGTERM);
    server.wait_exit();
}

#[tokio::test]
async fn tls_block_with_allow_non_tls_in_a_file() {
    let certs = Certs::new("file");
    let config = certs.path("server.conf");
    std::fs::write(
        &config,
        format!(
            "listen: 127.0.0.1:-1\nallow_non_tls: true\ntls {{\n  cert_file: \"{}\"\n  key_file: \"{}\"\n  timeout: 1.5\n}}\n",
            path(&certs, "server.pem"),
            path(&certs, "server-key.pem")
        ),
    )
    .expect("config");
    let mut server = Process::start(&["-c", &config.display().to_string()]);
    let port = server.ready();
    server.wait_for("TLS available for client connections");
    tls_round_trip(&certs, port).await;
    let plain = async_nats::connect(format!("nats://127.0.0.1:{port}"))
        .await
        .expect("plaintext client");
    plain.flush().await.expect("plaintext round trip");
    server.signal(libc::SIGTERM);
    server.wait_exit();
}

#[test]
fn tls_flags_without_a_certificate_are_refused() {
    let (status, _, stderr) = run_to_end(&["--tls"]);
    assert!(!status.success());
    assert!(
        stderr.contains("TLS Server certificate must be present and valid"),
        "{stderr}"
    );
    let (status, _, stderr) = run_to_end(&["--tlscert", "x.pem"]);
    assert!(!status.success());
    assert!(
        stderr.contains("TLS Server private key must be present and valid"),
        "{stderr}"
    );
}

#[test]
fn bad_tls_blocks_are_reported_by_the_check() {
    let certs = Certs::new("check");
    let cert = path(&certs, "server.pem");
    let cases = [
        (
            format!("tls {{ cert_file: \"{cert}\" }}"),
            "missing 'key_file' in TLS configuration",
        ),
        (
            format!("tls {{ cert_file: \"{cert}\", key_file: \"{cert}\" }}"),
            "error parsing X509 certificate/key pair: tls: failed to find any PEM data in key input",
        ),
        (
            "tls { bogus: 1 }".to_owned(),
            "error parsing tls config, unknown field \"bogus\"",
        ),
        (
            "tls { verify: \"yes\" }".to_owned(),
            "error parsing tls config, expected 'verify' to be a boolean",
        ),
        (
            "tls { cipher_suites: [\"TLS_FOO\"] }".to_owned(),
            "unrecognized cipher TLS_FOO",
        ),
        (
            "tls { handshake_first: \"bad\" }".to_owned(),
            "field \"handshake_first\"'s value \"bad\" is invalid",
        ),
    ];
    for (text, expected) in cases {
        let config = certs.path("check.conf");
        std::fs::write(&config, format!("port: 4222\n{text}\n")).expect("config");
        let (status, _, stderr) = run_to_end(&["-t", "-c", &config.display().to_string()]);
        assert!(!status.success(), "{text}");
        assert!(stderr.contains(expected), "{text}: {stderr}");
    }
}
