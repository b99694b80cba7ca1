//! The pprof format (`perftools.profiles`, profile.proto) and one builder
//! that serves every profile inprof writes.
//!
//! Message structs are declared with `message!` (format/proto.rs), which
//! writes and reads protobuf's wire format (no protoc, no build script,
//! no prost: proto.rs says why). The same structs decode profiles.

use crate::format::proto::{message, Message};
use std::collections::HashMap;
use std::io::{Read, Write};

message! {
    /// `perftools.profiles.Profile`.
    pub struct Profile {
        /// Kinds of value each sample holds.
        1 => pub sample_type: Vec<ValueType>,
        /// The samples.
        2 => pub sample: Vec<Sample>,
        /// Mapped binaries.
        3 => pub mapping: Vec<Mapping>,
        /// Locations referenced by samples.
        4 => pub location: Vec<Location>,
        /// Functions referenced by locations.
        5 => pub function: Vec<Function>,
        /// All strings; entry 0 is "".
        6 => pub string_table: Vec<String>,
        /// Regex of frames to drop (string index).
        7 => pub drop_frames: i64,
        /// Regex of frames to keep (string index).
        8 => pub keep_frames: i64,
        /// Time of collection, ns since the epoch.
        9 => pub time_nanos: i64,
        /// Duration of the profile, ns.
        10 => pub duration_nanos: i64,
        /// Kind of events between sampled occurrences.
        11 => pub period_type: Option<ValueType>,
        /// Events between sampled occurrences.
        12 => pub period: i64,
        /// Free-form comments (string indices).
        13 => pub comment: Vec<i64>,
        /// Preferred sample type (string index).
        14 => pub default_sample_type: i64,
        /// Documentation link (string index).
        15 => pub doc_url: i64,
    }
}

message! {
    /// `ValueType`: a type and unit, as string indices.
    pub struct ValueType {
        /// Type (string index).
        1 => pub r#type: i64,
        /// Unit (string index).
        2 => pub unit: i64,
    }
}

message! {
    /// One sample: a stack (leaf first) and its values.
    pub struct Sample {
        /// Location ids, leaf first.
        1 => pub location_id: Vec<u64>,
        /// One value per sample type.
        2 => pub value: Vec<i64>,
        /// Labels.
        3 => pub label: Vec<Label>,
    }
}

message! {
    /// A sample label: string or number.
    pub struct Label {
        /// Key (string index).
        1 => pub key: i64,
        /// String value (string index), or 0.
        2 => pub str: i64,
        /// Numeric value.
        3 => pub num: i64,
        /// Unit of the numeric value (string index).
        4 => pub num_unit: i64,
    }
}

message! {
    /// A mapped binary.
    pub struct Mapping {
        /// Unique nonzero id.
        1 => pub id: u64,
        /// Start address.
        2 => pub memory_start: u64,
        /// Limit address.
        3 => pub memory_limit: u64,
        /// File offset.
        4 => pub file_offset: u64,
        /// Path (string index).
        5 => pub filename: i64,
        /// Build id (string index).
        6 => pub build_id: i64,
        /// Locations carry function names.
        7 => pub has_functions: bool,
        /// Locations carry file names.
        8 => pub has_filenames: bool,
        /// Locations carry line numbers.
        9 => pub has_line_numbers: bool,
        /// Locations carry inline frames.
        10 => pub has_inline_frames: bool,
    }
}

message! {
    /// A location: address and the lines (innermost first) at it.
    pub struct Location {
        /// Unique nonzero id.
        1 => pub id: u64,
        /// Mapping id, or 0.
        2 => pub mapping_id: u64,
        /// Address, or 0.
        3 => pub address: u64,
        /// Lines, innermost first.
        4 => pub line: Vec<Line>,
        /// Folded frames.
        5 => pub is_folded: bool,
    }
}

message! {
    /// A function and line.
    pub struct Line {
        /// Function id.
        1 => pub function_id: u64,
        /// Line number.
        2 => pub line: i64,
        /// Column.
        3 => pub column: i64,
    }
}

message! {
    /// A function.
    pub struct Function {
        /// Unique nonzero id.
        1 => pub id: u64,
        /// Name (string index).
        2 => pub name: i64,
        /// System name (string index).
        3 => pub system_name: i64,
        /// Source file (string index).
        4 => pub filename: i64,
        /// First line.
        5 => pub start_line: i64,
    }
}

/// Limits on what [`Profile::decode_with`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// The most bytes a profile may take once decompressed (decoded
    /// messages take up to about 8 times that in memory).
    pub max_decoded: usize,
}

/// The most the magnitudes of one sample type's values may add up to in a
/// profile ([`Profile::validate`]): 2^62 − 1.
pub const MAX_VALUE_SUM: i64 = (1 << 62) - 1;

/// The default [`DecodeLimits::max_decoded`]: 64 MiB, far above real
/// profiles (a 30 s CPU profile of a busy Go server is about 1 MiB).
pub const DEFAULT_MAX_DECODED: usize = 64 << 20;

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_decoded: DEFAULT_MAX_DECODED,
        }
    }
}

/// A frame as the builder takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Frame<'a> {
    /// Function name.
    pub name: &'a str,
    /// Source file.
    pub file: &'a str,
    /// Line.
    pub line: u32,
}

/// A label as the builder takes it.
#[derive(Clone, Copy, Debug)]
pub enum LabelValue<'a> {
    /// A string label.
    Str(&'a str),
    /// A numeric label with an optional unit.
    Num(i64, Option<&'a str>),
}

/// Builds one [`Profile`]: string table with "" first, ids from 1, one
/// mapping for the executable, every location with its function's lines.
pub struct Builder {
    p: Profile,
    strings: HashMap<String, i64>,
    functions: HashMap<(i64, i64, i64), u64>,
    locations: HashMap<u64, u64>,
}

impl Builder {
    /// A builder for samples of `sample_types` (type, unit), with the given
    /// period type and period. `default` names the default sample type
    /// (None: the last one, pprof's rule).
    pub fn new(
        sample_types: &[(&str, &str)],
        period_type: (&str, &str),
        period: i64,
        default: Option<&str>,
    ) -> Builder {
        let mut b = Builder {
            p: Profile::default(),
            strings: HashMap::new(),
            functions: HashMap::new(),
            locations: HashMap::new(),
        };
        b.string("");
        for (t, u) in sample_types {
            let vt = ValueType {
                r#type: b.string(t),
                unit: b.string(u),
            };
            b.p.sample_type.push(vt);
        }
        let pt = ValueType {
            r#type: b.string(period_type.0),
            unit: b.string(period_type.1),
        };
        b.p.period_type = Some(pt);
        b.p.period = period;
        if let Some(d) = default {
            b.p.default_sample_type = b.string(d);
        }
        let exe = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        // The executable's text first (mapping 1: every instrumented
        // location), then every other executable mapping (native frames
        // in shared libraries and the vDSO), each with its address range
        // and file offset so that readers that disassemble (`go tool
        // pprof -weblist`, `-http` Source) find the right bytes.
        let mut maps = text_mappings();
        if let Some(i) = maps.iter().position(|m| m.3 == exe) {
            let main = maps.remove(i);
            maps.insert(0, main);
        } else {
            maps.insert(0, (0, 0, 0, exe));
        }
        for (i, (start, limit, offset, path)) in maps.into_iter().enumerate() {
            let filename = b.string(&path);
            b.p.mapping.push(Mapping {
                id: i as u64 + 1,
                memory_start: start,
                memory_limit: limit,
                file_offset: offset,
                filename,
                has_functions: true,
                has_filenames: true,
                has_line_numbers: true,
                ..Default::default()
            });
        }
        b
    }

    /// The mapping holding `address` (1, the executable's, if none does).
    fn mapping_of(&self, address: u64) -> u64 {
        self.p
            .mapping
            .iter()
            .find(|m| address >= m.memory_start && address < m.memory_limit)
            .map_or(1, |m| m.id)
    }

    /// The index of `s` in the string table.
    pub fn string(&mut self, s: &str) -> i64 {
        if let Some(&i) = self.strings.get(s) {
            return i;
        }
        let i = self.p.string_table.len() as i64;
        self.p.string_table.push(s.to_owned());
        self.strings.insert(s.to_owned(), i);
        i
    }

    /// The id of the function (name, file, start line), added on first use.
    fn function(&mut self, name: &str, file: &str, start_line: i64) -> u64 {
        let name = self.string(name);
        let file = self.string(file);
        let next_fid = self.p.function.len() as u64 + 1;
        let fid = *self
            .functions
            .entry((name, file, start_line))
            .or_insert(next_fid);
        if fid == next_fid {
            // No system name: pprof takes a function whose system name
            // equals its name for a C++ name still to simplify and cuts
            // every `<...>` out of it (`<S as Display>::fmt` became
            // `::fmt`); with none, it shows the name as given.
            self.p.function.push(Function {
                id: fid,
                name,
                system_name: 0,
                filename: file,
                start_line,
            });
        }
        fid
    }

    /// The location id for `frame`, cached under `key` (any value unique to
    /// the frame, e.g. a callsite address).
    pub fn location(&mut self, key: u64, frame: Frame<'_>) -> u64 {
        if let Some(&id) = self.locations.get(&key) {
            return id;
        }
        let fid = self.function(frame.name, frame.file, frame.line as i64);
        let id = self.p.location.len() as u64 + 1;
        self.p.location.push(Location {
            id,
            // No address and no mapping: readers show its source lines
            // (`go tool pprof -weblist`) instead of disassembling a
            // mapping at an address it does not have.
            mapping_id: 0,
            address: 0,
            line: vec![Line {
                function_id: fid,
                line: frame.line as i64,
                column: 0,
            }],
            is_folded: false,
        });
        self.locations.insert(key, id);
        id
    }

    /// The location id of a native frame at `address` whose lines (innermost
    /// first, inlined frames included) are (function, file, line).
    pub fn native_location(&mut self, address: u64, lines: &[(String, String, u32)]) -> u64 {
        if let Some(&id) = self.locations.get(&address) {
            return id;
        }
        let mut out = Vec::with_capacity(lines.len());
        for (fname, file, line) in lines {
            let fid = self.function(fname, file, 0);
            out.push(Line {
                function_id: fid,
                line: *line as i64,
                column: 0,
            });
        }
        let id = self.p.location.len() as u64 + 1;
        let mapping_id = self.mapping_of(address);
        self.p.location.push(Location {
            id,
            mapping_id,
            address,
            line: out,
            is_folded: false,
        });
        self.locations.insert(address, id);
        id
    }

    /// Adds a sample. `values` must have one entry per sample type.
    pub fn sample(
        &mut self,
        location_ids: Vec<u64>,
        values: Vec<i64>,
        labels: &[(&str, LabelValue<'_>)],
    ) {
        debug_assert_eq!(values.len(), self.p.sample_type.len());
        let label = labels
            .iter()
            .map(|(k, v)| {
                let key = self.string(k);
                match *v {
                    LabelValue::Str(s) => Label {
                        key,
                        str: self.string(s),
                        ..Default::default()
                    },
                    LabelValue::Num(n, unit) => Label {
                        key,
                        num: n,
                        num_unit: unit.map(|u| self.string(u)).unwrap_or(0),
                        ..Default::default()
                    },
                }
            })
            .collect();
        self.p.sample.push(Sample {
            location_id: location_ids,
            value: values,
            label,
        });
    }

    /// A string label, interned once and reused across samples.
    pub fn label_str(&mut self, key: &str, value: &str) -> Label {
        Label {
            key: self.string(key),
            str: self.string(value),
            ..Default::default()
        }
    }

    /// Adds a sample with labels built beforehand.
    pub fn sample_labeled(&mut self, location_ids: Vec<u64>, values: Vec<i64>, label: Vec<Label>) {
        debug_assert_eq!(values.len(), self.p.sample_type.len());
        self.p.sample.push(Sample {
            location_id: location_ids,
            value: values,
            label,
        });
    }

    /// Adds a comment line.
    pub fn comment(&mut self, c: &str) {
        let i = self.string(c);
        self.p.comment.push(i);
    }

    /// Finishes the profile with its collection time and duration.
    pub fn finish(mut self, time_nanos: i64, duration_nanos: i64) -> Profile {
        self.p.time_nanos = time_nanos;
        self.p.duration_nanos = duration_nanos;
        self.p
    }
}

impl Profile {
    /// Encodes as protobuf, uncompressed.
    pub fn encode(&self) -> Vec<u8> {
        Message::encode_to_vec(self)
    }

    /// Encodes as gzip-compressed protobuf, the form pprof reads from disk
    /// and over HTTP.
    pub fn write_gzip<W: Write>(&self, w: W) -> std::io::Result<()> {
        let bytes = self.encode();
        // Go's runtime/pprof writes with gzip.BestSpeed too.
        let mut gz = flate2::write::GzEncoder::new(w, flate2::Compression::fast());
        gz.write_all(&bytes)?;
        gz.finish()?.flush()
    }

    /// Decodes a profile, gzip-compressed or raw, with the default
    /// [`DecodeLimits`].
    pub fn decode(data: &[u8]) -> Result<Profile, crate::Error> {
        Profile::decode_with(data, &DecodeLimits::default())
    }

    /// Decodes a profile (untrusted input): gzip or raw, at most
    /// `limits.max_decoded` bytes once decompressed (a gzip bomb stops
    /// there), strings that are not UTF-8 read lossily (U+FFFD, as Go's
    /// pprof shows them), then checked with [`Profile::validate`].
    pub fn decode_with(data: &[u8], limits: &DecodeLimits) -> Result<Profile, crate::Error> {
        let raw;
        let bytes = if data.starts_with(&[0x1f, 0x8b]) {
            let mut v = Vec::new();
            flate2::read::GzDecoder::new(data)
                .take(limits.max_decoded as u64 + 1)
                .read_to_end(&mut v)
                .map_err(|e| crate::Error::Corrupt(format!("gzip: {e}")))?;
            raw = v;
            &raw[..]
        } else {
            data
        };
        if bytes.len() > limits.max_decoded {
            return Err(crate::Error::Corrupt(format!(
                "more than {} bytes once decompressed (raise the limit to read it)",
                limits.max_decoded
            )));
        }
        let p = <Profile as Message>::decode(bytes)
            .map_err(|e| crate::Error::Corrupt(format!("not a pprof profile (protobuf: {e})")))?;
        if p.string_table.is_empty() && p.sample_type.is_empty() && p.sample.is_empty() {
            return Err(crate::Error::Corrupt(
                "not a pprof profile (no string table, sample types or samples)".into(),
            ));
        }
        p.validate()?;
        Ok(p)
    }

    /// Checks what makes pprof reject a profile, and values no reader can
    /// add up: for each sample type, the magnitudes of its values must add
    /// up to less than 2^62 ([`MAX_VALUE_SUM`]: 146 years of nanoseconds,
    /// 4 EiB), so that every total, flat, cum, and difference of two such
    /// profiles, fits in 64 bits.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad = |m: String| Err(crate::Error::Corrupt(m));
        if self.string_table.first().map(String::as_str) != Some("") {
            return bad("string_table[0] is not empty".into());
        }
        let n = self.string_table.len() as i64;
        let s_ok = |i: i64| (0..n).contains(&i);
        for vt in &self.sample_type {
            if !s_ok(vt.r#type) || !s_ok(vt.unit) {
                return bad("sample_type string index out of range".into());
            }
        }
        let mut fids = std::collections::HashSet::new();
        for f in &self.function {
            if f.id == 0 || !fids.insert(f.id) {
                return bad(format!("function id {} is zero or repeated", f.id));
            }
            if !s_ok(f.name) || !s_ok(f.filename) || !s_ok(f.system_name) {
                return bad("function string index out of range".into());
            }
        }
        let mut lids = std::collections::HashSet::new();
        for l in &self.location {
            if l.id == 0 || !lids.insert(l.id) {
                return bad(format!("location id {} is zero or repeated", l.id));
            }
            for line in &l.line {
                if !fids.contains(&line.function_id) {
                    return bad(format!(
                        "location {} names unknown function {}",
                        l.id, line.function_id
                    ));
                }
            }
        }
        let mut sums = vec![0u64; self.sample_type.len()];
        for s in &self.sample {
            for (sum, v) in sums.iter_mut().zip(&s.value) {
                *sum = sum.saturating_add(v.unsigned_abs());
            }
            if let Some(i) = sums.iter().position(|&t| t > MAX_VALUE_SUM as u64) {
                return bad(format!(
                    "the values of sample type {} ({}) add up to 2^62 or more: more than any report can add",
                    i,
                    self.str(self.sample_type[i].r#type)
                ));
            }
            if s.value.len() != self.sample_type.len() {
                return bad(format!(
                    "sample has {} values, want {}",
                    s.value.len(),
                    self.sample_type.len()
                ));
            }
            for id in &s.location_id {
                if !lids.contains(id) {
                    return bad(format!("sample names unknown location {id}"));
                }
            }
            for l in &s.label {
                if !s_ok(l.key) || !s_ok(l.str) || !s_ok(l.num_unit) {
                    return bad("label string index out of range".into());
                }
            }
        }
        Ok(())
    }

    /// The string at index `i` ("" when out of range).
    pub fn str(&self, i: i64) -> &str {
        self.string_table
            .get(i as usize)
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// The process's executable file mappings as (start, limit, file offset,
/// path), from `/proc/self/maps` (Linux; elsewhere none).
fn text_mappings() -> Vec<(u64, u64, u64, String)> {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return Vec::new();
    };
    maps.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let range = f.next()?;
            let perms = f.next()?;
            let offset = f.next()?;
            let path = f.nth(2)?;
            if !perms.contains('x') || !(path.starts_with('/') || path == "[vdso]") {
                return None;
            }
            let (a, z) = range.split_once('-')?;
            Some((
                u64::from_str_radix(a, 16).ok()?,
                u64::from_str_radix(z, 16).ok()?,
                u64::from_str_radix(offset, 16).ok()?,
                path.to_owned(),
            ))
        })
        .collect()
}
