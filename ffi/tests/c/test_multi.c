/*
 * test_multi.c: MULTI/EXEC/DISCARD/WATCH sent through the generic call,
 * with typed calls in between. Inside a thread's MULTI every typed call
 * (the GET/SET fast paths included) returns KVSTORE_QUEUED with its outputs
 * untouched and runs nothing; EXEC's array holds each command's reply in
 * order. Other threads on the same handle are other clients: their calls
 * run at once, and a change they make to a WATCHed key makes EXEC nil.
 * A thread's transaction survives its calls on another handle. Four
 * threads incrementing one counter with WATCH/MULTI/EXEC and retries end
 * exactly at the total.
 */
#include <pthread.h>
#include <stdint.h>

#include "check.h"

#define THREADS 4
#define INCREMENTS 200

/* `fn(db)` on a new thread, joined: another client of the same handle. */
static void on_other_thread(void *(*fn)(void *), kvstore *db) {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, fn, db) == 0);
    CHECK(pthread_join(t, NULL) == 0);
}

/* The reply `r` is the integer `n`. */
static void check_int(const kvstore_reply *r, long long n) {
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_INTEGER);
    CHECK(kvstore_reply_integer(r) == n);
}

/* While the main thread's transaction is open: nothing it queued ran, and
 * this thread's typed calls run at once. */
static void *outside_the_transaction(void *arg) {
    kvstore *db = arg;
    bool exists = true;
    CHECK_RC(kvstore_exists(db, K("k"), &exists), KVSTORE_OK);
    CHECK(!exists);
    CHECK_RC(kvstore_set(db, K("elsewhere"), K("1")), KVSTORE_OK);
    return NULL;
}

/* Every typed call queues inside MULTI; EXEC answers for all of them. */
static void test_typed_calls_queue(unsigned protocol) {
    kvstore_options opts;
    CHECK_RC(kvstore_options_init(&opts), KVSTORE_OK);
    opts.protocol = protocol;
    kvstore *db = NULL;
    CHECK_RC(kvstore_open(NULL, &opts, &db), KVSTORE_OK);

    kvstore_reply *r = RUN(db, "MULTI");
    CHECK_STR(r, "OK");
    kvstore_reply_free(r);

    /* Sentinels: a queued call writes no output. */
    uint8_t *value = (uint8_t *)0x1;
    size_t len = 77;
    int64_t n = 77;
    bool flag = false;
    kvstore_reply *tree = (kvstore_reply *)0x1;
    CHECK_RC(kvstore_set(db, K("k"), K("v")), KVSTORE_QUEUED);
    CHECK_RC(kvstore_get(db, K("k"), &value, &len), KVSTORE_QUEUED);
    CHECK_RC(kvstore_incrby(db, K("n"), 5, &n), KVSTORE_QUEUED);
    CHECK_RC(kvstore_exists(db, K("k"), &flag), KVSTORE_QUEUED);
    CHECK_RC(kvstore_expire(db, K("k"), 100, &flag), KVSTORE_QUEUED);
    CHECK_RC(kvstore_hset(db, K("h"), K("f"), K("x"), &flag), KVSTORE_QUEUED);
    CHECK_RC(kvstore_hget(db, K("h"), K("f"), &value, &len), KVSTORE_QUEUED);
    CHECK_RC(kvstore_hgetall(db, K("h"), &tree), KVSTORE_QUEUED);
    CHECK_RC(kvstore_hdel(db, K("h"), K("f"), &flag), KVSTORE_QUEUED);
    CHECK_RC(kvstore_lpush(db, K("l"), K("a"), &n), KVSTORE_QUEUED);
    CHECK_RC(kvstore_rpop(db, K("l"), &value, &len), KVSTORE_QUEUED);
    CHECK_RC(kvstore_sadd(db, K("s"), K("m"), &flag), KVSTORE_QUEUED);
    CHECK_RC(kvstore_zadd(db, K("z"), 1.5, K("m"), &flag), KVSTORE_QUEUED);
    CHECK_RC(kvstore_del(db, K("k"), &flag), KVSTORE_QUEUED);
    CHECK(value == (uint8_t *)0x1 && len == 77 && n == 77 && !flag);
    CHECK(tree == (kvstore_reply *)0x1);
    /* The generic call queues too, answering QUEUED as Redis does. */
    r = RUN(db, "GET", "k");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_STATUS);
    CHECK_STR(r, "QUEUED");
    kvstore_reply_free(r);
    CHECK(strcmp(kvstore_errstr(KVSTORE_QUEUED), "queued (inside MULTI)") == 0);

    on_other_thread(outside_the_transaction, db);

    r = RUN(db, "EXEC");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_ARRAY);
    CHECK(kvstore_reply_len(r) == 15);
    CHECK_STR(kvstore_reply_element(r, 0), "OK");   /* SET */
    CHECK_STR(kvstore_reply_element(r, 1), "v");    /* GET */
    check_int(kvstore_reply_element(r, 2), 5);      /* INCRBY */
    check_int(kvstore_reply_element(r, 3), 1);      /* EXISTS */
    check_int(kvstore_reply_element(r, 4), 1);      /* EXPIRE */
    check_int(kvstore_reply_element(r, 5), 1);      /* HSET */
    CHECK_STR(kvstore_reply_element(r, 6), "x");    /* HGET */
    const kvstore_reply *all = kvstore_reply_element(r, 7); /* HGETALL */
    CHECK(kvstore_reply_type(all) ==
          (protocol == 3 ? KVSTORE_REPLY_MAP : KVSTORE_REPLY_ARRAY));
    CHECK(kvstore_reply_len(all) == 2);
    CHECK_STR(kvstore_reply_element(all, 0), "f");
    CHECK_STR(kvstore_reply_element(all, 1), "x");
    check_int(kvstore_reply_element(r, 8), 1);      /* HDEL */
    check_int(kvstore_reply_element(r, 9), 1);      /* LPUSH */
    CHECK_STR(kvstore_reply_element(r, 10), "a");   /* RPOP */
    check_int(kvstore_reply_element(r, 11), 1);     /* SADD */
    check_int(kvstore_reply_element(r, 12), 1);     /* ZADD */
    check_int(kvstore_reply_element(r, 13), 1);     /* DEL */
    CHECK(kvstore_reply_type(kvstore_reply_element(r, 14)) == KVSTORE_REPLY_NIL); /* GET */
    kvstore_reply_free(r);

    /* After EXEC the typed calls run again, fast paths included. */
    CHECK_RC(kvstore_set(db, K("k"), K("again")), KVSTORE_OK);
    CHECK_RC(kvstore_get(db, K("k"), &value, &len), KVSTORE_OK);
    CHECK(len == 5 && memcmp(value, "again", 5) == 0);
    kvstore_free(value);
    CHECK_RC(kvstore_get(db, K("elsewhere"), &value, &len), KVSTORE_OK);
    kvstore_free(value);
    kvstore_close(db);
}

/* A runtime error is one element of EXEC's array (the rest ran); a
 * command refused while queueing aborts the whole transaction; DISCARD
 * drops the queue. */
static void test_errors_and_discard(void) {
    kvstore *db = NULL;
    CHECK_RC(kvstore_open(NULL, NULL, &db), KVSTORE_OK);
    bool exists = true;

    kvstore_reply_free(RUN(db, "MULTI"));
    CHECK_RC(kvstore_set(db, K("s"), K("abc")), KVSTORE_QUEUED);
    /* Not an error yet: INCRBY's argument check runs inside EXEC. */
    CHECK_RC(kvstore_incrby(db, K("s"), 1, NULL), KVSTORE_QUEUED);
    CHECK_RC(kvstore_set(db, K("after"), K("1")), KVSTORE_QUEUED);
    kvstore_reply *r = RUN(db, "EXEC");
    CHECK(kvstore_reply_len(r) == 3);
    CHECK_STR(kvstore_reply_element(r, 0), "OK");
    CHECK(kvstore_reply_type(kvstore_reply_element(r, 1)) == KVSTORE_REPLY_ERROR);
    CHECK_STR(kvstore_reply_element(r, 1), "ERR value is not an integer or out of range");
    CHECK_STR(kvstore_reply_element(r, 2), "OK");
    kvstore_reply_free(r);

    kvstore_reply_free(RUN(db, "MULTI"));
    r = RUN(db, "NOSUCHCMD");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_ERROR);
    kvstore_reply_free(r);
    CHECK_RC(kvstore_set(db, K("aborted"), K("1")), KVSTORE_QUEUED);
    r = RUN(db, "EXEC");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_ERROR);
    CHECK_STR(r, "EXECABORT Transaction discarded because of previous errors.");
    kvstore_reply_free(r);
    CHECK_RC(kvstore_exists(db, K("aborted"), &exists), KVSTORE_OK);
    CHECK(!exists);

    kvstore_reply_free(RUN(db, "MULTI"));
    CHECK_RC(kvstore_set(db, K("dropped"), K("1")), KVSTORE_QUEUED);
    r = RUN(db, "DISCARD");
    CHECK_STR(r, "OK");
    kvstore_reply_free(r);
    CHECK_RC(kvstore_exists(db, K("dropped"), &exists), KVSTORE_OK);
    CHECK(!exists);
    kvstore_close(db);
}

static void *change_watched_key(void *arg) {
    kvstore *db = arg;
    /* This thread is not in the transaction: the fast path runs now. */
    CHECK_RC(kvstore_set(db, K("w"), K("theirs")), KVSTORE_OK);
    return NULL;
}

/* WATCH, then another thread changes the key: EXEC is nil and nothing
 * queued ran; unchanged, the same transaction commits. */
static void test_watch(unsigned protocol) {
    kvstore_options opts;
    CHECK_RC(kvstore_options_init(&opts), KVSTORE_OK);
    opts.protocol = protocol;
    kvstore *db = NULL;
    CHECK_RC(kvstore_open(NULL, &opts, &db), KVSTORE_OK);

    kvstore_reply_free(RUN(db, "WATCH", "w"));
    kvstore_reply_free(RUN(db, "MULTI"));
    CHECK_RC(kvstore_set(db, K("w"), K("mine")), KVSTORE_QUEUED);
    on_other_thread(change_watched_key, db);
    kvstore_reply *r = RUN(db, "EXEC");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_NIL);
    kvstore_reply_free(r);
    uint8_t *v = NULL;
    size_t len = 0;
    CHECK_RC(kvstore_get(db, K("w"), &v, &len), KVSTORE_OK);
    CHECK(len == 6 && memcmp(v, "theirs", 6) == 0);
    kvstore_free(v);

    kvstore_reply_free(RUN(db, "WATCH", "w"));
    kvstore_reply_free(RUN(db, "MULTI"));
    CHECK_RC(kvstore_set(db, K("w"), K("mine")), KVSTORE_QUEUED);
    r = RUN(db, "EXEC");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_ARRAY && kvstore_reply_len(r) == 1);
    kvstore_reply_free(r);
    CHECK_RC(kvstore_get(db, K("w"), &v, &len), KVSTORE_OK);
    CHECK(len == 4 && memcmp(v, "mine", 4) == 0);
    kvstore_free(v);
    kvstore_close(db);
}

/* A thread's transaction and WATCH on one handle survive its calls on
 * another handle in between (each handle keeps this thread's session). */
static void test_two_handles(void) {
    kvstore *a = NULL, *b = NULL;
    CHECK_RC(kvstore_open(NULL, NULL, &a), KVSTORE_OK);
    CHECK_RC(kvstore_open(NULL, NULL, &b), KVSTORE_OK);
    kvstore_reply_free(RUN(a, "WATCH", "w"));
    CHECK_RC(kvstore_set(b, K("w"), K("on b")), KVSTORE_OK); /* b's key, not a's */
    kvstore_reply_free(RUN(a, "MULTI"));
    CHECK_RC(kvstore_set(a, K("k"), K("1")), KVSTORE_QUEUED);
    CHECK_RC(kvstore_set(b, K("k"), K("2")), KVSTORE_OK); /* b runs at once */
    CHECK_RC(kvstore_incrby(a, K("k"), 1, NULL), KVSTORE_QUEUED);
    kvstore_reply *r = RUN(a, "EXEC");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_ARRAY && kvstore_reply_len(r) == 2);
    check_int(kvstore_reply_element(r, 1), 2);
    kvstore_reply_free(r);

    /* The WATCH on `a` survives a call on `b`: another thread's change
     * to the watched key still fails the EXEC. */
    kvstore_reply_free(RUN(a, "WATCH", "w"));
    CHECK_RC(kvstore_set(b, K("x"), K("y")), KVSTORE_OK);
    on_other_thread(change_watched_key, a);
    kvstore_reply_free(RUN(a, "MULTI"));
    CHECK_RC(kvstore_set(a, K("k"), K("3")), KVSTORE_QUEUED);
    r = RUN(a, "EXEC");
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_NIL);
    kvstore_reply_free(r);
    kvstore_close(b);
    kvstore_close(a);
}

static long retries;

/* INCREMENTS optimistic increments of "counter": WATCH, read with the
 * typed GET, queue the typed SET, EXEC; a nil EXEC (another thread won)
 * retries. */
static void *watch_worker(void *arg) {
    kvstore *db = arg;
    long mine = 0;
    for (int i = 0; i < INCREMENTS; i++) {
        for (;;) {
            kvstore_reply_free(RUN(db, "WATCH", "counter"));
            uint8_t *v = NULL;
            size_t len = 0;
            long long n = 0;
            int rc = kvstore_get(db, K("counter"), &v, &len);
            CHECK(rc == KVSTORE_OK || rc == KVSTORE_NOTFOUND);
            if (rc == KVSTORE_OK) {
                n = strtoll((const char *)v, NULL, 10);
                kvstore_free(v);
            }
            kvstore_reply_free(RUN(db, "MULTI"));
            char next[32];
            snprintf(next, sizeof next, "%lld", n + 1);
            CHECK_RC(kvstore_set(db, K("counter"), K(next)), KVSTORE_QUEUED);
            kvstore_reply *r = RUN(db, "EXEC");
            int type = kvstore_reply_type(r);
            kvstore_reply_free(r);
            if (type == KVSTORE_REPLY_ARRAY) break;
            CHECK(type == KVSTORE_REPLY_NIL);
            mine++;
        }
    }
    __sync_fetch_and_add(&retries, mine);
    return NULL;
}

static void test_watch_counter(void) {
    kvstore *db = NULL;
    CHECK_RC(kvstore_open(NULL, NULL, &db), KVSTORE_OK);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, watch_worker, db) == 0);
    for (int i = 0; i < THREADS; i++) CHECK(pthread_join(t[i], NULL) == 0);
    uint8_t *v = NULL;
    size_t len = 0;
    CHECK_RC(kvstore_get(db, K("counter"), &v, &len), KVSTORE_OK);
    CHECK(strtoll((const char *)v, NULL, 10) == (long long)THREADS * INCREMENTS);
    kvstore_free(v);
    printf("watch counter: %d increments, %ld retries\n", THREADS * INCREMENTS, retries);
    kvstore_close(db);
}

int main(void) {
    test_typed_calls_queue(2);
    test_typed_calls_queue(3);
    test_errors_and_discard();
    test_watch(2);
    test_watch(3);
    test_two_handles();
    test_watch_counter();
    report("test_multi");
    return 0;
}
