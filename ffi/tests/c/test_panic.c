/*
 * test_panic.c: a panic inside any exported function comes back as
 * KVSTORE_ERR_PANIC (or the function's documented default: NULL, 0, a
 * no-op), never as an abort or an unwind into C; outputs stay untouched,
 * nothing leaks (under LeakSanitizer), and the handle stays usable.
 *
 * The panics are forced through the test-only hook of debug builds,
 * kvstore_test_panic_next, which is not part of kvstore.h. (tests/c.rs
 * checks that every function of kvstore.h appears here.)
 */
#include <stdarg.h>

#include "check.h"

/* Test-only (debug builds): 1 panics at the entry of the next exported
 * call, 2 while the next reply tree is built; 0 disarms. */
void kvstore_test_panic_next(int stage);

#define AT_ENTRY 1
#define IN_REPLY 2

static kvstore *db;

static kvstore_result vcommand(kvstore *d, kvstore_reply **out, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    kvstore_result rc = kvstore_vcommand(d, out, format, ap);
    va_end(ap);
    return rc;
}

/* Arms a panic at the entry of the next call. */
static void arm(void) { kvstore_test_panic_next(AT_ENTRY); }

static void infallible_functions(kvstore_reply *r) {
    arm();
    CHECK(kvstore_libversion() == NULL);
    arm();
    CHECK(kvstore_errmsg() == NULL);
    arm();
    CHECK(kvstore_errstr(KVSTORE_OK) == NULL);
    CHECK_MSG("kvstore_errstr: panicked: forced panic at Entry");

    size_t len = 5;
    arm();
    CHECK(kvstore_reply_type(r) == 0);
    arm();
    CHECK(kvstore_reply_integer(r) == 0);
    arm();
    CHECK(kvstore_reply_double(r) == 0.0);
    arm();
    CHECK(kvstore_reply_str(r, &len) == NULL);
    CHECK(len == 5);
    arm();
    CHECK(kvstore_reply_vtype(r) == NULL);
    arm();
    CHECK(kvstore_reply_len(r) == 0);
    arm();
    CHECK(kvstore_reply_element(r, 0) == NULL);
}

static void freeing_functions(void) {
    /* A panicking free frees nothing: each object is freed again after. */
    kvstore_reply *r = NULL;
    CHECK_RC(kvstore_command(db, &r, "PING"), KVSTORE_OK);
    arm();
    kvstore_reply_free(r);
    CHECK_MSG("kvstore_reply_free: panicked");
    CHECK_STR(r, "PONG");
    kvstore_reply_free(r);

    uint8_t *v = NULL;
    size_t vlen = 0;
    CHECK_RC(kvstore_set(db, K("k"), K("v")), KVSTORE_OK);
    CHECK_RC(kvstore_get(db, K("k"), &v, &vlen), KVSTORE_OK);
    arm();
    kvstore_free(v);
    CHECK_MSG("kvstore_free: panicked");
    kvstore_free(v);

    kvstore *other = NULL;
    CHECK_RC(kvstore_open(NULL, NULL, &other), KVSTORE_OK);
    arm();
    kvstore_close(other);
    CHECK_MSG("kvstore_close: panicked");
    kvstore_close(other);

    kvstore_subscriber *sub = NULL;
    CHECK_RC(kvstore_subscriber_new(db, &sub), KVSTORE_OK);
    CHECK_RC(kvstore_subscribe(sub, K("c")), KVSTORE_OK);
    arm();
    kvstore_subscriber_free(sub);
    CHECK_MSG("kvstore_subscriber_free: panicked");
    /* Still subscribed, still readable. */
    CHECK_RC(kvstore_subscriber_next(sub, 0, &r), KVSTORE_OK);
    kvstore_reply_free(r);
    kvstore_subscriber_free(sub);
}

/* The listener and subscriber calls: a panic at entry starts, subscribes
 * and takes nothing; the objects work afterwards. */
static void listen_and_subscriber_functions(void) {
    uint64_t id = 77;
    char *bound = (char *)0x1;
    arm();
    CHECK_RC(kvstore_listen(db, "127.0.0.1:0", &id, &bound), KVSTORE_ERR_PANIC);
    CHECK_MSG("kvstore_listen: panicked: forced panic at Entry");
    CHECK(id == 77 && bound == (char *)0x1);
    CHECK_RC(kvstore_listen(db, "127.0.0.1:0", &id, NULL), KVSTORE_OK);
    arm();
    CHECK_RC(kvstore_unlisten(db, id), KVSTORE_ERR_PANIC);
    CHECK_RC(kvstore_unlisten(db, id), KVSTORE_OK);

    kvstore_subscriber *sub = (kvstore_subscriber *)0x1;
    arm();
    CHECK_RC(kvstore_subscriber_new(db, &sub), KVSTORE_ERR_PANIC);
    CHECK(sub == (kvstore_subscriber *)0x1);
    CHECK_RC(kvstore_subscriber_new(db, &sub), KVSTORE_OK);
    arm();
    CHECK_RC(kvstore_subscribe(sub, K("c")), KVSTORE_ERR_PANIC);
    arm();
    CHECK_RC(kvstore_psubscribe(sub, K("c*")), KVSTORE_ERR_PANIC);
    CHECK_RC(kvstore_subscribe(sub, K("c")), KVSTORE_OK);
    CHECK_RC(kvstore_psubscribe(sub, K("c*")), KVSTORE_OK);
    arm();
    CHECK_RC(kvstore_unsubscribe(sub, K("c")), KVSTORE_ERR_PANIC);
    arm();
    CHECK_RC(kvstore_punsubscribe(sub, K("c*")), KVSTORE_ERR_PANIC);
    arm();
    CHECK_RC(kvstore_subscriber_interrupt(sub), KVSTORE_ERR_PANIC);
    kvstore_reply *r = (kvstore_reply *)0x1;
    arm();
    CHECK_RC(kvstore_subscriber_next(sub, 0, &r), KVSTORE_ERR_PANIC);
    CHECK(r == (kvstore_reply *)0x1);
    /* Only the two subscriptions that ran are confirmed, none was taken,
     * and no interrupt is pending. */
    for (int i = 0; i < 2; i++) {
        CHECK_RC(kvstore_subscriber_next(sub, 0, &r), KVSTORE_OK);
        CHECK(kvstore_reply_integer(kvstore_reply_element(r, 2)) == i + 1);
        kvstore_reply_free(r);
    }
    CHECK_RC(kvstore_subscriber_next(sub, 0, &r), KVSTORE_TIMEOUT);
    kvstore_subscriber_free(sub);
}

static void fallible_functions(void) {
    kvstore_options opts;
    kvstore *out = (kvstore *)0x1;
    kvstore_reply *r = (kvstore_reply *)0x1;
    uint8_t *v = (uint8_t *)0x1;
    size_t vlen = 3;
    bool b = false;
    int64_t n = 0;
    const char *argv[] = {"PING"};

    arm();
    CHECK_RC(kvstore_options_init(&opts), KVSTORE_ERR_PANIC);
    CHECK_MSG("kvstore_options_init: panicked: forced panic at Entry");
    arm();
    CHECK_RC(kvstore_open(NULL, NULL, &out), KVSTORE_ERR_PANIC);
    CHECK(out == (kvstore *)0x1);
    arm();
    CHECK_RC(kvstore_command_argv(db, 1, argv, NULL, &r), KVSTORE_ERR_PANIC);
    arm();
    CHECK_RC(kvstore_command(db, &r, "SET %s %d", "k", 1), KVSTORE_ERR_PANIC);
    CHECK_MSG("kvstore_command: panicked");
    arm();
    CHECK_RC(vcommand(db, &r, "SET %s %d", "k", 1), KVSTORE_ERR_PANIC);
    CHECK(r == (kvstore_reply *)0x1);

    arm();
    CHECK_RC(kvstore_get(db, K("k"), &v, &vlen), KVSTORE_ERR_PANIC);
    CHECK(v == (uint8_t *)0x1 && vlen == 3);
    arm();
    CHECK_RC(kvstore_set(db, K("k"), K("v")), KVSTORE_ERR_PANIC);
    arm();
    CHECK_RC(kvstore_del(db, K("k"), &b), KVSTORE_ERR_PANIC);
    arm();
    CHECK_RC(kvstore_exists(db, K("k"), &b), KVSTORE_ERR_PANIC);
    arm();
    CHECK_RC(kvstore_incrby(db, K("n"), 1, &n), KVSTORE_ERR_PANIC);
    arm();
    CHECK_RC(kvstore_expire(db, K("k"), 1, &b), KVSTORE_ERR_PANIC);
    arm();
    CHECK_RC(kvstore_hset(db, K("h"), K("f"), K("v"), &b), KVSTORE_ERR_PANIC);
    arm();
    CHECK_RC(kvstore_hget(db, K("h"), K("f"), &v, &vlen), KVSTORE_ERR_PANIC);
    arm();
    CHECK_RC(kvstore_hdel(db, K("h"), K("f"), &b), KVSTORE_ERR_PANIC);
    arm();
    CHECK_RC(kvstore_hgetall(db, K("h"), &r), KVSTORE_ERR_PANIC);
    arm();
    CHECK_RC(kvstore_lpush(db, K("l"), K("v"), &n), KVSTORE_ERR_PANIC);
    arm();
    CHECK_RC(kvstore_rpop(db, K("l"), &v, &vlen), KVSTORE_ERR_PANIC);
    arm();
    CHECK_RC(kvstore_sadd(db, K("s"), K("m"), &b), KVSTORE_ERR_PANIC);
    arm();
    CHECK_RC(kvstore_zadd(db, K("z"), 1.0, K("m"), &b), KVSTORE_ERR_PANIC);
    CHECK(v == (uint8_t *)0x1 && vlen == 3 && r == (kvstore_reply *)0x1);
}

/* A panic after the command ran, while its reply tree is built: the call
 * fails cleanly (the half-built tree is freed) and the write stays done. */
static void panic_while_building_replies(void) {
    kvstore_reply *r = (kvstore_reply *)0x1;
    const char *argv[] = {"RPUSH", "pl", "a", "b"};
    kvstore_test_panic_next(IN_REPLY);
    CHECK_RC(kvstore_command_argv(db, 4, argv, NULL, &r), KVSTORE_ERR_PANIC);
    CHECK_MSG("kvstore_command_argv: panicked: forced panic at Reply");
    kvstore_test_panic_next(IN_REPLY);
    CHECK_RC(kvstore_command(db, &r, "LRANGE pl %d %d", 0, -1), KVSTORE_ERR_PANIC);
    CHECK_RC(kvstore_hset(db, K("ph"), K("f"), K("v"), NULL), KVSTORE_OK);
    kvstore_test_panic_next(IN_REPLY);
    CHECK_RC(kvstore_hgetall(db, K("ph"), &r), KVSTORE_ERR_PANIC);
    CHECK(r == (kvstore_reply *)0x1);
    CHECK_RC(kvstore_command(db, &r, "LLEN pl"), KVSTORE_OK);
    CHECK(kvstore_reply_integer(r) == 2);
    kvstore_reply_free(r);
}

int main(void) {
    CHECK_RC(kvstore_open(NULL, NULL, &db), KVSTORE_OK);
    kvstore_reply *r = NULL;
    CHECK_RC(kvstore_command(db, &r, "PING"), KVSTORE_OK);
    infallible_functions(r);
    kvstore_reply_free(r);
    freeing_functions();
    fallible_functions();
    listen_and_subscriber_functions();
    panic_while_building_replies();

    /* The handle still works, and nothing ran while the hook fired. */
    bool exists = true;
    CHECK_RC(kvstore_exists(db, K("n"), &exists), KVSTORE_OK);
    CHECK(!exists);
    int64_t n = 0;
    CHECK_RC(kvstore_incrby(db, K("n"), 2, &n), KVSTORE_OK);
    CHECK(n == 2);
    kvstore_close(db);
    report("test_panic");
    return 0;
}
