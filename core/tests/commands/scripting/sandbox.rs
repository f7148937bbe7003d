//! The sandbox (RELIABILITY.md S40–S49): scripts that try to escape it get
//! Redis's errors, compared with a real redis-server, and the engine keeps
//! working. Limits Redis does not have (the interpreter's memory) are
//! checked on the engine alone.

use super::eval;
use crate::harness::Pair;
use kvstore_core::{Engine, Reply};

/// After each escape attempt: the engine still answers, and the string
/// metatable was not changed under another script.
fn still_usable(p: &mut Pair) {
    p.check(&["PING"]);
    eval(p, "return ('x'):upper()", &[], &[]);
    eval(p, "return redis.call('ping')", &[], &[]);
}

#[test]
fn escapes_get_redis_errors() {
    let mut p = Pair::new();
    for script in [
        // S40: no io, os, package, require, debug, dofile, loadfile, print.
        "os.execute('id')",
        "return os.execute('id')",
        "return io.open('/etc/passwd')",
        "return require('x')",
        "return package.loadlib('/usr/lib/x86_64-linux-gnu/liblua5.1.so.0', 'luaopen_io')",
        "local io_l = package.loadlib('/usr/lib/x86_64-linux-gnu/liblua5.1.so.0', 'luaopen_io'); \
         local io = io_l(); local f = io.popen('id', 'r'); local res = f:read('*a'); f:close(); \
         return res",
        "return debug.getinfo(1)",
        "return dofile('x')",
        "return loadfile('x')",
        "print('x')",
        "return module('x')",
        // S40b: bytecode is refused by loadstring and load.
        "local f, err = loadstring(string.dump(function() return 1 end)); return f == nil",
        "return {loadstring(string.dump(function() return 1 end))}",
        "local s = string.dump(function() return 1 end) local done = false \
         return {load(function() if done then return nil end done = true return s end)}",
        "return loadstring('return 7')()",
        // S41/S42: protected globals and readonly tables.
        "return a",
        "a = 10",
        "rawset(_G, 'x', 1)",
        "setmetatable(_G, nil)",
        "setmetatable(_G, {})",
        "local g = getmetatable(_G); g.__index = {}",
        "redis = function() return 1 end",
        "_G = {}",
        "redis.call = function() end",
        "cjson.encode = function() end",
        "cmsgpack.pack = function() end",
        "bit.lshift = function() end",
        "string.upper = function() return 'pwn' end",
        "getmetatable('').__index = {upper = function() return 'pwn' end}",
        "getmetatable('').__index.upper = function() return 'pwn' end",
        "local t = {} setmetatable(t, {}) t.x = 1 return t.x",
        "return rawequal(_G, _G)",
        // S44: metatables are not followed when converting replies.
        "return _G",
        "local a = {} setmetatable(a, {__index = function() foo() end}) return a",
        "local a = {} setmetatable(a, {__index = function() redis.call('set', 'x', '1') end}) \
         return a",
        // S45, S49: bit.tohex and unpack bounds.
        "return bit.tohex(65535, -2147483648)",
        "return {unpack({}, -2147483648, 2147483647)}",
        "return {unpack({}, 0, 2147483647)}",
        "return {unpack({1, 2, 3}, -2, 2147483647)}",
        "return {unpack({}, 1, 2147483647)}",
        // Deep recursion: Lua's stack and C stack limits, as errors.
        "local function f(n) return 1 + f(n + 1) end return f(1)",
        "local function f() return pcall(f) end return {f()}",
        "local function f() local ok, e = pcall(f) if not ok then error(e, 0) end end f()",
        "local s = string.rep('(', 300) .. '1' .. string.rep(')', 300) \
         return {loadstring('return ' .. s)}",
        "local t = {} for i = 1, 300 do t = {t} end return cjson.encode(t)",
        "local t = {} for i = 1, 300 do t = {t} end return {pcall(cmsgpack.pack, t)}",
    ] {
        eval(&mut p, script, &[], &[]);
        still_usable(&mut p);
    }
    p.check(&["EXISTS", "x"]);
}

/// S43: a reply nested past Lua's stack limit ends in an error element,
/// never a crash. (Its depth is past what the harness decodes, so only
/// the engine runs it.)
#[test]
fn self_referencing_reply_is_cut() {
    let e = Engine::new();
    let mut s = e.session();
    let mut reply = e.execute(
        &mut s,
        &["EVAL", "local a = {} local b = {a} a[1] = b return a", "0"],
    );
    let mut depth = 0;
    while let Reply::Array(mut items) = reply {
        assert_eq!(items.len(), 1);
        reply = items.pop().unwrap();
        depth += 1;
    }
    assert_eq!(reply, Reply::Error("ERR reached lua stack limit".into()));
    assert!(depth > 100, "cut at depth {depth}");
    assert_eq!(e.execute(&mut s, &["PING"]), Reply::Status("PONG".into()));
}

/// A script that allocates without bound fails cleanly at the
/// interpreter's memory cap; the memory is reclaimed and scripts run again.
#[test]
fn huge_allocations_fail_cleanly() {
    let e = Engine::new();
    e.shared().scripts.set_memory_limit(64 << 20);
    let mut s = e.session();
    for script in [
        "local t = {} for i = 1, 1e9 do t[i] = i end return #t",
        "local t = {} for i = 1, 1e9 do t[#t + 1] = tostring(i) end return #t",
        "return #string.rep('x', 1e9)",
        "local s = 'x' while true do s = s .. s end",
    ] {
        let Reply::Error(msg) = e.execute(&mut s, &["EVAL", script, "0"]) else {
            panic!("{script} did not fail");
        };
        assert!(msg.contains("not enough memory"), "{script}: {msg}");
        assert_eq!(
            e.execute(&mut s, &["EVAL", "return #KEYS + 1", "0"]),
            Reply::Int(1)
        );
        assert!(e.shared().scripts.memory() < 16 << 20);
    }
    // A pcall inside the script catches it too.
    assert_eq!(
        e.execute(
            &mut s,
            &[
                "EVAL",
                "local ok = pcall(function() local t = {} for i = 1, 1e9 do t[i] = i end end) \
                 return ok",
                "0"
            ]
        ),
        Reply::Nil
    );
}

/// SCRIPT FLUSH replaces the interpreter: repeated flushes between
/// scripts leave no garbage behind and later scripts are unaffected.
/// (`newproxy`, the only way to give a Lua object a finalizer that could
/// outlive a flush (S51), is not a global here, as in the installed 7.0.15.)
#[test]
fn flush_replaces_the_interpreter() {
    let e = Engine::new();
    let mut s = e.session();
    let mut first = 0;
    for i in 0..200 {
        let body = format!("local t = {{}} for j = 1, 1000 do t[j] = j end return {i}");
        assert_eq!(e.execute(&mut s, &["EVAL", &body, "0"]), Reply::Int(i));
        assert_eq!(e.execute(&mut s, &["SCRIPT", "FLUSH"]), Reply::ok());
        if i == 0 {
            first = e.shared().scripts.memory();
        }
    }
    assert!(e.shared().scripts.memory() <= first * 2);
    assert_eq!(
        e.execute(&mut s, &["EVAL", "return redis.call('ping')", "0"]),
        Reply::Status("PONG".into())
    );
}
