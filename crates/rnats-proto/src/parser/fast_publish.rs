//! The fast path for the op busy connections send over and over:
//! `PUB <subject> [reply] <size>\r\n<payload>\r\n`, written the way clients write it.
//!
//! One pass over the control line, eight bytes at a time, collects the few bytes below 0x21
//! and checks they are exactly one or two single spaces, then CR, then LF. Everything else
//! (tabs, runs of blanks, a bare LF, a size that does not parse, a limit exceeded, a payload
//! not fully received) is left to the general parser, so every error and every quirk keeps a
//! single implementation; the fast path only ever returns what the general one would.

use super::scan::{below_0x21, flag_index, word};
use super::{ClientOp, Parsed, Publish, parse_size};

/// Where the arguments of `PUB ` start.
const ARGS: usize = 4;

/// Parses a complete, ordinary PUB at the front of `buf`, which starts with `PUB `.
///
/// `None` means: not the ordinary shape, or not complete; use the general parser.
pub(super) fn parse(buf: &[u8], max_control_line: usize, max_payload: usize) -> Option<Parsed<'_>> {
    let (marks, count) = control_marks(buf, ARGS + max_control_line + 2)?;
    // marks[..count] ends with the LF; the byte before it must be the CR.
    let newline = marks[count - 1];
    let carriage = marks[count - 2];
    if carriage + 1 != newline || buf[carriage] != b'\r' {
        return None;
    }
    let spaces = &marks[..count - 2];
    if spaces.iter().any(|&at| buf[at] != b' ') {
        return None;
    }
    let (subject, reply, size) = match *spaces {
        [space] => (&buf[ARGS..space], None, &buf[space + 1..carriage]),
        [first, second] => (
            &buf[ARGS..first],
            Some(&buf[first + 1..second]),
            &buf[second + 1..carriage],
        ),
        _ => return None,
    };
    // Empty arguments mean a run of blanks: the general parser's business.
    if subject.is_empty() || reply.is_some_and(<[u8]>::is_empty) || size.is_empty() {
        return None;
    }
    if carriage - ARGS > max_control_line {
        return None;
    }
    let size = parse_size(size).filter(|&size| size <= max_payload)?;
    let payload_start = newline + 1;
    let payload_end = payload_start + size;
    if buf.get(payload_end..payload_end + 2)? != b"\r\n" {
        return None;
    }
    let publish = Publish {
        subject,
        reply,
        headers: None,
        payload: &buf[payload_start..payload_end],
    };
    Some(Parsed::Op {
        op: ClientOp::Publish(publish),
        len: payload_end + 2,
    })
}

/// The positions of the bytes below 0x21 from `ARGS` up to and including the first LF, if
/// there are at most four of them, all spaces except a CR and the LF, within `limit` bytes.
fn control_marks(buf: &[u8], limit: usize) -> Option<([usize; 4], usize)> {
    let line = &buf[..buf.len().min(limit)];
    let mut marks = [0usize; 4];
    let mut count = 0;
    let mut at = ARGS;
    while at < line.len() {
        let end = (at + 8).min(line.len());
        let mut flagged = if end - at == 8 {
            below_0x21(word(&line[at..end]))
        } else {
            // The last few bytes: flag them one by one, in the same bit layout.
            line[at..end]
                .iter()
                .enumerate()
                .filter(|(_, b)| **b < 0x21)
                .fold(0u64, |flags, (i, _)| flags | 0x80 << (i * 8))
        };
        while flagged != 0 {
            let position = at + flag_index(flagged);
            flagged &= flagged - 1;
            match line[position] {
                // A borrow flagged a byte that is not below 0x21: not a mark.
                0x21.. => continue,
                b' ' | b'\r' if count < 3 => {}
                b'\n' if count >= 2 => {
                    marks[count] = position;
                    return Some((marks, count + 1));
                }
                _ => return None,
            }
            marks[count] = position;
            count += 1;
        }
        at = end;
    }
    None
}
