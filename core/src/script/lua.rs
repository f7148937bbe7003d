//! The Lua interpreter: a safe handle over `native/script.c`, which builds
//! Redis 7.0's scripting environment on Redis's own Lua 5.1 and does every
//! Lua stack operation (Lua raises errors with `longjmp`, which must never
//! cross a Rust frame). Rust reaches Lua only through the `kv_lua_*`
//! functions; Lua reaches Rust only through the [`Host`] callbacks, which
//! never call back into Lua.

use std::ffi::{c_char, c_int, c_void};
use std::ptr::NonNull;

/// `kv_buf`: a byte buffer the C side grows with `realloc`.
#[repr(C)]
struct RawBuf {
    ptr: *mut c_char,
    len: usize,
    cap: usize,
    oom: c_int,
}

/// An owned `kv_buf`, freed on drop.
struct Buf(RawBuf);

impl Buf {
    fn new() -> Buf {
        Buf(RawBuf {
            ptr: std::ptr::null_mut(),
            len: 0,
            cap: 0,
            oom: 0,
        })
    }

    fn bytes(&self) -> &[u8] {
        if self.0.ptr.is_null() {
            return &[];
        }
        // SAFETY: the C side keeps `len` bytes initialized at `ptr`.
        unsafe { std::slice::from_raw_parts(self.0.ptr.cast(), self.0.len) }
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        // SAFETY: the buffer was only ever grown by the C side's realloc.
        unsafe { kv_buf_free(&mut self.0) }
    }
}

/// `kv_host`: what a running script may ask of the engine.
#[repr(C)]
struct RawHost {
    ctx: *mut c_void,
    call: unsafe extern "C" fn(
        *mut c_void,
        c_int,
        *const *const c_char,
        *const usize,
        c_int,
        c_int,
        *mut *const c_char,
        *mut usize,
    ),
    interrupt: unsafe extern "C" fn(*mut c_void) -> c_int,
    sha1hex: unsafe extern "C" fn(*const c_char, usize, *mut c_char),
    known: unsafe extern "C" fn(c_int, *const *const c_char, *const usize) -> c_int,
}

#[repr(C)]
struct RawVm {
    _private: [u8; 0],
}

unsafe extern "C" {
    fn kv_buf_free(b: *mut RawBuf);
    fn kv_lua_new(limit: usize) -> *mut RawVm;
    fn kv_lua_free(vm: *mut RawVm);
    fn kv_lua_reset(vm: *mut RawVm) -> c_int;
    fn kv_lua_set_limit(vm: *mut RawVm, limit: usize);
    fn kv_lua_memory(vm: *const RawVm) -> usize;
    fn kv_lua_define(
        vm: *mut RawVm,
        name: *const c_char,
        body: *const c_char,
        len: usize,
        err: *mut RawBuf,
    ) -> c_int;
    #[allow(clippy::too_many_arguments)]
    fn kv_lua_run(
        vm: *mut RawVm,
        host: *mut RawHost,
        name: *const c_char,
        nkeys: c_int,
        keys: *const *const c_char,
        klens: *const usize,
        nargs: c_int,
        args: *const *const c_char,
        alens: *const usize,
        threshold: c_int,
        out: *mut RawBuf,
    );
}

/// The `redis.set_repl` flag that lets a script's writes reach the
/// append-only file (Redis's `PROPAGATE_AOF`, `redis.REPL_AOF`).
pub(crate) const REPL_AOF: u8 = 1;

/// What a script's `redis.*` calls reach: implemented by the script runner.
pub(crate) trait Host {
    /// Runs `argv` (from `redis.call`/`redis.pcall`) and returns its reply
    /// encoded in protocol `resp` (2 or 3); `repl` holds the script's
    /// `redis.set_repl` flags ([`REPL_AOF`] among them).
    fn call(&mut self, argv: &[&[u8]], resp: u8, repl: u8) -> &[u8];
    /// Called every 100,000 instructions: true kills the script.
    fn interrupt(&mut self) -> bool;
}

/// One Lua interpreter with Redis's environment (allow-listed globals,
/// readonly tables, the `redis` library, cjson, cmsgpack, bit, struct).
#[derive(Debug)]
pub(crate) struct Vm(NonNull<RawVm>);

// SAFETY: the interpreter has no thread affinity; `Scripts` keeps it
// behind a mutex, so one thread uses it at a time.
unsafe impl Send for Vm {}

/// Why an interpreter could not be built or reset.
#[derive(Debug)]
pub(crate) struct OutOfMemory;

impl Vm {
    /// A fresh interpreter whose allocations are capped at `limit` bytes.
    pub(crate) fn new(limit: usize) -> Result<Vm, OutOfMemory> {
        // SAFETY: plain constructor; NULL means failure.
        NonNull::new(unsafe { kv_lua_new(limit) })
            .map(Vm)
            .ok_or(OutOfMemory)
    }

    /// Replaces the interpreter with a fresh one (SCRIPT FLUSH), keeping
    /// `math.random`'s state as Redis does.
    pub(crate) fn reset(&mut self) -> Result<(), OutOfMemory> {
        // SAFETY: `self.0` is a live VM owned by this handle.
        match unsafe { kv_lua_reset(self.0.as_ptr()) } {
            0 => Err(OutOfMemory),
            _ => Ok(()),
        }
    }

    /// Changes the memory cap (bytes; 0 for none).
    pub(crate) fn set_limit(&mut self, limit: usize) {
        // SAFETY: `self.0` is live.
        unsafe { kv_lua_set_limit(self.0.as_ptr(), limit) }
    }

    /// Bytes the interpreter has allocated.
    pub(crate) fn memory(&self) -> usize {
        // SAFETY: `self.0` is live.
        unsafe { kv_lua_memory(self.0.as_ptr()) }
    }

    /// Compiles `body` as the function `f_<sha>`; the compiler's message
    /// on failure (`user_script:1: ...`).
    pub(crate) fn define(&mut self, sha: &str, body: &[u8]) -> Result<(), String> {
        let name = FunctionName::new(sha);
        let mut err = Buf::new();
        // SAFETY: the pointers are valid for the call; the C side copies.
        let ok = unsafe {
            kv_lua_define(
                self.0.as_ptr(),
                name.as_ptr(),
                body.as_ptr().cast(),
                body.len(),
                &mut err.0,
            )
        };
        if ok != 0 {
            return Ok(());
        }
        Err(String::from_utf8_lossy(err.bytes()).into_owned())
    }

    /// Runs the function defined for `sha` with KEYS and ARGV and hands
    /// its reply as RESP3 (an error reply included) to `reply`.
    /// `timeout_hook` installs the instruction-count hook that calls
    /// [`Host::interrupt`].
    pub(crate) fn run<R>(
        &mut self,
        host: &mut dyn Host,
        sha: &str,
        keys: &[&[u8]],
        args: &[&[u8]],
        timeout_hook: bool,
        reply: impl FnOnce(&[u8]) -> R,
    ) -> R {
        let name = FunctionName::new(sha);
        let (k, a) = (Pointers::new(keys), Pointers::new(args));
        let mut tramp: &mut dyn Host = host;
        let mut raw = RawHost {
            ctx: (&mut tramp as *mut &mut dyn Host).cast(),
            call: host_call,
            interrupt: host_interrupt,
            sha1hex: host_sha1hex,
            known: host_known,
        };
        let mut out = Buf::new();
        // SAFETY: every pointer outlives the call; `raw.ctx` points at
        // `tramp`, which the callbacks only use during it.
        unsafe {
            kv_lua_run(
                self.0.as_ptr(),
                &mut raw,
                name.as_ptr(),
                keys.len() as c_int,
                k.ptrs(),
                k.lens(),
                args.len() as c_int,
                a.ptrs(),
                a.lens(),
                c_int::from(timeout_hook),
                &mut out.0,
            )
        };
        if out.0.oom != 0 {
            return reply(
                format!("-ERR Error running script {sha}, reply too large\r\n").as_bytes(),
            );
        }
        reply(out.bytes())
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        // SAFETY: the VM is owned by this handle and not used afterwards.
        unsafe { kv_lua_free(self.0.as_ptr()) }
    }
}

/// `f_<sha>`, the registry name of a script's function, NUL-terminated
/// (built on the stack: it is needed on every run).
struct FunctionName([u8; 43]);

impl FunctionName {
    fn new(sha: &str) -> FunctionName {
        let mut name = [0u8; 43];
        name[..2].copy_from_slice(b"f_");
        let sha = sha.as_bytes();
        assert!(
            sha.len() == 40 && !sha.contains(&0),
            "a script name is a SHA1 in hex"
        );
        name[2..42].copy_from_slice(sha);
        FunctionName(name)
    }

    fn as_ptr(&self) -> *const c_char {
        self.0.as_ptr().cast()
    }
}

/// How many items the lists passed across the C boundary keep on the
/// stack: scripts and their commands rarely take more, and every script
/// run and `redis.call` would otherwise allocate.
const INLINE: usize = 16;

/// C's view of a list of byte strings: a pointer array and a length array.
// It lives on the stack for one call: boxing the inline variant would
// bring back the allocation it is there to avoid.
#[allow(clippy::large_enum_variant)]
enum Pointers {
    Inline([*const c_char; INLINE], [usize; INLINE]),
    Heap(Vec<*const c_char>, Vec<usize>),
}

impl Pointers {
    fn new(items: &[&[u8]]) -> Pointers {
        let each = items.iter().map(|s| (s.as_ptr().cast::<c_char>(), s.len()));
        if items.len() > INLINE {
            let (p, l) = each.unzip();
            return Pointers::Heap(p, l);
        }
        let (mut p, mut l) = ([std::ptr::null(); INLINE], [0; INLINE]);
        for (i, (ptr, len)) in each.enumerate() {
            (p[i], l[i]) = (ptr, len);
        }
        Pointers::Inline(p, l)
    }

    fn ptrs(&self) -> *const *const c_char {
        match self {
            Pointers::Inline(p, _) => p.as_ptr(),
            Pointers::Heap(p, _) => p.as_ptr(),
        }
    }

    fn lens(&self) -> *const usize {
        match self {
            Pointers::Inline(_, l) => l.as_ptr(),
            Pointers::Heap(_, l) => l.as_ptr(),
        }
    }
}

/// Calls `f` with the `n` byte strings C hands over.
///
/// # Safety
/// `argv` and `lens` point at `n` valid (pointer, length) pairs, which
/// stay valid during the call.
unsafe fn with_byte_strings<R>(
    n: c_int,
    argv: *const *const c_char,
    lens: *const usize,
    f: impl FnOnce(&[&[u8]]) -> R,
) -> R {
    // SAFETY: the caller guarantees `n` pairs.
    let get =
        |i: usize| unsafe { std::slice::from_raw_parts((*argv.add(i)).cast::<u8>(), *lens.add(i)) };
    let n = n.max(0) as usize;
    if n > INLINE {
        return f(&(0..n).map(get).collect::<Vec<_>>());
    }
    let mut items: [&[u8]; INLINE] = [&[]; INLINE];
    for (i, item) in items.iter_mut().enumerate().take(n) {
        *item = get(i);
    }
    f(&items[..n])
}

/// `kv_host.call`: runs a command for `redis.call`.
unsafe extern "C" fn host_call(
    ctx: *mut c_void,
    argc: c_int,
    argv: *const *const c_char,
    lens: *const usize,
    resp: c_int,
    repl: c_int,
    reply: *mut *const c_char,
    reply_len: *mut usize,
) {
    // SAFETY: `ctx` is the `&mut dyn Host` of `Vm::run`, alive during the
    // call; C passes `argc` valid arguments and valid out pointers.
    unsafe {
        let host = &mut **(ctx as *mut &mut dyn Host);
        // A panic must not unwind into C: report it as an error reply.
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            with_byte_strings(argc, argv, lens, |args| {
                let r = host.call(args, resp as u8, repl as u8);
                (r.as_ptr(), r.len())
            })
        }));
        let (p, n) = out.unwrap_or((PANIC_REPLY.as_ptr(), PANIC_REPLY.len()));
        *reply = p.cast();
        *reply_len = n;
    }
}

const PANIC_REPLY: &[u8] = b"-ERR internal error in redis.call\r\n";

/// `kv_host.interrupt`: the timeout hook.
unsafe extern "C" fn host_interrupt(ctx: *mut c_void) -> c_int {
    // SAFETY: as in `host_call`.
    let host = unsafe { &mut **(ctx as *mut &mut dyn Host) };
    let kill = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| host.interrupt()));
    c_int::from(kill.unwrap_or(false))
}

/// `kv_host.sha1hex`: `redis.sha1hex`.
unsafe extern "C" fn host_sha1hex(s: *const c_char, len: usize, out: *mut c_char) {
    // SAFETY: C passes `len` readable bytes and a 40-byte output buffer.
    unsafe {
        let data = std::slice::from_raw_parts(s.cast::<u8>(), len);
        let hex = super::sha1hex(data);
        std::ptr::copy_nonoverlapping(hex.as_ptr(), out.cast::<u8>(), 40);
    }
}

/// `kv_host.known`: is this a command (for `redis.acl_check_cmd`)?
unsafe extern "C" fn host_known(
    argc: c_int,
    argv: *const *const c_char,
    lens: *const usize,
) -> c_int {
    // SAFETY: C passes `argc` valid arguments.
    let known = unsafe { with_byte_strings(argc, argv, lens, super::run::is_command) };
    c_int::from(known)
}
