/*
 * test_threads.c: 4 threads share one handle and lose no update. Each
 * thread increments a shared counter and its own counter, pushes to a
 * shared list, sets fields of a shared hash, and round-trips its own keys
 * through the generic call; every thread also alternates with a second
 * handle (a thread switching handles gets a fresh session each time).
 * The totals must be exact.
 */
#include <pthread.h>

#include "check.h"

#define THREADS 4
#define OPS 100000
#define SIDE_OPS 2000

static kvstore *db, *other;

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;
    char own[32], field[48];
    snprintf(own, sizeof own, "own:%d", id);
    for (int i = 0; i < OPS; i++) {
        CHECK_RC(kvstore_incrby(db, K("shared"), 1, NULL), KVSTORE_OK);
        CHECK_RC(kvstore_incrby(db, K(own), 1, NULL), KVSTORE_OK);
    }
    for (int i = 0; i < SIDE_OPS; i++) {
        snprintf(field, sizeof field, "%d:%d", id, i);
        CHECK_RC(kvstore_lpush(db, K("list"), K(field), NULL), KVSTORE_OK);
        CHECK_RC(kvstore_hset(db, K("hash"), K(field), K(own), NULL), KVSTORE_OK);
        CHECK_RC(kvstore_incrby(other, K("shared"), 1, NULL), KVSTORE_OK);
        kvstore_reply *r = NULL;
        CHECK_RC(kvstore_command(db, &r, "SET %s:%d %d", own, i, i), KVSTORE_OK);
        kvstore_reply_free(r);
        CHECK_RC(kvstore_command(db, &r, "GET %s:%d", own, i), KVSTORE_OK);
        CHECK(strtol(kvstore_reply_str(r, NULL), NULL, 10) == i);
        kvstore_reply_free(r);
    }
    return NULL;
}

static long long get_int(kvstore *h, const char *cmd, const char *key) {
    kvstore_reply *r = NULL;
    CHECK_RC(kvstore_command(h, &r, "%s %s", cmd, key), KVSTORE_OK);
    long long n = kvstore_reply_type(r) == KVSTORE_REPLY_INTEGER
                      ? kvstore_reply_integer(r)
                      : strtoll(kvstore_reply_str(r, NULL), NULL, 10);
    kvstore_reply_free(r);
    return n;
}

int main(void) {
    CHECK_RC(kvstore_open(NULL, NULL, &db), KVSTORE_OK);
    CHECK_RC(kvstore_open(NULL, NULL, &other), KVSTORE_OK);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < THREADS; i++) CHECK(pthread_join(t[i], NULL) == 0);

    CHECK(get_int(db, "GET", "shared") == (long long)THREADS * OPS);
    for (int i = 0; i < THREADS; i++) {
        char own[32];
        snprintf(own, sizeof own, "own:%d", i);
        CHECK(get_int(db, "GET", own) == OPS);
    }
    CHECK(get_int(db, "LLEN", "list") == (long long)THREADS * SIDE_OPS);
    CHECK(get_int(db, "HLEN", "hash") == (long long)THREADS * SIDE_OPS);
    CHECK(get_int(other, "GET", "shared") == (long long)THREADS * SIDE_OPS);
    kvstore_close(other);
    kvstore_close(db);
    report("test_threads");
    return 0;
}
