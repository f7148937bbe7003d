//! The listener's request parser on arbitrary bytes: fed whole, and fed in
//! pieces at fuzzer-chosen boundaries (as reads deliver them), with and
//! without the unauthenticated limits. It must never panic, the two ways
//! must agree on the first request, and a parsed request must lie within
//! the bytes given.
#![no_main]

use kvstore_core::resp::{Limits, ProtocolError, RequestParser};
use libfuzzer_sys::fuzz_target;

type Outcome = Result<Option<(Vec<Vec<u8>>, usize)>, ProtocolError>;

fn whole(buf: &[u8], unauth: bool) -> Outcome {
    let mut p = RequestParser::new();
    let n = p.parse(buf, &Limits::default(), unauth)?;
    Ok(n.map(|n| {
        (
            p.with_args(buf, |a| a.iter().map(|a| a.to_vec()).collect()),
            n,
        )
    }))
}

fn pieces(buf: &[u8], cuts: &[u8], unauth: bool) -> Outcome {
    let mut p = RequestParser::new();
    let mut end = 0;
    for c in cuts.iter().chain(std::iter::repeat(&255)) {
        end = (end + 1 + usize::from(*c)).min(buf.len());
        if let Some(n) = p.parse(&buf[..end], &Limits::default(), unauth)? {
            assert!(n <= end);
            return Ok(Some((
                p.with_args(buf, |a| a.iter().map(|a| a.to_vec()).collect()),
                n,
            )));
        }
        if end == buf.len() {
            return Ok(None);
        }
    }
    unreachable!("the cuts always reach the end")
}

fuzz_target!(|data: &[u8]| {
    // First byte: how many cut bytes follow; then the cuts; then the input.
    let Some((&k, rest)) = data.split_first() else {
        return;
    };
    let k = usize::from(k % 16).min(rest.len());
    let (cuts, buf) = rest.split_at(k);
    if buf.is_empty() {
        return;
    }
    for unauth in [false, true] {
        let a = whole(buf, unauth);
        let b = pieces(buf, cuts, unauth);
        assert_eq!(a, b);
        if let Ok(Some((_, n))) = a {
            assert!(n <= buf.len());
        }
    }
});
