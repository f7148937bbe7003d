//! What other clients see while a script runs. In Redis the server does
//! nothing else during a script; past `busy-reply-threshold` it answers
//! every command but a few (`allow-busy`: SCRIPT KILL, ...) with `BUSY`.
//! Here, a command that arrives while a script runs or waits for its locks
//! waits on a condition variable (instead of blocking on a shard lock,
//! where no one could tell it to stop) until the script ends or passes the
//! threshold, then runs or gets `BUSY`.
//!
//! The kill handshake is exact: a script's write and SCRIPT KILL's check
//! for writes happen under the same mutex, so a killed script never
//! writes and a script that wrote is never killed (`UNKILLABLE`).

use crate::error::CmdError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

/// The run state shared by the script's thread and everyone else.
#[derive(Debug, Default)]
pub(crate) struct Busy {
    /// Scripts running or waiting for their locks. Changed under `state`'s
    /// mutex (so a waiter cannot miss the wake-up); read without it on the
    /// command path.
    pending: AtomicUsize,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// A script is executing.
    running: bool,
    /// It passed `busy-reply-threshold`.
    timed_out: bool,
    /// SCRIPT KILL asked it to stop.
    kill: bool,
    /// It ran a write command.
    wrote: bool,
    /// Commands waiting on `changed`: a wake-up is a system call even with
    /// no one to wake, so it is only made for them.
    waiters: usize,
}

impl State {
    /// A new run (or none): everything but the waiters forgotten.
    fn reset(&mut self, running: bool) {
        *self = State {
            running,
            waiters: self.waiters,
            ..State::default()
        };
    }
}

/// `BUSY`, Redis's `shared.slowevalerr`.
fn busy_error() -> CmdError {
    CmdError::Raw(
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
            .into(),
    )
}

/// The error a killed script raises.
pub(super) const KILLED: &str = "Script killed by user with SCRIPT KILL...";

impl Busy {
    #[inline]
    pub(super) fn active(&self) -> bool {
        self.pending.load(Ordering::Relaxed) != 0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wakes the waiting commands, if any (`s` is the locked state).
    fn wake(&self, s: &State) {
        if s.waiters > 0 {
            self.changed.notify_all();
        }
    }

    /// See [`super::Scripts::admit`].
    pub(super) fn admit(&self, allow_busy: bool) -> Result<(), CmdError> {
        let mut s = self.lock();
        loop {
            if self.pending.load(Ordering::Relaxed) == 0 {
                return Ok(());
            }
            if s.timed_out {
                return if allow_busy {
                    Ok(())
                } else {
                    Err(busy_error())
                };
            }
            s.waiters += 1;
            s = self.changed.wait(s).unwrap_or_else(|p| p.into_inner());
            s.waiters -= 1;
        }
    }

    /// A script is about to take its locks: from now on other commands
    /// wait for it. The returned guard ends that.
    pub(crate) fn begin(&self) -> Pending<'_> {
        let _s = self.lock();
        self.pending.fetch_add(1, Ordering::Relaxed);
        Pending(self)
    }

    /// The script holds its locks and starts executing.
    pub(super) fn start(&self) {
        self.lock().reset(true);
    }

    /// The script's hook, every 100,000 instructions: marks it timed out
    /// once `over_threshold` (waking the waiters, who may now get `BUSY` or
    /// send SCRIPT KILL); true when it must stop.
    pub(super) fn tick(&self, over_threshold: bool) -> bool {
        let mut s = self.lock();
        if over_threshold && !s.timed_out {
            s.timed_out = true;
            self.wake(&s);
        }
        s.kill
    }

    /// Before a command from the script: false when the script was killed
    /// (the command must not run); a write marks the script unkillable.
    pub(super) fn may_run(&self, write: bool) -> bool {
        let mut s = self.lock();
        if s.kill {
            return false;
        }
        s.wrote |= write;
        true
    }

    /// SCRIPT KILL.
    pub(super) fn kill(&self) -> Result<(), CmdError> {
        let mut s = self.lock();
        if !s.running {
            return Err(CmdError::Raw(
                "NOTBUSY No scripts in execution right now.".into(),
            ));
        }
        if s.wrote {
            return Err(CmdError::Raw(
                "UNKILLABLE Sorry the script already executed write commands against the \
                 dataset. You can either wait the script termination or kill the server in a \
                 hard way using the SHUTDOWN NOSAVE command."
                    .into(),
            ));
        }
        s.kill = true;
        Ok(())
    }
}

/// A script between [`Busy::begin`] and its end: dropping it (also on an
/// early error return) lets the waiting commands go.
pub(crate) struct Pending<'a>(&'a Busy);

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.reset(false);
        self.0.pending.fetch_sub(1, Ordering::Relaxed);
        self.0.wake(&s);
    }
}
