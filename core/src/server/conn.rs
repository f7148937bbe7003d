//! One client connection: its socket, query and reply buffers, request
//! parser and session. [`Conn::service`] reads what arrived, runs every
//! complete command through `Engine::execute` (on the serving thread; the
//! engine's shard locks give the parallelism), and leaves the replies for
//! [`Conn::send_replies`], which the worker calls once per event-loop turn
//! for every connection it served (as redis-server writes in
//! `beforeSleep`). Redis's limits are enforced: protocol errors close the
//! connection after their reply, and the query buffer, output buffer and
//! unauthenticated limits close it at once.

use super::net::Stream;
use super::{Level, Log};
use crate::blocking::Blocked;
use crate::clients::{ClientEntry, PauseKind};
use crate::cmd::table::flags::{MAY_REPLICATE, WRITE};
use crate::config::OutputLimit;
use crate::resp::{Limits, RequestParser, encode};
use crate::{Engine, Session};
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Bytes a read asks for at least (Redis's `PROTO_IOBUF_LEN`).
const READ_CHUNK: usize = 16 * 1024;
/// Reads per readiness event before other clients get their turn.
const READS_PER_TURN: usize = 16;
/// Pending reply bytes that make the connection write before it parses more.
const WRITE_EARLY: usize = 64 * 1024;
/// Query and reply buffer limit of a client that has to authenticate and
/// has not (Redis #12989 for queries; replies capped the same way).
const UNAUTHENTICATED_BUFFER: usize = 1024 * 1024;
/// A connection keeps at most this much of a lent read buffer as a copy;
/// more, and it keeps the lent buffer itself. Also the largest write
/// buffer kept as a spare (so spares hold at most 4 MiB).
const KEEP_BUFFER: usize = 64 * 1024;
/// A worker's scratch buffer larger than this is freed after use.
const SCRATCH_MAX: usize = 4 * 1024 * 1024;
/// Write buffers a worker keeps for the connections it serves in one turn.
const SPARE_WRITE_BUFFERS: usize = 64;

/// Why a connection is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Close {
    /// The peer closed it (or a socket error).
    Peer,
    /// QUIT, CLIENT KILL of itself, or a protocol error: replies written.
    AfterReply,
    /// CLIENT KILL from another client.
    Killed,
    /// `POST` or `Host:`: an HTTP request (cross-protocol scripting).
    Security,
    /// The query buffer passed its limit.
    QueryBuffer,
    /// The reply buffer passed its limit.
    OutputBuffer,
    /// Idle past `timeout`.
    Idle,
    /// The append-only file failed under `appendfsync always`: replies
    /// of writes that are not durable are dropped, never sent.
    Persistence,
}

/// A growable read buffer whose unparsed bytes are `data[start..end]`.
/// `data` stays initialized to its full length, so reads go straight into
/// it without zeroing per read.
#[derive(Debug, Default)]
struct ReadBuf {
    data: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReadBuf {
    fn pending(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Room for at least [`READ_CHUNK`] more bytes: moves the unparsed
    /// bytes to the front, then grows (doubling, so a big argument costs
    /// amortized linear copying and memory follows the bytes received).
    fn space(&mut self) -> &mut [u8] {
        if self.data.len() - self.end < READ_CHUNK && self.start > 0 {
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.data.len() - self.end < READ_CHUNK {
            let len = (self.data.len() * 2).max(self.end + READ_CHUNK);
            self.data.resize(len, 0);
        }
        &mut self.data[self.end..]
    }

    /// Frees the memory when nothing is pending.
    fn shrink(&mut self) {
        if self.start == self.end {
            *self = ReadBuf::default();
        }
    }
}

/// Buffers a worker lends to the connection it serves: a connection keeps
/// buffers of its own only while it holds an incomplete request or
/// unwritten replies, so an idle connection costs no buffer memory.
/// Replies wait for the end of the turn in the lent write buffer itself
/// (the connection keeps it, the worker takes a spare), and the buffer
/// comes back once written.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    read: ReadBuf,
    write: Vec<u8>,
    spare: Vec<Vec<u8>>,
}

impl Scratch {
    /// Frees the spare write buffers (the worker's cron, once a second).
    pub(super) fn trim(&mut self) {
        self.spare = Vec::new();
    }
}

/// Which scratch buffers a connection holds during one service.
#[derive(Debug, Clone, Copy)]
struct Lent {
    read: bool,
    write: bool,
}

/// A client connection.
pub(super) struct Conn {
    pub(super) stream: Stream,
    pub(super) session: Session,
    pub(super) entry: Arc<ClientEntry>,
    parser: RequestParser,
    rbuf: ReadBuf,
    wbuf: Vec<u8>,
    wpos: usize,
    /// Close once the pending replies are written.
    closing: bool,
    /// Suspended by CLIENT PAUSE until it ends.
    pub(super) parked: bool,
    /// Replies are held until the worker settles their durability.
    pub(super) awaiting_durable: bool,
    /// In the worker's list of connections to write at the end of the turn.
    pub(super) write_queued: bool,
    /// Unix ms of the last command or read.
    pub(super) last_ms: u64,
    /// When the reply buffer first went over the soft limit.
    soft_since: Option<u64>,
    /// The peer closed its side; close once replies are written.
    peer_gone: bool,
    /// A blocking command waiting for its key, and whether its reply is
    /// to be sent (CLIENT REPLY): no later command runs until it ends.
    pub(super) blocked: Option<(Blocked, bool)>,
}

/// What serving a connection needs from its thread.
pub(super) struct Env<'a> {
    pub(super) engine: &'a Engine,
    pub(super) log: &'a Log,
    /// Output buffer limits by client class (normal, replica, pubsub):
    /// (hard, soft, soft seconds).
    pub(super) output_limits: [OutputLimit; 3],
}

impl Conn {
    /// A new connection serving `session`.
    pub(super) fn new(stream: Stream, session: Session, entry: Arc<ClientEntry>, now: u64) -> Conn {
        Conn {
            stream,
            session,
            entry,
            parser: RequestParser::new(),
            rbuf: ReadBuf::default(),
            wbuf: Vec::new(),
            wpos: 0,
            closing: false,
            parked: false,
            awaiting_durable: false,
            write_queued: false,
            last_ms: now,
            soft_since: None,
            peer_gone: false,
            blocked: None,
        }
    }

    /// True when the client has to authenticate and has not.
    fn unauthenticated(&self, engine: &Engine) -> bool {
        !self.session.conn.authenticated && engine.shared().config.get_bool("requirepass")
    }

    /// Reads and runs what it can, with the worker's `scratch` buffers when
    /// its own are empty; `Err` says why the connection must now be closed.
    /// `Ok(true)` when it stopped with input possibly left in the socket
    /// (its turn ended): serve it again soon. The replies are sent by
    /// [`Conn::send_replies`] when [`Conn::wants_send`] says so.
    pub(super) fn service(&mut self, env: &Env<'_>, scratch: &mut Scratch) -> Result<bool, Close> {
        let lent = Lent {
            read: self.rbuf.pending().is_empty(),
            write: self.wpos == self.wbuf.len(),
        };
        if lent.read {
            std::mem::swap(&mut self.rbuf, &mut scratch.read);
            self.rbuf.start = 0;
            self.rbuf.end = 0;
        }
        if lent.write {
            std::mem::swap(&mut self.wbuf, &mut scratch.write);
            self.wbuf.clear();
            self.wpos = 0;
        }
        let result = self.serve_io(env);
        self.give_back(scratch, lent);
        result
    }

    /// Returns the lent buffers; what is still pending in them is copied
    /// into buffers of the connection's own (or, when large, the
    /// connection keeps the lent one and the worker grows a new one).
    fn give_back(&mut self, scratch: &mut Scratch, lent: Lent) {
        if lent.read {
            let pending = self.rbuf.pending();
            let own = match pending.len() {
                0 => ReadBuf::default(),
                n if n <= KEEP_BUFFER => ReadBuf {
                    data: pending.to_vec(),
                    start: 0,
                    end: n,
                },
                _ => std::mem::take(&mut self.rbuf),
            };
            scratch.read = std::mem::replace(&mut self.rbuf, own);
        }
        if lent.write {
            if self.wpos == self.wbuf.len() {
                scratch.write = std::mem::take(&mut self.wbuf);
                scratch.write.clear();
                self.wpos = 0;
            } else {
                // The replies stay where they are until written.
                scratch.write = scratch.spare.pop().unwrap_or_default();
            }
        }
        // The worker keeps its buffers, unless one grew for a huge request
        // or reply.
        if scratch.write.capacity() > SCRATCH_MAX {
            scratch.write = Vec::new();
        }
        if scratch.read.data.len() > SCRATCH_MAX {
            scratch.read = ReadBuf::default();
        }
    }

    fn serve_io(&mut self, env: &Env<'_>) -> Result<bool, Close> {
        if self.entry.killed() {
            return Err(Close::Killed);
        }
        let mut more = false;
        let now = env.engine.shared().clock.now_ms();
        // A connection parked by a pause first runs what it holds.
        self.parked = false;
        self.run_commands(env, now)?;
        let mut reads = 0;
        while !self.parked && !self.closing && !self.peer_gone {
            if reads == READS_PER_TURN {
                more = true;
                break;
            }
            reads += 1;
            let room = self.rbuf.space().len();
            match self.stream.read(self.rbuf.space()) {
                Ok(0) => self.peer_gone = true,
                Ok(n) => {
                    self.rbuf.end += n;
                    self.last_ms = now;
                    env.engine
                        .shared()
                        .clients
                        .net_input
                        .fetch_add(n as u64, Ordering::Relaxed);
                    self.run_commands(env, now)?;
                    if self.wbuf.len() - self.wpos > WRITE_EARLY
                        && !self.session.durability_pending()
                    {
                        self.flush(env)?;
                    }
                    // A short read took everything the socket had; bytes
                    // arriving later raise a new (edge-triggered) event.
                    // This saves the read that would only say WouldBlock.
                    if n < room {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Err(Close::Peer),
            }
        }
        self.check_limits(env, now)?;
        // Published before the replies go out: once a client has its reply,
        // CLIENT LIST from anyone shows what the command changed.
        self.publish(now);
        if self.session.durability_pending() {
            // Sent once the worker has waited for the fsync (one for all
            // its connections).
            self.awaiting_durable = true;
        }
        Ok(more)
    }

    /// True when [`Conn::send_replies`] has something to do: replies to
    /// write or a close to carry out, and no fsync to wait for first.
    pub(super) fn wants_send(&self) -> bool {
        !self.awaiting_durable && (self.wpos < self.wbuf.len() || self.closing || self.peer_gone)
    }

    /// Writes the replies out, then closes if the client asked or left. A
    /// written-out buffer goes back to the worker's spares.
    pub(super) fn send_replies(
        &mut self,
        env: &Env<'_>,
        scratch: &mut Scratch,
    ) -> Result<(), Close> {
        self.send(env)?;
        if self.wbuf.capacity() > 0 && self.wpos == self.wbuf.len() {
            let buf = std::mem::take(&mut self.wbuf);
            if scratch.spare.len() < SPARE_WRITE_BUFFERS && buf.capacity() <= KEEP_BUFFER {
                scratch.spare.push(buf);
            }
        }
        Ok(())
    }

    /// Writes the replies out, then closes if the client asked or left.
    fn send(&mut self, env: &Env<'_>) -> Result<(), Close> {
        self.flush(env)?;
        if self.wpos == self.wbuf.len() {
            if self.closing {
                return Err(Close::AfterReply);
            }
            if self.peer_gone {
                return Err(Close::Peer);
            }
        }
        Ok(())
    }

    /// Sends the replies held for durability once the append-only file has
    /// them on disk; when a write or fsync failed, drops them and closes.
    pub(super) fn settle(&mut self, env: &Env<'_>) -> Result<(), Close> {
        self.awaiting_durable = false;
        if let Err(e) = env.engine.settle(&mut self.session) {
            (env.log)(
                Level::Warning,
                &format!(
                    "Closing client {}: its writes are not on disk (AOF: {e})",
                    self.describe()
                ),
            );
            self.wbuf.truncate(self.wpos);
            return Err(Close::Persistence);
        }
        self.send(env)
    }

    /// Runs every complete command in the query buffer.
    fn run_commands(&mut self, env: &Env<'_>, now: u64) -> Result<(), Close> {
        let engine = env.engine;
        let shared = engine.shared();
        let limits = Limits {
            max_bulk_len: usize::try_from(shared.config.get_int("proto-max-bulk-len"))
                .unwrap_or(usize::MAX),
            ..Limits::default()
        };
        let password = shared.config.get_bool("requirepass");
        let Conn {
            parser,
            rbuf,
            session,
            wbuf,
            entry,
            closing,
            parked,
            last_ms,
            blocked,
            ..
        } = self;
        deliver_pushes(session, wbuf, env, entry)?;
        if let Some((wait, send)) = blocked {
            let Some(reply) = wait.poll() else {
                return Ok(());
            };
            if *send {
                encode(&reply, session.proto, wbuf);
                engine.note_served(session);
            }
            *blocked = None;
        }
        while !*closing && !*parked && blocked.is_none() {
            let buf = rbuf.pending();
            if buf.is_empty() {
                break;
            }
            let unauthenticated = password && !session.conn.authenticated;
            let used = match parser.parse(buf, &limits, unauthenticated) {
                Ok(None) => break,
                Ok(Some(used)) => used,
                Err(e) => {
                    (env.log)(
                        Level::Verbose,
                        &format!("Protocol error ({}) from client: {}", e.0, entry.facts.addr),
                    );
                    encode(
                        &crate::Reply::Error(format!("ERR {e}")),
                        session.proto,
                        wbuf,
                    );
                    *closing = true;
                    break;
                }
            };
            if parser.argc() == 0 {
                rbuf.consume(used);
                continue;
            }
            if parser.with_args(buf, |argv| is_http(argv[0])) {
                (env.log)(
                    Level::Warning,
                    "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or \
                     Host: commands to Redis. This is likely due to an attacker attempting to use \
                     Cross Protocol Scripting to compromise your Redis instance. Connection aborted.",
                );
                return Err(Close::Security);
            }
            if let Some((_, kind)) = shared.clients.paused(now) {
                if kind == PauseKind::All || parser.with_args(buf, pausable) {
                    // Left in the buffer: run when the pause ends.
                    *parked = true;
                    break;
                }
            }
            // Messages that arrived before this command go out before its reply.
            deliver_pushes(session, wbuf, env, entry)?;
            session.conn.begin_command();
            let reply = parser.with_args(buf, |argv| engine.execute(session, argv));
            let send = session.conn.end_command();
            match session.take_blocked() {
                // Served already (by a write on another thread), or not.
                Some(wait) => match wait.poll() {
                    Some(r) if send => {
                        encode(&r, session.proto, wbuf);
                        engine.note_served(session);
                    }
                    Some(_) => {}
                    None => *blocked = Some((wait, send)),
                },
                None if send => encode(&reply, session.proto, wbuf),
                None => {}
            }
            // The confirmations of (P|S)(UN)SUBSCRIBE come through the inbox.
            deliver_pushes(session, wbuf, env, entry)?;
            rbuf.consume(used);
            *last_ms = now;
            *closing |= session.conn.close;
        }
        Ok(())
    }

    /// Closes a client whose query or reply buffer is over its limit.
    fn check_limits(&mut self, env: &Env<'_>, now: u64) -> Result<(), Close> {
        let config = &env.engine.shared().config;
        let unauthenticated = self.unauthenticated(env.engine);
        let query_limit = if unauthenticated {
            UNAUTHENTICATED_BUFFER as u64
        } else {
            config.get_int("client-query-buffer-limit").max(0) as u64
        };
        let pending = self.rbuf.pending().len() as u64;
        if pending > query_limit {
            let head = String::from_utf8_lossy(&self.rbuf.pending()[..64.min(pending as usize)])
                .into_owned();
            (env.log)(
                Level::Warning,
                &format!(
                    "Closing client that reached max query buffer length: {} (qbuf initial bytes: {head:?})",
                    self.describe()
                ),
            );
            return Err(Close::QueryBuffer);
        }
        let omem = (self.wbuf.len() - self.wpos) as u64;
        let (hard, soft, secs) = if unauthenticated {
            (UNAUTHENTICATED_BUFFER as u64, 0, 0)
        } else if self.session.subscribed() {
            env.output_limits[2]
        } else {
            env.output_limits[0]
        };
        let over_soft = soft > 0 && omem > soft;
        if !over_soft {
            self.soft_since = None;
        }
        let soft_expired = over_soft && {
            let since = *self.soft_since.get_or_insert(now);
            now.saturating_sub(since) / 1000 >= secs
        };
        if (hard > 0 && omem > hard) || soft_expired {
            (env.log)(
                Level::Warning,
                &format!(
                    "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
                    self.describe()
                ),
            );
            return Err(Close::OutputBuffer);
        }
        Ok(())
    }

    /// Writes pending replies until done or the socket is full.
    pub(super) fn flush(&mut self, env: &Env<'_>) -> Result<(), Close> {
        while self.wpos < self.wbuf.len() {
            match self.stream.write(&self.wbuf[self.wpos..]) {
                Ok(0) => return Err(Close::Peer),
                Ok(n) => {
                    self.wpos += n;
                    env.engine
                        .shared()
                        .clients
                        .net_output
                        .fetch_add(n as u64, Ordering::Relaxed);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Err(Close::Peer),
            }
        }
        self.wbuf.clear();
        self.wpos = 0;
        Ok(())
    }

    /// Frees idle buffers (called by the thread's cron).
    pub(super) fn shrink_idle(&mut self) {
        if self.wpos == self.wbuf.len() {
            self.wbuf = Vec::new();
            self.wpos = 0;
        }
        self.rbuf.shrink();
    }

    /// Publishes what CLIENT LIST shows of this client.
    fn publish(&self, now: u64) {
        self.entry.touch(self.last_ms.min(now));
        let mut snap = self.entry.snapshot();
        snap.refresh(&self.session);
        snap.qbuf = self.rbuf.pending().len();
        snap.qbuf_free = self.rbuf.data.len() - self.rbuf.end;
        snap.omem = self.wbuf.len() - self.wpos;
        snap.writing = snap.omem > 0;
        snap.blocked = self.blocked.is_some();
    }

    /// `id=.. addr=..` for log lines.
    pub(super) fn describe(&self) -> String {
        format!(
            "id={} addr={} laddr={} fd={}",
            self.entry.id, self.entry.facts.addr, self.entry.facts.laddr, self.entry.facts.fd
        )
    }
}

/// Writes the pushes waiting in the session's inbox (Pub/Sub messages and
/// subscription confirmations); a client whose inbox overflowed (it fell
/// further behind than the `pubsub` output-buffer limit) is closed.
fn deliver_pushes(
    session: &Session,
    wbuf: &mut Vec<u8>,
    env: &Env<'_>,
    entry: &ClientEntry,
) -> Result<(), Close> {
    let Some(inbox) = session.inbox_if_any() else {
        return Ok(());
    };
    for push in inbox.drain() {
        encode(&push, session.proto, wbuf);
    }
    if inbox.overflowed() {
        (env.log)(
            Level::Warning,
            &format!(
                "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.",
                entry.id, entry.facts.addr
            ),
        );
        return Err(Close::OutputBuffer);
    }
    Ok(())
}

/// `POST` or `Host:` as a command name: an HTTP request sent to us.
fn is_http(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"post") || name.eq_ignore_ascii_case(b"host:")
}

/// True when CLIENT PAUSE WRITE suspends this command: commands that may
/// write or propagate, and EXEC (whose queue may hold writes).
fn pausable(argv: &[&[u8]]) -> bool {
    match crate::engine::resolve(argv, &mut None) {
        Ok(cmd) => cmd.has(WRITE | MAY_REPLICATE) || cmd.name == "exec",
        Err(_) => false,
    }
}
