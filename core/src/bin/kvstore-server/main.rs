//! `kvstore-server`: a kvstore engine served over RESP, a drop-in for
//! redis-server on one machine. It takes redis-server's command line and a
//! redis.conf subset (see `options`), logs like redis-server (see `log`),
//! serves the data directory `dir` (its `dbfilename` snapshot loaded at
//! startup), and stops cleanly on SHUTDOWN or SIGTERM/SIGINT, saving first
//! as redis-server does (through `kvstore_core::lifecycle::final_save`).

mod log;
mod options;

use kvstore_core::clients::PauseKind;
use kvstore_core::config::Config;
use kvstore_core::lifecycle::{self, FinalSave, ShutdownRequest};
use kvstore_core::server::{Level, ListenConfig, Listener};
use kvstore_core::{Engine, Options, REDIS_VERSION};
use log::Logger;
use options::Invocation;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// mimalloc rather than glibc's malloc, as redis-server links jemalloc:
/// replies are trees of small allocations (LRANGE 100 makes 101 and frees
/// them right after encoding), and glibc spent 40 % of LRANGE's server time
/// in malloc/free (its tcache holds 7 chunks per size; the rest go through
/// fastbins and consolidation). The library leaves the allocator to the
/// process that embeds it.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "Usage: kvstore-server [/path/to/redis.conf] [options] [-]
       kvstore-server - (read config from stdin)
       kvstore-server -v or --version
       kvstore-server -h or --help

Examples:
       kvstore-server (run the server with default conf)
       kvstore-server /etc/redis/6379.conf
       kvstore-server --port 7777
       kvstore-server --port 7777 --requirepass secret --maxclients 100
       kvstore-server --unixsocket /tmp/kvstore.sock --port 0

Options are redis.conf directives: port, bind, unixsocket, unixsocketperm,
requirepass, maxclients, timeout, protected-mode, loglevel, logfile, dir,
dbfilename, save, appendonly, appendfsync, io-threads (worker threads;
default half the cores), and the other parameters CONFIG GET lists.";

fn main() {
    kvstore_core::stats::set_allocator("mimalloc");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (config_file, directives) = match options::parse_args(&args) {
        Ok(Invocation::Version) => {
            println!(
                "kvstore-server v={} (Redis {REDIS_VERSION} compatible) bits={}",
                env!("CARGO_PKG_VERSION"),
                usize::BITS
            );
            return;
        }
        Ok(Invocation::Help) => {
            println!("{USAGE}");
            return;
        }
        Ok(Invocation::Serve {
            config_file,
            directives,
        }) => (config_file, directives),
        Err(e) => fail(&e),
    };
    // Signals are taken by one thread (sigwait): block them before any
    // other thread starts, so every thread inherits the mask.
    let signals = signals::block();
    let config = Config::default();
    let settings = options::apply(&config, &directives).unwrap_or_else(|e| fail(&e));
    if settings.daemonize {
        fail("daemonize yes is not supported: run kvstore-server under a supervisor");
    }
    let logfile = config.get("logfile").unwrap_or_default();
    let logger = Arc::new(
        Logger::open(&logfile, &config.get("loglevel").unwrap_or_default())
            .unwrap_or_else(|e| fail(&format!("Can't open the log file: {e}"))),
    );
    let pid = std::process::id();
    logger.log(
        Level::Warning,
        "oO0OoO0OoO0Oo kvstore is starting oO0OoO0OoO0Oo",
    );
    logger.log(
        Level::Warning,
        &format!(
            "kvstore version={} (Redis {REDIS_VERSION} compatible), bits={}, pid={pid}, just started",
            env!("CARGO_PKG_VERSION"),
            usize::BITS
        ),
    );
    match &config_file {
        Some(_) => logger.log(Level::Warning, "Configuration loaded"),
        None => logger.log(
            Level::Warning,
            "Warning: no config file specified, using the default config. In order to specify a \
             config file use kvstore-server /path/to/redis.conf",
        ),
    }
    logger.serving();
    logger.log(
        Level::Notice,
        &format!("Running mode=standalone, port={}.", config.get_int("port")),
    );
    logger.log(Level::Warning, "Server initialized");
    let engine = open_engine(config, &logger);
    logger.attach(engine.clone());
    let config = &engine.shared().config;
    let listen = listen_config(&engine, &settings, &logger);
    let unix = listen.unixsocket.clone();
    let listener = Listener::start(engine.clone(), listen).unwrap_or_else(|e| {
        logger.log(Level::Warning, &e.to_string());
        std::process::exit(1)
    });
    if config.get_bool("protected-mode")
        && !config.get_bool("requirepass")
        && listener
            .local_addrs()
            .iter()
            .any(|a| a.ip().is_unspecified())
    {
        logger.log(
            Level::Warning,
            "WARNING: You are listening on all interfaces with protected mode on and no password: \
             only loopback clients will be served.",
        );
    }
    let stop = {
        let (engine, logger) = (engine.clone(), logger.clone());
        Arc::new(move |req: ShutdownRequest| shutdown(&engine, &logger, unix.as_deref(), req))
    };
    engine.shared().lifecycle.set_shutdown(stop.clone());
    logger.log(Level::Notice, "Ready to accept connections");
    let signal = signals::wait(&signals);
    let name = match signal {
        libc::SIGINT => "SIGINT",
        _ => "SIGTERM",
    };
    logger.log(
        Level::Warning,
        &format!("Received {name} scheduling shutdown..."),
    );
    // A failed final save keeps serving, as Redis does, until the next signal.
    loop {
        if let Err(e) = stop(ShutdownRequest::default()) {
            logger.log(Level::Warning, &format!("SIGTERM received but errors trying to shut down the server, check the logs for more information ({e})"));
        }
        signals::wait(&signals);
    }
}

/// The listener's settings from the configuration: `port` 0 means no TCP,
/// as in Redis; the default bind is loopback.
fn listen_config(
    engine: &Engine,
    settings: &options::ServerSettings,
    logger: &Arc<Logger>,
) -> ListenConfig {
    let config = &engine.shared().config;
    let port = config.get_int("port");
    let bind = config.get("bind").unwrap_or_default();
    // The compiled-in default (`* -::*`) is what CONFIG GET shows until
    // something is bound; a server binds loopback unless told otherwise.
    let bind = if bind == "* -::*" {
        vec!["127.0.0.1".to_string(), "-::1".to_string()]
    } else {
        bind.split_whitespace().map(String::from).collect()
    };
    let unix = config.get("unixsocket").unwrap_or_default();
    let perm = config.get("unixsocketperm").unwrap_or_default();
    let log = logger.clone();
    ListenConfig {
        bind,
        port: u16::try_from(port).ok().filter(|&p| p != 0),
        unixsocket: (!unix.is_empty()).then(|| PathBuf::from(unix)),
        unixsocketperm: u32::from_str_radix(&perm, 8).ok().filter(|&p| p != 0),
        threads: settings.threads,
        log: Some(Arc::new(move |level, msg| log.log(level, msg))),
    }
}

/// The engine on the configured data directory (`dir`: the working
/// directory unless set), its snapshot loaded, with redis-server's log
/// lines. A directory another process holds, or an unreadable or corrupt
/// snapshot, stops the server: nothing is served from a partial load.
fn open_engine(config: Config, logger: &Logger) -> Engine {
    let dir = PathBuf::from(config.get("dir").unwrap_or_default());
    let aof = config.get_bool("appendonly");
    let file = match aof {
        true => dir.join(config.get("appendfilename").unwrap_or_default()),
        false => dir.join(config.get("dbfilename").unwrap_or_default()),
    };
    let exists = file.exists();
    let started = Instant::now();
    let engine = Engine::open_with_config(&dir, Options::default(), config).unwrap_or_else(|e| {
        logger.log(
            Level::Warning,
            &format!("Fatal error loading the DB: {e}. Exiting."),
        );
        std::process::exit(1)
    });
    for w in engine.shared().persist.load_warnings() {
        logger.log(Level::Warning, &w);
    }
    if exists && aof {
        logger.log(
            Level::Notice,
            &format!(
                "DB loaded from append only file: {:.3} seconds",
                started.elapsed().as_secs_f64()
            ),
        );
    } else if exists {
        let info = engine.shared().persist.info_rdb(0);
        let field = |name: &str| {
            info.iter()
                .find(|(n, _)| *n == name)
                .map_or("0", |(_, v)| v.as_str())
                .to_string()
        };
        logger.log(
            Level::Notice,
            &format!(
                "Done loading RDB, keys loaded: {}, keys expired: {}.",
                field("rdb_last_load_keys_loaded"),
                field("rdb_last_load_keys_expired")
            ),
        );
        logger.log(
            Level::Notice,
            &format!(
                "DB loaded from disk: {:.3} seconds",
                started.elapsed().as_secs_f64()
            ),
        );
    }
    engine
}

/// SHUTDOWN and signals: the final save when asked (or configured), then
/// exit. Returns only when the save failed and FORCE was not given.
fn shutdown(
    engine: &Engine,
    logger: &Logger,
    unix: Option<&std::path::Path>,
    req: ShutdownRequest,
) -> Result<(), String> {
    logger.log(Level::Warning, "User requested shutdown...");
    if req
        .save
        .unwrap_or_else(|| lifecycle::persistence_configured(engine))
    {
        logger.log(
            Level::Notice,
            "Saving the final RDB snapshot before exiting.",
        );
        // Writes wait from here to the exit, so none is acknowledged after
        // the snapshot's cut and then lost (a command already past its
        // pause check when this starts still lands before or after the cut).
        let clients = &engine.shared().clients;
        let now = engine.shared().clock.now_ms();
        clients.pause(u64::MAX, PauseKind::Write, now);
        match lifecycle::final_save(engine) {
            Ok(FinalSave::Saved) => logger.log(Level::Notice, "DB saved on disk"),
            Ok(FinalSave::Unavailable) => logger.log(
                Level::Warning,
                "The engine has no data directory: the data was not saved.",
            ),
            Err(e) if req.force => logger.log(
                Level::Warning,
                &format!("Error trying to save the DB ({e}), exiting anyway (FORCE)."),
            ),
            Err(e) => {
                clients.unpause();
                logger.log(
                    Level::Warning,
                    &format!("Error trying to save the DB, can't exit: {e}"),
                );
                return Err("Errors trying to SHUTDOWN. Check logs.".into());
            }
        }
    }
    if engine.shared().aof.active() {
        logger.log(Level::Notice, "Calling fsync() on the AOF file.");
        let now = engine.shared().clock.now_ms();
        engine
            .shared()
            .clients
            .pause(u64::MAX, PauseKind::Write, now);
        lifecycle::flush_aof(engine);
    }
    if let Some(path) = unix {
        logger.log(Level::Notice, "Removing the unix socket file.");
        let _ = std::fs::remove_file(path);
    }
    logger.log(Level::Warning, "Redis is now ready to exit, bye bye...");
    std::process::exit(0)
}

/// Prints a startup error and exits with status 1.
fn fail(msg: &str) -> ! {
    eprintln!("{msg}");
    std::process::exit(1)
}

/// SIGTERM and SIGINT, taken synchronously by the main thread.
mod signals {
    /// Blocks SIGTERM and SIGINT in this thread (and the threads it will
    /// start); returns the set for [`wait`].
    pub fn block() -> libc::sigset_t {
        // SAFETY: the set is initialised by sigemptyset before use, and
        // pthread_sigmask only changes this thread's mask.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::sigaddset(&mut set, libc::SIGINT);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            set
        }
    }

    /// Waits for one of the signals in `set`; returns its number.
    pub fn wait(set: &libc::sigset_t) -> libc::c_int {
        let mut sig: libc::c_int = 0;
        // SAFETY: `set` was built by `block`; sigwait writes only `sig`.
        while unsafe { libc::sigwait(set, &mut sig) } != 0 {}
        sig
    }
}
