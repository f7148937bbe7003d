//! Compiles `src/format.c` (the printf-style `kvstore_command`, which stable
//! Rust cannot define) into the library and exports its symbols.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rerun-if-changed=src/format.c");
    println!("cargo:rerun-if-changed=exports.map");
    println!("cargo:rerun-if-changed=../include/kvstore.h");
    cc::Build::new()
        .file("src/format.c")
        .include(format!("{dir}/../include"))
        .std("c99")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        // Whole archive: nothing in Rust calls these functions, and without
        // it the linker would drop them from libkvstore.so.
        .link_lib_modifier("+whole-archive")
        .compile("kvstore_format");
    // rustc's version script exports only Rust's #[no_mangle] functions from
    // the cdylib; this second script (merged by GNU ld) adds the C ones.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={dir}/exports.map");
    }
}
