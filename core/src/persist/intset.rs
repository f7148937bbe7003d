//! Intsets, the encoding of small all-integer sets: a header (element
//! width 2, 4 or 8 and the count, both `u32` little endian), then the
//! members in ascending order, each little endian in that width.

/// The intset blob of `members` (any order; they must be distinct).
pub fn encode(members: &mut [i64]) -> Vec<u8> {
    members.sort_unstable();
    let width: usize = if members.iter().all(|&m| i16::try_from(m).is_ok()) {
        2
    } else if members.iter().all(|&m| i32::try_from(m).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(8 + members.len() * width);
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(members.len() as u32).to_le_bytes());
    for m in members.iter() {
        out.extend_from_slice(&m.to_le_bytes()[..width]);
    }
    out
}

/// The members of the intset `blob`, checking its width, size and that
/// members are strictly ascending (sorted and distinct).
pub fn decode(blob: &[u8]) -> Result<Vec<i64>, String> {
    if blob.len() < 8 {
        return Err(format!("intset of {} bytes is too short", blob.len()));
    }
    let width = u32::from_le_bytes(blob[0..4].try_into().expect("4 bytes")) as usize;
    if ![2, 4, 8].contains(&width) {
        return Err(format!("intset has bad element width {width}"));
    }
    let count = u32::from_le_bytes(blob[4..8].try_into().expect("4 bytes")) as usize;
    if (blob.len() - 8) != count.saturating_mul(width) {
        return Err(format!(
            "intset of {count} x {width}-byte members has {} bytes",
            blob.len()
        ));
    }
    let mut out: Vec<i64> = Vec::with_capacity(count);
    for c in blob[8..].chunks_exact(width) {
        let v = match width {
            2 => i64::from(i16::from_le_bytes([c[0], c[1]])),
            4 => i64::from(i32::from_le_bytes(c.try_into().expect("4 bytes"))),
            _ => i64::from_le_bytes(c.try_into().expect("8 bytes")),
        };
        if out.last().is_some_and(|&prev| prev >= v) {
            return Err("intset members are not strictly ascending".into());
        }
        out.push(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_and_round_trip() {
        let mut small = vec![3, -2, 1];
        let blob = encode(&mut small);
        assert_eq!(blob, vec![2, 0, 0, 0, 3, 0, 0, 0, 0xFE, 0xFF, 1, 0, 3, 0]);
        assert_eq!(decode(&blob).unwrap(), vec![-2, 1, 3]);
        for m in [40_000i64, 1 << 40] {
            let mut v = vec![1, m];
            let blob = encode(&mut v);
            assert_eq!(decode(&blob).unwrap(), vec![1, m]);
        }
    }

    #[test]
    fn rejects_damage() {
        let blob = encode(&mut [1, 2, 3]);
        for cut in 0..blob.len() {
            assert!(decode(&blob[..cut]).is_err(), "cut {cut}");
        }
        let mut unsorted = blob.clone();
        unsorted.swap(8, 10);
        assert!(decode(&unsorted).is_err());
        let mut width = blob.clone();
        width[0] = 3;
        assert!(decode(&width).is_err());
    }
}
