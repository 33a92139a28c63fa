//! Fuzzes the configuration parser: any text must parse or fail cleanly, and a parsed
//! document's digest must be stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(doc) = rnats_conf::parse_str(&text) {
        assert!(doc.digest.starts_with("sha256:"));
        for entry in doc.root.iter() {
            let _ = entry.value.kind.type_name();
            let _ = entry.key_position.to_string();
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = rnats_conf::parse_duration(s);
    }
});
