//! Feeds arbitrary bytes to the client parser, split into reads at fuzzer-chosen points, and
//! checks it never panics, always makes progress, and gives the same result however the input
//! was split.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rnats_proto::{ClientParser, Parsed};

/// Runs the parser over `chunks` the way a connection's reader does; returns a summary of
/// every op and the error, if any.
fn drive(chunks: &[&[u8]], headers: bool) -> Vec<String> {
    let mut parser = ClientParser::new(64, 256);
    parser.set_headers(headers);
    let mut buffer = Vec::new();
    let mut events = Vec::new();
    for chunk in chunks {
        buffer.extend_from_slice(chunk);
        let mut pos = 0;
        loop {
            match parser.parse(&buffer[pos..]) {
                Ok(Parsed::Op { op, len }) => {
                    assert!(len > 0 && pos + len <= buffer.len(), "op length out of bounds");
                    events.push(format!("{op:?}"));
                    pos += len;
                }
                Ok(Parsed::Skipped(n)) => {
                    assert!(n > 0 && pos + n <= buffer.len(), "skip length out of bounds");
                    pos += n;
                }
                Ok(Parsed::Incomplete { .. }) => break,
                Err(error) => {
                    events.push(format!("error {error:?}"));
                    return events;
                }
            }
        }
        buffer.drain(..pos);
        // Bounded memory: what the parser asks us to keep never exceeds one op's worth.
        assert!(buffer.len() <= 64 + 16 + 256 + 2 + 64, "buffer grew to {}", buffer.len());
    }
    events
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, input)) = data.split_first() else { return };
    let headers = control & 1 == 1;
    let whole = drive(&[input], headers);
    // Split points derived from the control byte, so the fuzzer explores them too.
    let step = usize::from(control >> 1).max(1);
    let chunks: Vec<&[u8]> = input.chunks(step).collect();
    assert_eq!(whole, drive(&chunks, headers), "splitting changed the result");
});
