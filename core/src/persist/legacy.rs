//! Readers of the compact encodings older Redis versions wrote and Redis
//! 7.0 still loads: ziplists (lists and quicklist v1 nodes, sorted sets and
//! hashes up to Redis 6.2) and zipmaps (hashes before Redis 2.6). They are
//! only ever read: kvstore writes listpacks.

use super::listpack::Elem;

/// Reads every element of the ziplist `zl`, checking the header's size,
/// each entry's bounds and back-length, the count and the terminator.
pub fn read_ziplist(zl: &[u8]) -> Result<Vec<Elem<'_>>, String> {
    const HEADER: usize = 10;
    if zl.len() < HEADER + 1 {
        return Err(format!("ziplist of {} bytes is too short", zl.len()));
    }
    let total = u32::from_le_bytes(zl[0..4].try_into().expect("4 bytes")) as usize;
    if total != zl.len() {
        return Err(format!(
            "ziplist header says {total} bytes, blob has {}",
            zl.len()
        ));
    }
    if zl[zl.len() - 1] != 0xFF {
        return Err("ziplist does not end with 0xFF".into());
    }
    let count = u16::from_le_bytes([zl[8], zl[9]]);
    let body = &zl[..zl.len() - 1];
    let mut out = Vec::with_capacity(usize::from(count).min(body.len()));
    let (mut p, mut prev_size) = (HEADER, 0usize);
    while p < body.len() {
        let start = p;
        let get = |from: usize, n: usize| -> Result<&[u8], String> {
            body.get(from..from + n)
                .ok_or_else(|| format!("ziplist entry at {start} runs past the end"))
        };
        let prevlen = match body[p] {
            254 => {
                let v = u32::from_le_bytes(get(p + 1, 4)?.try_into().expect("4 bytes"));
                p += 5;
                v as usize
            }
            255 => return Err(format!("ziplist entry at {start}: bad prevlen byte")),
            b => {
                p += 1;
                usize::from(b)
            }
        };
        if prevlen != prev_size {
            return Err(format!(
                "ziplist entry at {start}: prevlen {prevlen} != previous entry's {prev_size}"
            ));
        }
        let e = *get(p, 1)?.first().expect("1 byte");
        let int = |bytes: &[u8]| {
            let mut v = [0u8; 8];
            v[..bytes.len()].copy_from_slice(bytes);
            let bits = 8 * bytes.len() as u32;
            ((u64::from_le_bytes(v) << (64 - bits)) as i64) >> (64 - bits)
        };
        let (elem, size) = match e >> 6 {
            0 => {
                let n = usize::from(e & 0x3F);
                (Elem::Str(get(p + 1, n)?), 1 + n)
            }
            1 => {
                let n = (usize::from(e & 0x3F) << 8) | usize::from(get(p + 1, 1)?[0]);
                (Elem::Str(get(p + 2, n)?), 2 + n)
            }
            2 if e == 0x80 => {
                let n = u32::from_be_bytes(get(p + 1, 4)?.try_into().expect("4 bytes")) as usize;
                (Elem::Str(get(p + 5, n)?), 5 + n)
            }
            _ => match e {
                0xC0 => (Elem::Int(int(get(p + 1, 2)?)), 3),
                0xD0 => (Elem::Int(int(get(p + 1, 4)?)), 5),
                0xE0 => (Elem::Int(int(get(p + 1, 8)?)), 9),
                0xF0 => (Elem::Int(int(get(p + 1, 3)?)), 4),
                0xFE => (Elem::Int(int(get(p + 1, 1)?)), 2),
                0xF1..=0xFD => (Elem::Int(i64::from(e & 0x0F) - 1), 1),
                _ => return Err(format!("ziplist entry at {start}: bad encoding {e:#04x}")),
            },
        };
        p += size;
        prev_size = p - start;
        out.push(elem);
    }
    if count != u16::MAX && usize::from(count) != out.len() {
        return Err(format!(
            "ziplist header counts {count} entries, found {}",
            out.len()
        ));
    }
    Ok(out)
}

/// A (field, value) pair of a zipmap.
pub type Pair<'a> = (&'a [u8], &'a [u8]);

/// Reads the (field, value) pairs of the zipmap `zm`.
pub fn read_zipmap(zm: &[u8]) -> Result<Vec<Pair<'_>>, String> {
    let mut p = 1; // the first byte is a count hint
    let mut out = Vec::new();
    let len_at = |p: &mut usize| -> Result<Option<usize>, String> {
        match zm.get(*p).copied() {
            None => Err("zipmap runs past the end".into()),
            Some(255) => Ok(None),
            Some(254) => {
                let b = zm
                    .get(*p + 1..*p + 5)
                    .ok_or("zipmap length runs past the end")?;
                *p += 5;
                Ok(Some(
                    u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize
                ))
            }
            Some(n) => {
                *p += 1;
                Ok(Some(usize::from(n)))
            }
        }
    };
    let take = |p: &mut usize, n: usize| -> Result<&[u8], String> {
        let s = zm.get(*p..*p + n).ok_or("zipmap entry runs past the end")?;
        *p += n;
        Ok(s)
    };
    while let Some(flen) = len_at(&mut p)? {
        let field = take(&mut p, flen)?;
        let vlen = len_at(&mut p)?.ok_or("zipmap field without a value")?;
        let free = usize::from(*take(&mut p, 1)?.first().expect("1 byte"));
        let value = take(&mut p, vlen)?;
        take(&mut p, free)?;
        out.push((field, value));
    }
    if p + 1 != zm.len() {
        return Err("zipmap has bytes after its end marker".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ziplist of "a", 5 (immediate), 300 (int16) and a 70-byte string.
    fn sample() -> (Vec<u8>, Vec<Vec<u8>>) {
        let long = vec![b'z'; 70];
        let mut body = Vec::new();
        let mut prev = 0u8;
        let mut add = |body: &mut Vec<u8>, entry: &[u8]| {
            body.push(prev);
            body.extend_from_slice(entry);
            prev = (entry.len() + 1) as u8;
        };
        add(&mut body, &[0x01, b'a']);
        add(&mut body, &[0xF6]);
        add(&mut body, &[0xC0, 0x2C, 0x01]);
        let mut e = vec![0x40, 70];
        e.extend_from_slice(&long);
        add(&mut body, &e);
        let total = 10 + body.len() + 1;
        let mut zl = (total as u32).to_le_bytes().to_vec();
        zl.extend_from_slice(&0u32.to_le_bytes());
        zl.extend_from_slice(&4u16.to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(0xFF);
        let want = vec![b"a".to_vec(), b"5".to_vec(), b"300".to_vec(), long];
        (zl, want)
    }

    #[test]
    fn ziplist_round() {
        let (zl, want) = sample();
        let got: Vec<Vec<u8>> = read_ziplist(&zl)
            .unwrap()
            .into_iter()
            .map(Elem::to_vec)
            .collect();
        assert_eq!(got, want);
        for cut in 0..zl.len() {
            assert!(read_ziplist(&zl[..cut]).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn zipmap_pairs() {
        let zm = [
            2, 1, b'a', 2, 0, b'x', b'y', 3, b'b', b'c', b'd', 1, 1, b'1', 0, 0xFF,
        ];
        assert_eq!(
            read_zipmap(&zm).unwrap(),
            vec![(&b"a"[..], &b"xy"[..]), (&b"bcd"[..], &b"1"[..])]
        );
        for cut in 0..zm.len() {
            assert!(read_zipmap(&zm[..cut]).is_err(), "cut {cut}");
        }
    }
}
