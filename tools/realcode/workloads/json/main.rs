//! serde_json's workload: parse a 4 MB document to a `Value`, turn the
//! `Value` into structs, parse straight to structs, serialize compact and
//! pretty. Each phase is a function of its own (annotated, so that its
//! share of the profile can be compared with its share of the
//! uninstrumented run).

use serde::{Deserialize, Serialize};
use std::time::Instant;

#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
struct Record {
    id: u64,
    name: String,
    email: String,
    tags: Vec<String>,
    score: f64,
    active: bool,
    nested: Nested,
}

#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
struct Nested {
    a: u32,
    b: Option<String>,
    c: Vec<u32>,
    d: std::collections::BTreeMap<String, i64>,
}

fn records(n: usize) -> Vec<Record> {
    (0..n)
        .map(|i| Record {
            id: i as u64 * 7919,
            name: format!("user number {i} with a longer name"),
            email: format!("user{i}@example.org"),
            tags: (0..(i % 7)).map(|t| format!("tag-{t}")).collect(),
            score: i as f64 * 1.25 + 0.5,
            active: i % 3 == 0,
            nested: Nested {
                a: i as u32,
                b: (i % 2 == 0).then(|| "escaped \"quotes\" and \\ backslashes".into()),
                c: (0..(i % 11) as u32).collect(),
                d: (0..(i % 5))
                    .map(|k| (format!("k{k}"), k as i64 * -3))
                    .collect(),
            },
        })
        .collect()
}

#[inprof::profile(always)]
fn phase_parse(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

#[inprof::profile(always)]
fn phase_value_to_struct(v: serde_json::Value) -> Vec<Record> {
    serde_json::from_value(v).unwrap()
}

#[inprof::profile(always)]
fn phase_parse_to_struct(text: &str) -> Vec<Record> {
    serde_json::from_str(text).unwrap()
}

#[inprof::profile(always)]
fn phase_serialize(r: &[Record]) -> String {
    serde_json::to_string(r).unwrap()
}

#[inprof::profile(always)]
fn phase_serialize_pretty(r: &[Record]) -> String {
    serde_json::to_string_pretty(r).unwrap()
}

fn main() {
    let rec = records(20_000);
    let text = serde_json::to_string(&rec).unwrap();
    workload::run(|| {
        let mut t = Vec::new();
        let s = Instant::now();
        let v = phase_parse(&text);
        t.push(("parse", s.elapsed()));
        let s = Instant::now();
        let r = phase_value_to_struct(v);
        t.push(("value_to_struct", s.elapsed()));
        let s = Instant::now();
        let r2 = phase_parse_to_struct(&text);
        t.push(("parse_to_struct", s.elapsed()));
        let s = Instant::now();
        let out = phase_serialize(&r);
        t.push(("serialize", s.elapsed()));
        let s = Instant::now();
        let pretty = phase_serialize_pretty(&r2);
        t.push(("serialize_pretty", s.elapsed()));
        assert_eq!(out.len(), text.len());
        assert!(pretty.len() > out.len());
        assert_eq!(r, r2);
        t
    });
}

#[path = "../workload.rs"]
mod workload;
