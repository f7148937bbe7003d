//! The generic calls: any command as an argv, answered by a reply tree.
//! `kvstore_command_argv` is hiredis's `redisCommandArgv`; the printf-style
//! `kvstore_command` (`src/format.c`) parses its format into an argv and
//! enters here through `kvstore_internal_formatted`.

use crate::args;
use crate::error::{Fail, kvstore_result};
use crate::handle::kvstore;
use crate::reply::kvstore_reply;
use std::ffi::c_char;

/// Arguments kept on the stack up to this count (most commands).
const STACK_ARGS: usize = 8;

/// Reads argument `i` of a C argv: `lens[i]` bytes, or up to the NUL when
/// `lens` is NULL.
///
/// # Safety
/// `argv` has `i + 1` readable entries; so does `lens` unless NULL; the
/// entry is a string as the public contract describes.
unsafe fn arg<'a>(
    argv: *const *const c_char,
    lens: *const usize,
    i: usize,
) -> Result<&'a [u8], Fail> {
    // SAFETY: `i` is below argc, per the caller.
    let p = unsafe { *argv.add(i) };
    if lens.is_null() {
        // SAFETY: without lengths every argument is NUL-terminated.
        unsafe { args::c_str(p, format_args!("argv[{i}]")) }
    } else {
        // SAFETY: as above; `lens[i]` bytes are readable at `p`.
        unsafe { args::bytes(p.cast(), *lens.add(i), format_args!("argv[{i}]")) }
    }
}

/// Runs the argv on `db` and writes the reply tree to `out`.
///
/// # Safety
/// As `kvstore_command_argv`.
unsafe fn run_argv(
    db: *const kvstore,
    argc: usize,
    argv: *const *const c_char,
    lens: *const usize,
    out: *mut *mut kvstore_reply,
) -> Result<kvstore_result, Fail> {
    // SAFETY: NULL or a live handle, per the contract.
    let db = unsafe { args::req(db, "db") }?;
    let out = args::out(out, "out")?;
    if argv.is_null() && argc > 0 {
        return Err(Fail::null("argv"));
    }
    let mut stack: [&[u8]; STACK_ARGS] = [&[]; STACK_ARGS];
    let mut heap: Vec<&[u8]> = Vec::new();
    let words: &[&[u8]] = if argc <= STACK_ARGS {
        for (i, slot) in stack[..argc].iter_mut().enumerate() {
            // SAFETY: i < argc entries, per the contract.
            *slot = unsafe { arg(argv, lens, i) }?;
        }
        &stack[..argc]
    } else {
        heap.reserve_exact(argc);
        for i in 0..argc {
            // SAFETY: as above.
            heap.push(unsafe { arg(argv, lens, i) }?);
        }
        &heap
    };
    let root = db.with_session(|engine, s| {
        let reply = engine.execute(s, words);
        kvstore_reply::from_reply(reply, s.proto >= 3)
    });
    // SAFETY: `out` is non-NULL and writable per the contract.
    unsafe { out.write(Box::into_raw(Box::new(root))) };
    Ok(kvstore_result::KVSTORE_OK)
}

/// Runs any command given as an argument vector (hiredis's
/// `redisCommandArgv`) and writes its reply tree to `*out`.
///
/// `argv[0]` is the command name (any case), `argv[1..argc-1]` its
/// arguments. `argvlen`: the byte length of each argument (binary safe:
/// arguments may hold NUL bytes); NULL means every argument is a
/// NUL-terminated string. An argument pointer may be NULL only with length
/// 0 (the empty string).
///
/// Returns `KVSTORE_OK` whenever the command ran, **even when Redis replied
/// with an error**: the reply is then of type `KVSTORE_REPLY_ERROR` with
/// Redis's text (as in hiredis). Failure codes are for the call itself:
/// `KVSTORE_ERR_NULL` (NULL `db`, `out`, `argv` with `argc > 0`, or an
/// argument), `KVSTORE_ERR_PANIC`. `*out` is written only on success; free
/// the tree with `kvstore_reply_free`.
///
/// The reply's types follow the handle's protocol (see
/// `kvstore_options.protocol`). Thread safety: any thread, concurrently with
/// other calls on the same handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_command_argv(
    db: *mut kvstore,
    argc: usize,
    argv: *const *const c_char,
    argvlen: *const usize,
    out: *mut *mut kvstore_reply,
) -> kvstore_result {
    crate::panic::call("kvstore_command_argv", || {
        // SAFETY: the public contract above.
        unsafe { run_argv(db, argc, argv, argvlen, out) }
    })
}

/// The entry point of `kvstore_command`/`kvstore_vcommand` (`src/format.c`),
/// not part of the public header: the C side parsed the format into an argv,
/// or failed with `parse_rc` and `parse_msg` (then nothing runs), so that
/// errors and panics are reported here, under the public function's name.
///
/// # Safety
/// As `kvstore_command_argv`; `parse_msg` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_internal_formatted(
    db: *mut kvstore,
    argc: usize,
    argv: *const *const c_char,
    argvlen: *const usize,
    out: *mut *mut kvstore_reply,
    parse_rc: kvstore_result,
    parse_msg: *const c_char,
) -> kvstore_result {
    crate::panic::call("kvstore_command", || {
        if parse_rc != kvstore_result::KVSTORE_OK {
            // SAFETY: NULL or NUL-terminated, per the contract.
            let msg = unsafe { args::c_str(parse_msg, "parse_msg") }?;
            return Err(Fail::new(parse_rc, String::from_utf8_lossy(msg)));
        }
        // SAFETY: the public contract of kvstore_command, checked by format.c.
        unsafe { run_argv(db, argc, argv, argvlen, out) }
    })
}
