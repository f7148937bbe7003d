//! What the process that serves an engine does when a client asks it to
//! stop: SHUTDOWN calls the hook the server binary installs. An engine
//! embedded in another program has none, and SHUTDOWN is refused there.
//! [`final_save`] is the save a stopping server makes (SHUTDOWN, SIGTERM).

use std::sync::{Arc, RwLock};

/// SHUTDOWN's options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShutdownRequest {
    /// SAVE (`Some(true)`), NOSAVE (`Some(false)`), or neither: save when
    /// persistence is configured.
    pub save: Option<bool>,
    /// NOW: do not wait for lagging replicas (we have none).
    pub now: bool,
    /// FORCE: exit even if the final save fails.
    pub force: bool,
}

/// The shutdown hook: on success it does not return (the process exits);
/// an error is the reason, sent to the client as an `ERR` reply.
pub type ShutdownHook = dyn Fn(ShutdownRequest) -> Result<(), String> + Send + Sync;

/// The hooks of the process serving the engine.
#[derive(Default)]
pub struct Lifecycle {
    shutdown: RwLock<Option<Arc<ShutdownHook>>>,
}

impl std::fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lifecycle").finish_non_exhaustive()
    }
}

impl Lifecycle {
    /// Installs what SHUTDOWN does (the server binary: save if asked, then
    /// exit).
    pub fn set_shutdown(&self, hook: Arc<ShutdownHook>) {
        *self.shutdown.write().unwrap_or_else(|p| p.into_inner()) = Some(hook);
    }

    /// The installed shutdown hook, if any.
    pub fn shutdown_hook(&self) -> Option<Arc<ShutdownHook>> {
        self.shutdown
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// True when the configuration asks for persistence (save points or the
/// append-only file): a SHUTDOWN without SAVE/NOSAVE, or SIGTERM, then
/// saves, as Redis does.
pub fn persistence_configured(engine: &crate::Engine) -> bool {
    let config = &engine.shared().config;
    !config.get("save").unwrap_or_default().is_empty() || config.get_bool("appendonly")
}

/// What a final save did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalSave {
    /// The data is on disk.
    Saved,
    /// The engine has no persistence to save with.
    Unavailable,
}

/// The save a stopping server makes before it exits (SHUTDOWN, SIGTERM):
/// a snapshot of the whole dataset written to the engine's `dbfilename`
/// in its data directory, after any background save still running ends
/// (Redis kills its child instead; ours cannot be killed, and its file
/// would be replaced at once anyway). An engine without a data directory
/// has nothing to write to: `Unavailable`. The error is the I/O failure;
/// the previous file is then intact.
pub fn final_save(engine: &crate::Engine) -> Result<FinalSave, String> {
    use crate::persist::{SaveError, save};
    loop {
        match save(engine.shared()) {
            Ok(()) => return Ok(FinalSave::Saved),
            Err(SaveError::InMemory) => return Ok(FinalSave::Unavailable),
            Err(SaveError::Io(e)) => return Err(e.to_string()),
            // A BGSAVE (command or save rule) is writing: wait for it.
            Err(SaveError::InProgress | SaveError::RewriteRunning) => {
                std::thread::sleep(std::time::Duration::from_millis(1))
            }
        }
    }
}

/// Writes and fsyncs what the append-only file has buffered, and stops
/// logging: the last step of a stopping server (a later write would not
/// be logged).
pub fn flush_aof(engine: &crate::Engine) {
    crate::aof::stop(engine.shared());
}
