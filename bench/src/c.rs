//! The C benchmark beside the Rust figures, in one run: `bench/c/bench.c`
//! (libkvstore called from C, statically linked) on 100 k keys, the core's
//! typed and execute paths called from Rust on the same key count, and the
//! bare-HashMap floor. Prints the table BENCHMARKS.md carries.

use std::collections::HashMap;
use std::path::Path;

const KEYS: usize = 100_000;
const OPS: usize = 1_000_000;

/// Runs the C benchmark `exe` and returns its `name value` lines.
fn run_c(exe: &Path) -> HashMap<String, f64> {
    let out = std::process::Command::new(exe)
        .args([KEYS.to_string(), OPS.to_string()])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
    assert!(
        out.status.success(),
        "the C benchmark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

/// Measures and prints the C-vs-Rust table.
pub fn compare(exe: &Path) {
    let rust = super::measure(KEYS, OPS);
    let c = run_c(exe);
    let get = |k: &str| {
        *c.get(k)
            .unwrap_or_else(|| panic!("C benchmark printed no {k}"))
    };
    println!(
        "| operation, 100 k keys | C ns/call | core from Rust ns/call | floor ns/op | C / core | C / floor | goal |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    let rows = [
        (
            "GET, typed (`kvstore_get` + `kvstore_free`)",
            get("typed_get"),
            rust.typed_get,
            rust.floor_get,
            "≤ 100 ns",
        ),
        (
            "SET overwrite, typed (`kvstore_set`)",
            get("typed_set"),
            rust.typed_set,
            rust.floor_set,
            "≤ 130 ns",
        ),
        (
            "GET, argv (`kvstore_command_argv` + `kvstore_reply_free`)",
            get("argv_get"),
            rust.exec_get,
            rust.floor_get,
            "≤ 200 ns",
        ),
        (
            "GET, printf (`kvstore_command \"GET %b\"` + `kvstore_reply_free`)",
            get("printf_get"),
            rust.exec_get,
            rust.floor_get,
            "",
        ),
    ];
    for (name, c_ns, core, floor, goal) in rows {
        println!(
            "| {name} | {c_ns:.0} | {core:.0} | {floor:.0} | {:.2}× | {:.2}× | {goal} |",
            c_ns / core,
            c_ns / floor
        );
    }
    let (one, two) = (get("threads1_ops"), get("threads2_ops"));
    println!(
        "\nC, typed GET on disjoint keys: 2 threads {:.2} M ops/s vs 1 thread {:.2} M ops/s = {:.2}× (goal ≥ 1.7×)",
        two / 1e6,
        one / 1e6,
        two / one
    );
    let (one, two) = super::two_threads(KEYS, 2 * OPS);
    println!(
        "Rust, execute GET on disjoint keys, same run: 2 threads {:.2} M ops/s vs 1 thread {:.2} M ops/s = {:.2}×",
        two / 1e6,
        one / 1e6,
        two / one
    );
}
