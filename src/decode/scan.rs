//! Byte searches shared by the fast paths.

/// The index of the first byte of `bytes` that is `a`, `b`, or below `below` (pass 0 to look
/// for `a` and `b` only).
///
/// Values and tags on a page are short (ids, times, names), where testing eight bytes per step
/// in a register beats both a byte loop and a vectorised search's set-up.
#[inline(always)]
pub(super) fn first_stop(bytes: &[u8], a: u8, b: u8, below: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `less(x, n)` is set where that byte of `x` is below `n`
    // (for `n` up to 0x80). A borrow can also set it in bytes above a match, never below one,
    // so the lowest set bit is exact.
    let less = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS;
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let found = less(x ^ (ONES * u64::from(a)), 1)
            | less(x ^ (ONES * u64::from(b)), 1)
            | less(x, below.min(0x80));
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    bytes
        .get(i..)?
        .iter()
        .position(|&c| c == a || c == b || c < below)
        .map(|p| i + p)
}

#[cfg(test)]
mod tests {
    use super::first_stop;

    #[test]
    fn finds_the_first_stop_byte_at_every_offset() {
        // Bytes that sit next to the stops in value, to catch an off-by-one mask.
        let fill = [b'!', b'#', b'[', b']', b' ', b';', b'=', 0x80, 0xff, 0x7f];
        for (a, b, below) in [(b'"', b'\\', 0x20), (b'<', b'&', 0)] {
            let stops = [a, b, 0x00, 0x1f, b'\n'];
            for len in 0..40 {
                for stop in stops {
                    let counts = stop == a || stop == b || stop < below;
                    for at in 0..len {
                        let mut bytes: Vec<u8> = (0..len).map(|i| fill[i % fill.len()]).collect();
                        bytes[at] = stop;
                        let want = counts.then_some(at);
                        assert_eq!(first_stop(&bytes, a, b, below), want, "{len} {stop} {at}");
                        // A later stop does not hide an earlier one.
                        if at + 1 < len {
                            bytes[at + 1] = a;
                            let want = Some(if counts { at } else { at + 1 });
                            assert_eq!(first_stop(&bytes, a, b, below), want);
                        }
                    }
                }
                let plain: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                assert_eq!(first_stop(&plain, a, b, below), None);
            }
        }
    }
}
