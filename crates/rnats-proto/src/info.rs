//! The INFO a server sends to clients.
//!
//! Fields appear in the order nats-server writes them, and optional ones are left out when
//! unset, so a client sees the same JSON shape from rnats as from the reference.

use bytes::{BufMut, BytesMut};
use serde::Serialize;

/// The JSON body of an `INFO` line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServerInfo {
    /// The server's public NKey (`N...`).
    pub server_id: String,
    /// The configured name, or the server id.
    pub server_name: String,
    /// The nats-server version this server is compatible with.
    pub version: String,
    /// Protocol level: 1 for clients.
    pub proto: i32,
    /// Build commit, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    /// The toolchain that built the server (`go` in the reference).
    pub go: String,
    /// Host clients connect to.
    pub host: String,
    /// Port clients connect to.
    pub port: u16,
    /// Headers (HPUB/HMSG) are supported.
    pub headers: bool,
    /// Clients must authenticate.
    #[serde(skip_serializing_if = "is_false")]
    pub auth_required: bool,
    /// Clients must use TLS.
    #[serde(skip_serializing_if = "is_false")]
    pub tls_required: bool,
    /// Client certificates are verified.
    #[serde(skip_serializing_if = "is_false")]
    pub tls_verify: bool,
    /// TLS is possible but not required.
    #[serde(skip_serializing_if = "is_false")]
    pub tls_available: bool,
    /// The largest payload the server accepts.
    pub max_payload: i32,
    /// JetStream is enabled.
    #[serde(skip_serializing_if = "is_false")]
    pub jetstream: bool,
    /// The connection id of the client this INFO is sent to.
    pub client_id: u64,
    /// The address the client connected from.
    pub client_ip: String,
    /// Random bytes the client signs to prove it holds an NKey.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Cluster name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Other servers of the cluster clients may connect to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub connect_urls: Vec<String>,
    /// The server is in lame duck mode.
    #[serde(skip_serializing_if = "is_false")]
    pub ldm: bool,
    /// Marks the INFO that answers the first PING after CONNECT.
    #[serde(skip_serializing_if = "is_false")]
    pub connect_info: bool,
    /// The account the client is bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_account: Option<String>,
    /// The bound account is the system account.
    #[serde(skip_serializing_if = "is_false")]
    pub acc_is_sys: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl ServerInfo {
    /// Appends `INFO <json> \r\n`; the space before CRLF is what the reference sends.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_slice(b"INFO ");
        // Serializing plain strings, numbers and bools into memory cannot fail.
        if serde_json::to_writer(out.writer(), self).is_err() {
            debug_assert!(false, "INFO serialization failed");
        }
        out.put_slice(b" \r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_reference() {
        let info = ServerInfo {
            server_id: "NABC".into(),
            server_name: "n".into(),
            version: "2.15.0".into(),
            proto: 1,
            go: "rust".into(),
            host: "127.0.0.1".into(),
            port: 4222,
            headers: true,
            auth_required: true,
            max_payload: 1_048_576,
            client_id: 5,
            client_ip: "127.0.0.1".into(),
            ..ServerInfo::default()
        };
        let mut out = BytesMut::new();
        info.encode(&mut out);
        assert_eq!(
            std::str::from_utf8(&out).expect("utf-8"),
            "INFO {\"server_id\":\"NABC\",\"server_name\":\"n\",\"version\":\"2.15.0\",\"proto\":1,\
             \"go\":\"rust\",\"host\":\"127.0.0.1\",\"port\":4222,\"headers\":true,\
             \"auth_required\":true,\"max_payload\":1048576,\"client_id\":5,\
             \"client_ip\":\"127.0.0.1\"} \r\n"
        );
    }
}
