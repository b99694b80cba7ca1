//! The names check of the wholesale test: known calls into the instrumented
//! serde_json (7 pretty and 5 compact serializations of a value with three
//! objects, 3 parses), recorded as a time profile written to the path given
//! as the first argument.

use serde_json::{json, Value};
use std::hint::black_box;

fn main() {
    let out = std::env::args().nth(1).expect("usage: names OUT.pb.gz");
    let v = json!({"a": [{"b": 1}, {"c": [2, 3]}], "d": "x"});
    let text = serde_json::to_string(&v).unwrap();
    let file = inprof::create_private_file(out).unwrap();
    let g = inprof::start_cpu_profile(file).unwrap();
    for _ in 0..7 {
        black_box(serde_json::to_string_pretty(black_box(&v)).unwrap());
    }
    for _ in 0..5 {
        black_box(serde_json::to_string(black_box(&v)).unwrap());
    }
    for _ in 0..3 {
        let back: Value = serde_json::from_str(black_box(&text)).unwrap();
        assert_eq!(back, v);
    }
    g.stop().unwrap();
}
