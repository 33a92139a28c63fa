//! Arbitrary CONNECT JSON never panics the decoder, and a failed decode changes nothing.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rnats_proto::ConnectOptions;

fuzz_target!(|data: &[u8]| {
    let mut options = ConnectOptions::default();
    if options.apply_json(data).is_err() {
        assert_eq!(options, ConnectOptions::default());
    }
});
