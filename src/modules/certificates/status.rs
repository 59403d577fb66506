//! W3C Bitstring Status List v1.0: each issuer has a revocation list and a suspension list of
//! [`LIST_BITS`] entries; a credential holds one random index, the same in both. Index 0 is
//! the left-most (most significant) bit of the first byte; `encodedList` is multibase
//! base64url (`u` prefix, no padding) of the GZIP-compressed bitstring. Pure, unit-tested.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use kernel::crypto::b64url;

/// Entries of a list: the spec's minimum (16 KiB), so a list says nothing about one holder.
pub const LIST_BITS: usize = 131_072;

/// The `encodedList` of a list with `set` bits on.
pub fn encoded_list(set: impl IntoIterator<Item = usize>) -> std::io::Result<String> {
    let mut bits = vec![0_u8; LIST_BITS / 8];
    for i in set.into_iter().filter(|i| *i < LIST_BITS) {
        bits[i / 8] |= 0x80 >> (i % 8);
    }
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&bits)?;
    Ok(format!("u{}", b64url(&gz.finish()?)))
}

/// Whether bit `index` is on in an `encodedList` (`None` when it cannot be decoded).
pub fn bit(encoded: &str, index: usize) -> Option<bool> {
    use base64::Engine;
    use std::io::Read;
    let gz = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded.strip_prefix('u')?)
        .ok()?;
    let mut bits = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut bits)
        .ok()?;
    bits.get(index / 8).map(|b| b & (0x80 >> (index % 8)) != 0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_msb_first_and_the_list_is_big() {
        let list = encoded_list([0, 9, LIST_BITS - 1]).unwrap();
        assert!(list.starts_with('u'));
        assert_eq!(bit(&list, 0), Some(true));
        assert_eq!(bit(&list, 1), Some(false));
        assert_eq!(bit(&list, 9), Some(true));
        assert_eq!(bit(&list, LIST_BITS - 1), Some(true));
        assert_eq!(bit(&list, LIST_BITS), None);
        // Byte 1 is 0b0100_0000 for index 9.
        use base64::Engine;
        use std::io::Read;
        let gz = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&list[1..])
            .unwrap();
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(gz.as_slice())
            .read_to_end(&mut raw)
            .unwrap();
        assert_eq!(raw.len(), LIST_BITS / 8);
        assert_eq!(raw[0], 0x80);
        assert_eq!(raw[1], 0x40);
    }
}
