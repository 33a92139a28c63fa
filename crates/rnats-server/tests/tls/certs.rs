//! Certificates made at test time: a CA, a server certificate for 127.0.0.1 and localhost,
//! and client certificates, written as PEM files into a fresh temporary directory.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    SanType,
};

/// A directory of PEM files for one test, removed when dropped.
pub struct Certs {
    pub dir: PathBuf,
    ca: Issuer<'static, KeyPair>,
}

impl Certs {
    /// A new directory with `ca.pem`, `server.pem`/`server-key.pem`, and
    /// `client.pem`/`client-key.pem` (subject `CN=alice,O=Acme`, email and DNS SANs).
    pub fn new(name: &str) -> Certs {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rnats-tls-{name}-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            fastrand_suffix()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let ca = make_ca(&dir.join("ca.pem"), "Test CA");
        let certs = Certs { dir, ca };
        certs.leaf("server", &["localhost"], true);
        certs.leaf("client", &[], false);
        certs
    }

    /// A path in the directory.
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    #[allow(dead_code, reason = "not every test binary uses a second CA")]
    /// A second, unrelated CA with a server and a client certificate, prefixed `name-`.
    pub fn other_ca(&self, name: &str) {
        let ca = make_ca(&self.path(&format!("{name}-ca.pem")), "Other CA");
        let other = Certs {
            dir: self.dir.clone(),
            ca,
        };
        other.leaf(&format!("{name}-server"), &["localhost"], true);
        other.leaf(&format!("{name}-client"), &[], false);
        std::mem::forget(other);
    }

    /// Writes `<name>.pem` and `<name>-key.pem`, signed by this CA.
    fn leaf(&self, name: &str, dns: &[&str], server: bool) {
        let key = KeyPair::generate().expect("key");
        let names: Vec<String> = dns.iter().map(|s| (*s).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("params");
        if server {
            params
                .subject_alt_names
                .push(SanType::IpAddress([127, 0, 0, 1].into()));
            params
                .distinguished_name
                .push(DnType::CommonName, "localhost");
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        } else {
            params
                .distinguished_name
                .push(DnType::OrganizationName, "Acme");
            params.distinguished_name.push(DnType::CommonName, "alice");
            params.subject_alt_names.push(SanType::Rfc822Name(
                "alice@example.com".try_into().expect("email"),
            ));
            params.subject_alt_names.push(SanType::DnsName(
                "alice.example.com".try_into().expect("dns"),
            ));
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        }
        let cert = params.signed_by(&key, &self.ca).expect("signed");
        write(&self.path(&format!("{name}.pem")), &cert.pem());
        write(&self.path(&format!("{name}-key.pem")), &key.serialize_pem());
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn make_ca(path: &Path, name: &str) -> Issuer<'static, KeyPair> {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.self_signed(&key).expect("self signed");
    write(path, &cert.pem());
    Issuer::new(params, key)
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write pem");
}

fn fastrand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()))
}
