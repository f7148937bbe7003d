//! The `kvstore` handle: open (in memory or on a data directory), close,
//! options, and the sessions behind it.
//!
//! A handle owns one engine. kvstore-core keeps per-client state (selected
//! db, protocol, the last command's table row, the MULTI queue and WATCHed
//! keys) in a `Session`, which needs `&mut`; a handle shared by threads
//! therefore keeps, per thread, a cached session in a thread-local list (no
//! lock, no shared counter on the hot path: two threads scale like two Rust
//! sessions). Each thread is thus one client of each handle it uses, as a
//! connection is in Redis: its transaction (MULTI ... EXEC, WATCH) is its
//! own, and survives its calls on other handles in between. The
//! handle-wide state a C caller can change (the db chosen with SELECT, the
//! protocol chosen with HELLO) lives in the handle and is copied into the
//! session before each call and back after it, so it is the same from
//! every thread.
//!
//! A handle opened on a data directory owns it through the engine
//! (`Engine::open`: the lock file, `dump.rdb` loaded, saves by the `save`
//! rules); `kvstore_close` closes the directory (`Engine::close`: final
//! save, lock released) before it returns.

use crate::args;
use crate::error::{Fail, kvstore_result};
use crate::listen::Listeners;
use kvstore_core::persist::OpenError;
use kvstore_core::{Engine, Options, Session};
use std::cell::{Cell, RefCell};
use std::ffi::{OsStr, c_char};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

/// Options for `kvstore_open`. Fill one with `kvstore_options_init` (which
/// sets `struct_size` and the defaults), then change the fields you need:
/// later library versions append fields, and `struct_size` tells them which
/// ones your program knows.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvstore_options {
    /// `sizeof(kvstore_options)` as your program was compiled; set by
    /// `kvstore_options_init`.
    pub struct_size: usize,
    /// The reply protocol of the generic calls: 2 (the default, as hiredis's
    /// `redisCommand`: maps arrive as flat arrays, doubles as strings,
    /// booleans as integers) or 3 (maps, sets, doubles, booleans and
    /// verbatim strings keep their RESP3 types). `HELLO 2`/`HELLO 3` sent
    /// through a generic call changes it for the whole handle.
    pub protocol: u32,
    /// Shards (independently locked parts) of each database; rounded up to
    /// a power of two. 0: the default, twice the number of CPUs and at least
    /// 16.
    pub shards: u32,
}

/// The struct size of this library's `kvstore_options` (version 1).
const OPTIONS_V1: usize = std::mem::size_of::<kvstore_options>();

impl Default for kvstore_options {
    fn default() -> Self {
        kvstore_options {
            struct_size: OPTIONS_V1,
            protocol: 2,
            shards: 0,
        }
    }
}

/// An open store: the opaque handle every call takes.
///
/// Thread safety: a handle may be used by any number of threads at once
/// (except `kvstore_close`, which must be the last call on it).
#[derive(Debug)]
pub struct kvstore {
    engine: Engine,
    /// The handle's identity for a thread's cached sessions, which hold
    /// a `Weak` to it: its address tells this handle's session apart (a
    /// `Weak` keeps the allocation, so the address is never reused while
    /// a session refers to it), and once the handle is closed the `Weak`
    /// no longer upgrades, so that session is pruned.
    token: Arc<()>,
    /// The selected db (SELECT), handle-wide.
    db: AtomicUsize,
    /// The protocol (2 or 3; HELLO), handle-wide.
    proto: AtomicU8,
    /// The listeners serving the engine (`kvstore_listen`).
    listeners: Listeners,
}

/// A thread's session of one handle.
struct Cached {
    /// The handle's `token`.
    token: Weak<()>,
    /// Boxed: taking it out of its slot and putting it back each call then
    /// moves a pointer, not the session.
    session: Box<Session>,
}

thread_local! {
    /// This thread's session of the handle it used last: the hot path
    /// takes it out and puts it back (no borrow flag, no search).
    static CURRENT: Cell<Option<Cached>> = const { Cell::new(None) };
    /// This thread's sessions of the other live handles it has used,
    /// consulted only when the thread switches handles. Those of closed
    /// handles are dropped the next time the thread starts a session.
    static OTHERS: RefCell<Vec<Cached>> = const { RefCell::new(Vec::new()) };
}

/// Where `kvstore_open`'s `path` says the data lives.
enum Location<'a> {
    /// A new in-memory store (`path` NULL or `":memory:"`).
    Memory,
    /// The data directory at this path.
    Dir(&'a Path),
}

impl Location<'_> {
    /// The location `path` names.
    ///
    /// # Safety
    /// `path` is NULL or a NUL-terminated string.
    unsafe fn of<'a>(path: *const c_char) -> Result<Location<'a>, Fail> {
        if path.is_null() {
            return Ok(Location::Memory);
        }
        // SAFETY: a non-NULL path is a NUL-terminated string.
        match unsafe { args::c_str(path, "path") }? {
            b":memory:" => Ok(Location::Memory),
            b"" => Err(Fail::invalid(
                "path is empty: give a data directory, or NULL or \":memory:\" \
                 for an in-memory store",
            )),
            // Paths are bytes on Unix: any non-empty string is one.
            p => Ok(Location::Dir(Path::new(OsStr::from_bytes(p)))),
        }
    }
}

/// The result code and message for a data directory that did not open:
/// the engine's own message (path, offset and reason, holder's pid).
fn open_failure(e: OpenError) -> Fail {
    let code = match &e {
        OpenError::Locked { .. } => kvstore_result::KVSTORE_ERR_LOCKED,
        OpenError::Corrupt { .. } => kvstore_result::KVSTORE_ERR_CORRUPT,
        // Io, and any kind a later engine adds (the enum is
        // non-exhaustive): a failure to use the directory's files.
        _ => kvstore_result::KVSTORE_ERR_IO,
    };
    Fail::new(code, e.to_string())
}

impl kvstore {
    /// A handle over a new engine at `at`, with `opts`.
    fn open(at: Location<'_>, opts: &kvstore_options) -> Result<kvstore, Fail> {
        let mut core = Options::default();
        if opts.shards > 0 {
            core.shards = opts.shards as usize;
        }
        let engine = match at {
            Location::Memory => Engine::with_options(core),
            Location::Dir(dir) => Engine::open(dir, core).map_err(open_failure)?,
        };
        Ok(kvstore {
            engine,
            token: Arc::new(()),
            db: AtomicUsize::new(0),
            proto: AtomicU8::new(opts.protocol as u8),
            listeners: Listeners::default(),
        })
    }

    /// The handle's engine.
    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The handle's listeners.
    pub(crate) fn listeners(&self) -> &Listeners {
        &self.listeners
    }

    /// A new client session of the engine, on the handle's db and
    /// protocol as they are now, owned by the caller (not this thread's).
    pub(crate) fn own_session(&self) -> Session {
        let mut s = self.engine.session();
        s.db = self.db.load(Ordering::Relaxed);
        s.proto = self.proto.load(Ordering::Relaxed);
        s
    }

    /// Runs `f` with this thread's session for the handle, holding the
    /// handle's db and protocol; what `f` changes there (SELECT, HELLO,
    /// RESET) becomes the handle's.
    pub fn with_session<T>(&self, f: impl FnOnce(&Engine, &mut Session) -> T) -> T {
        // Fails only during thread teardown: then a fresh session, dropped
        // after the call.
        let mut entry = match CURRENT.try_with(Cell::take) {
            Ok(Some(c)) if self.owns(&c) => c,
            Ok(last) => self.switch_to(last),
            Err(_) => self.new_session(),
        };
        let s = &mut entry.session;
        let (db, proto) = (
            self.db.load(Ordering::Relaxed),
            self.proto.load(Ordering::Relaxed),
        );
        s.db = db;
        s.proto = proto;
        let out = f(&self.engine, s);
        if s.db != db {
            self.db.store(s.db, Ordering::Relaxed);
        }
        if s.proto != proto {
            self.proto.store(s.proto, Ordering::Relaxed);
        }
        let _ = CURRENT.try_with(|c| c.set(Some(entry)));
        out
    }

    /// The thread moves to this handle from the one of `last` (if any),
    /// whose session is kept for later: this handle's earlier session, or
    /// a new one (after pruning the sessions of closed handles).
    #[cold]
    fn switch_to(&self, last: Option<Cached>) -> Cached {
        let found = OTHERS.try_with(|others| {
            let mut others = others.borrow_mut();
            others.extend(last);
            match others.iter().position(|c| self.owns(c)) {
                Some(i) => Some(others.swap_remove(i)),
                None => {
                    others.retain(|c| c.token.strong_count() > 0);
                    None
                }
            }
        });
        found.ok().flatten().unwrap_or_else(|| self.new_session())
    }

    /// True when `c` is this handle's session.
    #[inline]
    fn owns(&self, c: &Cached) -> bool {
        std::ptr::eq(c.token.as_ptr(), Arc::as_ptr(&self.token))
    }

    /// A new session of this handle.
    fn new_session(&self) -> Cached {
        Cached {
            token: Arc::downgrade(&self.token),
            session: Box::new(self.engine.session()),
        }
    }
}

/// Fills `*opts` with the defaults (protocol 2, default shard count) and
/// sets `opts->struct_size`.
///
/// NULL: returns `KVSTORE_ERR_NULL`. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_options_init(opts: *mut kvstore_options) -> kvstore_result {
    crate::panic::call("kvstore_options_init", || {
        let opts = args::out(opts, "opts")?;
        // SAFETY: non-NULL; the caller gives a writable kvstore_options.
        unsafe { opts.write(kvstore_options::default()) };
        Ok(kvstore_result::KVSTORE_OK)
    })
}

/// The options `p` describes; NULL means the defaults.
///
/// # Safety
/// `p` is NULL or points to at least `p->struct_size` readable bytes.
unsafe fn read_options(p: *const kvstore_options) -> Result<kvstore_options, Fail> {
    if p.is_null() {
        return Ok(kvstore_options::default());
    }
    // SAFETY: non-NULL; `struct_size` is the first field of every version.
    let size = unsafe { std::ptr::addr_of!((*p).struct_size).read() };
    if size < OPTIONS_V1 {
        return Err(Fail::invalid(format!(
            "opts->struct_size is {size}, below this library's {OPTIONS_V1}: \
             fill the options with kvstore_options_init"
        )));
    }
    // SAFETY: at least the version-1 fields are readable (size >= V1); a
    // newer program's extra fields are ignored.
    let opts = unsafe { p.read() };
    if opts.protocol != 2 && opts.protocol != 3 {
        return Err(Fail::invalid(format!(
            "opts->protocol is {}, not 2 or 3",
            opts.protocol
        )));
    }
    Ok(opts)
}

/// Opens a store and writes its handle to `*out`.
///
/// `path`: NULL or `":memory:"` opens a new, empty in-memory store (its
/// data lives as long as the handle). Any other string names a data
/// directory (relative to the working directory unless absolute), created
/// if missing, as redis-server's `dir`: the handle owns it until
/// `kvstore_close` (a lock file, `kvstore.lock`, holds the owner's pid),
/// loads its `dump.rdb` (Redis 7.0's RDB format; files written by
/// redis-server load too), and writes `dump.rdb` by the `save` rules
/// (Redis's default `3600 1 300 100 60 10000`; `CONFIG SET save ""` turns
/// them off), on SAVE and BGSAVE, and when the handle closes with changes
/// not yet saved. An empty path is `KVSTORE_ERR_INVALID`.
/// `opts`: NULL for the defaults, or options filled by
/// `kvstore_options_init` (`KVSTORE_ERR_INVALID` for a `struct_size` below
/// this library's or a protocol other than 2 or 3).
/// `out`: required; written only on success. Close the handle with
/// `kvstore_close`.
///
/// Returns `KVSTORE_OK`, or an error code with `kvstore_errmsg()` set:
/// `KVSTORE_ERR_LOCKED` (another handle, in this process or another, owns
/// the directory; the message names its pid), `KVSTORE_ERR_CORRUPT`
/// (`dump.rdb` is not valid RDB data; the message names the file, the
/// offset and the reason; nothing is loaded or changed),
/// `KVSTORE_ERR_IO` (the directory or a file in it cannot be created, read
/// or locked; the message names the path and the OS error),
/// `KVSTORE_ERR_INVALID`, `KVSTORE_ERR_NULL` (NULL `out`).
/// Thread safety: any thread; the new handle is usable from every thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_open(
    path: *const c_char,
    opts: *const kvstore_options,
    out: *mut *mut kvstore,
) -> kvstore_result {
    crate::panic::call("kvstore_open", || {
        let out = args::out(out, "out")?;
        // SAFETY: NULL or a NUL-terminated string, per the contract.
        let at = unsafe { Location::of(path) }?;
        // SAFETY: NULL or a readable options struct, per the contract.
        let opts = unsafe { read_options(opts) }?;
        let db = Box::into_raw(Box::new(kvstore::open(at, &opts)?));
        // SAFETY: `out` is non-NULL and writable per the contract.
        unsafe { out.write(db) };
        Ok(kvstore_result::KVSTORE_OK)
    })
}

/// Closes `db` and frees its data. First the handle's listeners
/// (`kvstore_listen`) stop, closing their connections. A handle on a data
/// directory then waits for a running BGSAVE, writes `dump.rdb` if
/// anything changed since the last save and the `save` rules are set, and
/// releases the directory: when `kvstore_close` returns, another
/// `kvstore_open` of the directory (in this process or another) succeeds.
/// Replies obtained from `db` stay valid (each reply owns its data) until
/// freed with `kvstore_reply_free`; they do not keep the directory. Subscribers
/// (`kvstore_subscriber_new`) stay valid too: each keeps the engine's
/// memory alive until `kvstore_subscriber_free`, so free them as well.
///
/// A failure of the final save cannot be reported here (the previous
/// `dump.rdb` is then left intact): to know, send SAVE through a generic
/// call before closing.
///
/// NULL: a no-op. Thread safety: must be the last call on `db`; no other
/// thread may be using it or use it afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_close(db: *mut kvstore) {
    crate::panic::boundary("kvstore_close", || {
        if !db.is_null() {
            // SAFETY: a non-NULL `db` came from kvstore_open and is closed
            // once, per the contract.
            let db = unsafe { Box::from_raw(db) };
            db.listeners.stop_all();
            // Dropping the last engine handle would close the directory
            // too; closing explicitly keeps the promise above whoever else
            // holds a clone of the engine.
            db.engine.close();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many of this thread's cached sessions `h` owns, and how many
    /// sessions are cached in all.
    fn cached(h: &kvstore) -> (usize, usize) {
        let mut list = OTHERS.with(|l| l.take());
        list.extend(CURRENT.with(Cell::take));
        let counts = (list.iter().filter(|c| h.owns(c)).count(), list.len());
        let current = list.pop();
        OTHERS.with(|l| *l.borrow_mut() = list);
        CURRENT.with(|c| c.set(current));
        counts
    }

    #[test]
    fn each_handle_keeps_its_session_and_closed_ones_are_pruned() {
        let opts = kvstore_options::default();
        let a = kvstore::open(Location::Memory, &opts).unwrap();
        let b = kvstore::open(Location::Memory, &opts).unwrap();
        a.with_session(|e, s| e.execute(s, &["MULTI"]));
        b.with_session(|e, s| e.execute(s, &["PING"]));
        assert!(a.with_session(|_, s| s.in_multi()), "a's MULTI survives b");
        assert_eq!(cached(&a), (1, 2));
        assert_eq!(cached(&b), (1, 2));
        drop(b);
        // The closed handle's session goes when a new one is made.
        let c = kvstore::open(Location::Memory, &opts).unwrap();
        c.with_session(|_, _| ());
        assert_eq!(cached(&a), (1, 2));
        assert_eq!(cached(&c), (1, 2));
    }
}
