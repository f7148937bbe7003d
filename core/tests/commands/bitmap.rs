//! The bitmap commands, differential against redis-server: hand-written
//! cases for every command and option (RESP2 and RESP3), limits that must
//! fail without allocating, and a generated sequence of colliding commands.

use crate::harness::{Pair, rng};
use crate::strings::{finish, pick, put_list, random_text, run_both, with_list};
use rand::Rng;
use rand::rngs::SmallRng;

#[test]
fn setbit_getbit() {
    run_both(
        with_list,
        &[
            &["SETBIT", "b", "7", "1"],
            &["GET", "b"],
            &["SETBIT", "b", "7", "1"],
            &["SETBIT", "b", "7", "0"],
            &["SETBIT", "b", "100", "1"],
            &["STRLEN", "b"],
            &["GETBIT", "b", "100"],
            &["GETBIT", "b", "99"],
            &["GETBIT", "b", "1000"],
            &["GETBIT", "b", "4294967295"],
            &["GETBIT", "nokey", "5"],
            &["GETBIT", "list", "0"],
            &["GETBIT", "list", "-1"],
            &["GETBIT", "b", "-1"],
            &["GETBIT", "b", "x"],
            &["GETBIT", "b", "#1"],
            &["GETBIT", "b", "4294967296"],
            &["SETBIT", "b", "0", "2"],
            &["SETBIT", "b", "0", "-1"],
            &["SETBIT", "b", "0", "x"],
            &["SETBIT", "b", "0", ""],
            &["SETBIT", "b", "-1", "1"],
            &["SETBIT", "b", "x", "1"],
            &["SETBIT", "b", "x", "2"],
            &["SETBIT", "b", "4294967296", "1"],
            &["SETBIT", "b", "9223372036854775807", "1"],
            &["SETBIT", "list", "0", "1"],
            &["SETBIT", "list", "0", "5"],
            &["SET", "n", "5"],
            &["SETBIT", "n", "6", "1"],
            &["GET", "n"],
            &["GETBIT", "n", "2"],
            &["SETBIT", "b", "1"],
            &["GETBIT", "b"],
        ],
    );
}

#[test]
fn bitcount() {
    run_both(
        with_list,
        &[
            &["SET", "s", "foobar"],
            &["BITCOUNT", "s"],
            &["BITCOUNT", "s", "0", "0"],
            &["BITCOUNT", "s", "1", "1"],
            &["BITCOUNT", "s", "1", "1", "BYTE"],
            &["BITCOUNT", "s", "5", "30", "BIT"],
            &["BITCOUNT", "s", "5", "30", "bit"],
            &["BITCOUNT", "s", "-5", "-1", "BIT"],
            &["BITCOUNT", "s", "-1", "-5", "BIT"],
            &["BITCOUNT", "s", "-1", "-5", "FOO"],
            &["BITCOUNT", "s", "-5", "-1", "FOO"],
            &["BITCOUNT", "s", "0", "-1"],
            &["BITCOUNT", "s", "-100", "100"],
            &["BITCOUNT", "s", "3", "1"],
            &["BITCOUNT", "s", "0", "1000", "BIT"],
            &["BITCOUNT", "s", "47", "47", "BIT"],
            &["BITCOUNT", "s", "48", "100", "BIT"],
            &["BITCOUNT", "s", "0"],
            &["BITCOUNT", "s", "0", "1", "BIT", "x"],
            &["BITCOUNT", "s", "a", "1"],
            &["BITCOUNT", "s", "0", "b"],
            &[
                "BITCOUNT",
                "s",
                "-9223372036854775808",
                "9223372036854775807",
                "BIT",
            ],
            &["BITCOUNT", "nokey"],
            &["BITCOUNT", "nokey", "a", "b", "c", "d"],
            &["BITCOUNT", "list"],
            &["BITCOUNT", "list", "0", "1", "FOO"],
            &["SET", "e", ""],
            &["BITCOUNT", "e"],
            &["BITCOUNT", "e", "0", "-1", "BIT"],
            &["SET", "n", "12345"],
            &["BITCOUNT", "n", "1", "2"],
            &["BITCOUNT"],
        ],
    );
}

#[test]
fn bitpos() {
    run_both(
        with_list,
        &[
            &["BITFIELD", "s", "SET", "u24", "0", "65520"],
            &["SETBIT", "z", "23", "0"],
            &["SET", "o", "\u{7f}"],
            &["BITPOS", "s", "1"],
            &["BITPOS", "s", "0"],
            &["BITPOS", "s", "1", "2"],
            &["BITPOS", "s", "1", "2", "-1"],
            &["BITPOS", "s", "0", "1", "1"],
            &["BITPOS", "s", "0", "1"],
            &["BITPOS", "s", "1", "7", "15", "BIT"],
            &["BITPOS", "s", "0", "7", "15", "BIT"],
            &["BITPOS", "s", "0", "8", "15", "BIT"],
            &["BITPOS", "s", "0", "8", "19", "BIT"],
            &["BITPOS", "s", "1", "9", "9", "BIT"],
            &["BITPOS", "s", "0", "-4", "-1", "bit"],
            &["BITPOS", "s", "1", "0", "-1", "BYTE"],
            &["BITPOS", "s", "1", "3", "1"],
            &["BITPOS", "s", "1", "-100", "100"],
            &["BITPOS", "z", "1"],
            &["BITPOS", "z", "0"],
            &["BITPOS", "z", "1", "0", "-1", "BIT"],
            &["BITPOS", "o", "1"],
            &["BITPOS", "o", "0", "1", "7", "BIT"],
            &["BITPOS", "o", "0", "1"],
            &["SET", "f", "\u{7f}\u{7f}"],
            &["BITFIELD", "ff", "SET", "u16", "0", "65535"],
            &["BITPOS", "ff", "0"],
            &["BITPOS", "ff", "0", "0"],
            &["BITPOS", "ff", "0", "0", "-1"],
            &["BITPOS", "ff", "0", "0", "-1", "BIT"],
            &["BITPOS", "ff", "1", "20", "30", "BIT"],
            &["BITPOS", "nokey", "1"],
            &["BITPOS", "nokey", "0"],
            &["BITPOS", "nokey", "1", "a"],
            &["BITPOS", "nokey", "0", "0", "1", "FOO"],
            &["BITPOS", "nokey", "2"],
            &["BITPOS", "nokey", "x"],
            &["BITPOS", "s", "2"],
            &["BITPOS", "s", "-1"],
            &["BITPOS", "s", "1", "x"],
            &["BITPOS", "s", "1", "0", "x"],
            &["BITPOS", "s", "1", "0", "x", "FOO"],
            &["BITPOS", "s", "1", "0", "1", "FOO"],
            &["BITPOS", "s", "1", "0", "1", "BIT", "x"],
            &["BITPOS", "list", "1"],
            &["BITPOS", "list", "3"],
            &["SET", "e", ""],
            &["BITPOS", "e", "0"],
            &["BITPOS", "e", "1"],
            &["BITPOS", "e", "0", "0", "-1", "BIT"],
            &["BITPOS", "s"],
        ],
    );
}

#[test]
fn bitop() {
    run_both(
        with_list,
        &[
            &["SET", "a", "foobar"],
            &["SET", "b", "abc"],
            &["SET", "c", "\u{ff}"],
            &["BITOP", "AND", "d", "a", "b"],
            &["GET", "d"],
            &["BITOP", "OR", "d", "a", "b", "c"],
            &["GET", "d"],
            &["BITOP", "XOR", "d", "a", "b"],
            &["GET", "d"],
            &["BITOP", "NOT", "d", "a"],
            &["GET", "d"],
            &["BITOP", "and", "d", "a", "nokey"],
            &["GET", "d"],
            &["BITOP", "or", "d", "nokey", "a"],
            &["GET", "d"],
            &["BITOP", "xor", "d", "a"],
            &["GET", "d"],
            &["BITOP", "AND", "d", "a", "a", "a"],
            &["GET", "d"],
            &["BITOP", "AND", "a", "a", "b"],
            &["GET", "a"],
            &["BITOP", "AND", "d", "nokey", "nokey2"],
            &["EXISTS", "d"],
            &["BITOP", "NOT", "d", "nokey"],
            &["SET", "e", ""],
            &["SET", "d", "x"],
            &["BITOP", "OR", "d", "e"],
            &["EXISTS", "d"],
            &["BITOP", "NOT", "d", "a", "b"],
            &["BITOP", "FOO", "d", "a"],
            &["BITOP", "AND\0", "d", "a"],
            &["BITOP", "AND", "d", "a", "list"],
            &["BITOP", "AND", "d", "list", "nokey"],
            &["BITOP", "NOT", "d", "list"],
            &["BITOP", "OR", "list", "a"],
            &["GET", "list"],
            &["BITOP", "AND", "d"],
            &["BITOP", "AND"],
            &["SET", "n", "123"],
            &["BITOP", "NOT", "d", "n"],
            &["GET", "d"],
        ],
    );
}

#[test]
fn bitfield() {
    run_both(
        with_list,
        &[
            &["BITFIELD", "bf"],
            &["EXISTS", "bf"],
            &["BITFIELD", "bf", "GET", "u8", "0"],
            &["EXISTS", "bf"],
            &["BITFIELD", "bf", "SET", "u8", "0", "255", "GET", "u8", "0"],
            &[
                "BITFIELD", "bf", "INCRBY", "u8", "0", "10", "GET", "i8", "0",
            ],
            &[
                "BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "300",
            ],
            &[
                "BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "-300",
            ],
            &[
                "BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300", "GET", "u8", "0",
            ],
            &[
                "BITFIELD", "bf", "OVERFLOW", "WRAP", "INCRBY", "i8", "0", "200",
            ],
            &[
                "BITFIELD", "bf", "overflow", "sat", "incrby", "i8", "0", "200", "incrby", "i8",
                "0", "-1000",
            ],
            &[
                "BITFIELD", "bf", "SET", "i5", "3", "-7", "GET", "i5", "3", "GET", "u5", "3",
            ],
            &[
                "BITFIELD", "bf", "SET", "u4", "#2", "9", "GET", "u4", "#2", "GET", "u4", "8",
            ],
            &[
                "BITFIELD",
                "bf",
                "SET",
                "i64",
                "13",
                "-9223372036854775808",
                "GET",
                "i64",
                "13",
            ],
            &["BITFIELD", "bf", "INCRBY", "i64", "13", "-1"],
            &[
                "BITFIELD",
                "bf",
                "OVERFLOW",
                "SAT",
                "INCRBY",
                "i64",
                "13",
                "-1",
                "INCRBY",
                "i64",
                "13",
                "9223372036854775807",
            ],
            &[
                "BITFIELD",
                "bf",
                "OVERFLOW",
                "FAIL",
                "INCRBY",
                "i64",
                "13",
                "9223372036854775807",
                "INCRBY",
                "i64",
                "13",
                "1",
            ],
            &[
                "BITFIELD",
                "bf",
                "INCRBY",
                "i64",
                "0",
                "9223372036854775807",
                "INCRBY",
                "i64",
                "0",
                "9223372036854775807",
            ],
            &[
                "BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "u8", "0", "-1", "SET", "i8", "0",
                "200", "SET", "u63", "0", "-5",
            ],
            &[
                "BITFIELD", "bf", "OVERFLOW", "FAIL", "SET", "u8", "0", "256", "SET", "i8", "0",
                "-129", "SET", "u1", "0", "1",
            ],
            &[
                "BITFIELD",
                "bf",
                "SET",
                "u63",
                "1",
                "9223372036854775807",
                "GET",
                "u63",
                "1",
                "GET",
                "i64",
                "0",
            ],
            &["BITFIELD", "bf", "INCRBY", "u63", "1", "1"],
            &["BITFIELD", "bf", "GET", "u8", "1000"],
            &["BITFIELD", "bf", "GET", "i64", "130"],
            &["GET", "bf"],
            &["BITFIELD", "bf", "GET", "u8", "#2305843009213693953"],
            &["BITFIELD", "bf", "GET", "u8", "#1", "GET", "u8", "#0"],
            &["BITFIELD", "bf", "GET", "u8", "#"],
            &["BITFIELD", "bf", "GET", "u8", "#-1"],
            &["BITFIELD", "bf", "GET", "u8", "##1"],
            &["BITFIELD", "bf", "GET", "u8", "-1"],
            &["BITFIELD", "bf", "GET", "u8", "4294967296"],
            &["BITFIELD", "bf", "GET", "u8", "4294967295"],
            &["BITFIELD", "bf", "GET", "u8", "#536870912"],
            &["BITFIELD", "bf", "GET", "u8", "#536870911"],
            &["BITFIELD", "bf", "SET", "u8", "4294967296", "1"],
            &["BITFIELD", "bf", "SET", "u8", "#9223372036854775807", "1"],
            &["BITFIELD", "bf", "GET", "u64", "0"],
            &["BITFIELD", "bf", "GET", "i65", "0"],
            &["BITFIELD", "bf", "GET", "i0", "0"],
            &["BITFIELD", "bf", "GET", "U8", "0"],
            &["BITFIELD", "bf", "GET", "8", "0"],
            &["BITFIELD", "bf", "GET", "", "0"],
            &["BITFIELD", "bf", "GET", "u8\0x", "0"],
            &["BITFIELD", "bf", "GET", "u08", "0"],
            &["BITFIELD", "bf", "GET", "u8"],
            &["BITFIELD", "bf", "SET", "u8", "0"],
            &["BITFIELD", "bf", "INCRBY", "u8", "0"],
            &["BITFIELD", "bf", "SET", "u8", "0", "x"],
            &["BITFIELD", "bf", "INCRBY", "u8", "0", "1.5"],
            &["BITFIELD", "bf", "OVERFLOW"],
            &["BITFIELD", "bf", "OVERFLOW", "FOO"],
            &["BITFIELD", "bf", "OVERFLOW", "FOO", "GET", "u8", "x"],
            &["BITFIELD", "bf", "GET", "u8", "x", "OVERFLOW", "FOO"],
            &["BITFIELD", "bf", "FOO"],
            &["BITFIELD", "bf", "GET", "u8", "0", "FOO"],
            &["BITFIELD", "bf", "OVERFLOW", "SAT"],
            &["BITFIELD", "list"],
            &["BITFIELD", "list", "GET", "u8", "0"],
            &["BITFIELD", "list", "SET", "u8", "0", "1"],
            &["BITFIELD", "list", "GET", "u8", "x"],
            &[
                "BITFIELD", "new", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "7",
            ],
            &["GET", "new"],
            &["SET", "n", "5"],
            &["BITFIELD", "n", "GET", "u8", "0", "GET", "i4", "4"],
            &["BITFIELD", "n", "INCRBY", "u8", "0", "1"],
            &["GET", "n"],
            &["BITFIELD"],
        ],
    );
}

#[test]
fn bitfield_ro() {
    run_both(
        with_list,
        &[
            &["BITFIELD", "bf", "SET", "u16", "0", "12345"],
            &[
                "BITFIELD_RO",
                "bf",
                "GET",
                "u16",
                "0",
                "GET",
                "i8",
                "#1",
                "GET",
                "u4",
                "100",
            ],
            &["BITFIELD_RO", "bf"],
            &["BITFIELD_RO", "nokey", "GET", "u8", "0"],
            &["EXISTS", "nokey"],
            &["BITFIELD_RO", "bf", "SET", "u8", "0", "1"],
            &["BITFIELD_RO", "bf", "INCRBY", "u8", "0", "1"],
            &["BITFIELD_RO", "bf", "OVERFLOW", "SAT", "GET", "u8", "0"],
            &[
                "BITFIELD_RO",
                "bf",
                "INCRBY",
                "u8",
                "0",
                "1",
                "GET",
                "u8",
                "x",
            ],
            &["BITFIELD_RO", "bf", "SET", "u8", "0", "1", "FOO"],
            &["BITFIELD_RO", "list"],
            &["BITFIELD_RO", "list", "GET", "u8", "0"],
            &["BITFIELD_RO", "list", "SET", "u8", "0", "1"],
            &["BITFIELD_RO", "bf", "GET", "u64", "0"],
            &["BITFIELD_RO"],
        ],
    );
}

/// Bitmap keys that collide; `bl` is a list.
const BKEYS: &[&str] = &["b0", "b1", "b2", "bl"];

fn small_int(r: &mut SmallRng) -> String {
    if r.random_bool(0.05) {
        pick(
            r,
            &[
                "x",
                "-1",
                "9223372036854775807",
                "-9223372036854775808",
                "4294967296",
            ],
        )
        .into()
    } else {
        r.random_range(-30i64..80).to_string()
    }
}

/// A random BITFIELD operation list (mostly valid).
fn random_field_ops(r: &mut SmallRng, read_only: bool) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..r.random_range(0..4) {
        let op = if read_only && r.random_bool(0.9) {
            "GET"
        } else {
            pick(r, &["GET", "SET", "INCRBY", "OVERFLOW"])
        };
        out.push(op.into());
        if op == "OVERFLOW" {
            out.push(pick(r, &["WRAP", "SAT", "FAIL", "wrap", "BAD"]).into());
            continue;
        }
        let signed = r.random_bool(0.5);
        let bits = r.random_range(1..=64u32);
        let t = if r.random_bool(0.02) {
            "u64".to_string()
        } else if signed || bits == 64 {
            format!("i{bits}")
        } else {
            format!("u{bits}")
        };
        out.push(t);
        let off = r.random_range(0..100u32);
        out.push(if r.random_bool(0.2) {
            format!("#{}", off % 8)
        } else {
            off.to_string()
        });
        if op != "GET" {
            let v: i64 = match r.random_range(0..4) {
                0 => r.random_range(-5..5),
                1 => r.random_range(-300..300),
                2 => r.random(),
                _ => pick(r, &["9223372036854775807", "-9223372036854775808", "1"])
                    .parse()
                    .unwrap(),
            };
            out.push(v.to_string());
        }
    }
    out
}

/// One random bitmap (or plain string) command over the colliding keys.
fn random_bit_command(r: &mut SmallRng) -> Vec<Vec<u8>> {
    let key = |r: &mut SmallRng| pick(r, BKEYS).as_bytes().to_vec();
    let name = pick(
        r,
        &[
            "SETBIT",
            "SETBIT",
            "GETBIT",
            "BITCOUNT",
            "BITPOS",
            "BITOP",
            "BITFIELD",
            "BITFIELD",
            "BITFIELD_RO",
            "SET",
            "GET",
            "APPEND",
        ],
    );
    let mut argv: Vec<Vec<u8>> = vec![name.as_bytes().to_vec()];
    let words = |v: Vec<String>| v.into_iter().map(String::into_bytes);
    match name {
        "SETBIT" => {
            argv.push(key(r));
            argv.push(small_int(r).into_bytes());
            argv.push(pick(r, &["0", "1", "1", "2"]).into());
        }
        "GETBIT" => {
            argv.push(key(r));
            argv.push(small_int(r).into_bytes());
        }
        "BITCOUNT" | "BITPOS" => {
            argv.push(key(r));
            if name == "BITPOS" {
                argv.push(pick(r, &["0", "1", "1", "0", "2"]).into());
            }
            let n = r.random_range(0..4);
            for _ in 0..n.min(2) {
                argv.push(small_int(r).into_bytes());
            }
            if n == 3 {
                argv.push(pick(r, &["BIT", "BYTE", "bit", "BAD"]).into());
            }
        }
        "BITOP" => {
            argv.push(pick(r, &["AND", "OR", "XOR", "NOT", "NOT", "BAD"]).into());
            for _ in 0..r.random_range(2..5) {
                argv.push(key(r));
            }
        }
        "BITFIELD" | "BITFIELD_RO" => {
            argv.push(key(r));
            argv.extend(words(random_field_ops(r, name == "BITFIELD_RO")));
        }
        "SET" | "APPEND" => {
            argv.push(key(r));
            argv.push(random_text(r, 0..6, b"\0\x01\x7f\x80\xffab"));
        }
        _ => argv.push(key(r)),
    }
    argv
}

fn random_bitmap_sequence(mut p: Pair, seed_name: &str, count: usize) {
    put_list(&mut p, "bl");
    let mut r = rng(seed_name);
    for i in 0..count {
        let argv = random_bit_command(&mut r);
        p.check(&argv);
        if i % 400 == 399 {
            put_list(&mut p, "bl");
        }
    }
    let keys: Vec<String> = BKEYS[..3].iter().map(|k| k.to_string()).collect();
    finish(&mut p, &keys, &["bl"]);
}

#[test]
fn random_bitmap_commands_resp2() {
    random_bitmap_sequence(Pair::new(), "random_bitmap_commands_resp2", 2500);
}

#[test]
fn random_bitmap_commands_resp3() {
    random_bitmap_sequence(Pair::resp3(), "random_bitmap_commands_resp3", 1000);
}
