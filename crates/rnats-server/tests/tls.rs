//! TLS over real TCP: async-nats clients and raw sockets against a server with a `tls`
//! block, with certificates made at test time.

#[path = "tls/certs.rs"]
mod certs;

use std::sync::Arc;
use std::time::{Duration, Instant};

use certs::Certs;
use futures::StreamExt;
use rnats_server::{HandshakeFirst, Options, Server, TlsOptions};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

const PATIENCE: Duration = Duration::from_secs(10);

fn tls_options(certs: &Certs) -> TlsOptions {
    TlsOptions {
        cert_file: Some(certs.path("server.pem")),
        key_file: Some(certs.path("server-key.pem")),
        ..TlsOptions::default()
    }
}

async fn start(tls: TlsOptions, allow_non_tls: bool) -> Server {
    Server::start(Options {
        tls: Some(tls),
        allow_non_tls,
        ..Options::local()
    })
    .await
    .expect("server starts")
}

fn url(server: &Server) -> String {
    format!("tls://127.0.0.1:{}", server.client_addr().port())
}

/// An async-nats connection trusting `ca`, with a client certificate when `client` names one.
async fn nats(
    server: &Server,
    certs: &Certs,
    ca: &str,
    client: Option<&str>,
) -> Result<async_nats::Client, async_nats::ConnectError> {
    let mut options = async_nats::ConnectOptions::new()
        .require_tls(true)
        .add_root_certificates(certs.path(ca));
    if let Some(name) = client {
        options = options.add_client_certificate(
            certs.path(&format!("{name}.pem")),
            certs.path(&format!("{name}-key.pem")),
        );
    }
    tokio::time::timeout(PATIENCE, options.connect(url(server)))
        .await
        .expect("connect finishes")
}

/// A raw TLS connector trusting the test CA.
fn connector(certs: &Certs) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(certs.path("ca.pem")).expect("ca") {
        roots.add(cert.expect("ca cert")).expect("root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// Reads one line (up to CRLF) within the patience, or what came before EOF.
async fn read_line<S: AsyncReadExt + Unpin>(stream: &mut S) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    let read = async {
        while !line.ends_with(b"\r\n") {
            match stream.read(&mut byte).await {
                Ok(1) => line.push(byte[0]),
                _ => break,
            }
        }
    };
    tokio::time::timeout(PATIENCE, read).await.expect("a line");
    String::from_utf8_lossy(&line).into_owned()
}

/// Whether the server closes `stream` (EOF or reset) within the patience, reading whatever
/// it sends meanwhile.
async fn closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(PATIENCE, read)
        .await
        .expect("server closes the connection");
    seen
}

/// A TLS client can still do a round trip: the server serves others meanwhile.
async fn round_trip(server: &Server, certs: &Certs, client: Option<&str>) {
    let client = nats(server, certs, "ca.pem", client)
        .await
        .expect("TLS client");
    let mut sub = client.subscribe("rt").await.expect("sub");
    client.publish("rt", "ok".into()).await.expect("pub");
    let msg = tokio::time::timeout(PATIENCE, sub.next())
        .await
        .expect("msg");
    assert_eq!(msg.expect("msg").payload.as_ref(), b"ok");
}

#[tokio::test]
async fn info_requires_tls_and_async_nats_publishes_and_subscribes() {
    let certs = Certs::new("pubsub");
    let server = start(tls_options(&certs), false).await;
    let mut raw = TcpStream::connect(server.client_addr()).await.expect("tcp");
    let info = read_line(&mut raw).await;
    assert!(info.contains("\"tls_required\":true"), "{info}");
    assert!(!info.contains("tls_verify") && !info.contains("tls_available"));
    drop(raw);

    let client = nats(&server, &certs, "ca.pem", None)
        .await
        .expect("TLS client");
    let mut sub = client.subscribe("big").await.expect("sub");
    let payload = vec![b'x'; 70_000];
    for _ in 0..200 {
        client
            .publish("big", payload.clone().into())
            .await
            .expect("pub");
    }
    client.flush().await.expect("flush");
    for _ in 0..200 {
        let msg = tokio::time::timeout(PATIENCE, sub.next())
            .await
            .expect("msg");
        assert_eq!(msg.expect("msg").payload.len(), payload.len());
    }
    server.shutdown().await;
}

#[tokio::test]
async fn plaintext_client_on_a_tls_port_is_closed() {
    let certs = Certs::new("plain");
    let server = start(tls_options(&certs), false).await;
    let mut raw = TcpStream::connect(server.client_addr()).await.expect("tcp");
    let info = read_line(&mut raw).await;
    assert!(info.starts_with("INFO "), "{info}");
    raw.write_all(b"CONNECT {}\r\nPING\r\n")
        .await
        .expect("send");
    let after = closed(&mut raw).await;
    assert!(after.is_empty(), "nothing after INFO: {after:?}");
    round_trip(&server, &certs, None).await;
    server.shutdown().await;
}

#[tokio::test]
async fn silent_client_is_closed_at_the_handshake_timeout() {
    let certs = Certs::new("timeout");
    let tls = TlsOptions {
        timeout: Duration::from_millis(300),
        ..tls_options(&certs)
    };
    let server = start(tls, false).await;
    let mut silent = TcpStream::connect(server.client_addr()).await.expect("tcp");
    let started = Instant::now();
    read_line(&mut silent).await;
    // Others are served while the silent one waits.
    round_trip(&server, &certs, None).await;
    closed(&mut silent).await;
    assert!(started.elapsed() >= Duration::from_millis(250));
    server.shutdown().await;
}

#[tokio::test]
async fn garbage_instead_of_a_client_hello_closes_only_that_connection() {
    let certs = Certs::new("garbage");
    let server = start(tls_options(&certs), false).await;
    let inputs: [&[u8]; 4] = [
        b"\x16\x03\x01\xff\xffgarbage garbage garbage",
        b"\x16\x03\x01\x00\x05hello",
        b"\x16",
        &[0u8; 64],
    ];
    for input in inputs {
        let mut raw = TcpStream::connect(server.client_addr()).await.expect("tcp");
        read_line(&mut raw).await;
        raw.write_all(input).await.expect("send");
        // A truncated record waits for the rest; closing our side must end it too.
        raw.shutdown().await.expect("half close");
        closed(&mut raw).await;
    }
    round_trip(&server, &certs, None).await;
    server.shutdown().await;
}

#[tokio::test]
async fn handshake_first_sends_no_plaintext_info() {
    let certs = Certs::new("first");
    let tls = TlsOptions {
        handshake_first: HandshakeFirst::On,
        timeout: Duration::from_millis(300),
        ..tls_options(&certs)
    };
    let server = start(tls, false).await;
    let client = async_nats::ConnectOptions::new()
        .tls_first()
        .add_root_certificates(certs.path("ca.pem"))
        .connect(url(&server))
        .await
        .expect("TLS-first client");
    client.flush().await.expect("round trip");
    // A client waiting for a plaintext INFO gets nothing, and is closed at the timeout.
    let mut raw = TcpStream::connect(server.client_addr()).await.expect("tcp");
    assert!(closed(&mut raw).await.is_empty());
    // A raw TLS client reads INFO over TLS right after the handshake.
    let tcp = TcpStream::connect(server.client_addr()).await.expect("tcp");
    let name = ServerName::try_from("localhost").expect("name");
    let mut tls = connector(&certs)
        .connect(name, tcp)
        .await
        .expect("handshake");
    let info = read_line(&mut tls).await;
    assert!(info.contains("\"tls_required\":true"), "{info}");
    server.shutdown().await;
}

#[tokio::test]
async fn handshake_first_with_a_fallback_delay_serves_both_kinds_of_client() {
    let certs = Certs::new("fallback");
    let tls = TlsOptions {
        handshake_first: HandshakeFirst::Fallback(Duration::from_millis(100)),
        ..tls_options(&certs)
    };
    let server = start(tls, false).await;
    let first = async_nats::ConnectOptions::new()
        .tls_first()
        .add_root_certificates(certs.path("ca.pem"))
        .connect(url(&server))
        .await
        .expect("TLS-first client");
    first.flush().await.expect("round trip");
    // A client that waits for INFO gets it after the delay, then upgrades.
    let mut raw = TcpStream::connect(server.client_addr()).await.expect("tcp");
    let started = Instant::now();
    let info = read_line(&mut raw).await;
    assert!(started.elapsed() >= Duration::from_millis(80));
    assert!(info.contains("\"tls_required\":true"), "{info}");
    round_trip(&server, &certs, None).await;
    server.shutdown().await;
}

#[tokio::test]
async fn allow_non_tls_takes_plaintext_and_tls_on_one_port() {
    let certs = Certs::new("mixed");
    let server = start(tls_options(&certs), true).await;
    let mut raw = TcpStream::connect(server.client_addr()).await.expect("tcp");
    let info = read_line(&mut raw).await;
    assert!(info.contains("\"tls_available\":true"), "{info}");
    assert!(!info.contains("tls_required"), "{info}");
    raw.write_all(b"CONNECT {\"verbose\":false}\r\nPING\r\n")
        .await
        .expect("send");
    assert_eq!(read_line(&mut raw).await, "PONG\r\n");
    let plain = async_nats::connect(server.client_url())
        .await
        .expect("plain");
    plain.flush().await.expect("plain round trip");
    round_trip(&server, &certs, None).await;
    server.shutdown().await;
}

#[tokio::test]
async fn verify_requires_a_client_certificate_from_the_ca() {
    let certs = Certs::new("verify");
    certs.other_ca("other");
    let tls = TlsOptions {
        ca_file: Some(certs.path("ca.pem")),
        verify: true,
        ..tls_options(&certs)
    };
    let server = start(tls, false).await;
    let mut raw = TcpStream::connect(server.client_addr()).await.expect("tcp");
    let info = read_line(&mut raw).await;
    assert!(
        info.contains("\"tls_required\":true,\"tls_verify\":true"),
        "{info}"
    );
    drop(raw);
    assert!(nats(&server, &certs, "ca.pem", None).await.is_err());
    assert!(
        nats(&server, &certs, "ca.pem", Some("other-client"))
            .await
            .is_err()
    );
    round_trip(&server, &certs, Some("client")).await;
    server.shutdown().await;
}

#[tokio::test]
async fn reload_installs_new_certificates_for_new_connections() {
    let certs = Certs::new("reload");
    certs.other_ca("next");
    let server = start(tls_options(&certs), false).await;
    let old = nats(&server, &certs, "ca.pem", None).await.expect("client");
    let new_options = Options {
        tls: Some(TlsOptions {
            cert_file: Some(certs.path("next-server.pem")),
            key_file: Some(certs.path("next-server-key.pem")),
            ..TlsOptions::default()
        }),
        ..(*server.options()).clone()
    };
    let changes = server.handle().reload(new_options).expect("reload");
    assert_eq!(
        changes,
        [
            "Reloaded: authorization users",
            "Reloaded: accounts",
            "Reloaded: tls = enabled"
        ]
    );
    assert!(nats(&server, &certs, "ca.pem", None).await.is_err());
    let new = nats(&server, &certs, "next-ca.pem", None)
        .await
        .expect("trusts the new CA");
    new.flush().await.expect("new round trip");
    old.flush().await.expect("the old connection goes on");
    // Unusable files refuse the reload and keep the running certificates.
    let broken = Options {
        tls: Some(TlsOptions {
            key_file: Some(certs.path("client-key.pem")),
            ..tls_options(&certs)
        }),
        ..(*server.options()).clone()
    };
    let error = server.handle().reload(broken).expect_err("mismatched key");
    assert!(
        error
            .to_string()
            .contains("private key does not match public key"),
        "{error}"
    );
    let allow = Options {
        allow_non_tls: true,
        ..(*server.options()).clone()
    };
    assert_eq!(
        server.handle().reload(allow).map_err(|e| e.to_string()),
        Err("config reload not supported for AllowNonTLS: old=false, new=true".to_owned())
    );
    server.shutdown().await;
}

#[tokio::test]
async fn unusable_tls_options_stop_the_start_with_the_reference_words() {
    let certs = Certs::new("start");
    let missing_key = TlsOptions {
        key_file: None,
        ..tls_options(&certs)
    };
    let error = Server::start(Options {
        tls: Some(missing_key),
        ..Options::local()
    })
    .await
    .err()
    .expect("refused");
    assert_eq!(error.to_string(), "missing 'key_file' in TLS configuration");
    std::fs::write(certs.path("bad.pem"), "garbage").expect("write");
    let bad = TlsOptions {
        cert_file: Some(certs.path("bad.pem")),
        ..tls_options(&certs)
    };
    assert_eq!(
        bad.validate().map_err(|e| e.to_string()),
        Err(
            "error parsing X509 certificate/key pair: tls: failed to find any PEM data in certificate input"
                .to_owned()
        )
    );
    let nowhere = TlsOptions {
        ca_file: Some(certs.path("nowhere.pem")),
        ..tls_options(&certs)
    };
    let text = nowhere.validate().expect_err("no CA file").to_string();
    assert!(text.starts_with("open ") && text.ends_with(": no such file or directory"));
}

#[tokio::test]
async fn https_monitoring_uses_the_server_certificate() {
    let certs = Certs::new("https");
    let server = Server::start(Options {
        tls: Some(tls_options(&certs)),
        https_port: Some(0),
        ..Options::local()
    })
    .await
    .expect("starts");
    let addr = server.monitoring_addr().expect("monitoring");
    let tcp = TcpStream::connect(addr).await.expect("tcp");
    let name = ServerName::try_from("localhost").expect("name");
    let mut tls = connector(&certs)
        .connect(name, tcp)
        .await
        .expect("handshake");
    tls.write_all(b"GET /varz HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .expect("request");
    let mut response = Vec::new();
    tokio::time::timeout(PATIENCE, tls.read_to_end(&mut response))
        .await
        .expect("response")
        .ok();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.0 200"), "{response}");
    assert!(response.contains("\"server_id\""));
    // Plain HTTP on the HTTPS port gets no answer.
    let mut plain = TcpStream::connect(addr).await.expect("tcp");
    plain
        .write_all(b"GET /varz HTTP/1.0\r\n\r\n")
        .await
        .expect("request");
    assert!(!String::from_utf8_lossy(&closed(&mut plain).await).contains("server_id"));
    server.shutdown().await;
}

#[test]
fn client_keys_load_as_pem() {
    // The generated files are what the server reads: a sanity check of the test support.
    let certs = Certs::new("pem");
    assert!(PrivateKeyDer::from_pem_file(certs.path("client-key.pem")).is_ok());
}

/// A user named `name` with publish rights to `allow` only.
fn mapped_user(name: &str, allow: &str) -> rnats_server::User {
    rnats_server::User::password(name, "").with_permissions(rnats_server::Permissions {
        publish: Some(rnats_server::SubjectPermission {
            allow: vec![allow.to_owned()],
            deny: Vec::new(),
        }),
        ..rnats_server::Permissions::default()
    })
}

#[tokio::test]
async fn verify_and_map_picks_the_user_the_certificate_names() {
    let certs = Certs::new("map");
    let tls = TlsOptions {
        ca_file: Some(certs.path("ca.pem")),
        verify_and_map: true,
        ..tls_options(&certs)
    };
    // No email user: the DNS name comes before the subject, as in the reference.
    let server = Server::start(Options {
        tls: Some(tls.clone()),
        users: vec![
            mapped_user("CN=alice,O=Acme", "subject.>"),
            mapped_user("alice.example.com", "dns.>"),
        ],
        ..Options::local()
    })
    .await
    .expect("server starts");
    let client = nats(&server, &certs, "ca.pem", Some("client"))
        .await
        .expect("the certificate is the credential");
    let mut all = client.subscribe(">").await.expect("subscribe");
    client.publish("subject.x", "no".into()).await.expect("pub");
    client.publish("dns.x", "yes".into()).await.expect("pub");
    client.flush().await.expect("flush");
    let first = tokio::time::timeout(PATIENCE, all.next())
        .await
        .expect("in time")
        .expect("a message");
    assert_eq!(
        first.subject.as_str(),
        "dns.x",
        "mapped to the DNS-name user"
    );
    server.shutdown().await;

    // A certificate that names no configured user is refused.
    let server = Server::start(Options {
        tls: Some(tls),
        users: vec![mapped_user("nobody", ">")],
        ..Options::local()
    })
    .await
    .expect("server starts");
    assert!(
        nats(&server, &certs, "ca.pem", Some("client"))
            .await
            .is_err()
    );
    server.shutdown().await;
}

/// `GET path` on the plain monitoring port: the body.
async fn monitoring_body(server: &Server, path: &str) -> String {
    let addr = server.monitoring_addr().expect("monitoring");
    let mut http = TcpStream::connect(addr).await.expect("tcp");
    http.write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes())
        .await
        .expect("request");
    let mut response = Vec::new();
    tokio::time::timeout(PATIENCE, http.read_to_end(&mut response))
        .await
        .expect("response")
        .expect("read");
    let response = String::from_utf8_lossy(&response);
    let (_, body) = response.split_once("\r\n\r\n").expect("headers end");
    body.to_owned()
}

#[tokio::test]
async fn connz_reports_the_tls_session_and_with_auth_the_client_certificate() {
    let certs = Certs::new("connz");
    let server = Server::start(Options {
        tls: Some(TlsOptions {
            ca_file: Some(certs.path("ca.pem")),
            verify: true,
            ..tls_options(&certs)
        }),
        http_port: Some(0),
        ..Options::local()
    })
    .await
    .expect("starts");
    let client = nats(&server, &certs, "ca.pem", Some("client"))
        .await
        .expect("TLS client");
    client.flush().await.expect("round trip");

    let body = monitoring_body(&server, "/connz").await;
    // The reference's order: after the client's name, lang and version.
    let at = |key: &str| body.find(&format!("\"{key}\"")).unwrap_or(usize::MAX);
    assert!(at("lang") < at("tls_version") && at("tls_version") < at("tls_cipher_suite"));
    let connz: serde_json::Value = serde_json::from_str(&body).expect("json");
    let conn = &connz["connections"][0];
    assert_eq!(conn["tls_version"], "1.3", "{conn}");
    let suites = [
        "TLS_AES_256_GCM_SHA384",
        "TLS_AES_128_GCM_SHA256",
        "TLS_CHACHA20_POLY1305_SHA256",
    ];
    assert!(
        suites.contains(&conn["tls_cipher_suite"].as_str().unwrap_or_default()),
        "{conn}"
    );
    assert!(conn.get("tls_peer_certs").is_none(), "{conn}");
    assert!(conn.get("tls_first").is_none(), "{conn}");

    let body = monitoring_body(&server, "/connz?auth=1").await;
    let connz: serde_json::Value = serde_json::from_str(&body).expect("json");
    let peer = &connz["connections"][0]["tls_peer_certs"];
    let der = CertificateDer::pem_file_iter(certs.path("client.pem"))
        .expect("client cert")
        .next()
        .expect("one cert")
        .expect("pem");
    let hex = |bytes: &[u8]| {
        use sha2::Digest;
        data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(bytes))
    };
    assert_eq!(peer[0]["subject"], "CN=alice,O=Acme", "{peer}");
    assert_eq!(peer[0]["cert_sha256"], hex(der.as_ref()), "{peer}");
    assert_eq!(peer[0]["spki_sha256"].as_str().map(str::len), Some(64));
    server.shutdown().await;
}
