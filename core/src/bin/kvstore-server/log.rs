//! Log lines in redis-server's format:
//! `pid:role dd Mon yyyy hh:mm:ss.mmm <c> message`, where `c` is `.` debug,
//! `-` verbose, `*` notice, `#` warning, and the role is `C` while the
//! configuration loads, `M` once serving. Written to `logfile` (appended),
//! or standard output when it is empty; filtered by `loglevel`: the
//! configured one while the engine opens, then the engine's as it changes
//! (CONFIG SET loglevel).

use kvstore_core::Engine;
use kvstore_core::server::Level;
use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

/// The server's log.
pub struct Logger {
    out: Mutex<Box<dyn Write + Send>>,
    role: AtomicU8,
    /// `loglevel` before the engine exists.
    startup_level: Level,
    engine: OnceLock<Engine>,
}

impl Logger {
    /// A log to `path` (standard output when empty), filtered by `level`
    /// (a `loglevel` value) until [`Logger::attach`].
    pub fn open(path: &str, level: &str) -> std::io::Result<Logger> {
        let out: Box<dyn Write + Send> = if path.is_empty() {
            Box::new(std::io::stdout())
        } else {
            Box::new(File::options().create(true).append(true).open(path)?)
        };
        Ok(Logger {
            out: Mutex::new(out),
            role: AtomicU8::new(b'C'),
            startup_level: parse_level(level),
            engine: OnceLock::new(),
        })
    }

    /// From now on `engine`'s `loglevel` filters the log.
    pub fn attach(&self, engine: Engine) {
        let _ = self.engine.set(engine);
    }

    /// From now on lines carry the master role (`M`).
    pub fn serving(&self) {
        self.role.store(b'M', Ordering::Relaxed);
    }

    /// Writes one line if `level` passes `loglevel`.
    pub fn log(&self, level: Level, msg: &str) {
        let min = match self.engine.get() {
            Some(e) => parse_level(&e.shared().config.get("loglevel").unwrap_or_default()),
            None => self.startup_level,
        };
        if level < min {
            return;
        }
        let mark = match level {
            Level::Debug => '.',
            Level::Verbose => '-',
            Level::Notice => '*',
            Level::Warning => '#',
        };
        let line = format!(
            "{}:{} {} {mark} {msg}\n",
            std::process::id(),
            self.role.load(Ordering::Relaxed) as char,
            timestamp()
        );
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let _ = out.write_all(line.as_bytes());
        let _ = out.flush();
    }
}

/// A `loglevel` value's level (`notice` for anything else).
fn parse_level(name: &str) -> Level {
    match name {
        "debug" => Level::Debug,
        "verbose" => Level::Verbose,
        "warning" => Level::Warning,
        _ => Level::Notice,
    }
}

/// Local time as Redis prints it: `26 Nov 2026 06:11:33.283`.
fn timestamp() -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    // SAFETY: localtime_r writes only into `tm`, which we own.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&secs, &mut tm);
        tm
    };
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        MONTHS[tm.tm_mon.clamp(0, 11) as usize],
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_millis()
    )
}
