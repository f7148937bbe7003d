/* kvstore's Lua scripting environment: Redis 7.0's, over Redis's own Lua
 * 5.1 (native/lua). Rust (core/src/script/) owns the script cache, the
 * locks and the commands; this file owns everything that touches the Lua
 * stack, because Lua reports errors with longjmp, which must never cross a
 * Rust frame. Rust calls the kv_lua_* entry points below, each of which
 * runs inside lua_cpcall, and Lua reaches back into Rust only through the
 * kv_host callbacks, which never call Lua.
 *
 * Replies cross the boundary as RESP, as inside Redis: the host answers
 * redis.call with RESP bytes (parsed here into Lua values, as Redis's
 * redisProtocolToLuaType), and a script's return value is written here as
 * RESP3 (as Redis's luaReplyToRedisReply) for Rust to decode.
 *
 * Adapted from Redis 7.0.15 src/script_lua.c, src/eval.c and src/rand.c:
 *
 * Copyright (c) 2009-2012, Salvatore Sanfilippo <antirez at gmail dot com>
 * All rights reserved.
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 *   * Redistributions of source code must retain the above copyright notice,
 *     this list of conditions and the following disclaimer.
 *   * Redistributions in binary form must reproduce the above copyright
 *     notice, this list of conditions and the following disclaimer in the
 *     documentation and/or other materials provided with the distribution.
 *   * Neither the name of Redis nor the names of its contributors may be used
 *     to endorse or promote products derived from this software without
 *     specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
 * AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
 * IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
 * ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT OWNER OR CONTRIBUTORS BE
 * LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
 * CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
 * SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
 * INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
 * CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
 * ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
 * POSSIBILITY OF SUCH DAMAGE.
 */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/lauxlib.h"
#include "lua/lua.h"
#include "lua/lualib.h"

int luaopen_cjson(lua_State *L);
int luaopen_struct(lua_State *L);
int luaopen_cmsgpack(lua_State *L);
int luaopen_bit(lua_State *L);

/* ------------------------------------------------------------------------
 * Types shared with Rust (core/src/script/lua.rs mirrors them).
 * ---------------------------------------------------------------------- */

/* What Lua may ask of the engine while a script runs. */
typedef struct kv_host {
    void *ctx;
    /* Runs one command (argv as byte strings) with replies in protocol
     * `resp` and the redis.set_repl flags `repl`; points *reply at its
     * RESP encoding, valid until the next call. */
    void (*call)(void *ctx, int argc, const char *const *argv, const size_t *lens, int resp,
                 int repl, const char **reply, size_t *reply_len);
    /* Called every 100,000 Lua instructions: nonzero kills the script. */
    int (*interrupt)(void *ctx);
    /* Writes the SHA1 of s as 40 lowercase hex digits (the same function
     * that names cached scripts). */
    void (*sha1hex)(const char *s, size_t len, char *out40);
    /* Nonzero when argv (a name and maybe a subcommand) is a command. */
    int (*known)(int argc, const char *const *argv, const size_t *lens);
} kv_host;

/* A growable byte buffer (malloc'd; Rust frees it with kv_buf_free). */
typedef struct kv_buf {
    char *ptr;
    size_t len, cap;
    int oom; /* an append failed: the contents are incomplete */
} kv_buf;

/* One Lua interpreter with its allocator accounting and the state of
 * Redis's math.random (redisLrand48, which Redis keeps for the process's
 * life: a SCRIPT FLUSH does not reset it, and neither does kv_lua_reset). */
typedef struct kv_vm {
    lua_State *L;
    size_t used, limit;
    kv_host *host; /* set while a script runs */
    int resp;      /* protocol of redis.call replies (redis.setresp) */
    int repl;      /* redis.set_repl flags, passed with each redis.call */
    int inuse;     /* a redis.call is in progress */
    int gc_count;  /* runs since the last incremental GC step */
    struct run_args *run; /* the run in progress, for __kv_finish */
    uint32_t rx[3], ra[3], rc;
} kv_vm;

void kv_buf_free(kv_buf *b) {
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

static void buf_add(kv_buf *b, const void *p, size_t n) {
    if (b->oom) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n) cap *= 2;
        char *np = realloc(b->ptr, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->ptr = np;
        b->cap = cap;
    }
    memcpy(b->ptr + b->len, p, n);
    b->len += n;
}

static void buf_str(kv_buf *b, const char *s) { buf_add(b, s, strlen(s)); }

/* `n` in decimal at `out` (room for 20 bytes); returns the length. The
 * hot paths format their numbers with this rather than snprintf. */
static size_t fmt_ll(char *out, long long n) {
    char tmp[20];
    size_t len = 0;
    /* Digits from the unsigned magnitude: -LLONG_MIN overflows. */
    unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
    do {
        tmp[len++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t at = 0;
    if (n < 0) out[at++] = '-';
    while (len) out[at++] = tmp[--len];
    return at;
}

/* A RESP header line: the type byte, a number, CRLF. */
static void buf_head(kv_buf *b, char type, long long n) {
    char tmp[32];
    tmp[0] = type;
    size_t len = 1 + fmt_ll(tmp + 1, n);
    tmp[len++] = '\r';
    tmp[len++] = '\n';
    buf_add(b, tmp, len);
}

/* `d` as C's "%.17g" at `out` (64 bytes); returns the length. A whole
 * number under 1e17 prints as its digits there (no exponent, nothing after
 * the point), so it takes the fast way; -0 and the rest go to snprintf. */
static size_t fmt_g17(char *out, double d) {
    if (d > -1e17 && d < 1e17 && d == floor(d) && !(d == 0 && signbit(d)))
        return fmt_ll(out, (long long)d);
    return (size_t)snprintf(out, 64, "%.17g", d);
}

/* A one-line reply (status, error, big number) with CR and LF made spaces,
 * as Redis's addReply*Safe do. */
static void buf_line(kv_buf *b, char type, const char *s, size_t n) {
    buf_add(b, &type, 1);
    for (size_t i = 0; i < n; i++) {
        char c = (s[i] == '\r' || s[i] == '\n') ? ' ' : s[i];
        buf_add(b, &c, 1);
    }
    buf_add(b, "\r\n", 2);
}

/* A one-line reply from a C string (Redis builds these with sdsnew, so a
 * NUL ends them): trailing CR/LF trimmed, inner ones made spaces. */
static void buf_cline(kv_buf *b, char type, const char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\r' || s[n - 1] == '\n')) n--;
    buf_line(b, type, s, n);
}

static kv_vm *vm_of(lua_State *L) {
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

/* ------------------------------------------------------------------------
 * Memory: every allocation of the interpreter is counted; past the limit
 * an allocation fails and Lua raises "not enough memory", which the script
 * gets as an error (Redis has no such limit; a runaway table would take
 * the whole process down).
 * ---------------------------------------------------------------------- */

static void *kv_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    kv_vm *vm = ud;
    if (nsize == 0) {
        free(ptr);
        vm->used -= osize;
        return NULL;
    }
    /* Only growth may fail: Lua 5.1 assumes shrinking always succeeds. */
    if (nsize > osize && vm->limit && vm->used - osize + nsize > vm->limit) return NULL;
    void *p = realloc(ptr, nsize);
    if (p) vm->used = vm->used - osize + nsize;
    return p;
}

static int kv_panic(lua_State *L) {
    /* Every entry point runs in lua_cpcall, so this is a bug. */
    fprintf(stderr, "kvstore: unprotected Lua error: %s\n", lua_tostring(L, -1));
    abort();
}

/* ------------------------------------------------------------------------
 * redisLrand48 (Redis's rand.c, itself from the drand48 family), so that
 * math.random gives the same sequence as Redis on every platform.
 * ---------------------------------------------------------------------- */

#define RN 16
#define RMASK ((1 << (RN - 1)) + (1 << (RN - 1)) - 1)
#define RLOW(x) ((unsigned)(x) & RMASK)
#define RHIGH(x) RLOW((x) >> RN)
#define RMUL(x, y, z) { int32_t l = (long)(x) * (long)(y); (z)[0] = RLOW(l); (z)[1] = RHIGH(l); }
#define RCARRY(x, y) ((int32_t)(x) + (long)(y) > RMASK)
#define RADDEQU(x, y, z) (z = RCARRY(x, (y)), x = RLOW(x + (y)))
#define REDIS_LRAND48_MAX INT32_MAX

static void rand_seed(kv_vm *vm, int32_t seed) {
    vm->rx[0] = 0x330E;
    vm->rx[1] = RLOW(seed);
    vm->rx[2] = RHIGH(seed);
    vm->ra[0] = 0xE66D;
    vm->ra[1] = 0xDEEC;
    vm->ra[2] = 0x5;
    vm->rc = 0xB;
}

static int32_t rand_next(kv_vm *vm) {
    uint32_t *x = vm->rx, *a = vm->ra;
    uint32_t p[2], q[2], r[2], carry0, carry1;
    RMUL(a[0], x[0], p);
    RADDEQU(p[0], vm->rc, carry0);
    RADDEQU(p[1], carry0, carry1);
    RMUL(a[0], x[1], q);
    RADDEQU(p[1], q[0], carry0);
    RMUL(a[1], x[0], r);
    x[2] = RLOW(carry0 + carry1 + RCARRY(p[1], r[0]) + q[1] + r[1] + a[0] * x[2] + a[1] * x[1] +
                a[2] * x[0]);
    x[1] = RLOW(p[1] + r[0]);
    x[0] = RLOW(p[0]);
    return (((int32_t)x[2] << (RN - 1)) + (x[1] >> 1));
}

static int redis_math_random(lua_State *L) {
    kv_vm *vm = vm_of(L);
    if (!vm->host) return luaL_error(L, "math.random can only be called inside a script invocation");
    lua_Number r = (lua_Number)(rand_next(vm) % REDIS_LRAND48_MAX) / (lua_Number)REDIS_LRAND48_MAX;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, r);
        break;
    case 1: {
        int u = luaL_checkint(L, 1);
        luaL_argcheck(L, 1 <= u, 1, "interval is empty");
        lua_pushnumber(L, floor(r * u) + 1);
        break;
    }
    case 2: {
        int l = luaL_checkint(L, 1);
        int u = luaL_checkint(L, 2);
        luaL_argcheck(L, l <= u, 2, "interval is empty");
        lua_pushnumber(L, floor(r * (u - l + 1)) + l);
        break;
    }
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    return 1;
}

static int redis_math_randomseed(lua_State *L) {
    kv_vm *vm = vm_of(L);
    if (!vm->host) return luaL_error(L, "math.randomseed can only be called inside a script invocation");
    rand_seed(vm, luaL_checkint(L, 1));
    return 0;
}

/* ------------------------------------------------------------------------
 * Error tables: {err='CODE message'}, Redis 7.0's error objects.
 * ---------------------------------------------------------------------- */

/* Pushes the error table for `err` (luaPushErrorBuff): "-CODE msg" keeps
 * its code, anything else gets "ERR "; trailing CR/LF are trimmed. */
static void push_error_len(lua_State *L, const char *err, size_t len) {
    const char *code = "ERR";
    size_t codelen = 3;
    const char *msg = err;
    size_t msglen = len;
    if (len > 0 && err[0] == '-') {
        const char *sp = memchr(err, ' ', len);
        if (!sp) {
            msg = err + 1;
            msglen = len - 1;
        } else {
            code = err + 1;
            codelen = (size_t)(sp - err - 1);
            msg = sp + 1;
            msglen = len - (size_t)(sp + 1 - err);
        }
    }
    /* sdstrim(msg, "\r\n") trims both ends. */
    while (msglen && (msg[0] == '\r' || msg[0] == '\n')) msg++, msglen--;
    while (msglen && (msg[msglen - 1] == '\r' || msg[msglen - 1] == '\n')) msglen--;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, code, codelen);
    luaL_addchar(&b, ' ');
    luaL_addlstring(&b, msg, msglen);
    luaL_pushresult(&b);
    lua_newtable(L);
    lua_pushstring(L, "err");
    lua_pushvalue(L, -3);
    lua_settable(L, -3);
    lua_remove(L, -2);
}

static void push_error(lua_State *L, const char *err) { push_error_len(L, err, strlen(err)); }

/* Marks the error table on top as already counted by the command. */
static void mark_counted(lua_State *L) {
    lua_pushstring(L, "ignore_error_stats_update");
    lua_pushboolean(L, 1);
    lua_settable(L, -3);
}

/* ------------------------------------------------------------------------
 * RESP reply -> Lua value (Redis's redisProtocolToLuaType). The input is
 * the engine's own encoding, but it is still parsed with bounds checks.
 * ---------------------------------------------------------------------- */

typedef struct parser {
    const char *p, *end;
} parser;

/* The header line's payload (between the type byte and CRLF). */
static int parse_line(parser *ps, const char **s, size_t *n) {
    const char *start = ps->p + 1;
    const char *cr = start;
    while (cr + 1 < ps->end && !(cr[0] == '\r' && cr[1] == '\n')) cr++;
    if (cr + 1 >= ps->end) return 0;
    *s = start;
    *n = (size_t)(cr - start);
    ps->p = cr + 2;
    return 1;
}

static long long parse_ll(const char *s, size_t n) {
    char tmp[32];
    if (n >= sizeof(tmp)) n = sizeof(tmp) - 1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return strtoll(tmp, NULL, 10);
}

static void checkstack(lua_State *L, int n) {
    if (!lua_checkstack(L, n)) luaL_error(L, "reached lua stack limit");
}

/* Parses one reply into the Lua value it stands for; a NULL `L` skips it
 * (attributes). Returns 0 on malformed input. */
static int parse_reply(parser *ps, lua_State *L) {
    const char *s;
    size_t n;
    if (ps->p >= ps->end) return 0;
    char type = *ps->p;
    if (!parse_line(ps, &s, &n)) return 0;
    if (L) checkstack(L, 5);
    switch (type) {
    case ':':
        if (L) lua_pushnumber(L, (lua_Number)parse_ll(s, n));
        return 1;
    case '$':
    case '=': {
        long long len = parse_ll(s, n);
        if (len < 0) {
            if (L) lua_pushboolean(L, 0);
            return 1;
        }
        if ((size_t)(ps->end - ps->p) < (size_t)len + 2) return 0;
        const char *str = ps->p;
        ps->p += len + 2;
        if (!L) return 1;
        if (type == '$') {
            lua_pushlstring(L, str, (size_t)len);
        } else {
            if (len < 4) return 0;
            lua_newtable(L);
            lua_pushstring(L, "verbatim_string");
            lua_newtable(L);
            lua_pushstring(L, "string");
            lua_pushlstring(L, str + 4, (size_t)len - 4);
            lua_settable(L, -3);
            lua_pushstring(L, "format");
            lua_pushlstring(L, str, 3);
            lua_settable(L, -3);
            lua_settable(L, -3);
        }
        return 1;
    }
    case '+':
        if (!L) return 1;
        lua_newtable(L);
        lua_pushstring(L, "ok");
        lua_pushlstring(L, s, n);
        lua_settable(L, -3);
        return 1;
    case '-':
        if (!L) return 1;
        {
            /* "-" + the error text, as Redis's callback builds it. */
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            luaL_addchar(&b, '-');
            luaL_addlstring(&b, s, n);
            luaL_pushresult(&b);
            size_t elen;
            const char *e = lua_tolstring(L, -1, &elen);
            push_error_len(L, e, elen);
            lua_remove(L, -2); /* the "-..." string */
            mark_counted(L);
        }
        return 1;
    case '_':
        if (L) lua_pushnil(L);
        return 1;
    case '#':
        if (L) lua_pushboolean(L, n > 0 && s[0] == 't');
        return 1;
    case ',': {
        char tmp[64];
        double d = 0;
        if (n < sizeof(tmp)) {
            memcpy(tmp, s, n);
            tmp[n] = '\0';
            d = strtod(tmp, NULL);
        }
        if (!L) return 1;
        lua_newtable(L);
        lua_pushstring(L, "double");
        lua_pushnumber(L, d);
        lua_settable(L, -3);
        return 1;
    }
    case '(':
        if (!L) return 1;
        lua_newtable(L);
        lua_pushstring(L, "big_number");
        lua_pushlstring(L, s, n);
        lua_settable(L, -3);
        return 1;
    case '*':
    case '>': {
        long long len = parse_ll(s, n);
        if (len < 0) {
            if (L) lua_pushboolean(L, 0);
            return 1;
        }
        if (L) lua_newtable(L);
        for (long long j = 0; j < len; j++) {
            if (L) {
                checkstack(L, 1);
                lua_pushnumber(L, (lua_Number)(j + 1));
            }
            if (!parse_reply(ps, L)) return 0;
            if (L) lua_settable(L, -3);
        }
        return 1;
    }
    case '%':
    case '~': {
        long long len = parse_ll(s, n);
        if (L) {
            lua_newtable(L);
            lua_pushstring(L, type == '%' ? "map" : "set");
            lua_newtable(L);
        }
        for (long long j = 0; j < len; j++) {
            if (!parse_reply(ps, L)) return 0;
            if (type == '%') {
                if (!parse_reply(ps, L)) return 0;
            } else if (L) {
                checkstack(L, 1);
                lua_pushboolean(L, 1);
            }
            if (L) lua_settable(L, -3);
        }
        if (L) lua_settable(L, -3);
        return 1;
    }
    case '|': {
        /* Attributes are not shown to scripts: skip them, then the reply. */
        long long len = parse_ll(s, n);
        for (long long j = 0; j < len * 2; j++)
            if (!parse_reply(ps, NULL)) return 0;
        return parse_reply(ps, L);
    }
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------------
 * Lua value -> RESP3 (Redis's luaReplyToRedisReply). `resp` is the
 * script's protocol (redis.setresp), which decides how booleans go out.
 * Only raw accesses: metamethods never run while a reply is built.
 * ---------------------------------------------------------------------- */

static void reply_value(lua_State *L, kv_buf *out, int resp, int depth);

/* Nesting at which a reply is cut with "reached lua stack limit". Redis
 * cuts only at Lua's stack limit (some 8,000 levels); this is lower so
 * that neither this recursion nor a client's decoder can exhaust a
 * thread's stack. */
#define MAX_REPLY_DEPTH 512

/* The string field `name` of the table on top, as Redis reads err/ok/...:
 * pushes it and returns its type. */
static int raw_field(lua_State *L, const char *name) {
    lua_pushstring(L, name);
    lua_rawget(L, -2);
    return lua_type(L, -1);
}

static void reply_table(lua_State *L, kv_buf *out, int resp, int depth) {
    size_t len;
    const char *s;
    if (raw_field(L, "err") == LUA_TSTRING) {
        buf_cline(out, '-', lua_tostring(L, -1));
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    if (raw_field(L, "ok") == LUA_TSTRING) {
        s = lua_tostring(L, -1);
        buf_line(out, '+', s, strlen(s));
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    if (raw_field(L, "double") == LUA_TNUMBER) {
        char tmp[64];
        double d = lua_tonumber(L, -1);
        if (isinf(d))
            snprintf(tmp, sizeof(tmp), d > 0 ? "inf" : "-inf");
        else if (isnan(d))
            snprintf(tmp, sizeof(tmp), "nan");
        else
            snprintf(tmp, sizeof(tmp), "%.17g", d);
        buf_line(out, ',', tmp, strlen(tmp));
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    if (raw_field(L, "big_number") == LUA_TSTRING) {
        s = lua_tolstring(L, -1, &len);
        buf_line(out, '(', s, len);
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    if (raw_field(L, "verbatim_string") == LUA_TTABLE) {
        if (raw_field(L, "format") == LUA_TSTRING) {
            const char *fmt = lua_tostring(L, -1);
            lua_pushstring(L, "string");
            lua_rawget(L, -3);
            if (lua_type(L, -1) == LUA_TSTRING) {
                char ext[4];
                s = lua_tolstring(L, -1, &len);
                /* addReplyVerbatim: three format bytes, blanks past the end. */
                for (int i = 0; i < 3; i++) ext[i] = *fmt ? *fmt++ : ' ';
                ext[3] = ':';
                buf_head(out, '=', (long long)len + 4);
                buf_add(out, ext, 4);
                buf_add(out, s, len);
                buf_add(out, "\r\n", 2);
                lua_pop(L, 3);
                return;
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    for (int set = 0; set <= 1; set++) {
        if (raw_field(L, set ? "set" : "map") != LUA_TTABLE) {
            lua_pop(L, 1);
            continue;
        }
        /* Count first (raw iteration has no side effects), then emit. */
        long long count = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pop(L, 1);
            count++;
        }
        buf_head(out, set ? '~' : '%', count);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            /* Stack: table, key, value. */
            if (set) lua_pop(L, 1);
            lua_pushvalue(L, set ? -1 : -2);
            reply_value(L, out, resp, depth + 1); /* the key */
            if (!set) reply_value(L, out, resp, depth + 1); /* the value */
        }
        lua_pop(L, 1);
        return;
    }
    /* An array: elements 1, 2, ... up to the first nil. */
    long long count = 0;
    for (;;) {
        lua_rawgeti(L, -1, (int)(count + 1));
        int t = lua_type(L, -1);
        lua_pop(L, 1);
        if (t == LUA_TNIL || count == INT32_MAX) break;
        count++;
    }
    buf_head(out, '*', count);
    for (long long j = 1; j <= count; j++) {
        lua_rawgeti(L, -1, (int)j);
        reply_value(L, out, resp, depth + 1);
    }
}

/* Converts and pops the value on top of the stack. */
static void reply_value(lua_State *L, kv_buf *out, int resp, int depth) {
    if (depth > MAX_REPLY_DEPTH || !lua_checkstack(L, 4)) {
        buf_str(out, "-ERR reached lua stack limit\r\n");
        lua_pop(L, 1);
        return;
    }
    switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        buf_head(out, '$', (long long)len);
        buf_add(out, s, len);
        buf_add(out, "\r\n", 2);
        break;
    }
    case LUA_TBOOLEAN:
        if (resp == 2)
            buf_str(out, lua_toboolean(L, -1) ? ":1\r\n" : "_\r\n");
        else
            buf_str(out, lua_toboolean(L, -1) ? "#t\r\n" : "#f\r\n");
        break;
    case LUA_TNUMBER:
        buf_head(out, ':', (long long)lua_tonumber(L, -1));
        break;
    case LUA_TTABLE:
        reply_table(L, out, resp, depth);
        break;
    default:
        buf_str(out, "_\r\n");
    }
    lua_pop(L, 1);
}

/* ------------------------------------------------------------------------
 * The redis.* library.
 * ---------------------------------------------------------------------- */

#define ARGV_STACK 16

/* redis.call / redis.pcall (luaRedisGenericCommand). */
static int redis_generic_command(lua_State *L, int raise_error) {
    kv_vm *vm = vm_of(L);
    if (!vm->host) {
        push_error(L, "redis.call/pcall can only be called inside a script invocation");
        return lua_error(L);
    }
    int argc = lua_gettop(L);
    if (argc == 0) {
        push_error(L, "Please specify at least one argument for this redis lib call");
        return raise_error ? lua_error(L) : 1;
    }
    /* Numbers become strings with %.17g (lua_tolstring would lose
     * precision); the converted strings replace them on the stack, which
     * keeps every argument alive until the command returns. */
    int j;
    for (j = 1; j <= argc; j++) {
        int t = lua_type(L, j);
        if (t == LUA_TNUMBER) {
            char dbuf[64];
            size_t dlen = fmt_g17(dbuf, (double)lua_tonumber(L, j));
            lua_pushlstring(L, dbuf, dlen);
            lua_replace(L, j);
        } else if (t != LUA_TSTRING) {
            break;
        }
    }
    if (j <= argc) {
        lua_settop(L, 0);
        push_error(L, "Lua redis lib command arguments must be strings or integers");
        return raise_error ? lua_error(L) : 1;
    }
    if (vm->inuse) {
        push_error(L, "luaRedisGenericCommand() recursive call detected. "
                      "Are you doing funny stuff with Lua debug hooks?");
        return 1;
    }
    const char *argv_s[ARGV_STACK];
    size_t lens_s[ARGV_STACK];
    const char **argv = argv_s;
    size_t *lens = lens_s;
    if (argc > ARGV_STACK) {
        argv = malloc(sizeof(*argv) * (size_t)argc);
        lens = malloc(sizeof(*lens) * (size_t)argc);
        if (!argv || !lens) {
            free(argv);
            free(lens);
            return luaL_error(L, "not enough memory");
        }
    }
    for (j = 0; j < argc; j++) argv[j] = lua_tolstring(L, j + 1, &lens[j]);
    const char *reply = NULL;
    size_t reply_len = 0;
    vm->inuse = 1;
    vm->host->call(vm->host->ctx, argc, argv, lens, vm->resp, vm->repl, &reply, &reply_len);
    vm->inuse = 0;
    if (argv != argv_s) {
        free(argv);
        free(lens);
    }
    lua_settop(L, 0);
    parser ps = {reply, reply + reply_len};
    if (!parse_reply(&ps, L)) {
        lua_settop(L, 0);
        push_error(L, "malformed reply from the engine");
        return lua_error(L);
    }
    if (raise_error && reply_len && reply[0] == '-') return lua_error(L);
    return 1;
}

static int redis_call(lua_State *L) { return redis_generic_command(L, 1); }
static int redis_pcall(lua_State *L) { return redis_generic_command(L, 0); }

/* The global pcall: Redis 7.0's error objects are tables, so a caught
 * error becomes its message string, as older versions gave it. */
static int lua_redis_pcall(lua_State *L) {
    int argc = lua_gettop(L);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    if (lua_pcall(L, argc - 1, LUA_MULTRET, 0)) {
        lua_remove(L, 1);
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "err");
            if (lua_isstring(L, -1))
                lua_replace(L, -2);
            else
                lua_pop(L, 1);
        }
        lua_pushboolean(L, 0);
        lua_insert(L, 1);
    }
    return lua_gettop(L);
}

static int redis_sha1hex(lua_State *L) {
    if (lua_gettop(L) != 1) {
        push_error(L, "wrong number of arguments");
        return lua_error(L);
    }
    kv_vm *vm = vm_of(L);
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    char digest[41];
    if (!vm->host) return luaL_error(L, "redis.sha1hex can only be called inside a script invocation");
    vm->host->sha1hex(s ? s : "", s ? len : 0, digest);
    digest[40] = '\0';
    lua_pushstring(L, digest);
    return 1;
}

static int redis_error_reply(lua_State *L) {
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
        push_error(L, "wrong number or type of arguments");
        return 1;
    }
    size_t len;
    const char *err = lua_tolstring(L, -1, &len);
    if (err[0] != '-') {
        lua_pushstring(L, "-");
        lua_pushvalue(L, 1);
        lua_concat(L, 2);
        err = lua_tolstring(L, -1, &len);
    }
    push_error(L, err); /* up to a NUL, as Redis's sdsnew */
    return 1;
}

static int redis_status_reply(lua_State *L) {
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
        push_error(L, "wrong number or type of arguments");
        return 1;
    }
    lua_newtable(L);
    lua_pushstring(L, "ok");
    lua_pushvalue(L, -3);
    lua_settable(L, -3);
    return 1;
}

#define PROPAGATE_AOF 1
#define PROPAGATE_REPL 2

static int redis_set_repl(lua_State *L) {
    kv_vm *vm = vm_of(L);
    if (!vm->host) {
        push_error(L, "redis.set_repl can only be called inside a script invocation");
        return lua_error(L);
    }
    if (lua_gettop(L) != 1) {
        push_error(L, "redis.set_repl() requires two arguments.");
        return lua_error(L);
    }
    int flags = (int)lua_tonumber(L, -1);
    if ((flags & ~(PROPAGATE_AOF | PROPAGATE_REPL)) != 0) {
        push_error(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
        return lua_error(L);
    }
    vm->repl = flags;
    return 0;
}

#define LL_DEBUG 0
#define LL_WARNING 3

/* redis.log: checked as Redis does; the engine has no server log, so the
 * message goes nowhere. */
static int redis_log(lua_State *L) {
    int argc = lua_gettop(L);
    if (argc < 2) {
        push_error(L, "redis.log() requires two arguments or more.");
        return lua_error(L);
    } else if (!lua_isnumber(L, -argc)) {
        push_error(L, "First argument must be a number (log level).");
        return lua_error(L);
    }
    int level = (int)lua_tonumber(L, -argc);
    if (level < LL_DEBUG || level > LL_WARNING) {
        push_error(L, "Invalid debug level.");
        return lua_error(L);
    }
    return 0;
}

static int redis_setresp(lua_State *L) {
    kv_vm *vm = vm_of(L);
    if (!vm->host) {
        push_error(L, "redis.setresp can only be called inside a script invocation");
        return lua_error(L);
    }
    if (lua_gettop(L) != 1) {
        push_error(L, "redis.setresp() requires one argument.");
        return lua_error(L);
    }
    int resp = (int)lua_tonumber(L, -1);
    if (resp != 2 && resp != 3) {
        push_error(L, "RESP version must be 2 or 3.");
        return lua_error(L);
    }
    vm->resp = resp;
    return 0;
}

/* redis.breakpoint, outside the debugger (which kvstore does not have). */
static int redis_breakpoint(lua_State *L) {
    lua_pushboolean(L, 0);
    return 1;
}

/* redis.debug, outside the debugger: nothing. */
static int redis_debug(lua_State *L) {
    (void)L;
    return 0;
}

/* redis.replicate_commands: deprecated in 7.0, always true. */
static int redis_replicate_commands(lua_State *L) {
    lua_pushboolean(L, 1);
    return 1;
}

static int acl_check_cmd(lua_State *L);
static int finish(lua_State *L);

static void set_fn(lua_State *L, const char *name, lua_CFunction f) {
    lua_pushstring(L, name);
    lua_pushcfunction(L, f);
    lua_settable(L, -3);
}

static void set_num(lua_State *L, const char *name, lua_Number n) {
    lua_pushstring(L, name);
    lua_pushnumber(L, n);
    lua_settable(L, -3);
}

/* ------------------------------------------------------------------------
 * The sandbox: allow-listed globals, readonly tables.
 * ---------------------------------------------------------------------- */

static const char *const allow_list[] = {
    /* libraries */
    "string", "cjson", "bit", "cmsgpack", "math", "table", "struct",
    /* the Redis API */
    "redis", "__redis__err__handler",
    /* builtins (newproxy, setfenv and getfenv are left out: the installed
     * 7.0.15 drops them unless lua-enable-deprecated-api, off by default) */
    "xpcall", "tostring", "setmetatable", "next", "assert", "tonumber", "rawequal",
    "collectgarbage", "getmetatable", "rawset", "pcall", "coroutine", "type", "_G", "select",
    "unpack", "gcinfo", "pairs", "rawget", "loadstring", "ipairs", "_VERSION", "load", "error",
    /* removed after initialization */
    "debug", NULL};

/* __index of the global table: a missing global is an error. */
static int protected_table_error(lua_State *L) {
    if (lua_gettop(L) != 2) luaL_error(L, "Wrong number of arguments to luaProtectedTableError");
    if (!lua_isstring(L, -1) && !lua_isnumber(L, -1))
        luaL_error(L, "Second argument to luaProtectedTableError must be a string or number");
    const char *name = lua_tostring(L, -1);
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'", name);
}

/* __newindex of the global table while the libraries load: only names on
 * the allow list are kept (newproxy, dofile, loadfile, print are dropped). */
static int new_index_allow_list(lua_State *L) {
    if (lua_gettop(L) != 3) luaL_error(L, "Wrong number of arguments to luaNewIndexAllowList");
    if (!lua_istable(L, -3)) luaL_error(L, "first argument to luaNewIndexAllowList must be a table");
    if (!lua_isstring(L, -2) && !lua_isnumber(L, -2))
        luaL_error(L, "Second argument to luaNewIndexAllowList must be a string or number");
    const char *name = lua_tostring(L, -2);
    for (const char *const *c = allow_list; *c; c++) {
        if (strcmp(*c, name) == 0) {
            lua_rawset(L, -3);
            break;
        }
    }
    return 0;
}

static void set_metamethod(lua_State *L, const char *event, lua_CFunction f) {
    lua_newtable(L);
    lua_pushcfunction(L, f);
    lua_setfield(L, -2, event);
    lua_setmetatable(L, -2);
}

/* Marks the table on top readonly, and every table reachable from it and
 * their metatables. */
static void protect_recursively(lua_State *L) {
    if (lua_isreadonlytable(L, -1)) return;
    lua_enablereadonlytable(L, -1, 1);
    checkstack(L, 2);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_istable(L, -1)) protect_recursively(L);
        lua_pop(L, 1);
    }
    if (lua_getmetatable(L, -1)) {
        protect_recursively(L);
        lua_pop(L, 1);
    }
}

/* The metatables of basic types (the string library's) are readonly too. */
static void protect_basic_types(lua_State *L) {
    for (int i = 0; i < 7; i++) {
        switch (i) {
        case 0: lua_pushstring(L, ""); break;
        case 1: lua_pushnumber(L, 0); break;
        case 2: lua_pushboolean(L, 0); break;
        case 3: lua_pushnil(L); break;
        case 4: lua_pushcfunction(L, redis_debug); break;
        case 5: lua_newthread(L); break;
        default: lua_pushlightuserdata(L, (void *)L); break;
        }
        if (lua_getmetatable(L, -1)) {
            protect_recursively(L);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
}

static void load_lib(lua_State *L, const char *name, lua_CFunction f) {
    lua_pushcfunction(L, f);
    lua_pushstring(L, name);
    lua_call(L, 1, 0);
}

/* The error handler every script runs under (eval.c's): it records where
 * the error happened (the caller, when the error came from a C function
 * such as redis.call) and turns string errors into error tables. */
static const char err_handler[] =
    "local dbg = debug\n"
    "debug = nil\n"
    "function __redis__err__handler(err)\n"
    "  local i = dbg.getinfo(2,'nSl')\n"
    "  if i and i.what == 'C' then\n"
    "    i = dbg.getinfo(3,'nSl')\n"
    "  end\n"
    "  if type(err) ~= 'table' then\n"
    "    err = {err='ERR ' .. tostring(err)}"
    "  end"
    "  if i then\n"
    "    err['source'] = i.source\n"
    "    err['line'] = i.currentline\n"
    "  end"
    "  return err\n"
    "end\n";

static int setup(lua_State *L) {
    /* luaRegisterRedisAPI */
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    set_metamethod(L, "__newindex", new_index_allow_list);
    lua_pop(L, 1);

    load_lib(L, "", luaopen_base);
    load_lib(L, LUA_TABLIBNAME, luaopen_table);
    load_lib(L, LUA_STRLIBNAME, luaopen_string);
    load_lib(L, LUA_MATHLIBNAME, luaopen_math);
    load_lib(L, LUA_DBLIBNAME, luaopen_debug);
    load_lib(L, "cjson", luaopen_cjson);
    load_lib(L, "struct", luaopen_struct);
    load_lib(L, "cmsgpack", luaopen_cmsgpack);
    load_lib(L, "bit", luaopen_bit);

    lua_pushcfunction(L, lua_redis_pcall);
    lua_setglobal(L, "pcall");

    lua_newtable(L);
    set_fn(L, "call", redis_call);
    set_fn(L, "pcall", redis_pcall);
    set_fn(L, "log", redis_log);
    set_num(L, "LOG_DEBUG", 0);
    set_num(L, "LOG_VERBOSE", 1);
    set_num(L, "LOG_NOTICE", 2);
    set_num(L, "LOG_WARNING", 3);
    set_num(L, "REDIS_VERSION_NUM", 0x00070000 + (0 << 8) + 15);
    lua_pushstring(L, "REDIS_VERSION");
    lua_pushstring(L, "7.0.15");
    lua_settable(L, -3);
    set_fn(L, "setresp", redis_setresp);
    set_fn(L, "sha1hex", redis_sha1hex);
    set_fn(L, "error_reply", redis_error_reply);
    set_fn(L, "status_reply", redis_status_reply);
    set_fn(L, "set_repl", redis_set_repl);
    set_num(L, "REPL_NONE", 0);
    set_num(L, "REPL_AOF", PROPAGATE_AOF);
    set_num(L, "REPL_SLAVE", PROPAGATE_REPL);
    set_num(L, "REPL_REPLICA", PROPAGATE_REPL);
    set_num(L, "REPL_ALL", PROPAGATE_AOF | PROPAGATE_REPL);
    set_fn(L, "acl_check_cmd", acl_check_cmd);
    set_fn(L, "breakpoint", redis_breakpoint);
    set_fn(L, "debug", redis_debug);
    set_fn(L, "replicate_commands", redis_replicate_commands);
    lua_setglobal(L, "redis");

    lua_getglobal(L, "math");
    set_fn(L, "random", redis_math_random);
    set_fn(L, "randomseed", redis_math_randomseed);
    lua_pop(L, 1);

    lua_pushcfunction(L, finish);
    lua_setfield(L, LUA_REGISTRYINDEX, "__kv_finish");

    if (luaL_loadbuffer(L, err_handler, sizeof(err_handler) - 1, "@err_handler_def"))
        return lua_error(L);
    lua_call(L, 0, 0);

    /* Lock the global table: missing names are errors, and it and every
     * table reachable from it are readonly. */
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    set_metamethod(L, "__index", protected_table_error);
    protect_recursively(L);
    lua_pop(L, 1);
    protect_basic_types(L);
    return 0;
}

/* redis.acl_check_cmd: kvstore has no ACL users, so every known command
 * is permitted. */
static int acl_check_cmd(lua_State *L) {
    kv_vm *vm = vm_of(L);
    if (!vm->host) {
        push_error(L, "redis.acl_check_cmd can only be called inside a script invocation");
        return lua_error(L);
    }
    int argc = lua_gettop(L);
    if (argc == 0) {
        push_error(L, "Please specify at least one argument for this redis lib call");
        return lua_error(L);
    }
    const char *argv[2] = {NULL, NULL};
    size_t lens[2] = {0, 0};
    for (int j = 0; j < argc; j++) {
        if (!lua_isstring(L, j + 1)) {
            push_error(L, "Lua redis lib command arguments must be strings or integers");
            return lua_error(L);
        }
        if (j < 2) argv[j] = lua_tolstring(L, j + 1, &lens[j]);
    }
    if (!vm->host->known(argc < 2 ? argc : 2, argv, lens)) {
        push_error(L, "Invalid command passed to redis.acl_check_cmd()");
        return lua_error(L);
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* ------------------------------------------------------------------------
 * Entry points.
 * ---------------------------------------------------------------------- */

static int open_state(kv_vm *vm) {
    vm->L = lua_newstate(kv_alloc, vm);
    if (!vm->L) return 0;
    lua_atpanic(vm->L, kv_panic);
    if (lua_cpcall(vm->L, setup, NULL)) {
        lua_close(vm->L);
        vm->L = NULL;
        return 0;
    }
    return 1;
}

/* A new interpreter with Redis's environment; `limit` caps its memory in
 * bytes (0: none). NULL when it cannot be built. */
kv_vm *kv_lua_new(size_t limit) {
    kv_vm *vm = calloc(1, sizeof(*vm));
    if (!vm) return NULL;
    vm->limit = limit;
    vm->resp = 2;
    rand_seed(vm, 0);
    /* drand48's initial state, where Redis's rand.c starts. */
    vm->rx[0] = 0x330E;
    vm->rx[1] = 0xABCD;
    vm->rx[2] = 0x1234;
    if (!open_state(vm)) {
        free(vm);
        return NULL;
    }
    return vm;
}

void kv_lua_free(kv_vm *vm) {
    if (!vm) return;
    if (vm->L) lua_close(vm->L);
    free(vm);
}

/* SCRIPT FLUSH: a fresh interpreter (scriptingReset); math.random's state
 * carries over, as in Redis. Returns 0 when the new one cannot be built
 * (the VM is then unusable until a later reset succeeds). */
int kv_lua_reset(kv_vm *vm) {
    if (vm->L) {
        lua_close(vm->L);
        vm->L = NULL;
    }
    vm->used = 0;
    return open_state(vm);
}

void kv_lua_set_limit(kv_vm *vm, size_t limit) { vm->limit = limit; }

size_t kv_lua_memory(const kv_vm *vm) { return vm->used; }

typedef struct define_args {
    const char *name;
    const char *body;
    size_t len;
    kv_buf *err;
} define_args;

static int define_protected(lua_State *L) {
    define_args *a = lua_touserdata(L, 1);
    if (luaL_loadbuffer(L, a->body, a->len, "@user_script")) {
        size_t n;
        const char *msg = lua_tolstring(L, -1, &n);
        if (!msg) msg = "", n = 0;
        buf_add(a->err, msg, n);
        return 0;
    }
    lua_setfield(L, LUA_REGISTRYINDEX, a->name);
    return 0;
}

/* Compiles `body` (the shebang line already blanked out) as the function
 * `name` (f_<sha>). Returns 1, or 0 with the compiler's message in `err`. */
int kv_lua_define(kv_vm *vm, const char *name, const char *body, size_t len, kv_buf *err) {
    if (!vm->L) {
        buf_str(err, "not enough memory");
        return 0;
    }
    define_args a = {name, body, len, err};
    if (lua_cpcall(vm->L, define_protected, &a)) {
        buf_add(err, "not enough memory", 17);
        lua_pop(vm->L, 1);
        return 0;
    }
    return err->len == 0 && !err->oom;
}

typedef struct run_args {
    kv_vm *vm;
    const char *name; /* f_<sha> */
    int nkeys;
    const char *const *keys;
    const size_t *klens;
    int nargs;
    const char *const *args;
    const size_t *alens;
    kv_buf *out;
} run_args;

static void count_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    kv_vm *vm = vm_of(L);
    if (vm->host && vm->host->interrupt(vm->host->ctx)) {
        /* Fire on every line from now on, so that a pcall catching the
         * error cannot keep the script alive. */
        lua_sethook(L, count_hook, LUA_MASKLINE, 0);
        push_error(L, "Script killed by user with SCRIPT KILL...");
        lua_error(L);
    }
}

static void set_global_array(lua_State *L, const char *name, int n, const char *const *v,
                             const size_t *lens) {
    lua_newtable(L);
    for (int j = 0; j < n; j++) {
        lua_pushlstring(L, v[j], lens[j]);
        lua_rawseti(L, -2, j + 1);
    }
    lua_enablereadonlytable(L, LUA_GLOBALSINDEX, 0);
    lua_setglobal(L, name);
    lua_enablereadonlytable(L, LUA_GLOBALSINDEX, 1);
}

/* The field `name` of the error table on top as a string, or NULL. */
static const char *err_field(lua_State *L, const char *name) {
    lua_getfield(L, -1, name);
    const char *s = lua_isstring(L, -1) ? lua_tostring(L, -1) : NULL;
    lua_pop(L, 1); /* the table still anchors the string */
    return s;
}

/* KEYS and ARGV, protected (they allocate). */
static int prepare(lua_State *L) {
    run_args *a = lua_touserdata(L, 1);
    set_global_array(L, "KEYS", a->nkeys, a->keys, a->klens);
    set_global_array(L, "ARGV", a->nargs, a->args, a->alens);
    return 0;
}

/* __kv_finish(value, failed): the script's reply, or its error reply
 * built from the handler's error table, into the run's output. A
 * registry closure rather than lua_cpcall, so that it can take the value
 * as its argument. */
static int finish(lua_State *L) {
    run_args *a = vm_of(L)->run;
    int failed = lua_toboolean(L, 2);
    lua_settop(L, 1);
    const char *sha = a->name + 2;
    if (!failed) {
        reply_value(L, a->out, a->vm->resp, 0);
        return 0;
    }
    if (!lua_istable(L, -1)) {
        /* Not from the handler: out of memory, or an error inside it. */
        const char *msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "execution failure";
        char tmp[256];
        snprintf(tmp, sizeof(tmp), "ERR Error running script %s, %.100s", sha, msg);
        buf_cline(a->out, '-', tmp);
        return 0;
    }
    /* {err=..., source=..., line=...}: "<err> script: <sha>, on <source>:<line>." */
    const char *msg = err_field(L, "err");
    const char *source = err_field(L, "source");
    const char *line = err_field(L, "line");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    /* An error table without `err` (error({})) crashes Redis 7.0.15;
     * later versions report it as below. */
    luaL_addstring(&b, msg ? msg : "ERR unknown error");
    if (line && source) {
        luaL_addstring(&b, " script: ");
        luaL_addstring(&b, sha);
        luaL_addstring(&b, ", on ");
        luaL_addstring(&b, source);
        luaL_addchar(&b, ':');
        luaL_addstring(&b, line);
        luaL_addchar(&b, '.');
    }
    luaL_pushresult(&b);
    const char *s = lua_tostring(L, -1);
    buf_line(a->out, '-', s, strlen(s));
    return 0;
}

/* An error outside the script itself (building KEYS/ARGV or the reply:
 * out of memory, or a metamethod of an error table) replaces the output. */
static void run_failed(kv_vm *vm, const char *name, kv_buf *out) {
    const char *msg = lua_isstring(vm->L, -1) ? lua_tostring(vm->L, -1) : "execution failure";
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "ERR Error running script %s, %.100s", name + 2, msg);
    out->len = 0;
    out->oom = 0;
    buf_cline(out, '-', tmp);
}

/* Runs the defined function `name` with KEYS and ARGV; the reply (or the
 * error reply) goes to `out` as RESP3. A nonzero `threshold` installs the
 * count hook that calls host->interrupt. */
void kv_lua_run(kv_vm *vm, kv_host *host, const char *name, int nkeys, const char *const *keys,
                const size_t *klens, int nargs, const char *const *args, const size_t *alens,
                int threshold, kv_buf *out) {
    lua_State *L = vm->L;
    if (!L) {
        buf_str(out, "-ERR Error running script, not enough memory\r\n");
        return;
    }
    run_args a = {vm, name, nkeys, keys, klens, nargs, args, alens, out};
    vm->host = host;
    vm->run = &a;
    vm->resp = 2;
    vm->repl = PROPAGATE_AOF | PROPAGATE_REPL;
    vm->inuse = 0;
    lua_settop(L, 0);
    if (lua_cpcall(L, prepare, &a)) {
        run_failed(vm, name, out);
    } else {
        /* The script is called straight from here, as Redis calls it (a
         * lua_cpcall around it would cost scripts one level of C calls).
         * Nothing before the pcall allocates: both names are interned
         * strings already (registry and global keys). */
        lua_getglobal(L, "__redis__err__handler");
        lua_getfield(L, LUA_REGISTRYINDEX, name);
        if (threshold) lua_sethook(L, count_hook, LUA_MASKCOUNT, 100000);
        int err = lua_pcall(L, 0, 1, -2);
        lua_sethook(L, NULL, 0, 0);
        lua_getfield(L, LUA_REGISTRYINDEX, "__kv_finish");
        lua_insert(L, -2);
        lua_pushboolean(L, err != 0);
        if (lua_pcall(L, 2, 0, 0)) run_failed(vm, name, out);
    }
    lua_settop(L, 0);
    vm->host = NULL;
    vm->run = NULL;
    if (vm->limit && vm->used > vm->limit / 2) {
        /* A script that ran out of memory leaves its garbage behind:
         * collect it now rather than fail the next script. */
        lua_gc(L, LUA_GCCOLLECT, 0);
        vm->gc_count = 0;
    } else if (++vm->gc_count == 50) {
        /* Redis's LUA_GC_CYCLE_PERIOD: a GC step every 50 scripts avoids
         * full cycles at unpredictable moments. */
        lua_gc(L, LUA_GCSTEP, 50);
        vm->gc_count = 0;
    }
}
