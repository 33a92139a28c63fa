//! Who a client certificate says the client is: the identities `verify_and_map` maps to
//! users.
//!
//! The subject is formatted as the reference formats it (RFC 2253 order, last RDN first,
//! with the short names C, ST, L, STREET, POSTALCODE, O, OU, CN and SERIALNUMBER, other
//! attributes as `OID=#hex`), so a user named after a certificate subject in a reference
//! configuration names the same certificate here.

use x509_cert::Certificate;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Tag, Tagged};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

/// One attribute of a distinguished name: its short name (or dotted OID) and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DnAttribute {
    /// `CN`, `O`, ... or the dotted OID for attributes without a short name.
    pub(crate) name: String,
    /// The value as text (strings decoded; other types as `#hex` of their DER).
    pub(crate) value: String,
}

/// The identities in a client's certificate, for authentication by `verify_and_map`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct CertIdentity {
    /// The subject as the reference prints it, e.g. `CN=alice,OU=eng,O=Acme,C=US`; attributes
    /// without a short name (DC, UID, emailAddress) come last as `OID=#hex`.
    pub(crate) subject: String,
    /// The subject with only the attributes that have a short name, in the same order.
    pub(crate) subject_short: String,
    /// The subject's relative distinguished names in certificate order (most significant
    /// first), each a set of attributes, for order-insensitive DN matching.
    pub(crate) subject_rdns: Vec<Vec<DnAttribute>>,
    /// Email addresses from the subject alternative names.
    pub(crate) emails: Vec<String>,
    /// DNS names from the subject alternative names.
    pub(crate) dns_names: Vec<String>,
    /// URIs from the subject alternative names.
    pub(crate) uris: Vec<String>,
}

/// The attributes with a short name, in the order the reference lists them before
/// reversing: (last OID arc under 2.5.4, short name).
const SHORT_NAMES: [(u32, &str); 9] = [
    (6, "C"),
    (8, "ST"),
    (7, "L"),
    (9, "STREET"),
    (17, "POSTALCODE"),
    (10, "O"),
    (11, "OU"),
    (3, "CN"),
    (5, "SERIALNUMBER"),
];

impl CertIdentity {
    /// Reads the identities of a DER certificate; `None` if it does not decode.
    pub(crate) fn from_der(der: &[u8]) -> Option<CertIdentity> {
        let cert = Certificate::from_der(der).ok()?;
        let tbs = &cert.tbs_certificate;
        let mut identity = CertIdentity::default();
        let mut extra: Vec<Vec<(String, String)>> = Vec::new();
        let mut standard: Vec<(u32, String)> = Vec::new();
        for rdn in tbs.subject.0.iter() {
            let mut attributes = Vec::new();
            for atv in rdn.0.iter() {
                let (name, value, hex) = attribute(&atv.oid, &atv.value);
                attributes.push(DnAttribute {
                    name: name.clone(),
                    value: value.clone(),
                });
                match short_arc(&atv.oid) {
                    Some(arc) => standard.push((arc, value)),
                    None => extra.push(vec![(name, hex)]),
                }
            }
            identity.subject_rdns.push(attributes);
        }
        let standard = standard_rdns(&standard);
        identity.subject_short = format_rdns(&standard);
        let mut all = extra;
        all.extend(standard);
        identity.subject = format_rdns(&all);
        for extension in tbs.extensions.iter().flatten() {
            if extension.extn_id != SUBJECT_ALT_NAME {
                continue;
            }
            let Ok(names) = SubjectAltName::from_der(extension.extn_value.as_bytes()) else {
                continue;
            };
            for name in names.0 {
                match name {
                    GeneralName::Rfc822Name(email) => identity.emails.push(email.to_string()),
                    GeneralName::DnsName(dns) => identity.dns_names.push(dns.to_string()),
                    GeneralName::UniformResourceIdentifier(uri) => {
                        identity.uris.push(uri.to_string());
                    }
                    _ => {}
                }
            }
        }
        Some(identity)
    }
}

const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");

/// The last arc of an attribute with a short name (2.5.4.x).
fn short_arc(oid: &ObjectIdentifier) -> Option<u32> {
    let arcs: Vec<u32> = oid.arcs().collect();
    match arcs.as_slice() {
        [2, 5, 4, arc] if SHORT_NAMES.iter().any(|(known, _)| known == arc) => Some(*arc),
        _ => None,
    }
}

/// One attribute's name, its value as text, and the text the reference shows for an
/// attribute without a short name (`#` and the hex of the value re-encoded).
fn attribute(oid: &ObjectIdentifier, value: &x509_cert::der::Any) -> (String, String, String) {
    let name = short_arc(oid)
        .and_then(|arc| SHORT_NAMES.iter().find(|(known, _)| *known == arc))
        .map_or_else(|| oid.to_string(), |(_, short)| (*short).to_owned());
    let bytes = value.value();
    let text = match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::TeletexString => {
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
        Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        _ => None,
    };
    match text {
        Some(text) => {
            let hex = format!("#{}", hex(&reencode_string(&text)));
            (name, text, hex)
        }
        None => {
            let mut der = vec![u8::from(value.tag())];
            push_length(&mut der, bytes.len());
            der.extend_from_slice(bytes);
            let hex = format!("#{}", hex(&der));
            (name, hex.clone(), hex)
        }
    }
}

/// A string value re-encoded the way the reference prints unnamed attributes: as a
/// PrintableString when every character allows it, else as a UTF8String.
fn reencode_string(text: &str) -> Vec<u8> {
    let printable = text.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(b, b' ' | b'\'' | b'(' | b')' | b'+' | b',')
            || matches!(b, b'-' | b'.' | b'/' | b':' | b'=' | b'?')
    });
    let mut der = vec![if printable { 0x13 } else { 0x0c }];
    push_length(&mut der, text.len());
    der.extend_from_slice(text.as_bytes());
    der
}

/// A DER length.
fn push_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    out.push(0x80 | (bytes.len() - skip) as u8);
    out.extend_from_slice(&bytes[skip..]);
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// The attributes with short names grouped as the reference groups them: one RDN per kind
/// (several values of a kind share it), in its fixed order; CN and SERIALNUMBER keep their
/// last value only.
fn standard_rdns(values: &[(u32, String)]) -> Vec<Vec<(String, String)>> {
    let mut rdns = Vec::new();
    for (arc, short) in SHORT_NAMES {
        let mut of_kind: Vec<(String, String)> = values
            .iter()
            .filter(|(a, _)| *a == arc)
            .map(|(_, v)| ((*short).to_owned(), v.clone()))
            .collect();
        if matches!(arc, 3 | 5) && of_kind.len() > 1 {
            of_kind.drain(..of_kind.len() - 1);
        }
        if !of_kind.is_empty() {
            rdns.push(of_kind);
        }
    }
    rdns
}

/// RFC 2253 text: last RDN first, RDNs joined by `,`, attributes of one RDN by `+`.
fn format_rdns(rdns: &[Vec<(String, String)>]) -> String {
    let mut out = String::new();
    for (i, rdn) in rdns.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, (name, value)) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            out.push_str(name);
            out.push('=');
            if value.starts_with('#') && !SHORT_NAMES.iter().any(|(_, s)| s == name) {
                out.push_str(value);
            } else {
                escape_into(&mut out, value);
            }
        }
    }
    out
}

/// Escapes a value as RFC 2253 asks: `,+"\<>;` always, a leading `#` or space and a
/// trailing space.
fn escape_into(out: &mut String, value: &str) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let escape = match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => true,
            ' ' => i == 0 || i == last,
            '#' => i == 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_escape_as_rfc_2253() {
        let mut out = String::new();
        escape_into(&mut out, " #a,b+c ");
        assert_eq!(out, "\\ #a\\,b\\+c\\ ");
    }

    #[test]
    fn rdns_print_last_first() {
        let rdns = vec![
            vec![("C".to_owned(), "US".to_owned())],
            vec![
                ("OU".to_owned(), "a".to_owned()),
                ("OU".to_owned(), "b".to_owned()),
            ],
            vec![("CN".to_owned(), "derek, jr".to_owned())],
        ];
        assert_eq!(format_rdns(&rdns), "CN=derek\\, jr,OU=a+OU=b,C=US");
    }

    #[test]
    fn identities_come_from_the_subject_and_the_alternative_names() {
        use rcgen::{CertificateParams, DnType, KeyPair, SanType};
        let key = KeyPair::generate().expect("key");
        let mut params =
            CertificateParams::new(vec!["client.example.com".to_owned()]).expect("params");
        params.distinguished_name.push(DnType::CountryName, "US");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Acme");
        params
            .distinguished_name
            .push(DnType::CommonName, "derek, jr");
        params.distinguished_name.push(
            DnType::CustomDnType(vec![0, 9, 2342, 19_200_300, 100, 1, 25]),
            "example",
        );
        params.subject_alt_names.push(SanType::Rfc822Name(
            "derek@example.com".try_into().expect("email"),
        ));
        let cert = params.self_signed(&key).expect("cert");
        let identity = CertIdentity::from_der(cert.der()).expect("decodes");
        // As the reference prints it: short names last RDN first, others after as #hex.
        assert_eq!(
            identity.subject,
            "CN=derek\\, jr,O=Acme,C=US,0.9.2342.19200300.100.1.25=#13076578616d706c65"
        );
        assert_eq!(identity.subject_short, "CN=derek\\, jr,O=Acme,C=US");
        assert_eq!(identity.emails, ["derek@example.com"]);
        assert_eq!(identity.dns_names, ["client.example.com"]);
        assert_eq!(identity.subject_rdns.len(), 4);
        assert!(
            identity
                .subject_rdns
                .iter()
                .flatten()
                .any(|a| a.name == "CN" && a.value == "derek, jr")
        );
    }

    #[test]
    fn garbage_is_no_identity() {
        assert_eq!(CertIdentity::from_der(b"\x30\x03\x02\x01"), None);
        assert_eq!(CertIdentity::from_der(&[]), None);
    }
}
