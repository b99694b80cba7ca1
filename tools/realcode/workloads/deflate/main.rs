//! miniz_oxide's workload: compress 4 MB of text-like data at levels 1, 6
//! and 9, and decompress it. Each phase is a function of its own.

use std::time::Instant;

fn corpus(n: usize) -> Vec<u8> {
    // Words from a small vocabulary with varying repeats: text-like
    // redundancy, so that levels differ.
    let words = [
        "profile", "the", "call", "path", "of", "every", "thread", "is", "exact", "measured",
        "not", "sampled", "heap", "block", "mutex", "allocation", "frame", "pointer", "walk",
    ];
    let mut out = Vec::with_capacity(n);
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(words[(x % words.len() as u64) as usize].as_bytes());
        out.push(if x % 13 == 0 { b'\n' } else { b' ' });
        if x % 97 == 0 {
            out.extend_from_slice(format!("{}", x % 100_000).as_bytes());
        }
    }
    out.truncate(n);
    out
}

#[inprof::profile(always)]
fn phase_compress_1(d: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(d, 1)
}

#[inprof::profile(always)]
fn phase_compress_6(d: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(d, 6)
}

#[inprof::profile(always)]
fn phase_compress_9(d: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(d, 9)
}

#[inprof::profile(always)]
fn phase_decompress(c: &[u8]) -> Vec<u8> {
    miniz_oxide::inflate::decompress_to_vec(c).unwrap()
}

fn main() {
    let data = corpus(4 << 20);
    workload::run(|| {
        let mut t = Vec::new();
        let s = Instant::now();
        let c1 = phase_compress_1(&data);
        t.push(("compress_1", s.elapsed()));
        let s = Instant::now();
        let c6 = phase_compress_6(&data);
        t.push(("compress_6", s.elapsed()));
        let s = Instant::now();
        let c9 = phase_compress_9(&data);
        t.push(("compress_9", s.elapsed()));
        let s = Instant::now();
        let d = phase_decompress(&c6);
        t.push(("decompress", s.elapsed()));
        assert!(c9.len() <= c6.len() && c6.len() < c1.len());
        assert_eq!(d, data);
        t
    });
}

#[path = "../workload.rs"]
mod workload;
