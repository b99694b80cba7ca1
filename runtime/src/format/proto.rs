//! The protobuf wire format, as much as profile.proto needs: varints,
//! length-delimited fields, packed repeated scalars, nested messages.
//!
//! Written here rather than with prost: prost depends on `bytes`, whose
//! `PartialOrd` impls between `[u8]`, `str`, `Vec<u8>`, `String` and its
//! own types are visible in every crate that uses `#[inprof::profile]`
//! (rustc loads a dependency's dependencies), and they change type
//! inference there: fst 0.4.7 compares `inp > v` with `inp: &[u8]` and
//! `v: &Vec<u8>`, which compiles only while `[u8]` has one `PartialOrd`
//! impl (the corpus check; tests/lints, `Bound::exceeded_by`). A
//! profiler must not change whether its user's code compiles.
//!
//! Decoding takes untrusted input: every length is checked against what
//! is left, a varint is at most ten bytes, unknown fields are skipped,
//! and strings that are not UTF-8 are read lossily (U+FFFD, as Go's
//! pprof shows them).

/// A field's wire type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wire {
    Varint,
    Fixed64,
    Len,
    Fixed32,
}

/// A message of profile.proto: its fields written in tag order, and read
/// one at a time.
pub(crate) trait Message: Default {
    /// Appends the message's fields (not its length) to `out`.
    fn encode_fields(&self, out: &mut Vec<u8>);
    /// Reads field `tag`, of wire type `wire`, from `r` into `self`.
    fn merge_field(&mut self, tag: u32, wire: Wire, r: &mut Reader<'_>) -> Result<(), String>;

    /// The message encoded.
    fn encode_to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_fields(&mut out);
        out
    }

    /// Reads every field of `buf` into `self` (a field seen again
    /// replaces a scalar and adds to a repeated field, as protobuf has it).
    fn merge_from(&mut self, buf: &[u8]) -> Result<(), String> {
        let mut r = Reader(buf);
        while !r.0.is_empty() {
            let (tag, wire) = r.key()?;
            self.merge_field(tag, wire, &mut r)?;
        }
        Ok(())
    }

    /// Decodes a whole buffer as one message.
    fn decode(buf: &[u8]) -> Result<Self, String> {
        let mut m = Self::default();
        m.merge_from(buf)?;
        Ok(m)
    }
}

/// How a field's value is written and read.
pub(crate) trait Field {
    /// Appends field `tag` holding `self` (nothing for a scalar at its
    /// default, as proto3 has it).
    fn encode(&self, tag: u32, out: &mut Vec<u8>);
    /// Reads one occurrence of the field (a repeated field: one element,
    /// or a packed run of them).
    fn merge(&mut self, wire: Wire, r: &mut Reader<'_>) -> Result<(), String>;
}

/// Defines a message struct of profile.proto and its [`Message`] impl:
/// `tag => pub name: Type` per field.
macro_rules! message {
    (
        $(#[$m:meta])*
        pub struct $name:ident {
            $($(#[$fm:meta])* $tag:literal => pub $field:ident : $ty:ty,)*
        }
    ) => {
        $(#[$m])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            $($(#[$fm])* pub $field: $ty,)*
        }

        impl $crate::format::proto::Message for $name {
            fn encode_fields(&self, out: &mut Vec<u8>) {
                $($crate::format::proto::Field::encode(&self.$field, $tag, out);)*
            }
            fn merge_field(
                &mut self,
                tag: u32,
                wire: $crate::format::proto::Wire,
                r: &mut $crate::format::proto::Reader<'_>,
            ) -> Result<(), String> {
                match tag {
                    $($tag => $crate::format::proto::Field::merge(&mut self.$field, wire, r)
                        .map_err(|e| format!("{}.{}: {e}", stringify!($name), stringify!($field))),)*
                    _ => r.skip(wire),
                }
            }
        }
    };
}
pub(crate) use message;

/// Appends `v` as a varint.
fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The bytes `v` takes as a varint.
fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn put_key(out: &mut Vec<u8>, tag: u32, wire: Wire) {
    let w = match wire {
        Wire::Varint => 0,
        Wire::Fixed64 => 1,
        Wire::Len => 2,
        Wire::Fixed32 => 5,
    };
    put_varint(out, (u64::from(tag) << 3) | w);
}

fn put_len(out: &mut Vec<u8>, tag: u32, bytes: &[u8]) {
    put_key(out, tag, Wire::Len);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A cursor over encoded bytes.
pub(crate) struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for i in 0..10 {
            let Some((&b, rest)) = self.0.split_first() else {
                return Err("truncated varint".into());
            };
            self.0 = rest;
            if i == 9 && b > 1 {
                return Err("varint overflows 64 bits".into());
            }
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err("varint overflows 64 bits".into())
    }

    fn key(&mut self) -> Result<(u32, Wire), String> {
        let k = self.varint()?;
        let wire = match k & 7 {
            0 => Wire::Varint,
            1 => Wire::Fixed64,
            2 => Wire::Len,
            5 => Wire::Fixed32,
            w => return Err(format!("unsupported wire type {w}")),
        };
        match u32::try_from(k >> 3) {
            Ok(tag) if tag != 0 => Ok((tag, wire)),
            _ => Err(format!("invalid field number {}", k >> 3)),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err(format!(
                "truncated: {n} bytes wanted, {} left",
                self.0.len()
            ));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }

    fn len_delimited(&mut self) -> Result<&'a [u8], String> {
        let n = self.varint()?;
        self.take(usize::try_from(n).map_err(|_| "length out of range".to_string())?)
    }

    /// Skips a field of an unknown tag.
    pub(crate) fn skip(&mut self, wire: Wire) -> Result<(), String> {
        match wire {
            Wire::Varint => self.varint().map(drop),
            Wire::Fixed64 => self.take(8).map(drop),
            Wire::Len => self.len_delimited().map(drop),
            Wire::Fixed32 => self.take(4).map(drop),
        }
    }
}

fn want(wire: Wire, expected: Wire) -> Result<(), String> {
    if wire == expected {
        Ok(())
    } else {
        Err(format!("wire type {wire:?} where {expected:?} belongs"))
    }
}

/// An integer scalar: `int64`, `uint64`, `bool`, written as varints.
trait Scalar: Copy + Default + PartialEq {
    fn to_wire(self) -> u64;
    fn from_wire(v: u64) -> Self;
}

impl Scalar for i64 {
    fn to_wire(self) -> u64 {
        self as u64
    }
    fn from_wire(v: u64) -> Self {
        v as i64
    }
}

impl Scalar for u64 {
    fn to_wire(self) -> u64 {
        self
    }
    fn from_wire(v: u64) -> Self {
        v
    }
}

impl Scalar for bool {
    fn to_wire(self) -> u64 {
        u64::from(self)
    }
    fn from_wire(v: u64) -> Self {
        v != 0
    }
}

impl<T: Scalar> Field for T {
    fn encode(&self, tag: u32, out: &mut Vec<u8>) {
        if *self != T::default() {
            put_key(out, tag, Wire::Varint);
            put_varint(out, self.to_wire());
        }
    }
    fn merge(&mut self, wire: Wire, r: &mut Reader<'_>) -> Result<(), String> {
        want(wire, Wire::Varint)?;
        *self = T::from_wire(r.varint()?);
        Ok(())
    }
}

/// Repeated scalars: written packed, read packed or one by one (a reader
/// must take both).
fn put_packed<T: Scalar>(v: &[T], tag: u32, out: &mut Vec<u8>) {
    if v.is_empty() {
        return;
    }
    put_key(out, tag, Wire::Len);
    let len: usize = v.iter().map(|x| varint_len(x.to_wire())).sum();
    put_varint(out, len as u64);
    for x in v {
        put_varint(out, x.to_wire());
    }
}

fn merge_packed<T: Scalar>(v: &mut Vec<T>, wire: Wire, r: &mut Reader<'_>) -> Result<(), String> {
    match wire {
        Wire::Varint => v.push(T::from_wire(r.varint()?)),
        Wire::Len => {
            let mut packed = Reader(r.len_delimited()?);
            while !packed.0.is_empty() {
                v.push(T::from_wire(packed.varint()?));
            }
        }
        w => return want(w, Wire::Varint),
    }
    Ok(())
}

macro_rules! packed {
    ($($t:ty),*) => {$(
        impl Field for Vec<$t> {
            fn encode(&self, tag: u32, out: &mut Vec<u8>) {
                put_packed(self, tag, out)
            }
            fn merge(&mut self, wire: Wire, r: &mut Reader<'_>) -> Result<(), String> {
                merge_packed(self, wire, r)
            }
        }
    )*};
}
packed!(i64, u64);

/// Repeated strings, each written even when empty (`string_table[0]`).
impl Field for Vec<String> {
    fn encode(&self, tag: u32, out: &mut Vec<u8>) {
        for s in self {
            put_len(out, tag, s.as_bytes());
        }
    }
    fn merge(&mut self, wire: Wire, r: &mut Reader<'_>) -> Result<(), String> {
        want(wire, Wire::Len)?;
        self.push(String::from_utf8_lossy(r.len_delimited()?).into_owned());
        Ok(())
    }
}

/// Writes `m` as field `tag`: its length, then its fields, encoded in
/// place (one byte kept for the length, moved over when it takes more).
fn put_message<M: Message>(out: &mut Vec<u8>, tag: u32, m: &M) {
    put_key(out, tag, Wire::Len);
    let at = out.len();
    out.push(0);
    m.encode_fields(out);
    let len = out.len() - at - 1;
    if len < 0x80 {
        out[at] = len as u8;
    } else {
        let mut prefix = Vec::with_capacity(10);
        put_varint(&mut prefix, len as u64);
        out.splice(at..at + 1, prefix);
    }
}

impl<M: Message> Field for Vec<M> {
    fn encode(&self, tag: u32, out: &mut Vec<u8>) {
        for m in self {
            put_message(out, tag, m);
        }
    }
    fn merge(&mut self, wire: Wire, r: &mut Reader<'_>) -> Result<(), String> {
        want(wire, Wire::Len)?;
        self.push(M::decode(r.len_delimited()?)?);
        Ok(())
    }
}

impl<M: Message> Field for Option<M> {
    fn encode(&self, tag: u32, out: &mut Vec<u8>) {
        if let Some(m) = self {
            put_message(out, tag, m);
        }
    }
    fn merge(&mut self, wire: Wire, r: &mut Reader<'_>) -> Result<(), String> {
        // A message seen twice is merged, as protobuf has it.
        want(wire, Wire::Len)?;
        let bytes = r.len_delimited()?;
        self.get_or_insert_with(M::default).merge_from(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    message! {
        /// Every kind of field.
        pub struct Inner {
            1 => pub a: i64,
            2 => pub b: Vec<u64>,
        }
    }
    message! {
        /// Nesting, strings, options.
        pub struct Outer {
            1 => pub inner: Vec<Inner>,
            2 => pub names: Vec<String>,
            3 => pub one: Option<Inner>,
            4 => pub flag: bool,
            5 => pub big: u64,
        }
    }

    #[test]
    fn varints_as_protobuf_writes_them() {
        for (v, bytes) in [
            (0u64, &[0u8][..]),
            (1, &[1]),
            (127, &[0x7f]),
            (128, &[0x80, 1]),
            (300, &[0xac, 2]),
            (
                u64::MAX,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1],
            ),
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out, bytes, "{v}");
            assert_eq!(varint_len(v), bytes.len(), "{v}");
            assert_eq!(Reader(bytes).varint(), Ok(v));
        }
        // -1 as int64: ten bytes.
        let m = Inner { a: -1, b: vec![] };
        assert_eq!(m.encode_to_vec().len(), 11);
        assert_eq!(Inner::decode(&m.encode_to_vec()), Ok(m));
    }

    #[test]
    fn known_bytes_encode_and_decode() {
        // Field 1 = 150 and packed field 2 = [3, 270], as the protobuf
        // documentation's examples write them.
        let m = Inner {
            a: 150,
            b: vec![3, 270],
        };
        let bytes = [0x08, 0x96, 0x01, 0x12, 0x03, 0x03, 0x8e, 0x02];
        assert_eq!(m.encode_to_vec(), bytes);
        assert_eq!(Inner::decode(&bytes), Ok(m.clone()));
        // Unpacked elements are taken too, and mix with packed ones.
        let unpacked = [0x08, 0x96, 0x01, 0x10, 0x03, 0x12, 0x02, 0x8e, 0x02];
        assert_eq!(Inner::decode(&unpacked), Ok(m));
    }

    #[test]
    fn nested_messages_round_trip_whatever_their_length() {
        let long: Vec<u64> = (0..200).collect();
        let m = Outer {
            inner: vec![
                Inner { a: 1, b: vec![] },
                Inner {
                    a: 0,
                    b: long.clone(),
                },
                Inner::default(),
            ],
            names: vec![String::new(), "x".into(), "é".repeat(100)],
            one: Some(Inner { a: -5, b: long }),
            flag: true,
            big: u64::MAX,
        };
        let bytes = m.encode_to_vec();
        assert_eq!(Outer::decode(&bytes), Ok(m));
        assert_eq!(Outer::decode(&[]), Ok(Outer::default()));
        // An optional message seen twice: the two merged.
        let twice = [0x1a, 0x02, 0x08, 0x01, 0x1a, 0x03, 0x12, 0x01, 0x02];
        assert_eq!(
            Outer::decode(&twice).unwrap().one,
            Some(Inner { a: 1, b: vec![2] })
        );
    }

    #[test]
    fn bad_input_is_an_error_and_unknown_fields_are_skipped() {
        // 08 07 | 12 01 01: cut inside a field (not between two).
        let ok = Inner { a: 7, b: vec![1] }.encode_to_vec();
        assert_eq!(ok, [0x08, 0x07, 0x12, 0x01, 0x01]);
        for cut in [1, 3, 4] {
            assert!(Inner::decode(&ok[..cut]).is_err(), "{cut}");
        }
        // Eleven continuation bytes; a length past the end; field 0; a
        // group; the wrong wire type for a known field.
        for bad in [
            &[
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1,
            ][..],
            &[
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
            ],
            &[0x12, 0x05, 1],
            &[0x00, 0x01],
            &[0x0b],
            &[0x0a, 0x00],
        ] {
            assert!(Inner::decode(bad).is_err(), "{bad:?}");
        }
        // Unknown fields of every wire type, then a known one.
        let skipped = [
            0x18, 0x05, 0x21, 1, 2, 3, 4, 5, 6, 7, 8, 0x2a, 0x02, 9, 9, 0x35, 1, 2, 3, 4, 0x08,
            0x02,
        ];
        assert_eq!(Inner::decode(&skipped), Ok(Inner { a: 2, b: vec![] }));
        // A string that is not UTF-8 is read lossily.
        let s = Outer::decode(&[0x12, 0x02, b'a', 0xe9]).unwrap();
        assert_eq!(s.names, vec!["a\u{fffd}".to_string()]);
    }
}
