//! `Client`, the native base class of `kvstore.Redis`: `execute_command` (any command, with redis-py's response
//! callbacks) and the hot command methods, which run no Python bytecode.
//!
//! A client owns one engine session (its selected db, its MULTI/WATCH
//! state), as a redis-py client with a single connection does. Threads may
//! share a client: the GIL serialises short commands; a long command runs
//! with the GIL released, and a thread that finds the session busy then
//! uses a fresh session on the same db instead of waiting.

use crate::encode::{self, Encoded, Encoding};
use crate::errors;
use crate::reply::Decoder;
use crate::store::Store;
use kvstore_core::{CmdError, Engine, HashFields, Reply, Session};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PySet, PyString, PyTuple};
use std::borrow::Borrow;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, TryLockError};

/// Forks seen by this process: a client bound before a fork is unusable in
/// the child (its store's locks and threads did not survive the fork, and
/// the child's writes would never reach the parent).
static FORKS: AtomicU64 = AtomicU64::new(0);

/// The number of forks seen so far: a value kept from before a fork
/// differs from it in the child.
pub(crate) fn forks() -> u64 {
    FORKS.load(Ordering::Relaxed)
}

extern "C" fn after_fork_in_child() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// Registers the fork hook (once, at module import).
pub(crate) fn watch_forks() {
    // SAFETY: registers a handler that only bumps an atomic.
    unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
}

/// What a bound client holds.
struct Core {
    /// `FORKS` when the client was bound.
    forks: u64,
    engine: Engine,
    session: Mutex<Session>,
    /// The session's db, for the fresh sessions of busy moments.
    db: AtomicUsize,
    dec: Decoder,
    /// Upper-case command name → response callback (the Python class's
    /// `response_callbacks`, shared with it).
    callbacks: Py<PyDict>,
}

/// The native base class of `kvstore.Redis`.
#[pyclass(subclass, frozen, module = "kvstore._kvstore")]
pub struct Client {
    core: OnceLock<Core>,
}

/// Commands that may block (their table rows say so; all start with `b`).
fn is_blocking(name: &[u8]) -> bool {
    use kvstore_core::cmd::table::{self, flags::BLOCKING};
    name.first().is_some_and(|c| c.eq_ignore_ascii_case(&b'b'))
        && table::lookup(name).is_some_and(|c| c.has(BLOCKING))
}

/// Commands that may run long: the GIL is released while they run.
fn is_long(name: &[u8]) -> bool {
    const LONG: [&str; 16] = [
        "keys",
        "flushall",
        "flushdb",
        "save",
        "sort",
        "sort_ro",
        "sunion",
        "sunionstore",
        "sinter",
        "sinterstore",
        "sdiff",
        "sdiffstore",
        "zunionstore",
        "zinterstore",
        "debug",
        "swapdb",
    ];
    LONG.iter().any(|l| l.as_bytes().eq_ignore_ascii_case(name))
}

impl Core {
    /// Runs `f` on the client's session (or on a fresh one on the same db
    /// when another thread is using it). A panic becomes an error reply.
    fn with_session<T>(&self, f: impl FnOnce(&mut Session) -> T) -> Result<T, Reply> {
        let (mut fresh, mut guard);
        let (session, own): (&mut Session, bool) = match self.session.try_lock() {
            Ok(g) => {
                guard = g;
                (&mut guard, true)
            }
            Err(TryLockError::Poisoned(p)) => {
                guard = p.into_inner();
                (&mut guard, true)
            }
            Err(TryLockError::WouldBlock) => {
                fresh = session_on(&self.engine, self.db.load(Ordering::Relaxed), &self.dec);
                (&mut fresh, false)
            }
        };
        let out = std::panic::catch_unwind(AssertUnwindSafe(|| f(&mut *session)));
        if own {
            self.db.store(session.db, Ordering::Relaxed);
        }
        out.map_err(|p| CmdError::internal(&*p).into())
    }

    /// Runs the typed engine call `f` on the session, unless the session
    /// is inside MULTI: `None` then (the command must be queued, which
    /// only the generic path does). An error reply is raised.
    fn typed<T>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Session) -> Result<T, CmdError>,
    ) -> PyResult<Option<T>> {
        match self.with_session(|s| (!s.in_multi()).then(|| f(s))) {
            Ok(Some(Ok(v))) => Ok(Some(v)),
            Ok(None) => Ok(None),
            Ok(Some(Err(e))) => Err(self.raised(py, e.into())),
            Err(e) => Err(self.raised(py, e)),
        }
    }

    /// The exception for the error reply `r`.
    fn raised(&self, py: Python<'_>, r: Reply) -> PyErr {
        match self.dec.reply(py, r) {
            Err(e) => e,
            Ok(_) => errors::internal(py, "an error reply was expected"),
        }
    }

    /// A string the engine lends (`None`: Python's None), as the client
    /// returns it.
    fn optional_string<'py>(
        &self,
        py: Python<'py>,
        v: Option<&[u8]>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match v {
            Some(b) => self.dec.string(py, b),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// Runs `argv` through the engine's command table.
    fn run(&self, py: Python<'_>, argv: &[Encoded<'_>]) -> PyResult<Reply> {
        let name = argv.first().map_or(&[][..], |n| &**n);
        if is_blocking(name) {
            return self.run_blocking(py, argv);
        }
        Ok(if is_long(name) {
            py.detach(|| self.with_session(|s| self.engine.execute(s, argv)))
        } else {
            self.with_session(|s| self.engine.execute(s, argv))
        }
        .unwrap_or_else(|e| e))
    }

    /// Runs a blocking command (BLPOP, ...) with the GIL released: if it
    /// has to wait, the session is free again meanwhile, and the thread
    /// sleeps on the wait, waking every 100 ms to let Python handle
    /// signals (Ctrl-C cancels the wait and raises).
    fn run_blocking(&self, py: Python<'_>, argv: &[Encoded<'_>]) -> PyResult<Reply> {
        let started = py.detach(|| {
            self.with_session(|s| {
                s.defer_blocking(true);
                let reply = self.engine.execute(s, argv);
                s.defer_blocking(false);
                (reply, s.take_blocked())
            })
        });
        let wait = match started {
            Ok((_, Some(wait))) => wait,
            Ok((reply, None)) | Err(reply) => return Ok(reply),
        };
        loop {
            if let Some(r) = py.detach(|| wait.wait(Some(crate::pubsub::SIGNAL_CHECK))) {
                return Ok(r);
            }
            py.check_signals()?;
        }
    }
}

/// The Python implementation of a method, for the calls a native method
/// leaves to it (options the fast path does not take).
fn python_method<'py>(
    py: Python<'py>,
    cell: &PyOnceLock<Py<PyAny>>,
    path: (&str, &str, &str),
) -> PyResult<Bound<'py, PyAny>> {
    let f = cell.get_or_try_init(py, || {
        py.import(path.0)?
            .getattr(path.1)?
            .getattr(path.2)
            .map(Bound::unbind)
    })?;
    Ok(f.bind(py).clone())
}

/// A new session of `engine` on `db`, speaking the protocol `dec` decodes.
pub(crate) fn session_on(engine: &Engine, db: usize, dec: &Decoder) -> Session {
    let mut s = engine.session();
    s.db = db;
    s.proto = dec.proto();
    s
}

/// Takes the field or the value of a hash's (field, value).
type Pick = for<'b> fn((&'b [u8], &'b [u8])) -> &'b [u8];

/// Calls `f(*head, *args, **kwargs)`.
fn call_with<'py, const N: usize>(
    f: &Bound<'py, PyAny>,
    head: [&Bound<'py, PyAny>; N],
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let all: Vec<Bound<'py, PyAny>> = head.into_iter().cloned().chain(args.iter()).collect();
    f.call(PyTuple::new(f.py(), all)?, kwargs)
}

/// The argv of `execute_command(*args)`: a command name with spaces
/// ("CONFIG GET") is split into words, as redis-py does.
fn command_argv<'a>(items: &'a [Bound<'_, PyAny>], enc: &Encoding) -> PyResult<Vec<Encoded<'a>>> {
    let mut argv = encode::args(items, enc)?;
    if argv.first().is_some_and(|n| n.contains(&b' ')) {
        let first = argv.remove(0);
        let words: Vec<Encoded<'a>> = first
            .split(|&b| b == b' ')
            .filter(|w| !w.is_empty())
            .map(|w| Encoded::Owned(w.to_vec()))
            .collect();
        argv.splice(0..0, words);
    }
    Ok(argv)
}

impl Client {
    fn core(&self, py: Python<'_>) -> PyResult<&Core> {
        let core = self.core.get().ok_or_else(|| {
            errors::internal(py, "client is not initialised: call Redis.__init__ first")
        })?;
        if core.forks != forks() {
            return Err(errors::forked(py));
        }
        Ok(core)
    }

    /// Runs `cmd` with `args` and converts the
    /// reply (no response callback: native methods shape their own).
    fn command<'py, B: Borrow<Bound<'py, PyAny>>>(
        &self,
        py: Python<'py>,
        cmd: &'static [u8],
        args: &[B],
    ) -> PyResult<Bound<'py, PyAny>> {
        let core = self.core(py)?;
        let mut argv = Vec::with_capacity(1 + args.len());
        argv.push(Encoded::Borrowed(cmd));
        for a in args {
            argv.push(encode::arg(a.borrow(), &core.dec.enc)?);
        }
        core.dec.reply(py, core.run(py, &argv)?)
    }

    /// `execute_command(*args)`: the generic path (response callback
    /// included), for calls a typed fast path can't serve.
    fn generic<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        args: &[&Bound<'py, PyAny>],
    ) -> PyResult<Bound<'py, PyAny>> {
        let name = PyString::new(py, name).into_any();
        let all: Vec<&Bound<'py, PyAny>> =
            std::iter::once(&name).chain(args.iter().copied()).collect();
        let all = PyTuple::new(py, all)?;
        self.execute_command(py, &all, None)
    }

    /// HKEYS or HVALS (`which`): the list of what `pick` takes from each
    /// (field, value) of the hash at `name`.
    fn hash_column<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        which: HashFields,
        pick: Pick,
    ) -> PyResult<Bound<'py, PyAny>> {
        let core = self.core(py)?;
        let key = encode::arg(name, &core.dec.enc)?;
        let column = |s: &mut Session| {
            core.engine
                .hash_fields_with(s, which, &key, |fv| core.dec.string(py, pick(fv)))
        };
        match core.typed(py, column)? {
            Some(items) => {
                let items = items.into_iter().collect::<PyResult<Vec<_>>>()?;
                Ok(PyList::new(py, items)?.into_any())
            }
            None => self.command(py, which.name().as_bytes(), &[name]),
        }
    }

    /// ZADD `name` with (member, score) `pairs` and no options: through
    /// the typed path when every score is a number it takes, else with the
    /// arguments redis-py sends.
    fn zadd_pairs<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        pairs: &[(Bound<'py, PyAny>, Bound<'py, PyAny>)],
    ) -> PyResult<Bound<'py, PyAny>> {
        let core = self.core(py)?;
        let enc = &core.dec.enc;
        let typed = match pairs {
            [(member, score)] => match zadd_score(score) {
                Some(score) => {
                    let (key, member) = (encode::arg(name, enc)?, encode::arg(member, enc)?);
                    core.typed(py, |s| core.engine.zadd(s, &key, &[(score, &member)]))?
                }
                None => None,
            },
            _ => match pairs
                .iter()
                .map(|(_, s)| zadd_score(s))
                .collect::<Option<Vec<_>>>()
            {
                Some(scores) => {
                    let key = encode::arg(name, enc)?;
                    let members = pairs
                        .iter()
                        .map(|(m, _)| encode::arg(m, enc))
                        .collect::<PyResult<Vec<_>>>()?;
                    let both: Vec<(f64, &[u8])> = scores
                        .into_iter()
                        .zip(members.iter().map(|m| &**m))
                        .collect();
                    core.typed(py, |s| core.engine.zadd(s, &key, &both))?
                }
                None => None,
            },
        };
        if let Some(added) = typed {
            return Ok(added.into_pyobject(py)?.into_any());
        }
        let mut argv = Vec::with_capacity(1 + 2 * pairs.len());
        argv.push(name.clone());
        for (member, score) in pairs {
            argv.extend([score.clone(), member.clone()]);
        }
        self.command(py, b"ZADD", &argv)
    }

    /// INCRBY/DECRBY `name` by `amount` (1 when not given).
    fn by<'py>(
        &self,
        py: Python<'py>,
        cmd: &'static [u8],
        name: &Bound<'py, PyAny>,
        amount: Arg<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let amount = amount.or_one(py)?;
        self.command(py, cmd, &[name, &amount])
    }
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Client {
        Client {
            core: OnceLock::new(),
        }
    }

    /// Binds the client to `store`'s db `db` (once, from `__init__`).
    #[allow(clippy::too_many_arguments)] // one per client option, called once from Python
    fn _bind(
        &self,
        py: Python<'_>,
        store: &Store,
        db: usize,
        decode_responses: bool,
        protocol: u8,
        encoding: &str,
        encoding_errors: &str,
        callbacks: Bound<'_, PyDict>,
    ) -> PyResult<()> {
        let engine = store.engine.clone();
        let mut session = engine.session();
        session.proto = protocol;
        let reply = engine.execute(
            &mut session,
            &[b"SELECT".as_slice(), db.to_string().as_bytes()],
        );
        if let Reply::Error(e) = reply {
            return Err(PyErr::from_value(errors::reply_error(py, &e)?));
        }
        let core = Core {
            forks: forks(),
            engine,
            session: Mutex::new(session),
            db: AtomicUsize::new(db),
            dec: Decoder {
                decode: decode_responses,
                enc: Encoding::new(py, encoding, encoding_errors),
                resp3: protocol >= 3,
            },
            callbacks: callbacks.unbind(),
        };
        self.core
            .set(core)
            .map_err(|_| errors::internal(py, "client is already initialised"))
    }

    /// A client of the same store, db and options with a session of its own
    /// (what a pipeline runs on, like a pooled connection).
    fn _connection(&self, py: Python<'_>) -> PyResult<Client> {
        let core = self.core(py)?;
        let db = core.db.load(Ordering::Relaxed);
        let session = session_on(&core.engine, db, &core.dec);
        let out = Client {
            core: OnceLock::new(),
        };
        let _ = out.core.set(Core {
            forks: core.forks,
            engine: core.engine.clone(),
            session: Mutex::new(session),
            db: AtomicUsize::new(db),
            dec: core.dec.clone_ref(py),
            callbacks: core.callbacks.clone_ref(py),
        });
        Ok(out)
    }

    /// A Pub/Sub connection to the same store and db, with the same
    /// options (what `kvstore.PubSub` reads and writes through).
    fn _pubsub(&self, py: Python<'_>) -> PyResult<crate::pubsub::PubSubConnection> {
        let core = self.core(py)?;
        Ok(crate::pubsub::PubSubConnection::new(
            core.engine.clone(),
            core.db.load(Ordering::Relaxed),
            core.dec.clone_ref(py),
        ))
    }

    /// Runs any command: `execute_command("SET", "k", "v")`. The reply goes
    /// through the response callback registered for the command name, with
    /// `options` as keyword arguments, as in redis-py.
    #[pyo3(signature = (*args, **options))]
    fn execute_command<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let raw = self._execute_raw(py, args, options)?;
        let name = args.get_item(0)?;
        self._callback(py, &name, raw, options)
    }

    /// Runs any command and converts its reply, without a callback (an
    /// error reply is raised, or returned as `EMPTY_RESPONSE` when given).
    #[pyo3(signature = (args, options=None))]
    fn _execute_raw<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let items: Vec<Bound<'py, PyAny>> = args.iter().collect();
        if items.is_empty() {
            return Err(errors::data_error(
                py,
                "execute_command needs a command name",
            ));
        }
        let core = self.core(py)?;
        let argv = command_argv(&items, &core.dec.enc)?;
        let reply = core.run(py, &argv)?;
        let never_decode = options.is_some_and(|o| o.contains("NEVER_DECODE").unwrap_or(false));
        let out = if never_decode {
            let dec = Decoder {
                decode: false,
                enc: Encoding::new(py, "utf-8", "strict"),
                resp3: core.dec.resp3,
            };
            dec.reply(py, reply)
        } else {
            core.dec.reply(py, reply)
        };
        match (out, options) {
            (Err(e), Some(o)) if o.contains("EMPTY_RESPONSE")? => {
                let resp = errors::class(py, "ResponseError")?;
                if e.is_instance(py, &resp) {
                    return Ok(o.get_item("EMPTY_RESPONSE")?.expect("checked"));
                }
                Err(e)
            }
            (out, _) => out,
        }
    }

    /// Applies the response callback registered for command `name` to
    /// `response`, with `options` (minus the transport ones) as keywords.
    #[pyo3(signature = (name, response, options=None))]
    fn _callback<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        response: Bound<'py, PyAny>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let core = self.core(py)?;
        let key = match name.cast::<PyString>() {
            Ok(s) => s.call_method0("upper")?,
            Err(_) => encode::arg(name, &core.dec.enc).map(|b| {
                PyString::new(py, &String::from_utf8_lossy(&b).to_uppercase()).into_any()
            })?,
        };
        let Some(cb) = core.callbacks.bind(py).get_item(&key)? else {
            return Ok(response);
        };
        let kw = match options {
            Some(o) if !o.is_empty() => {
                let kw = o.copy()?;
                for k in ["keys", "NEVER_DECODE", "EMPTY_RESPONSE"] {
                    if kw.contains(k)? {
                        kw.del_item(k)?;
                    }
                }
                Some(kw)
            }
            _ => None,
        };
        cb.call((response,), kw.as_ref())
    }

    /// GET name: the value, or None.
    fn get<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let core = self.core(py)?;
        let key = encode::arg(name, &core.dec.enc)?;
        let get = |s: &mut Session| {
            core.engine
                .get_with(s, &key, |v| core.optional_string(py, v))
        };
        match core.typed(py, get)? {
            Some(v) => v,
            None => self.generic(py, "GET", &[name]),
        }
    }

    /// SET name value [...]: True, None when NX/XX did not write, the old
    /// value with get=True. Only the plain form runs natively; options go to
    /// the Python method (`kvstore.commands.strings.StringCommands.set`).
    #[pyo3(signature = (name, value, *args, **kwargs))]
    fn set<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        if !args.is_empty() || kwargs.is_some_and(|k| !k.is_empty()) {
            static SLOW: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
            let f = python_method(
                py,
                &SLOW,
                ("kvstore.commands.strings", "StringCommands", "set"),
            )?;
            return call_with(&f, [slf.as_any(), name, value], args, kwargs);
        }
        let this = slf.get();
        let core = this.core(py)?;
        let key = encode::arg(name, &core.dec.enc)?;
        let val = encode::arg(value, &core.dec.enc)?;
        let set = |s: &mut Session| core.engine.set(s, &key, &val);
        match core.typed(py, set)? {
            Some(()) => Ok(true.into_pyobject(py)?.to_owned().into_any()),
            None => this.generic(py, "SET", &[name, value]),
        }
    }

    /// HGET name key: the field's value, or None.
    fn hget<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let core = self.core(py)?;
        let (k, f) = (
            encode::arg(name, &core.dec.enc)?,
            encode::arg(key, &core.dec.enc)?,
        );
        let hget = |s: &mut Session| {
            core.engine
                .hget_with(s, &k, &f, |v| core.optional_string(py, v))
        };
        match core.typed(py, hget)? {
            Some(v) => v,
            None => self.command(py, b"HGET", &[name, key]),
        }
    }

    /// HSET name key value (or `mapping=`/`items=`): the number of new fields.
    #[pyo3(signature = (name, key=None, value=None, mapping=None, items=None))]
    fn hset<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        key: Option<&Bound<'py, PyAny>>,
        value: Option<&Bound<'py, PyAny>>,
        mapping: Option<&Bound<'py, PyAny>>,
        items: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        match (key, value, mapping, items) {
            (Some(k), Some(v), None, None) => {
                let this = slf.get();
                let core = this.core(py)?;
                let enc = &core.dec.enc;
                let (key, field, value) = (
                    encode::arg(name, enc)?,
                    encode::arg(k, enc)?,
                    encode::arg(v, enc)?,
                );
                let hset = |s: &mut Session| core.engine.hset(s, &key, &field, &value);
                match core.typed(py, hset)? {
                    Some(n) => Ok(n.into_pyobject(py)?.into_any()),
                    None => this.command(py, b"HSET", &[name, k, v]),
                }
            }
            _ => {
                static SLOW: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
                let f =
                    python_method(py, &SLOW, ("kvstore.commands.hash", "HashCommands", "hset"))?;
                f.call1((slf, name, key, value, mapping, items))
            }
        }
    }

    /// HGETALL name: a dict of fields and values.
    fn hgetall<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let core = self.core(py)?;
        let key = encode::arg(name, &core.dec.enc)?;
        let pairs = |s: &mut Session| {
            core.engine
                .hash_fields_with(s, HashFields::All, &key, |(f, v)| {
                    Ok::<_, PyErr>((core.dec.string(py, f)?, core.dec.string(py, v)?))
                })
        };
        let out = PyDict::new(py);
        match core.typed(py, pairs)? {
            Some(pairs) => {
                for pair in pairs {
                    let (f, v) = pair?;
                    out.set_item(f, v)?;
                }
            }
            None => {
                let r = self.command(py, b"HGETALL", &[name])?;
                if r.is_instance_of::<PyDict>() {
                    return Ok(r);
                }
                let list = r.cast::<PyList>()?;
                for pair in list.iter().collect::<Vec<_>>().chunks(2) {
                    out.set_item(&pair[0], &pair[1])?;
                }
            }
        }
        Ok(out.into_any())
    }

    /// HKEYS name: the fields.
    fn hkeys<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.hash_column(py, name, HashFields::Keys, |(f, _)| f)
    }

    /// HVALS name: the values.
    fn hvals<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.hash_column(py, name, HashFields::Values, |(_, v)| v)
    }

    /// HLEN name: the number of fields.
    fn hlen<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.command(py, b"HLEN", &[name])
    }

    /// HEXISTS name key: whether the field exists.
    fn hexists<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        truthy(self.command(py, b"HEXISTS", &[name, key])?)
    }

    /// HDEL name *keys: the number of fields removed.
    #[pyo3(signature = (name, *keys))]
    fn hdel<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        keys: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.command(py, b"HDEL", &with_head(name, keys))
    }

    /// HINCRBY name key amount: the new value.
    #[pyo3(signature = (name, key, amount=Arg::Default))]
    fn hincrby<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        key: &Bound<'py, PyAny>,
        amount: Arg<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let amount = amount.or_one(py)?;
        self.command(py, b"HINCRBY", &[name, key, &amount])
    }

    /// DEL *names: the number of keys removed.
    #[pyo3(signature = (*names))]
    fn delete<'py>(
        &self,
        py: Python<'py>,
        names: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.command(py, b"DEL", &tuple_items(names))
    }

    /// EXISTS *names: how many of the names exist.
    #[pyo3(signature = (*names))]
    fn exists<'py>(
        &self,
        py: Python<'py>,
        names: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.command(py, b"EXISTS", &tuple_items(names))
    }

    /// INCRBY name amount (default 1): the new value.
    #[pyo3(signature = (name, amount=Arg::Default))]
    fn incrby<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        amount: Arg<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.by(py, b"INCRBY", name, amount)
    }

    /// DECRBY name amount (default 1): the new value.
    #[pyo3(signature = (name, amount=Arg::Default))]
    fn decrby<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        amount: Arg<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.by(py, b"DECRBY", name, amount)
    }

    /// TTL name: seconds to live, -1 without expiry, -2 when missing.
    fn ttl<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.command(py, b"TTL", &[name])
    }

    /// LPUSH name *values: the list's new length.
    #[pyo3(signature = (name, *values))]
    fn lpush<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        values: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.command(py, b"LPUSH", &with_head(name, values))
    }

    /// RPUSH name *values: the list's new length.
    #[pyo3(signature = (name, *values))]
    fn rpush<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        values: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.command(py, b"RPUSH", &with_head(name, values))
    }

    /// LPOP name [count]: the first element (a list with `count`), or None.
    #[pyo3(signature = (name, count=None))]
    fn lpop<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        count: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.command(
            py,
            b"LPOP",
            &[Some(name), count]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>(),
        )
    }

    /// RPOP name [count]: the last element (a list with `count`), or None.
    #[pyo3(signature = (name, count=None))]
    fn rpop<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        count: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.command(
            py,
            b"RPOP",
            &[Some(name), count]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>(),
        )
    }

    /// LLEN name: the list's length.
    fn llen<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.command(py, b"LLEN", &[name])
    }

    /// LRANGE name start end: the elements in the range.
    fn lrange<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        start: &Bound<'py, PyAny>,
        end: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.command(py, b"LRANGE", &[name, start, end])
    }

    /// SADD name *values: the number of members added.
    #[pyo3(signature = (name, *values))]
    fn sadd<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        values: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.command(py, b"SADD", &with_head(name, values))
    }

    /// SREM name *values: the number of members removed.
    #[pyo3(signature = (name, *values))]
    fn srem<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        values: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.command(py, b"SREM", &with_head(name, values))
    }

    /// SMEMBERS name: the members, as a set.
    fn smembers<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let r = self.command(py, b"SMEMBERS", &[name])?;
        Ok(PySet::new(py, r.cast::<PyList>()?.iter())?.into_any())
    }

    /// SISMEMBER name value: 1 or 0.
    fn sismember<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.command(py, b"SISMEMBER", &[name, value])
    }

    /// ZADD name {member: score}: the number of members added. Only the
    /// form without flags runs natively (a non-empty dict); the rest goes to
    /// `SortedSetCommands.zadd`.
    #[pyo3(signature = (name, mapping, *args, **kwargs))]
    fn zadd<'py>(
        slf: &Bound<'py, Self>,
        name: &Bound<'py, PyAny>,
        mapping: &Bound<'py, PyAny>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let plain = args.is_empty() && kwargs.is_none_or(|k| k.is_empty());
        match mapping.cast::<PyDict>() {
            Ok(m) if plain && m.len() == 1 => {
                let pair = m.iter().next().expect("one item");
                slf.get().zadd_pairs(py, name, &[pair])
            }
            Ok(m) if plain && !m.is_empty() => {
                let pairs: Vec<_> = m.iter().collect();
                slf.get().zadd_pairs(py, name, &pairs)
            }
            _ => {
                static SLOW: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
                let f = python_method(
                    py,
                    &SLOW,
                    ("kvstore.commands.zset", "SortedSetCommands", "zadd"),
                )?;
                call_with(&f, [slf.as_any(), name, mapping], args, kwargs)
            }
        }
    }

    /// EVALSHA sha numkeys *keys_and_args: the script's reply (through
    /// the response callback registered for EVALSHA, if any).
    #[pyo3(signature = (sha, numkeys, *keys_and_args))]
    fn evalsha<'py>(
        &self,
        py: Python<'py>,
        sha: &Bound<'py, PyAny>,
        numkeys: &Bound<'py, PyAny>,
        keys_and_args: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut argv = Vec::with_capacity(2 + keys_and_args.len());
        argv.extend([sha.clone(), numkeys.clone()]);
        argv.extend(keys_and_args.iter());
        let reply = self.command(py, b"EVALSHA", &argv)?;
        let name = pyo3::intern!(py, "EVALSHA");
        match self.core(py)?.callbacks.bind(py).get_item(name)? {
            Some(cb) => cb.call1((reply,)),
            None => Ok(reply),
        }
    }

    /// SCARD name: the number of members.
    fn scard<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.command(py, b"SCARD", &[name])
    }
}

/// Test hook: runs a call whose engine side panics on `client`'s session;
/// the panic must come back as `RedisError` ("internal error").
#[cfg(feature = "test-hooks")]
#[pyfunction]
pub(crate) fn _panic_in_session<'py>(
    py: Python<'py>,
    client: &Bound<'py, Client>,
) -> PyResult<Bound<'py, PyAny>> {
    let core = client.get().core(py)?;
    match core.with_session(|_| -> Reply { panic!("test hook") }) {
        Ok(r) | Err(r) => core.dec.reply(py, r),
    }
}

/// An optional argument told apart from an explicit `None`: redis-py's
/// `amount=1` default applies only when the caller left it out; a `None`
/// given is encoded, and rejected with redis-py's DataError.
enum Arg<'py> {
    Default,
    Given(Bound<'py, PyAny>),
}

impl<'py> Arg<'py> {
    /// The given value, or 1.
    fn or_one(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Arg::Given(v) => Ok(v),
            Arg::Default => Ok(1i64.into_pyobject(py)?.into_any()),
        }
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for Arg<'py> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(Arg::Given(obj.to_owned()))
    }
}

/// `head` then the items of `rest`.
fn with_head<'py>(head: &Bound<'py, PyAny>, rest: &Bound<'py, PyTuple>) -> Vec<Bound<'py, PyAny>> {
    std::iter::once(head.clone()).chain(rest.iter()).collect()
}

/// The items of `t`.
fn tuple_items<'py>(t: &Bound<'py, PyTuple>) -> Vec<Bound<'py, PyAny>> {
    t.iter().collect()
}

/// A ZADD score the typed path takes as it is: an exact `float` but NaN
/// (whose text ZADD refuses with its own error), or an exact `int` that
/// fits an i64. Both convert to the double ZADD would parse from the text
/// redis-py sends (`repr`, which reads back exactly; decimal integers round
/// to nearest, as `as f64` does). `None` for anything else: the generic
/// path encodes it.
fn zadd_score(v: &Bound<'_, PyAny>) -> Option<f64> {
    if let Ok(f) = v.cast_exact::<PyFloat>() {
        return Some(f.value()).filter(|x| !x.is_nan());
    }
    if v.is_exact_instance_of::<PyInt>() {
        return v.extract::<i64>().ok().map(|n| n as f64);
    }
    None
}

/// An integer reply as bool (redis-py's `bool` callback).
fn truthy(r: Bound<'_, PyAny>) -> PyResult<Bound<'_, PyAny>> {
    let b = r.is_truthy()?;
    Ok(PyBool::new(r.py(), b).to_owned().into_any())
}
