//! Any text as a NATS JWT: decoding returns an error or claims, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rnats_server::jwt::{AccountClaims, Claims, Kind, UserClaims, decode};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _: Result<Claims<UserClaims>, _> = decode(&text, Kind::User);
    let _: Result<Claims<AccountClaims>, _> = decode(&text, Kind::Account);
    let _: Result<Claims<serde_json::Value>, _> = decode(&text, Kind::Generic);
});
