//! The C side of libkvstore, driven from `cargo test`: the C tests in
//! `tests/c/` and the examples in `examples/` are compiled with the system
//! C compiler (`$CC`, default `cc`) against the committed
//! `include/kvstore.h` and the library this test run built (the debug
//! `libkvstore.so` beside this test binary, which has the test-only panic
//! hook), then run under AddressSanitizer + LeakSanitizer + UBSan (0 leaks,
//! 0 invalid accesses, any finding fails the run), and the API, NULL,
//! data-directory, transaction, listener and Pub/Sub tests once more under
//! valgrind; the `dump.rdb` the data-directory test leaves must pass
//! `redis-check-rdb`, and the listener tests drive `redis-cli`. The install
//! step, pkg-config and CMake's `find_package(kvstore)` are checked by
//! installing into a temporary prefix.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("ffi/ has a parent")
        .to_path_buf()
}

/// The directory holding the libkvstore.so/.a that cargo built for this run.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().expect("deps directory").to_path_buf();
    assert!(
        dir.join("libkvstore.so").exists() && dir.join("libkvstore.a").exists(),
        "libkvstore.so/.a not found in {}",
        dir.display()
    );
    dir
}

/// How a C program is instrumented.
#[derive(Clone, Copy, PartialEq)]
enum Check {
    /// ASan + LSan + UBSan, stopping at the first finding.
    Sanitizers,
    /// No instrumentation (for valgrind).
    Plain,
}

/// Compiles `sources` into `out`, linked with `link` (compiler arguments).
fn compile(sources: &[PathBuf], out: &Path, check: Check, link: &[String]) {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let mut cmd = Command::new(&cc);
    cmd.args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"])
        .arg("-I")
        .arg(root().join("include"))
        .arg("-I")
        .arg(root().join("ffi/tests/c"));
    if check == Check::Sanitizers {
        cmd.args([
            "-fsanitize=address,undefined",
            "-fno-omit-frame-pointer",
            "-fno-sanitize-recover=all",
        ]);
    }
    cmd.args(sources).args(link).arg("-o").arg(out);
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler {cc}: {e}"));
    assert_ok(&format!("compiling {}", out.display()), &output);
    if check == Check::Sanitizers {
        // As rustls-ffi's CI does: make sure the sanitizers are really in.
        let bin = std::fs::read(out).expect("read the compiled program");
        assert!(
            bin.windows(11).any(|w| w == b"__asan_init"),
            "{} is not instrumented by AddressSanitizer",
            out.display()
        );
    }
}

/// Link arguments for the shared library of this run.
fn shared_link() -> Vec<String> {
    let dir = lib_dir();
    vec![
        format!("-L{}", dir.display()),
        "-lkvstore".into(),
        format!("-Wl,-rpath,{}", dir.display()),
        "-lpthread".into(),
        "-lm".into(),
    ]
}

fn assert_ok(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `exe` with `args` (under the sanitizers' strict settings) and
/// returns its standard output; any failure or sanitizer report fails the
/// test.
fn run(exe: &Path, wrapper: &[&str], args: &[&Path]) -> String {
    let mut cmd = match wrapper.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    let out = cmd
        .args(args)
        // cargo's LD_LIBRARY_PATH lists target/debug before deps/, where a
        // `cargo build` leaves an older libkvstore.so; the rpath each
        // program is linked with must decide.
        .env_remove("LD_LIBRARY_PATH")
        .env("ASAN_OPTIONS", "detect_leaks=1:halt_on_error=1")
        .env("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
        // The forced panics print their message; a backtrace is noise.
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
    assert_ok(&format!("running {}", exe.display()), &out);
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Builds `tests/c/<name>.c` with the sanitizers, runs it with `args`, and
/// checks its closing line.
fn c_test(name: &str, args: &[&Path]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = dir.path().join(name);
    let src = root().join(format!("ffi/tests/c/{name}.c"));
    compile(&[src], &exe, Check::Sanitizers, &shared_link());
    let out = run(&exe, &[], args);
    assert!(
        out.contains(&format!("{name}: ")) && out.trim_end().ends_with("checks passed"),
        "{name} did not finish: {out}"
    );
}

/// `redis-check-rdb` (Redis 7.0's own checker) accepts `file`.
fn assert_redis_accepts(file: &Path) {
    let out = Command::new("redis-check-rdb")
        .arg(file)
        .output()
        .expect("run redis-check-rdb (apt-get install redis-tools)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("RDB looks OK"),
        "redis-check-rdb {}:\n{text}",
        file.display()
    );
}

#[test]
fn c_api_under_sanitizers() {
    c_test("test_api", &[]);
}

#[test]
fn c_null_arguments_under_sanitizers() {
    c_test("test_null", &[]);
}

#[test]
fn c_panic_boundary_under_sanitizers() {
    c_test("test_panic", &[]);
}

#[test]
fn c_four_threads_share_one_handle() {
    c_test("test_threads", &[]);
}

/// Data directories: the C test writes, closes, reopens, meets a held and
/// a corrupt directory; the dump it leaves passes `redis-check-rdb`.
#[test]
fn c_data_directories_under_sanitizers() {
    let work = tempfile::tempdir().expect("temp dir");
    c_test("test_persist", &[work.path()]);
    assert_redis_accepts(&work.path().join("data/dump.rdb"));
}

#[test]
fn c_transactions_with_typed_calls() {
    c_test("test_multi", &[]);
}

#[test]
fn c_listen_serves_other_processes() {
    c_test("test_listen", &[]);
}

#[test]
fn c_pubsub_under_sanitizers() {
    c_test("test_pubsub", &[]);
}

#[test]
fn c_tests_under_valgrind() {
    let dir = tempfile::tempdir().expect("temp dir");
    let work = tempfile::tempdir().expect("temp dir");
    let cases: [(&str, &[&Path]); 6] = [
        ("test_api", &[]),
        ("test_null", &[]),
        ("test_persist", &[work.path()]),
        ("test_multi", &[]),
        ("test_listen", &[]),
        ("test_pubsub", &[]),
    ];
    for (name, args) in cases {
        let exe = dir.path().join(name);
        let src = root().join(format!("ffi/tests/c/{name}.c"));
        compile(&[src], &exe, Check::Plain, &shared_link());
        let out = run(
            &exe,
            &[
                "valgrind",
                "--quiet",
                "--error-exitcode=1",
                "--leak-check=full",
                "--show-leak-kinds=definite,indirect",
                "--errors-for-leak-kinds=definite,indirect",
            ],
            args,
        );
        assert!(
            out.contains("checks passed"),
            "{name} under valgrind: {out}"
        );
    }
}

/// Builds and runs `examples/<name>.c` with the sanitizers.
fn example(name: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = dir.path().join(name);
    let src = root().join(format!("examples/{name}.c"));
    compile(&[src], &exe, Check::Sanitizers, &shared_link());
    run(&exe, &[], &[])
}

#[test]
fn example_task_distribution_prints_each_assignment() {
    let out = example("task_distribution");
    // HKEYS order is the hash's; the assignments themselves are fixed.
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "task1 -> 192.168.1.100",
            "task2 -> 192.168.1.101",
            "task3 -> 192.168.1.102"
        ]
    );
}

#[test]
fn example_generic_call_prints_each_reply() {
    let out = example("generic_call");
    let want = "\
> SET greeting hello
OK
> RPUSH queue job:1 job:2
(integer) 2
> LRANGE queue 0 -1
1) \"job:1\"
2) \"job:2\"
> GET missing
(nil)
> INCR greeting
(error) ERR value is not an integer or out of range
> HSET user:1 name Ada lang C
(integer) 2
> HMGET user:1 name lang nosuchfield
1) \"Ada\"
2) \"C\"
3) (nil)
";
    assert_eq!(out, want);
}

/// Runs the install step (`ffi/install.sh`) into `prefix` with this run's
/// libraries.
fn install(prefix: &Path) {
    let out = Command::new("bash")
        .arg(root().join("ffi/install.sh"))
        .arg(prefix)
        .env("KVSTORE_LIB_DIR", lib_dir())
        .output()
        .expect("run ffi/install.sh");
    assert_ok("ffi/install.sh", &out);
}

/// The install step, then `cc prog.c $(pkg-config --cflags --libs kvstore)`,
/// and a static link of `libkvstore.a` with pkg-config's private libraries.
#[test]
fn install_and_pkg_config() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("prefix");
    install(&prefix);

    let pkg_config = |args: &[&str]| -> Vec<String> {
        let out = Command::new("pkg-config")
            .args(args)
            .arg("kvstore")
            .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
            .output()
            .expect("run pkg-config (apt-get install pkg-config)");
        assert_ok("pkg-config", &out);
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    assert_eq!(pkg_config(&["--modversion"]), [env!("CARGO_PKG_VERSION")]);
    let src = root().join("examples/task_distribution.c");

    // Shared: only what pkg-config prints (plus an rpath to run it here).
    let exe = dir.path().join("shared");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .arg(&src)
        .args(pkg_config(&["--cflags", "--libs"]))
        .arg(format!("-Wl,-rpath,{}", prefix.join("lib").display()))
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run the C compiler");
    assert_ok("cc $(pkg-config --cflags --libs kvstore)", &out);
    assert_eq!(run(&exe, &[], &[]).lines().count(), 3);

    // Static: the archive itself, with the private libraries it needs.
    let exe = dir.path().join("static");
    let libs: Vec<String> = pkg_config(&["--static", "--libs-only-l"])
        .into_iter()
        .filter(|l| l != "-lkvstore")
        .collect();
    let out = Command::new(&cc)
        .arg(&src)
        .args(pkg_config(&["--cflags"]))
        .arg(prefix.join("lib/libkvstore.a"))
        .args(libs)
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run the C compiler");
    assert_ok("static link of libkvstore.a", &out);
    assert_eq!(run(&exe, &[], &[]).lines().count(), 3);
}

/// The install step, then a CMake project using `find_package(kvstore 0.1
/// REQUIRED)` and `target_link_libraries(app PRIVATE kvstore::kvstore)`,
/// built and run; asking for a version the library does not satisfy fails.
#[test]
fn install_and_cmake_find_package() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("prefix");
    install(&prefix);
    let project = dir.path().join("project");
    std::fs::create_dir(&project).expect("create the project directory");
    std::fs::write(
        project.join("CMakeLists.txt"),
        format!(
            "cmake_minimum_required(VERSION 3.13)\n\
             project(app C)\n\
             find_package(kvstore ${{WANT}} REQUIRED)\n\
             add_executable(app \"{}\")\n\
             target_link_libraries(app PRIVATE kvstore::kvstore)\n",
            root().join("examples/task_distribution.c").display()
        ),
    )
    .expect("write CMakeLists.txt");
    let cmake = |build: &Path, args: &[&str]| -> Output {
        Command::new("cmake")
            .args(args)
            .current_dir(build)
            .env_remove("LD_LIBRARY_PATH")
            .output()
            .expect("run cmake (apt-get install cmake)")
    };
    let configure = |want: &str| -> (PathBuf, Output) {
        let build = dir.path().join(format!("build-{want}"));
        std::fs::create_dir(&build).expect("create the build directory");
        let out = cmake(
            &build,
            &[
                "-S",
                &project.to_string_lossy(),
                "-B",
                ".",
                &format!("-DCMAKE_PREFIX_PATH={}", prefix.display()),
                &format!("-DWANT={want}"),
            ],
        );
        (build, out)
    };

    let (build, out) = configure("0.1");
    assert_ok("cmake configure with find_package(kvstore 0.1)", &out);
    assert_ok("cmake --build", &cmake(&build, &["--build", "."]));
    // The installed library has no soname: the program finds it through
    // CMake's build rpath, not a path baked in by the linker.
    assert_eq!(run(&build.join("app"), &[], &[]).lines().count(), 3);

    let (_, out) = configure("9.0");
    assert!(
        !out.status.success(),
        "find_package(kvstore 9.0) must fail against {}",
        env!("CARGO_PKG_VERSION")
    );
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("compatible with requested version \"9.0\""),
        "{text}"
    );
}

/// The header is valid C++ too (its `extern "C"` guards).
#[test]
fn header_compiles_as_cpp() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("use.cpp");
    std::fs::write(
        &src,
        "#include <kvstore.h>\nint main() { return kvstore_open(nullptr, nullptr, nullptr); }\n",
    )
    .expect("write use.cpp");
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
    let out = Command::new(&cxx)
        .args(["-std=c++11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only"])
        .arg("-I")
        .arg(root().join("include"))
        .arg(&src)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C++ compiler {cxx}: {e}"));
    assert_ok("compiling the header as C++", &out);
}

/// The function declarations of `include/kvstore.h`: (name, parameters).
fn header_functions() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("include/kvstore.h")).expect("read header");
    // Drop comments so that only declarations remain.
    let mut code = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("/*") {
        code.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    code.push_str(rest);
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut fns = Vec::new();
    let mut at = 0;
    while let Some(i) = code[at..].find("kvstore_") {
        let start = at + i;
        let name_end = code[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(code.len(), |n| start + n);
        at = name_end;
        if code[name_end..].starts_with('(') {
            let close = code[name_end..].find(')').expect("closing parenthesis") + name_end;
            fns.push((
                code[start..name_end].to_string(),
                code[name_end + 1..close].to_string(),
            ));
        }
    }
    fns
}

/// Every function of the header is exercised by the panic test, and every
/// one with a pointer parameter by the NULL test (F1/F2 coverage).
#[test]
fn every_header_function_has_panic_and_null_tests() {
    let fns = header_functions();
    assert!(fns.len() >= 30, "parsed only {} functions", fns.len());
    let read = |f: &str| std::fs::read_to_string(root().join("ffi/tests/c").join(f)).unwrap();
    let (panic, null) = (read("test_panic.c"), read("test_null.c"));
    let called = |src: &str, name: &str| src.contains(&format!("{name}("));
    for (name, params) in &fns {
        assert!(called(&panic, name), "test_panic.c never calls {name}");
        if params.contains('*') {
            assert!(called(&null, name), "test_null.c never calls {name}");
        }
    }
}

/// Every `extern "C"` function of the crate runs its body inside the panic
/// boundary: the body's first statement is `crate::panic::call`/`boundary`
/// (or an accessor's `read`, which is one). The test hook is the exception:
/// it only stores a number.
#[test]
fn every_export_starts_with_the_panic_boundary() {
    let src_dir = root().join("ffi/src");
    let mut exports = 0;
    for entry in std::fs::read_dir(&src_dir).expect("read ffi/src") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read source");
        for (i, _) in text.match_indices("extern \"C\" fn ") {
            let name: String = text[i + 14..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name == "kvstore_test_panic_next" {
                continue;
            }
            let body = &text[i..];
            let open = body
                .find(") ")
                .and_then(|p| body[p..].find('{').map(|b| p + b));
            let first = body[open.expect("function body") + 1..].trim_start();
            assert!(
                ["crate::panic::call(", "crate::panic::boundary(", "read("]
                    .iter()
                    .any(|b| first.starts_with(b)),
                "{name} ({}) does not start with the panic boundary",
                path.display()
            );
            exports += 1;
        }
    }
    assert!(exports >= 30, "found only {exports} exports");
}
