//! The INFO a TLS port sends, and what it does with a plaintext client, against the reference
//! nats-server 2.15 with the same certificates.

#[path = "tls/certs.rs"]
mod certs;

use std::net::SocketAddr;
use std::time::Duration;

use certs::Certs;
use rnats_server::{Options, Server, TlsOptions};
use rnats_testkit::{ReferenceServer, normalize_info_line};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PATIENCE: Duration = Duration::from_secs(10);

/// The first line a server sends, and what follows a plaintext CONNECT and PING.
async fn plaintext_transcript(addr: SocketAddr) -> (Vec<u8>, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.expect("tcp");
    let mut info = Vec::new();
    let mut byte = [0u8; 1];
    while !info.ends_with(b"\r\n") {
        match tokio::time::timeout(PATIENCE, stream.read(&mut byte)).await {
            Ok(Ok(1)) => info.push(byte[0]),
            _ => break,
        }
    }
    let _ = stream.write_all(b"CONNECT {}\r\nPING\r\n").await;
    // Until the server closes, or answers (a plaintext client where that is allowed).
    let mut rest = Vec::new();
    let mut buf = [0u8; 1024];
    let read = async {
        while !rest.ends_with(b"PONG\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => rest.extend_from_slice(&buf[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(PATIENCE, read).await;
    (normalize_info_line(&info), rest)
}

/// The reference's configuration text for the same settings.
fn reference_config(certs: &Certs, extra_tls: &str, top: &str) -> String {
    format!(
        "{top}\ntls {{\n cert_file: \"{}\"\n key_file: \"{}\"\n ca_file: \"{}\"\n {extra_tls}\n}}\n",
        certs.path("server.pem").display(),
        certs.path("server-key.pem").display(),
        certs.path("ca.pem").display(),
    )
}

async fn compare(name: &str, tls: TlsOptions, allow_non_tls: bool, extra: &str, top: &str) {
    let certs = Certs::new(name);
    let tls = TlsOptions {
        cert_file: Some(certs.path("server.pem")),
        key_file: Some(certs.path("server-key.pem")),
        ca_file: Some(certs.path("ca.pem")),
        ..tls
    };
    let reference = ReferenceServer::builder()
        .config(reference_config(&certs, extra, top))
        .start_async()
        .await;
    let server = Server::start(Options {
        tls: Some(tls),
        allow_non_tls,
        ..Options::local()
    })
    .await
    .expect("starts");
    let ours = plaintext_transcript(server.client_addr()).await;
    let theirs = plaintext_transcript(reference.addr()).await;
    assert_eq!(
        String::from_utf8_lossy(&ours.0),
        String::from_utf8_lossy(&theirs.0),
        "{name}: INFO"
    );
    assert_eq!(
        String::from_utf8_lossy(&ours.1),
        String::from_utf8_lossy(&theirs.1),
        "{name}: after a plaintext CONNECT"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn tls_info_and_plaintext_clients_match_the_reference() {
    compare("required", TlsOptions::default(), false, "", "").await;
    let verify = TlsOptions {
        verify: true,
        ..TlsOptions::default()
    };
    compare("verify", verify, false, "verify: true", "").await;
    compare(
        "available",
        TlsOptions::default(),
        true,
        "",
        "allow_non_tls: true",
    )
    .await;
}
