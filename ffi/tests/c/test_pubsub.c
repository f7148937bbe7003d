/*
 * test_pubsub.c: the poll-style Pub/Sub API. Confirmations and messages
 * arrive as Redis sends them (arrays in RESP2, PUSH replies in RESP3),
 * binary safe and in order: from PUBLISH through the generic call, from
 * other threads, from redis-cli through a listener, and from keyspace
 * notifications; in-process PUBLISH reaches a listener's subscribed
 * client. Timeouts, interrupts, freeing a subscriber another thread waits
 * on, and a subscriber that falls behind its output buffer limit.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>

#include "net.h"

static kvstore *db;

/* The next push of `sub`, waiting up to `ms`; must arrive. */
static kvstore_reply *next(kvstore_subscriber *sub, int64_t ms) {
    kvstore_reply *r = NULL;
    CHECK_RC(kvstore_subscriber_next(sub, ms, &r), KVSTORE_OK);
    CHECK(r != NULL);
    return r;
}

/* `r` is a push of type `type` whose elements are `want`, strings except
 * for the words "#N", which stand for the integer N. Frees `r`. */
static void check_push(kvstore_reply *r, int type, size_t n, const char *const *want) {
    CHECK(kvstore_reply_type(r) == type);
    CHECK(kvstore_reply_len(r) == n);
    for (size_t i = 0; i < n; i++) {
        const kvstore_reply *e = kvstore_reply_element(r, i);
        if (want[i][0] == '#') {
            CHECK(kvstore_reply_type(e) == KVSTORE_REPLY_INTEGER);
            CHECK(kvstore_reply_integer(e) == atoll(want[i] + 1));
        } else {
            CHECK(kvstore_reply_type(e) == KVSTORE_REPLY_STRING);
            CHECK_STR(e, want[i]);
        }
    }
    kvstore_reply_free(r);
}

#define PUSH(r, ...)                                                               \
    check_push((r), KVSTORE_REPLY_ARRAY, sizeof((const char *[]){__VA_ARGS__}) / \
               sizeof(char *), (const char *[]){__VA_ARGS__})

static void publish(const char *channel, const char *msg, long long receivers) {
    kvstore_reply *r = RUN(db, "PUBLISH", channel, msg);
    CHECK(kvstore_reply_integer(r) == receivers);
    kvstore_reply_free(r);
}

static void channels_and_patterns(void) {
    kvstore_subscriber *sub = NULL;
    CHECK_RC(kvstore_subscriber_new(db, &sub), KVSTORE_OK);
    kvstore_reply *r = (kvstore_reply *)0x1;
    CHECK_RC(kvstore_subscriber_next(sub, 0, &r), KVSTORE_TIMEOUT);
    CHECK(r == (kvstore_reply *)0x1);

    CHECK_RC(kvstore_subscribe(sub, K("news")), KVSTORE_OK);
    CHECK_RC(kvstore_psubscribe(sub, K("n*")), KVSTORE_OK);
    PUSH(next(sub, 0), "subscribe", "news", "#1");
    PUSH(next(sub, 0), "psubscribe", "n*", "#2");

    publish("news", "hello", 2);
    publish("nothing", "x", 1);
    publish("other", "y", 0);
    PUSH(next(sub, 0), "message", "news", "hello");
    PUSH(next(sub, 0), "pmessage", "n*", "news", "hello");
    PUSH(next(sub, 0), "pmessage", "n*", "nothing", "x");
    CHECK_RC(kvstore_subscriber_next(sub, 0, &r), KVSTORE_TIMEOUT);

    /* Binary safe: a channel and a payload holding NUL bytes. */
    CHECK_RC(kvstore_subscribe(sub, (const uint8_t *)"b\0in", 4), KVSTORE_OK);
    kvstore_reply *c = next(sub, 0);
    size_t len = 0;
    const char *s = kvstore_reply_str(kvstore_reply_element(c, 1), &len);
    CHECK(len == 4 && memcmp(s, "b\0in", 4) == 0);
    CHECK(kvstore_reply_integer(kvstore_reply_element(c, 2)) == 3);
    kvstore_reply_free(c);
    const char *argv[] = {"PUBLISH", "b\0in", "p\0y"};
    size_t lens[] = {7, 4, 3};
    CHECK_RC(kvstore_command_argv(db, 3, argv, lens, &c), KVSTORE_OK);
    CHECK(kvstore_reply_integer(c) == 1);
    kvstore_reply_free(c);
    c = next(sub, 0);
    s = kvstore_reply_str(kvstore_reply_element(c, 2), &len);
    CHECK(len == 3 && memcmp(s, "p\0y", 3) == 0);
    kvstore_reply_free(c);

    /* Leaving: confirmations with the counts left, then nothing arrives. */
    CHECK_RC(kvstore_unsubscribe(sub, K("news")), KVSTORE_OK);
    CHECK_RC(kvstore_punsubscribe(sub, K("n*")), KVSTORE_OK);
    CHECK_RC(kvstore_unsubscribe(sub, K("never")), KVSTORE_OK);
    PUSH(next(sub, 0), "unsubscribe", "news", "#2");
    PUSH(next(sub, 0), "punsubscribe", "n*", "#1");
    PUSH(next(sub, 0), "unsubscribe", "never", "#1");
    publish("news", "late", 0);

    /* Freeing leaves the channels: nobody is subscribed any more. */
    c = RUN(db, "PUBSUB", "CHANNELS");
    CHECK(kvstore_reply_len(c) == 1);
    kvstore_reply_free(c);
    kvstore_subscriber_free(sub);
    c = RUN(db, "PUBSUB", "CHANNELS");
    CHECK(kvstore_reply_len(c) == 0);
    kvstore_reply_free(c);
}

/* Timeouts wait about as long as asked. */
static void timeouts(void) {
    kvstore_subscriber *sub = NULL;
    kvstore_reply *r = (kvstore_reply *)0x1;
    CHECK_RC(kvstore_subscriber_new(db, &sub), KVSTORE_OK);
    long long t0 = now_ms();
    CHECK_RC(kvstore_subscriber_next(sub, 0, &r), KVSTORE_TIMEOUT);
    CHECK(now_ms() - t0 < 50);
    t0 = now_ms();
    CHECK_RC(kvstore_subscriber_next(sub, 100, &r), KVSTORE_TIMEOUT);
    long long waited = now_ms() - t0;
    CHECK(waited >= 100 && waited < 2000);
    CHECK(r == (kvstore_reply *)0x1);
    kvstore_subscriber_free(sub);
}

#define MESSAGES 2000

struct publisher {
    kvstore *db;
    const char *channel;
    int first;
};

/* Publishes MESSAGES numbered messages through the printf-style call. */
static void *publish_thread(void *arg) {
    struct publisher *p = arg;
    sleep_ms(20);
    for (int i = 0; i < MESSAGES; i++) {
        kvstore_reply *r = NULL;
        CHECK_RC(kvstore_command(p->db, &r, "PUBLISH %s m%d", p->channel, p->first + i),
                 KVSTORE_OK);
        CHECK(kvstore_reply_integer(r) == 1);
        kvstore_reply_free(r);
    }
    return NULL;
}

/* Messages from another thread arrive in order, none lost, to a reader
 * that sleeps in next() between them. */
static void from_another_thread(void) {
    kvstore_subscriber *sub = NULL;
    CHECK_RC(kvstore_subscriber_new(db, &sub), KVSTORE_OK);
    CHECK_RC(kvstore_subscribe(sub, K("jobs")), KVSTORE_OK);
    PUSH(next(sub, 0), "subscribe", "jobs", "#1");
    struct publisher p = {db, "jobs", 0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, publish_thread, &p) == 0);
    for (int i = 0; i < MESSAGES; i++) {
        char want[16];
        snprintf(want, sizeof want, "m%d", i);
        PUSH(next(sub, -1), "message", "jobs", want);
    }
    CHECK(pthread_join(t, NULL) == 0);
    kvstore_reply *r = NULL;
    CHECK_RC(kvstore_subscriber_next(sub, 0, &r), KVSTORE_TIMEOUT);
    kvstore_subscriber_free(sub);
}

struct waiter {
    kvstore_subscriber *sub;
    kvstore_result rc;
    kvstore_reply *reply;
    /* Set once the waiter has its first message (so it is running). */
    volatile int started;
};

/* Reads one message (proof of life), then waits for another without limit. */
static void *wait_thread(void *arg) {
    struct waiter *w = arg;
    kvstore_reply *r = NULL;
    CHECK_RC(kvstore_subscriber_next(w->sub, -1, &r), KVSTORE_OK);
    kvstore_reply_free(r);
    __sync_synchronize();
    w->started = 1;
    w->rc = kvstore_subscriber_next(w->sub, -1, &w->reply);
    return NULL;
}

/* Starts a waiter on `sub` and returns once it waits (after its first
 * message, plus time to enter the second wait). */
static void start_waiter(pthread_t *t, struct waiter *w, kvstore_subscriber *sub,
                         const char *channel) {
    w->sub = sub;
    w->rc = KVSTORE_ERR_PANIC;
    w->reply = NULL;
    w->started = 0;
    CHECK(pthread_create(t, NULL, wait_thread, w) == 0);
    publish(channel, "ready", 1);
    while (!w->started) {
        sleep_ms(1);
    }
    sleep_ms(100);
}

static void interrupts(void) {
    kvstore_subscriber *sub = NULL;
    kvstore_reply *r = (kvstore_reply *)0x1;
    CHECK_RC(kvstore_subscriber_new(db, &sub), KVSTORE_OK);
    CHECK_RC(kvstore_subscribe(sub, K("wake")), KVSTORE_OK);
    PUSH(next(sub, 0), "subscribe", "wake", "#1");

    /* An interrupt ends a wait without limit in another thread. */
    pthread_t t;
    struct waiter w;
    start_waiter(&t, &w, sub, "wake");
    CHECK_RC(kvstore_subscriber_interrupt(sub), KVSTORE_OK);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_RC(w.rc, KVSTORE_INTERRUPTED);
    CHECK(w.reply == NULL);

    /* A subscription made while another thread waits wakes it with its
     * confirmation. */
    start_waiter(&t, &w, sub, "wake");
    CHECK_RC(kvstore_subscribe(sub, K("late")), KVSTORE_OK);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_RC(w.rc, KVSTORE_OK);
    PUSH(w.reply, "subscribe", "late", "#2");

    /* An interrupt sent before the wait is kept for it; a queued message
     * comes first. */
    CHECK_RC(kvstore_subscriber_interrupt(sub), KVSTORE_OK);
    publish("late", "first", 1);
    PUSH(next(sub, -1), "message", "late", "first");
    CHECK_RC(kvstore_subscriber_next(sub, -1, &r), KVSTORE_INTERRUPTED);
    CHECK(r == (kvstore_reply *)0x1);
    CHECK_RC(kvstore_subscriber_next(sub, 0, &r), KVSTORE_TIMEOUT);

    /* Freeing the subscriber ends the wait of another thread, and leaves
     * its channels. */
    start_waiter(&t, &w, sub, "wake");
    kvstore_subscriber_free(sub);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_RC(w.rc, KVSTORE_INTERRUPTED);
    publish("wake", "gone", 0);
}

/* RESP3: the same pushes as PUSH replies. */
static void resp3(void) {
    kvstore_options o;
    kvstore *d3 = NULL;
    CHECK_RC(kvstore_options_init(&o), KVSTORE_OK);
    o.protocol = 3;
    CHECK_RC(kvstore_open(NULL, &o, &d3), KVSTORE_OK);
    kvstore_subscriber *sub = NULL;
    CHECK_RC(kvstore_subscriber_new(d3, &sub), KVSTORE_OK);
    CHECK_RC(kvstore_psubscribe(sub, K("a?")), KVSTORE_OK);
    kvstore_reply *r = NULL;
    CHECK_RC(kvstore_command(d3, &r, "PUBLISH ab hi"), KVSTORE_OK);
    CHECK(kvstore_reply_integer(r) == 1);
    kvstore_reply_free(r);
    check_push(next(sub, 0), KVSTORE_REPLY_PUSH, 3, (const char *[]){"psubscribe", "a?", "#1"});
    check_push(next(sub, 0), KVSTORE_REPLY_PUSH, 4,
               (const char *[]){"pmessage", "a?", "ab", "hi"});
    /* The subscriber outlives its store's handle. */
    kvstore_close(d3);
    CHECK_RC(kvstore_subscriber_next(sub, 0, &r), KVSTORE_TIMEOUT);
    kvstore_subscriber_free(sub);
}

/* Keyspace notifications reach a C subscriber like any message. */
static void keyspace_notifications(void) {
    kvstore_subscriber *sub = NULL;
    CHECK_RC(kvstore_subscriber_new(db, &sub), KVSTORE_OK);
    kvstore_reply *r = RUN(db, "CONFIG", "SET", "notify-keyspace-events", "K$");
    CHECK_STR(r, "OK");
    kvstore_reply_free(r);
    CHECK_RC(kvstore_psubscribe(sub, K("__keyspace@0__:*")), KVSTORE_OK);
    PUSH(next(sub, 0), "psubscribe", "__keyspace@0__:*", "#1");
    CHECK_RC(kvstore_set(db, K("watched"), K("v")), KVSTORE_OK);
    PUSH(next(sub, 0), "pmessage", "__keyspace@0__:*", "__keyspace@0__:watched", "set");
    r = RUN(db, "CONFIG", "SET", "notify-keyspace-events", "");
    kvstore_reply_free(r);
    kvstore_subscriber_free(sub);
}

/* A subscriber that falls behind the pubsub output limit gets what was
 * queued, then KVSTORE_ERR_OVERFLOW, as Redis would disconnect it. */
static void overflow(void) {
    kvstore_reply *r = RUN(db, "CONFIG", "SET", "client-output-buffer-limit", "pubsub 2000 0 0");
    CHECK_STR(r, "OK");
    kvstore_reply_free(r);
    kvstore_subscriber *sub = NULL;
    CHECK_RC(kvstore_subscriber_new(db, &sub), KVSTORE_OK);
    CHECK_RC(kvstore_subscribe(sub, K("flood")), KVSTORE_OK);
    char payload[101];
    memset(payload, 'x', 100);
    payload[100] = '\0';
    for (int i = 0; i < 100; i++) {
        publish("flood", payload, 1);
    }
    int got = 0;
    kvstore_result rc;
    while ((rc = kvstore_subscriber_next(sub, 0, &r)) == KVSTORE_OK) {
        kvstore_reply_free(r);
        got++;
    }
    CHECK_RC(rc, KVSTORE_ERR_OVERFLOW);
    CHECK_MSG("kvstore_subscriber_next: the subscriber fell behind");
    CHECK(got > 1 && got < 100);
    CHECK_RC(kvstore_subscriber_next(sub, -1, &r), KVSTORE_ERR_OVERFLOW);
    kvstore_subscriber_free(sub);
    r = RUN(db, "CONFIG", "SET", "client-output-buffer-limit", "pubsub 33554432 8388608 60");
    kvstore_reply_free(r);
}

/* Through a listener: redis-cli's PUBLISH reaches the C subscriber, and
 * an in-process PUBLISH reaches a subscribed socket client. */
static void across_the_listener(void) {
    uint64_t id = 0;
    char *bound = NULL;
    CHECK_RC(kvstore_listen(db, "127.0.0.1:0", &id, &bound), KVSTORE_OK);
    int port = port_of(bound);
    kvstore_free(bound);

    kvstore_subscriber *sub = NULL;
    CHECK_RC(kvstore_subscriber_new(db, &sub), KVSTORE_OK);
    CHECK_RC(kvstore_subscribe(sub, K("bridge")), KVSTORE_OK);
    PUSH(next(sub, 0), "subscribe", "bridge", "#1");
    char out[64];
    redis_cli(port, "PUBLISH bridge from-cli", out, sizeof out);
    CHECK(strcmp(out, "1") == 0);
    PUSH(next(sub, 5000), "message", "bridge", "from-cli");

    int fd = connect_tcp(port);
    CHECK(fd >= 0);
    send_all(fd, "*2\r\n$9\r\nSUBSCRIBE\r\n$6\r\nbridge\r\n");
    expect_bytes(fd, "*3\r\n$9\r\nsubscribe\r\n$6\r\nbridge\r\n:1\r\n");
    publish("bridge", "from-c", 2);
    expect_bytes(fd, "*3\r\n$7\r\nmessage\r\n$6\r\nbridge\r\n$6\r\nfrom-c\r\n");
    PUSH(next(sub, 0), "message", "bridge", "from-c");
    close(fd);
    kvstore_subscriber_free(sub);
    CHECK_RC(kvstore_unlisten(db, id), KVSTORE_OK);
}

int main(void) {
    CHECK_RC(kvstore_open(NULL, NULL, &db), KVSTORE_OK);
    channels_and_patterns();
    timeouts();
    from_another_thread();
    interrupts();
    resp3();
    keyspace_notifications();
    overflow();
    across_the_listener();
    kvstore_close(db);
    report("test_pubsub");
    return 0;
}
