//! Parser and encoder benchmarks: the per-message work of the publish path.
//!
//! `cargo bench -p rnats-proto` runs them all; throughput is reported in bytes so runs with
//! different payload sizes compare directly.

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rnats_proto::{ClientParser, Delivery, Parsed};

/// A 64 KiB read buffer full of back-to-back PUBs, like one busy socket read.
fn pub_stream(payload: usize, with_reply: bool) -> Vec<u8> {
    let reply = if with_reply { " _INBOX.abcdefgh.1" } else { "" };
    let one = [
        format!("PUB orders.us.new{reply} {payload}\r\n").into_bytes(),
        vec![b'x'; payload],
        b"\r\n".to_vec(),
    ]
    .concat();
    one.repeat((64 * 1024 / one.len()).max(1))
}

/// Parses every op in `stream`; returns how many there were.
fn parse_all(parser: &mut ClientParser, stream: &[u8]) -> usize {
    let mut pos = 0;
    let mut ops = 0;
    while let Ok(parsed) = parser.parse(&stream[pos..]) {
        match parsed {
            Parsed::Op { op, len } => {
                black_box(op);
                pos += len;
                ops += 1;
            }
            Parsed::Skipped(len) => pos += len,
            Parsed::Incomplete { .. } => break,
        }
    }
    ops
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for (name, payload, reply) in [
        ("pub_16", 16, false),
        ("pub_128", 128, false),
        ("pub_1k", 1024, false),
        ("pub_reply_16", 16, true),
    ] {
        let stream = pub_stream(payload, reply);
        group.throughput(Throughput::Bytes(stream.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &stream, |b, stream| {
            let mut parser = ClientParser::new(4096, 1024 * 1024);
            b.iter(|| parse_all(&mut parser, black_box(stream)));
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for payload in [16usize, 128, 1024] {
        let data = vec![b'x'; payload];
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::new("msg", payload), &data, |b, data| {
            let mut out = BytesMut::with_capacity(1 << 20);
            b.iter(|| {
                let delivery = Delivery::new(b"orders.us.new", None, None, black_box(data));
                delivery.encode(b"12", false, &mut out);
                if out.len() > (1 << 20) - 2048 {
                    out.clear();
                }
            });
        });
    }
    // One message to five subscribers: the sizes are formatted once, then five cheap copies.
    group.throughput(Throughput::Elements(5));
    group.bench_function("msg_fanout_5", |b| {
        let data = vec![b'x'; 128];
        let mut out = BytesMut::with_capacity(1 << 20);
        b.iter(|| {
            let delivery = Delivery::new(b"orders.us.new", Some(b"_INBOX.a.1"), None, &data);
            for sid in [&b"1"[..], b"2", b"3", b"4", b"5"] {
                delivery.encode(sid, false, &mut out);
            }
            if out.len() > (1 << 20) - 4096 {
                out.clear();
            }
        });
    });
    group.finish();
}

criterion_group!(benches, parse, encode);
criterion_main!(benches);
