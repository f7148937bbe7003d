//! The `kvstore-server` binary: redis-server's flags and a config file,
//! CONFIG GET showing them, its log lines, SHUTDOWN and SIGTERM, and
//! configuration errors; its data directory (load at startup, the final
//! save of SHUTDOWN and SIGTERM, redis-server loading what it wrote).

use crate::support::{Raw, temp_dir};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_kvstore-server");

/// The binary on a free port with `args` (and a fresh data directory
/// unless they name one); waits until it accepts connections.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    pub fn start(args: &[&str]) -> Server {
        let dir = (!args.contains(&"--dir")).then(|| temp_dir("data"));
        // A free port can be taken by another test between the probe and
        // the bind: a server that exits at once is started again.
        for _ in 0..5 {
            let port = free_port();
            let mut cmd = Command::new(BIN);
            cmd.args(args).args(["--port", &port.to_string()]);
            if let Some(d) = &dir {
                cmd.args(["--dir", &d.to_string_lossy()]);
            }
            let child = cmd
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut s = Server { child, port };
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while std::time::Instant::now() < deadline {
                if s.child.try_wait().unwrap().is_some() {
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return s;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        panic!("kvstore-server exited (or never answered) on 5 ports")
    }

    pub fn client(&self) -> Raw {
        Raw::connect(self.port)
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        // SAFETY: kill only sends a signal to our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
    }

    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        for _ in 0..500 {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("kvstore-server did not exit");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn dir_arg(dir: &Path) -> String {
    dir.to_string_lossy().into_owned()
}

fn config_get(c: &mut Raw, name: &str) -> String {
    let r = c.text(&["CONFIG", "GET", name]);
    let lines: Vec<&str> = r.split("\r\n").collect();
    lines[4].to_string()
}

#[test]
fn flags_and_config_file_show_in_config_get() {
    let dir = temp_dir("bin");
    let conf = dir.join("redis.conf");
    std::fs::write(
        &conf,
        "# a redis.conf subset\nmaxclients 77\ntimeout 30\nsave 900 1\nappendonly no\nloglevel verbose\n",
    )
    .unwrap();
    let log = dir.join("server.log");
    let sock = dir.join("s.sock");
    let (conf, log_s, sock_s) = (
        conf.to_string_lossy().into_owned(),
        log.to_string_lossy().into_owned(),
        sock.to_string_lossy().into_owned(),
    );
    let dir_s = dir.to_string_lossy().into_owned();
    let s = Server::start(&[
        &conf,
        "--dir",
        &dir_s,
        "--dbfilename",
        "data.rdb",
        "--appendfsync",
        "always",
        "--logfile",
        &log_s,
        "--unixsocket",
        &sock_s,
        "--unixsocketperm",
        "700",
        "--protected-mode",
        "no",
        "--requirepass",
        "pw",
    ]);
    let mut c = s.client();
    assert_eq!(c.text(&["PING"]), "-NOAUTH Authentication required.\r\n");
    assert_eq!(c.text(&["AUTH", "pw"]), "+OK\r\n");
    for (name, want) in [
        ("maxclients", "77"),
        ("timeout", "30"),
        ("save", "900 1"),
        ("appendonly", "no"),
        ("appendfsync", "always"),
        ("dbfilename", "data.rdb"),
        ("protected-mode", "no"),
        ("unixsocket", sock_s.as_str()),
        ("port", &s.port.to_string()),
    ] {
        assert_eq!(config_get(&mut c, name), want, "{name}");
    }
    let dir_real = std::fs::canonicalize(&dir).unwrap();
    assert_eq!(config_get(&mut c, "dir"), dir_real.to_string_lossy());
    // The binary's global allocator, as redis-server names jemalloc.
    let memory = c.text(&["INFO", "memory"]);
    assert!(
        memory.contains("\r\nmem_allocator:mimalloc\r\n"),
        "{memory}"
    );
    assert!(Path::new(&sock).exists());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains(":M ") && text.contains("* Ready to accept connections"),
        "{text}"
    );
    assert!(text.contains(" - Accepted 127.0.0.1:"), "{text}");
}

#[test]
fn shutdown_exits_and_removes_the_socket() {
    let dir = temp_dir("shut");
    let sock = dir.join("s.sock");
    let log = dir.join("log");
    let mut s = Server::start(&[
        "--unixsocket",
        &sock.to_string_lossy(),
        "--logfile",
        &log.to_string_lossy(),
    ]);
    let mut c = s.client();
    assert_eq!(
        c.text(&["SHUTDOWN", "ABORT"]),
        "-ERR No shutdown in progress.\r\n"
    );
    c.send(b"SHUTDOWN NOSAVE\r\n");
    assert!(s.wait_exit().success());
    assert!(!sock.exists());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("# User requested shutdown..."), "{text}");
    assert!(text.contains("bye bye"), "{text}");
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let dir = temp_dir("term");
    let log = dir.join("log");
    let mut s = Server::start(&["--logfile", &log.to_string_lossy(), "--dir", &dir_arg(&dir)]);
    s.client().text(&["SET", "k", "v"]);
    s.terminate();
    assert!(s.wait_exit().success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("Received SIGTERM scheduling shutdown..."),
        "{text}"
    );
    // Save points are on by default: SIGTERM makes the final save.
    assert!(
        text.contains("* Saving the final RDB snapshot before exiting.")
            && text.contains("* DB saved on disk"),
        "{text}"
    );
    assert!(dir.join("dump.rdb").exists());
}

#[test]
fn bad_configuration_is_a_clear_error() {
    for args in [
        &["--port", "x"][..],
        &["--nosuch", "1"],
        &["--maxclients", "0"],
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("FATAL CONFIG FILE ERROR"), "{args:?}: {err}");
    }
    let out = Command::new(BIN)
        .arg("/nonexistent/redis.conf")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("7.0.15"));
}
