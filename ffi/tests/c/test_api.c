/*
 * test_api.c: the C API's behaviour: open/close and options, the generic
 * argv and printf-style calls with every reply type in RESP2 and RESP3,
 * every typed call with its success, not-found and error results, output
 * parameters left untouched on failure, binary safety (NUL bytes, empty
 * and 1 MiB strings), and replies outliving their handle.
 */
#include <math.h>
#include <stdint.h>

#include "check.h"

static kvstore *open_proto(unsigned protocol) {
    kvstore_options opts;
    CHECK_RC(kvstore_options_init(&opts), KVSTORE_OK);
    CHECK(opts.struct_size == sizeof opts);
    CHECK(opts.protocol == 2);
    opts.protocol = protocol;
    kvstore *db = NULL;
    CHECK_RC(kvstore_open(":memory:", &opts, &db), KVSTORE_OK);
    CHECK(db != NULL);
    return db;
}

static void test_version_and_errors(void) {
    CHECK(strcmp(kvstore_libversion(), KVSTORE_VERSION) == 0);
    CHECK(strcmp(kvstore_errstr(KVSTORE_OK), "success") == 0);
    CHECK(strcmp(kvstore_errstr(KVSTORE_ERR_NULL), "a required argument is NULL") == 0);
    CHECK(strcmp(kvstore_errstr(-1), "unknown result code") == 0);
}

static void test_open(void) {
    kvstore *db = (kvstore *)0x1; /* a sentinel: must stay untouched */
    /* Data directories have their own test (test_persist.c). */
    CHECK_RC(kvstore_open("", NULL, &db), KVSTORE_ERR_INVALID);
    CHECK(db == (kvstore *)0x1);
    CHECK_MSG("kvstore_open: path is empty");

    kvstore_options opts;
    CHECK_RC(kvstore_options_init(&opts), KVSTORE_OK);
    opts.protocol = 4;
    CHECK_RC(kvstore_open(NULL, &opts, &db), KVSTORE_ERR_INVALID);
    CHECK_MSG("kvstore_open: opts->protocol is 4");
    CHECK_RC(kvstore_options_init(&opts), KVSTORE_OK);
    opts.struct_size = 4;
    CHECK_RC(kvstore_open(NULL, &opts, &db), KVSTORE_ERR_INVALID);
    CHECK_MSG("kvstore_open: opts->struct_size is 4");
    CHECK(db == (kvstore *)0x1);

    /* A shard count of our choosing (rounded up to a power of two). */
    CHECK_RC(kvstore_options_init(&opts), KVSTORE_OK);
    opts.shards = 3;
    CHECK_RC(kvstore_open(":memory:", &opts, &db), KVSTORE_OK);
    CHECK_RC(kvstore_set(db, K("k"), K("v")), KVSTORE_OK);
    kvstore_close(db);

    /* NULL path and NULL options: an in-memory store with the defaults. */
    CHECK_RC(kvstore_open(NULL, NULL, &db), KVSTORE_OK);
    kvstore_close(db);
    kvstore_close(NULL);
}

static void test_generic_resp2(void) {
    kvstore *db = open_proto(2);
    kvstore_reply *r = RUN(db, "SET", "k", "v");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_STATUS);
    CHECK_STR(r, "OK");
    kvstore_reply_free(r);

    r = RUN(db, "get", "k");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_STRING);
    CHECK_STR(r, "v");
    kvstore_reply_free(r);

    r = RUN(db, "GET", "missing");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_NIL);
    CHECK(kvstore_reply_str(r, NULL) == NULL);
    kvstore_reply_free(r);

    r = RUN(db, "INCRBY", "n", "-5");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_INTEGER);
    CHECK(kvstore_reply_integer(r) == -5);
    kvstore_reply_free(r);

    /* A Redis error is a successful call with an ERROR reply. */
    r = RUN(db, "LPUSH", "k", "x");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_ERROR);
    CHECK_STR(r, "WRONGTYPE Operation against a key holding the wrong kind of value");
    kvstore_reply_free(r);
    r = RUN(db, "NOSUCHCMD", "a");
    CHECK_STR(r, "ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' ");
    kvstore_reply_free(r);
    r = run(db, 0, NULL);
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_ERROR);
    kvstore_reply_free(r);

    r = RUN(db, "RPUSH", "l", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
    CHECK(kvstore_reply_integer(r) == 10);
    kvstore_reply_free(r);
    r = RUN(db, "LRANGE", "l", "0", "-1");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_ARRAY);
    CHECK(kvstore_reply_len(r) == 10);
    CHECK_STR(kvstore_reply_element(r, 0), "a");
    CHECK_STR(kvstore_reply_element(r, 9), "j");
    CHECK(kvstore_reply_element(r, 10) == NULL);
    kvstore_reply_free(r);

    /* RESP2 downgrades: map -> flat array, double -> string. */
    kvstore_reply_free(RUN(db, "HSET", "h", "f", "1"));
    r = RUN(db, "HGETALL", "h");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_ARRAY);
    CHECK(kvstore_reply_len(r) == 2);
    CHECK_STR(kvstore_reply_element(r, 0), "f");
    CHECK_STR(kvstore_reply_element(r, 1), "1");
    kvstore_reply_free(r);
    kvstore_reply_free(RUN(db, "ZADD", "z", "1.5", "m"));
    r = RUN(db, "ZSCORE", "z", "m");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_STRING);
    CHECK_STR(r, "1.5");
    CHECK(kvstore_reply_double(r) == 0.0);
    kvstore_reply_free(r);

    /* Binary-safe arguments: lengths given, NUL bytes kept. */
    const char *argv[] = {"SET", "bin\0key", "a\0b"};
    size_t lens[] = {3, 7, 3};
    CHECK_RC(kvstore_command_argv(db, 3, argv, lens, &r), KVSTORE_OK);
    kvstore_reply_free(r);
    const char *get[] = {"GET", "bin\0key"};
    size_t get_lens[] = {3, 7};
    CHECK_RC(kvstore_command_argv(db, 2, get, get_lens, &r), KVSTORE_OK);
    size_t len = 0;
    const char *s = kvstore_reply_str(r, &len);
    CHECK(len == 3 && memcmp(s, "a\0b", 4) == 0); /* NUL-terminated too */
    kvstore_reply_free(r);
    /* A NULL argument with length 0 is the empty string. */
    const char *empty[] = {"SET", NULL, "e"};
    size_t empty_lens[] = {3, 0, 1};
    CHECK_RC(kvstore_command_argv(db, 3, empty, empty_lens, &r), KVSTORE_OK);
    CHECK_STR(r, "OK");
    kvstore_reply_free(r);
    r = RUN(db, "GET", "");
    CHECK_STR(r, "e");
    kvstore_reply_free(r);

    /* SELECT is handle-wide. */
    kvstore_reply_free(RUN(db, "SELECT", "1"));
    r = RUN(db, "GET", "k");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_NIL);
    kvstore_reply_free(r);
    kvstore_reply_free(RUN(db, "SELECT", "0"));

    /* A reply owns its data: it outlives the handle. */
    r = RUN(db, "GET", "k");
    kvstore_close(db);
    CHECK_STR(r, "v");
    kvstore_reply_free(r);
}

static void test_generic_resp3(void) {
    kvstore *db = open_proto(3);
    kvstore_reply_free(RUN(db, "HSET", "h", "f", "1", "g", "2"));
    kvstore_reply *r = RUN(db, "HGETALL", "h");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_MAP);
    CHECK(kvstore_reply_len(r) == 4); /* keys and values alternate */
    kvstore_reply_free(r);

    kvstore_reply_free(RUN(db, "ZADD", "z", "2.5", "m"));
    r = RUN(db, "ZSCORE", "z", "m");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_DOUBLE);
    CHECK(kvstore_reply_double(r) == 2.5);
    CHECK_STR(r, "2.5");
    kvstore_reply_free(r);

    kvstore_reply_free(RUN(db, "SADD", "s", "x"));
    r = RUN(db, "SMEMBERS", "s");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_SET);
    CHECK_STR(kvstore_reply_element(r, 0), "x");
    kvstore_reply_free(r);

    r = RUN(db, "INFO", "server");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_VERB);
    CHECK(strcmp(kvstore_reply_vtype(r), "txt") == 0);
    CHECK(strstr(kvstore_reply_str(r, NULL), "redis_version:") != NULL);
    kvstore_reply_free(r);

    r = RUN(db, "GET", "missing");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_NIL);
    kvstore_reply_free(r);

    /* HELLO 2 switches the whole handle back to RESP2. */
    kvstore_reply_free(RUN(db, "HELLO", "2"));
    r = RUN(db, "HGETALL", "h");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_ARRAY);
    kvstore_reply_free(r);
    kvstore_close(db);
}

static void test_printf_call(void) {
    kvstore *db = open_proto(2);
    kvstore_reply *r = NULL;
    const char value[] = "v\0with NUL";
    CHECK_RC(kvstore_command(db, &r, "SET %s %b", "pk", value, sizeof value - 1), KVSTORE_OK);
    CHECK_STR(r, "OK");
    kvstore_reply_free(r);
    CHECK_RC(kvstore_command(db, &r, "GET pk"), KVSTORE_OK);
    size_t len = 0;
    CHECK(memcmp(kvstore_reply_str(r, &len), value, sizeof value) == 0);
    CHECK(len == sizeof value - 1);
    kvstore_reply_free(r);

    /* Conversions inside a word, numbers, %% and several spaces. */
    CHECK_RC(kvstore_command(db, &r, "SET  key:%d:%s  %lld%%%zu", 7, "x", -12LL, (size_t)3),
             KVSTORE_OK);
    kvstore_reply_free(r);
    CHECK_RC(kvstore_command(db, &r, "GET key:7:x"), KVSTORE_OK);
    CHECK_STR(r, "-12%3");
    kvstore_reply_free(r);
    CHECK_RC(kvstore_command(db, &r, "SET f %.2f|%05u|%x|%hhd|%lu", 1.005, 42u, 255u, 5, 9UL),
             KVSTORE_OK);
    kvstore_reply_free(r);
    CHECK_RC(kvstore_command(db, &r, "GET f"), KVSTORE_OK);
    CHECK_STR(r, "1.00|00042|ff|5|9");
    kvstore_reply_free(r);

    /* An empty %s is an empty argument, not a missing one. */
    CHECK_RC(kvstore_command(db, &r, "SET %s empty", ""), KVSTORE_OK);
    CHECK_STR(r, "OK");
    kvstore_reply_free(r);

    /* Bad formats run nothing and leave *out untouched. */
    r = (kvstore_reply *)0x1;
    CHECK_RC(kvstore_command(db, &r, "SET %q x"), KVSTORE_ERR_INVALID);
    CHECK_MSG("kvstore_command: unsupported conversion");
    CHECK_RC(kvstore_command(db, &r, "SET k %Lf", 1.0L), KVSTORE_ERR_INVALID);
    CHECK_RC(kvstore_command(db, &r, "SET k %"), KVSTORE_ERR_INVALID);
    CHECK_RC(kvstore_command(db, &r, "SET k %0600d", 1), KVSTORE_ERR_INVALID);
    CHECK_RC(kvstore_command(db, &r, "SET k %s", (char *)NULL), KVSTORE_ERR_NULL);
    CHECK(r == (kvstore_reply *)0x1);
    kvstore_close(db);
}

static void test_typed(void) {
    kvstore *db = open_proto(2);
    uint8_t *v = (uint8_t *)0x1;
    size_t vlen = 77;
    bool flag = false;
    int64_t n = 0;

    CHECK_RC(kvstore_get(db, K("s"), &v, &vlen), KVSTORE_NOTFOUND);
    CHECK(v == (uint8_t *)0x1 && vlen == 77);
    CHECK_RC(kvstore_set(db, K("s"), K("hello")), KVSTORE_OK);
    CHECK_RC(kvstore_get(db, K("s"), &v, &vlen), KVSTORE_OK);
    CHECK(vlen == 5 && memcmp(v, "hello", 6) == 0);
    kvstore_free(v);

    CHECK_RC(kvstore_exists(db, K("s"), &flag), KVSTORE_OK);
    CHECK(flag);
    CHECK_RC(kvstore_del(db, K("s"), &flag), KVSTORE_OK);
    CHECK(flag);
    CHECK_RC(kvstore_del(db, K("s"), &flag), KVSTORE_OK);
    CHECK(!flag);
    CHECK_RC(kvstore_del(db, K("s"), NULL), KVSTORE_OK);
    CHECK_RC(kvstore_exists(db, K("s"), &flag), KVSTORE_OK);
    CHECK(!flag);

    CHECK_RC(kvstore_incrby(db, K("c"), 5, &n), KVSTORE_OK);
    CHECK(n == 5);
    CHECK_RC(kvstore_incrby(db, K("c"), INT64_MIN, NULL), KVSTORE_OK);
    n = 1234;
    CHECK_RC(kvstore_incrby(db, K("c"), -10, &n), KVSTORE_ERR_COMMAND);
    CHECK_MSG("kvstore_incrby: ERR increment or decrement would overflow");
    CHECK(n == 1234);
    CHECK_RC(kvstore_set(db, K("t"), K("text")), KVSTORE_OK);
    CHECK_RC(kvstore_incrby(db, K("t"), 1, &n), KVSTORE_ERR_COMMAND);
    CHECK_MSG("kvstore_incrby: ERR value is not an integer or out of range");

    CHECK_RC(kvstore_expire(db, K("t"), 100, &flag), KVSTORE_OK);
    CHECK(flag);
    kvstore_reply *r = RUN(db, "TTL", "t");
    CHECK(kvstore_reply_integer(r) > 90 && kvstore_reply_integer(r) <= 100);
    kvstore_reply_free(r);
    CHECK_RC(kvstore_expire(db, K("nokey"), 100, &flag), KVSTORE_OK);
    CHECK(!flag);
    CHECK_RC(kvstore_expire(db, K("t"), 0, NULL), KVSTORE_OK);
    CHECK_RC(kvstore_exists(db, K("t"), &flag), KVSTORE_OK);
    CHECK(!flag);

    CHECK_RC(kvstore_hset(db, K("h"), K("f"), K("v1"), &flag), KVSTORE_OK);
    CHECK(flag);
    CHECK_RC(kvstore_hset(db, K("h"), K("f"), K("v2"), &flag), KVSTORE_OK);
    CHECK(!flag);
    CHECK_RC(kvstore_hset(db, K("h"), K("g"), K("w"), NULL), KVSTORE_OK);
    CHECK_RC(kvstore_hget(db, K("h"), K("f"), &v, &vlen), KVSTORE_OK);
    CHECK(vlen == 2 && memcmp(v, "v2", 2) == 0);
    kvstore_free(v);
    v = (uint8_t *)0x1;
    CHECK_RC(kvstore_hget(db, K("h"), K("nofield"), &v, &vlen), KVSTORE_NOTFOUND);
    CHECK(v == (uint8_t *)0x1);
    CHECK_RC(kvstore_hgetall(db, K("h"), &r), KVSTORE_OK);
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_ARRAY && kvstore_reply_len(r) == 4);
    kvstore_reply_free(r);
    CHECK_RC(kvstore_hdel(db, K("h"), K("f"), &flag), KVSTORE_OK);
    CHECK(flag);
    CHECK_RC(kvstore_hdel(db, K("h"), K("f"), &flag), KVSTORE_OK);
    CHECK(!flag);
    CHECK_RC(kvstore_hgetall(db, K("nohash"), &r), KVSTORE_OK);
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_ARRAY && kvstore_reply_len(r) == 0);
    kvstore_reply_free(r);

    CHECK_RC(kvstore_lpush(db, K("l"), K("a"), &n), KVSTORE_OK);
    CHECK(n == 1);
    CHECK_RC(kvstore_lpush(db, K("l"), K("b"), NULL), KVSTORE_OK);
    CHECK_RC(kvstore_rpop(db, K("l"), &v, &vlen), KVSTORE_OK);
    CHECK(vlen == 1 && v[0] == 'a');
    kvstore_free(v);
    CHECK_RC(kvstore_rpop(db, K("l"), &v, &vlen), KVSTORE_OK);
    kvstore_free(v);
    CHECK_RC(kvstore_rpop(db, K("l"), &v, &vlen), KVSTORE_NOTFOUND);

    CHECK_RC(kvstore_sadd(db, K("set"), K("m"), &flag), KVSTORE_OK);
    CHECK(flag);
    CHECK_RC(kvstore_sadd(db, K("set"), K("m"), &flag), KVSTORE_OK);
    CHECK(!flag);
    CHECK_RC(kvstore_zadd(db, K("z"), 0.1, K("m"), &flag), KVSTORE_OK);
    CHECK(flag);
    CHECK_RC(kvstore_zadd(db, K("z"), -INFINITY, K("n"), NULL), KVSTORE_OK);
    r = RUN(db, "ZSCORE", "z", "m");
    CHECK(strtod(kvstore_reply_str(r, NULL), NULL) == 0.1); /* the score round-trips */
    kvstore_reply_free(r);
    CHECK_RC(kvstore_zadd(db, K("z"), NAN, K("m"), NULL), KVSTORE_ERR_COMMAND);
    CHECK_MSG("kvstore_zadd: ERR value is not a valid float");

    /* WRONGTYPE from every typed family, outputs untouched. */
    v = (uint8_t *)0x1;
    CHECK_RC(kvstore_get(db, K("h"), &v, &vlen), KVSTORE_ERR_WRONGTYPE);
    CHECK_MSG("kvstore_get: WRONGTYPE Operation against a key holding the wrong kind of value");
    CHECK_RC(kvstore_hget(db, K("set"), K("f"), &v, &vlen), KVSTORE_ERR_WRONGTYPE);
    CHECK_RC(kvstore_rpop(db, K("h"), &v, &vlen), KVSTORE_ERR_WRONGTYPE);
    CHECK(v == (uint8_t *)0x1);
    r = (kvstore_reply *)0x1;
    CHECK_RC(kvstore_hgetall(db, K("set"), &r), KVSTORE_ERR_WRONGTYPE);
    CHECK(r == (kvstore_reply *)0x1);
    CHECK_RC(kvstore_hset(db, K("set"), K("f"), K("v"), NULL), KVSTORE_ERR_WRONGTYPE);
    CHECK_RC(kvstore_hdel(db, K("set"), K("f"), NULL), KVSTORE_ERR_WRONGTYPE);
    CHECK_RC(kvstore_lpush(db, K("h"), K("x"), NULL), KVSTORE_ERR_WRONGTYPE);
    CHECK_RC(kvstore_sadd(db, K("h"), K("x"), NULL), KVSTORE_ERR_WRONGTYPE);
    CHECK_RC(kvstore_zadd(db, K("h"), 1, K("x"), NULL), KVSTORE_ERR_WRONGTYPE);
    CHECK_RC(kvstore_incrby(db, K("h"), 1, NULL), KVSTORE_ERR_WRONGTYPE);
    /* SET replaces a value of any type. */
    CHECK_RC(kvstore_set(db, K("h"), K("now a string")), KVSTORE_OK);
    kvstore_close(db);
}

static void test_binary_values(void) {
    kvstore *db = open_proto(2);
    size_t big = 1 << 20;
    uint8_t *value = malloc(big);
    CHECK(value != NULL);
    for (size_t i = 0; i < big; i++) value[i] = (uint8_t)(i * 7); /* NULs included */
    const uint8_t key[] = {0, 'k', 0};
    CHECK_RC(kvstore_set(db, key, sizeof key, value, big), KVSTORE_OK);
    uint8_t *got = NULL;
    size_t got_len = 0;
    CHECK_RC(kvstore_get(db, key, sizeof key, &got, &got_len), KVSTORE_OK);
    CHECK(got_len == big && memcmp(got, value, big) == 0 && got[big] == 0);
    kvstore_free(got);
    /* The empty key and the empty value, as (NULL, 0). */
    CHECK_RC(kvstore_set(db, NULL, 0, NULL, 0), KVSTORE_OK);
    CHECK_RC(kvstore_get(db, NULL, 0, &got, &got_len), KVSTORE_OK);
    CHECK(got_len == 0 && got[0] == 0);
    kvstore_free(got);
    CHECK_RC(kvstore_set(db, NULL, 1, NULL, 0), KVSTORE_ERR_NULL);
    free(value);
    kvstore_close(db);
}

int main(void) {
    test_version_and_errors();
    test_open();
    test_generic_resp2();
    test_generic_resp3();
    test_printf_call();
    test_typed();
    test_binary_values();
    report("test_api");
    return 0;
}
