//! Sublist benchmarks: insert, remove and match at 1k and 100k subscriptions.
//!
//! `cargo bench -p rnats-subject -- match` runs just the hot path.

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rnats_subject::Sublist;

const SIZES: [usize; 2] = [1_000, 100_000];
/// Distinct published subjects cycled through by the cached benchmarks:
/// well under the cache bound, so every call after warm-up is a hit.
const HOT_SUBJECTS: usize = 100;
/// Distinct subjects for the cache-miss benchmark: four times the cache
/// bound, so lookups miss and the cache keeps sweeping.
const COLD_SUBJECTS: usize = 4096;

fn literal(i: usize) -> String {
    format!("svc.{}.{}.req", i % 64, i)
}

/// A mix shaped like real interest: mostly literal, some `*`, a few `>`.
fn wildcard(i: usize) -> String {
    match i % 8 {
        0 => format!("svc.*.{i}.req"),
        1 => format!("svc.{}.{i}.*", i % 64),
        2 if i < 64 => format!("svc.{i}.>"),
        _ => literal(i),
    }
}

fn subjects(n: usize, f: fn(usize) -> String) -> Vec<String> {
    (0..n).map(f).collect()
}

fn filled(list: Sublist<u64>, subs: &[String]) -> Sublist<u64> {
    for (id, s) in (0..).zip(subs) {
        list.insert(s.as_bytes(), None, id).unwrap_or_default();
    }
    list
}

/// Published subjects spread over the whole subscription range.
fn published(n: usize, count: usize) -> Vec<String> {
    (0..count).map(|k| literal(k * n / count)).collect()
}

fn bench_match(c: &mut Criterion) {
    let mut g = c.benchmark_group("match");
    g.throughput(Throughput::Elements(1));
    for n in SIZES {
        let literal_subs = subjects(n, literal);
        let wildcard_subs = subjects(n, wildcard);
        let hot = published(n, HOT_SUBJECTS);
        // Distinct subjects beyond the cache bound; at 1k some have no
        // subscribers, which still costs a full miss.
        let cold: Vec<String> = (0..COLD_SUBJECTS)
            .map(|k| literal(k * n.max(COLD_SUBJECTS) / COLD_SUBJECTS))
            .collect();
        let cases = [
            (
                "cached_literal",
                filled(Sublist::new(), &literal_subs),
                &hot,
            ),
            (
                "uncached_literal",
                filled(Sublist::without_cache(), &literal_subs),
                &hot,
            ),
            (
                "cached_wildcard",
                filled(Sublist::new(), &wildcard_subs),
                &hot,
            ),
            (
                "uncached_wildcard",
                filled(Sublist::without_cache(), &wildcard_subs),
                &hot,
            ),
            (
                "cache_miss_literal",
                filled(Sublist::new(), &literal_subs),
                &cold,
            ),
            (
                "uncached_literal_cold",
                filled(Sublist::without_cache(), &literal_subs),
                &cold,
            ),
        ];
        for (name, list, pubs) in cases {
            g.bench_with_input(BenchmarkId::new(name, n), &list, |b, list| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % pubs.len();
                    black_box(list.matches(black_box(pubs[i].as_bytes())))
                });
            });
        }
    }
    g.finish();
}

fn bench_insert_remove(c: &mut Criterion) {
    let mut g = c.benchmark_group("insert_remove_one");
    g.throughput(Throughput::Elements(1));
    for n in SIZES {
        for (name, f) in [
            ("literal", literal as fn(usize) -> String),
            ("wildcard", wildcard),
        ] {
            let list = filled(Sublist::new(), &subjects(n, f));
            let extra = format!("svc.{}.{}.req", 7, n + 1);
            g.bench_function(BenchmarkId::new(name, n), |b| {
                b.iter(|| {
                    list.insert(extra.as_bytes(), None, u64::MAX)
                        .unwrap_or_default();
                    black_box(list.remove(extra.as_bytes(), None, &u64::MAX))
                });
            });
        }
    }
    g.finish();
}

fn bench_bulk(c: &mut Criterion) {
    for n in SIZES {
        let mut g = c.benchmark_group(format!("bulk_{n}"));
        g.throughput(Throughput::Elements(n as u64));
        if n > 10_000 {
            g.sample_size(10);
        }
        for (name, f) in [
            ("literal", literal as fn(usize) -> String),
            ("wildcard", wildcard),
        ] {
            let subs = subjects(n, f);
            g.bench_function(BenchmarkId::new("insert", name), |b| {
                b.iter_batched(
                    Sublist::new,
                    |list| filled(list, &subs),
                    BatchSize::PerIteration,
                );
            });
            g.bench_function(BenchmarkId::new("remove", name), |b| {
                b.iter_batched(
                    || filled(Sublist::new(), &subs),
                    |list| {
                        for (id, s) in (0..).zip(&subs) {
                            list.remove(s.as_bytes(), None, &id);
                        }
                        list
                    },
                    BatchSize::PerIteration,
                );
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench_match, bench_insert_remove, bench_bulk);
criterion_main!(benches);
