//! Builds the C parts of the engine:
//! - `native/ldouble.c`: C's `long double` arithmetic and formatting, which
//!   Redis uses for INCRBYFLOAT and HINCRBYFLOAT;
//! - `native/lua/`: Redis 7.0.15's Lua 5.1 (its patched interpreter with
//!   readonly tables and no bytecode loading, plus cjson, cmsgpack, bit and
//!   struct), with the flags Redis's `deps/Makefile` builds it with;
//! - `native/script.c`: the scripting environment over it (see
//!   `src/script/`).
fn main() {
    println!("cargo:rerun-if-changed=native");
    cc::Build::new()
        .file("native/ldouble.c")
        .compile("kvstore_ldouble");

    let lua_sources: Vec<_> = std::fs::read_dir("native/lua")
        .expect("native/lua")
        .map(|e| e.expect("native/lua entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    // Ours, with warnings; linked before the interpreter it calls.
    cc::Build::new()
        .file("native/script.c")
        .flag_if_supported("-Wextra")
        .opt_level(2)
        .compile("kvstore_script");
    cc::Build::new()
        .files(&lua_sources)
        .define("LUA_ANSI", None)
        .define("ENABLE_CJSON_GLOBAL", None)
        .define("REDIS_STATIC", Some(""))
        .define("LUA_USE_MKSTEMP", None)
        .opt_level(2)
        // Third-party code compiled as its authors ship it.
        .warnings(false)
        .compile("kvstore_lua");
}
