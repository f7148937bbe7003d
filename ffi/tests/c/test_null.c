/*
 * test_null.c: NULL for every pointer argument of every function in
 * kvstore.h. Each call must return KVSTORE_ERR_NULL (or its documented
 * default: NULL, 0, a no-op, or success for an optional output), name the
 * argument in kvstore_errmsg(), and leave its other outputs untouched;
 * never crash. (tests/c.rs checks that every function with a pointer
 * parameter appears here.)
 */
#include <stdarg.h>

#include "check.h"

/* Sentinels: outputs must still hold these after a failed call. */
#define BAD_DB ((kvstore *)0x1)
#define BAD_REPLY ((kvstore_reply *)0x1)
#define BAD_BUF ((uint8_t *)0x1)

static kvstore *db;

static kvstore_result vcommand(kvstore *d, kvstore_reply **out, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    kvstore_result rc = kvstore_vcommand(d, out, format, ap);
    va_end(ap);
    return rc;
}

static void handle_functions(void) {
    CHECK_RC(kvstore_options_init(NULL), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_options_init: opts is NULL");

    kvstore *out = BAD_DB;
    CHECK_RC(kvstore_open(NULL, NULL, NULL), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_open: out is NULL");
    CHECK_RC(kvstore_open(":memory:", NULL, NULL), KVSTORE_ERR_NULL);
    /* NULL path and NULL options are documented defaults. */
    CHECK_RC(kvstore_open(NULL, NULL, &out), KVSTORE_OK);
    kvstore_close(out);
    kvstore_close(NULL);
    kvstore_free(NULL);
}

static void generic_functions(void) {
    kvstore_reply *r = BAD_REPLY;
    const char *argv[] = {"SET", "k", "v"};
    size_t lens[] = {3, 1, 1};
    CHECK_RC(kvstore_command_argv(NULL, 3, argv, lens, &r), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_command_argv: db is NULL");
    CHECK_RC(kvstore_command_argv(db, 3, NULL, lens, &r), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_command_argv: argv is NULL");
    CHECK_RC(kvstore_command_argv(db, 3, argv, lens, NULL), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_command_argv: out is NULL");
    const char *hole[] = {"SET", NULL, "v"};
    CHECK_RC(kvstore_command_argv(db, 3, hole, NULL, &r), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_command_argv: argv[1] is NULL");
    CHECK_RC(kvstore_command_argv(db, 3, hole, lens, &r), KVSTORE_ERR_NULL);
    CHECK(r == BAD_REPLY);
    /* argvlen NULL: NUL-terminated arguments; argv NULL with argc 0. */
    CHECK_RC(kvstore_command_argv(db, 3, argv, NULL, &r), KVSTORE_OK);
    kvstore_reply_free(r);
    r = BAD_REPLY;
    CHECK_RC(kvstore_command_argv(db, 0, NULL, NULL, &r), KVSTORE_OK);
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_ERROR);
    kvstore_reply_free(r);

    r = BAD_REPLY;
    CHECK_RC(kvstore_command(NULL, &r, "PING"), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_command: db is NULL");
    CHECK_RC(kvstore_command(db, NULL, "PING"), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_command: out is NULL");
    CHECK_RC(kvstore_command(db, &r, NULL), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_command: format is NULL");
    CHECK_RC(kvstore_command(db, &r, "SET %s v", (char *)NULL), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_command(db, &r, "SET k %b", (void *)NULL, (size_t)2), KVSTORE_ERR_NULL);
    CHECK_RC(vcommand(NULL, &r, "PING"), KVSTORE_ERR_NULL);
    CHECK_RC(vcommand(db, NULL, "PING"), KVSTORE_ERR_NULL);
    CHECK_RC(vcommand(db, &r, NULL), KVSTORE_ERR_NULL);
    CHECK(r == BAD_REPLY);
    /* %b with (NULL, 0) is the empty string. */
    CHECK_RC(kvstore_command(db, &r, "SET k %b", (void *)NULL, (size_t)0), KVSTORE_OK);
    kvstore_reply_free(r);
}

static void reply_functions(void) {
    size_t len = 99;
    CHECK(kvstore_reply_type(NULL) == 0);
    CHECK(kvstore_reply_integer(NULL) == 0);
    CHECK(kvstore_reply_double(NULL) == 0.0);
    CHECK(kvstore_reply_str(NULL, &len) == NULL);
    CHECK(len == 99);
    CHECK(kvstore_reply_vtype(NULL) == NULL);
    CHECK(kvstore_reply_len(NULL) == 0);
    CHECK(kvstore_reply_element(NULL, 0) == NULL);
    kvstore_reply_free(NULL);
    /* kvstore_reply_str's len is optional. */
    kvstore_reply *r = NULL;
    CHECK_RC(kvstore_command(db, &r, "PING"), KVSTORE_OK);
    CHECK(strcmp(kvstore_reply_str(r, NULL), "PONG") == 0);
    kvstore_reply_free(r);
}

/* For each typed call: NULL db, NULL data with a length, NULL required
 * outputs (KVSTORE_ERR_NULL), NULL optional outputs (KVSTORE_OK). */
static void typed_functions(void) {
    uint8_t *v = BAD_BUF;
    size_t vlen = 7;
    bool b = false;
    int64_t n = 0;
    kvstore_reply *r = BAD_REPLY;

    CHECK_RC(kvstore_get(NULL, K("k"), &v, &vlen), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_get: db is NULL");
    CHECK_RC(kvstore_get(db, NULL, 1, &v, &vlen), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_get: key is NULL");
    CHECK_RC(kvstore_get(db, K("k"), NULL, &vlen), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_get: value is NULL");
    CHECK_RC(kvstore_get(db, K("k"), &v, NULL), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_get: value_len is NULL");
    CHECK(v == BAD_BUF && vlen == 7);

    CHECK_RC(kvstore_set(NULL, K("k"), K("v")), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_set(db, NULL, 1, K("v")), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_set(db, K("k"), NULL, 1), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_set: value is NULL");

    CHECK_RC(kvstore_del(NULL, K("k"), &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_del(db, NULL, 1, &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_del(db, K("k"), NULL), KVSTORE_OK);

    CHECK_RC(kvstore_exists(NULL, K("k"), &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_exists(db, NULL, 1, &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_exists(db, K("k"), NULL), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_exists: exists is NULL");

    CHECK_RC(kvstore_incrby(NULL, K("n"), 1, &n), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_incrby(db, NULL, 1, 1, &n), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_incrby(db, K("n"), 1, NULL), KVSTORE_OK);

    CHECK_RC(kvstore_expire(NULL, K("n"), 10, &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_expire(db, NULL, 1, 10, &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_expire(db, K("n"), 10, NULL), KVSTORE_OK);

    CHECK_RC(kvstore_hset(NULL, K("h"), K("f"), K("v"), &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_hset(db, NULL, 1, K("f"), K("v"), &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_hset(db, K("h"), NULL, 1, K("v"), &b), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_hset: field is NULL");
    CHECK_RC(kvstore_hset(db, K("h"), K("f"), NULL, 1, &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_hset(db, K("h"), K("f"), K("v"), NULL), KVSTORE_OK);

    CHECK_RC(kvstore_hget(NULL, K("h"), K("f"), &v, &vlen), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_hget(db, NULL, 1, K("f"), &v, &vlen), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_hget(db, K("h"), NULL, 1, &v, &vlen), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_hget(db, K("h"), K("f"), NULL, &vlen), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_hget(db, K("h"), K("f"), &v, NULL), KVSTORE_ERR_NULL);
    CHECK(v == BAD_BUF && vlen == 7);

    CHECK_RC(kvstore_hdel(NULL, K("h"), K("f"), &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_hdel(db, NULL, 1, K("f"), &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_hdel(db, K("h"), NULL, 1, &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_hdel(db, K("h"), K("f"), NULL), KVSTORE_OK);

    CHECK_RC(kvstore_hgetall(NULL, K("h"), &r), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_hgetall(db, NULL, 1, &r), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_hgetall(db, K("h"), NULL), KVSTORE_ERR_NULL);
    CHECK(r == BAD_REPLY);

    CHECK_RC(kvstore_lpush(NULL, K("l"), K("v"), &n), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_lpush(db, NULL, 1, K("v"), &n), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_lpush(db, K("l"), NULL, 1, &n), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_lpush(db, K("l"), K("v"), NULL), KVSTORE_OK);

    CHECK_RC(kvstore_rpop(NULL, K("l"), &v, &vlen), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_rpop(db, NULL, 1, &v, &vlen), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_rpop(db, K("l"), NULL, &vlen), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_rpop(db, K("l"), &v, NULL), KVSTORE_ERR_NULL);
    CHECK(v == BAD_BUF && vlen == 7);

    CHECK_RC(kvstore_sadd(NULL, K("s"), K("m"), &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_sadd(db, NULL, 1, K("m"), &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_sadd(db, K("s"), NULL, 1, &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_sadd(db, K("s"), K("m"), NULL), KVSTORE_OK);

    CHECK_RC(kvstore_zadd(NULL, K("z"), 1.0, K("m"), &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_zadd(db, NULL, 1, 1.0, K("m"), &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_zadd(db, K("z"), 1.0, NULL, 1, &b), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_zadd(db, K("z"), 1.0, K("m"), NULL), KVSTORE_OK);

    /* Nothing above ran a write through a NULL: the list holds one push. */
    kvstore_reply *len = NULL;
    CHECK_RC(kvstore_command(db, &len, "LLEN l"), KVSTORE_OK);
    CHECK(kvstore_reply_integer(len) == 1);
    kvstore_reply_free(len);
}

static void listen_functions(void) {
    uint64_t id = 77;
    char *bound = (char *)0x1;
    CHECK_RC(kvstore_listen(NULL, "127.0.0.1:0", &id, &bound), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_listen: db is NULL");
    CHECK_RC(kvstore_listen(db, NULL, &id, &bound), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_listen: address is NULL");
    CHECK_RC(kvstore_listen(db, "127.0.0.1:0", NULL, &bound), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_listen: id is NULL");
    CHECK(id == 77 && bound == (char *)0x1);
    /* `bound` is optional. */
    CHECK_RC(kvstore_listen(db, "127.0.0.1:0", &id, NULL), KVSTORE_OK);
    CHECK_RC(kvstore_unlisten(NULL, id), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_unlisten: db is NULL");
    CHECK_RC(kvstore_unlisten(db, id), KVSTORE_OK);
}

static void subscriber_functions(void) {
    kvstore_subscriber *sub = (kvstore_subscriber *)0x1;
    CHECK_RC(kvstore_subscriber_new(NULL, &sub), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_subscriber_new: db is NULL");
    CHECK_RC(kvstore_subscriber_new(db, NULL), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_subscriber_new: out is NULL");
    CHECK(sub == (kvstore_subscriber *)0x1);
    CHECK_RC(kvstore_subscriber_new(db, &sub), KVSTORE_OK);

    CHECK_RC(kvstore_subscribe(NULL, K("c")), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_subscribe: sub is NULL");
    CHECK_RC(kvstore_subscribe(sub, NULL, 1), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_subscribe: channel is NULL");
    CHECK_RC(kvstore_psubscribe(NULL, K("c*")), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_psubscribe: sub is NULL");
    CHECK_RC(kvstore_psubscribe(sub, NULL, 1), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_psubscribe: pattern is NULL");
    CHECK_RC(kvstore_unsubscribe(NULL, K("c")), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_unsubscribe(sub, NULL, 1), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_unsubscribe: channel is NULL");
    CHECK_RC(kvstore_punsubscribe(NULL, K("c*")), KVSTORE_ERR_NULL);
    CHECK_RC(kvstore_punsubscribe(sub, NULL, 1), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_punsubscribe: pattern is NULL");

    kvstore_reply *r = BAD_REPLY;
    CHECK_RC(kvstore_subscriber_next(NULL, 0, &r), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_subscriber_next: sub is NULL");
    CHECK_RC(kvstore_subscriber_next(sub, 0, NULL), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_subscriber_next: out is NULL");
    CHECK(r == BAD_REPLY);
    /* Nothing was subscribed through a NULL. */
    CHECK_RC(kvstore_subscriber_next(sub, 0, &r), KVSTORE_TIMEOUT);

    /* (NULL, 0) is the empty channel name, which Redis accepts. */
    CHECK_RC(kvstore_subscribe(sub, NULL, 0), KVSTORE_OK);
    CHECK_RC(kvstore_subscriber_next(sub, 0, &r), KVSTORE_OK);
    CHECK(kvstore_reply_len(r) == 3);
    CHECK_STR(kvstore_reply_element(r, 1), "");
    kvstore_reply_free(r);

    CHECK_RC(kvstore_subscriber_interrupt(NULL), KVSTORE_ERR_NULL);
    CHECK_MSG("kvstore_subscriber_interrupt: sub is NULL");
    kvstore_subscriber_free(NULL);
    kvstore_subscriber_free(sub);
}

int main(void) {
    CHECK_RC(kvstore_open(NULL, NULL, &db), KVSTORE_OK);
    handle_functions();
    generic_functions();
    reply_functions();
    typed_functions();
    listen_functions();
    subscriber_functions();
    kvstore_close(db);
    report("test_null");
    return 0;
}
