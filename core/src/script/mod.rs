//! Lua scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT, with
//! Redis 7.0's semantics.
//!
//! - [`lua`]: the interpreter, Redis's own Lua 5.1 and scripting
//!   environment (`native/lua`, `native/script.c`) behind a safe handle.
//! - `run`: one script execution: locks, the `redis.call` host that runs
//!   commands through the command table, flags and read-only checks.
//! - `busy`: the state other clients see while a script runs (waiting,
//!   `BUSY` past `busy-reply-threshold`, SCRIPT KILL).
//! - `shebang`: `#!lua flags=...` parsing.
//!
//! A script runs with every shard of the dbs it may touch locked (Redis
//! lets scripts touch keys they did not declare): those up to the caller's
//! db at the start, more as its commands reach further (see `run`), all
//! held to its end, so it is atomic. All scripts share
//! one interpreter ([`Scripts`]), as in Redis: its lock is only ever taken
//! after the shard locks (or with none held), never the other way round.

mod busy;
mod lua;
mod run;
mod shebang;

pub(crate) use run::{eval, script_exists, script_flush, script_kill, script_load};

use crate::error::CmdError;
use busy::Busy;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The default cap on the interpreter's memory: past it an allocation
/// fails and the script gets `not enough memory` instead of growing the
/// process without bound (Redis has no such cap).
pub const DEFAULT_MEMORY_LIMIT: usize = 1 << 30;

/// The interpreter with the scripts defined in it: their shebang flags by
/// lowercase SHA1. (Bodies are not kept: Redis 7.0 replicates a script by
/// its effects, so neither the AOF nor a replica ever needs one again.)
#[derive(Debug)]
struct Cache {
    vm: lua::Vm,
    scripts: HashMap<String, shebang::Flags>,
}

/// An engine's scripting state: the shared interpreter and script cache,
/// and the run state other clients wait on.
#[derive(Debug)]
pub struct Scripts {
    /// Created on first use (most engines never run a script).
    cache: Mutex<Option<Cache>>,
    busy: Busy,
    memory_limit: AtomicUsize,
}

impl Default for Scripts {
    fn default() -> Self {
        Scripts {
            cache: Mutex::new(None),
            busy: Busy::default(),
            memory_limit: AtomicUsize::new(DEFAULT_MEMORY_LIMIT),
        }
    }
}

impl Scripts {
    /// True while a script runs or waits for its locks: commands then go
    /// through [`Scripts::admit`]. One relaxed load, for the command path.
    #[inline]
    pub(crate) fn active(&self) -> bool {
        self.busy.active()
    }

    /// Called before a command takes its locks while [`Scripts::active`]:
    /// waits until the script ends or passes `busy-reply-threshold`, then
    /// refuses with `BUSY` any command not flagged `allow-busy`.
    pub(crate) fn admit(&self, allow_busy: bool) -> Result<(), CmdError> {
        self.busy.admit(allow_busy)
    }

    /// Announces a script about to take its locks (EXEC with a queued
    /// EVAL): until the guard drops, other commands wait as for a running
    /// script.
    pub(crate) fn announce(&self) -> busy::Pending<'_> {
        self.busy.begin()
    }

    /// Caps the interpreter's memory at `bytes` (0: no cap); the default
    /// is [`DEFAULT_MEMORY_LIMIT`].
    pub fn set_memory_limit(&self, bytes: usize) {
        self.memory_limit.store(bytes, Ordering::Relaxed);
        if let Some(c) = self.lock().as_mut() {
            c.vm.set_limit(bytes);
        }
    }

    /// Bytes the interpreter uses (INFO's `used_memory_lua`); 0 before the
    /// first script.
    pub fn memory(&self) -> usize {
        self.lock().as_ref().map_or(0, |c| c.vm.memory())
    }

    /// The cache, creating the interpreter on first use.
    fn cache(&self) -> Result<CacheGuard<'_>, CmdError> {
        let mut guard = self.lock();
        if guard.is_none() {
            let vm = lua::Vm::new(self.memory_limit.load(Ordering::Relaxed))
                .map_err(|_| CmdError::err("cannot create the Lua interpreter: out of memory"))?;
            *guard = Some(Cache {
                vm,
                scripts: HashMap::new(),
            });
        }
        Ok(CacheGuard(guard))
    }

    fn lock(&self) -> MutexGuard<'_, Option<Cache>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The locked, created cache.
struct CacheGuard<'a>(MutexGuard<'a, Option<Cache>>);

impl std::ops::Deref for CacheGuard<'_> {
    type Target = Cache;
    fn deref(&self) -> &Cache {
        self.0.as_ref().expect("created by Scripts::cache")
    }
}

impl std::ops::DerefMut for CacheGuard<'_> {
    fn deref_mut(&mut self) -> &mut Cache {
        self.0.as_mut().expect("created by Scripts::cache")
    }
}

impl Cache {
    /// Compiles and caches `body` unless cached (Redis's
    /// `luaCreateFunction`); returns its SHA1.
    fn create(&mut self, body: &[u8]) -> Result<String, CmdError> {
        let sha = sha1hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, shebang_len) = shebang::parse(body)?;
        // The shebang line is skipped but its newline kept, so that line
        // numbers in errors are the user's.
        self.vm
            .define(&sha, &body[shebang_len..])
            .map_err(|e| CmdError::err(format!("Error compiling script (new function): {e}")))?;
        self.scripts.insert(sha.clone(), flags);
        Ok(sha)
    }
}

/// True for the commands that run a script (EVAL, EVALSHA and their
/// read-only forms).
pub(crate) fn is_script(cmd: &crate::cmd::table::Command) -> bool {
    matches!(cmd.name, "eval" | "evalsha" | "eval_ro" | "evalsha_ro")
}

/// The SHA1 of `data` as 40 lowercase hex digits (script names, and
/// `redis.sha1hex`).
pub(crate) fn sha1hex(data: &[u8]) -> String {
    sha1_smol::Sha1::from(data).digest().to_string()
}
