//! Builds the small C helper that gives us C's `long double` arithmetic and
//! formatting, which Redis uses for INCRBYFLOAT and HINCRBYFLOAT.
fn main() {
    println!("cargo:rerun-if-changed=native/ldouble.c");
    cc::Build::new()
        .file("native/ldouble.c")
        .compile("kvstore_ldouble");
}
