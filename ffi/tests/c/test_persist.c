/*
 * test_persist.c: kvstore_open on a data directory. Usage: test_persist
 * WORKDIR (an empty directory the test may fill). Data written through a
 * handle is there after close and reopen (every type, a TTL, a binary key);
 * kvstore_close releases the directory while replies are still alive; a
 * second open of a held directory, from this process and from a child
 * process, is KVSTORE_ERR_LOCKED with the holder's pid in the message; a
 * damaged or truncated dump.rdb is KVSTORE_ERR_CORRUPT with file and offset,
 * and loads nothing; unusable paths are KVSTORE_ERR_IO or
 * KVSTORE_ERR_INVALID. WORKDIR/data/dump.rdb is left for the harness to
 * check with redis-check-rdb.
 *
 * `test_persist probe DIR` (run by the test itself, as the other process)
 * opens DIR and prints the result code and the message.
 */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char workdir[PATH_MAX];

/* dir/name, written into `buf` (PATH_MAX bytes). */
static const char *join(char *buf, const char *dir, const char *name) {
    int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);
    CHECK(n > 0 && n < PATH_MAX);
    return buf;
}

/* WORKDIR/name, written into `buf` (PATH_MAX bytes). */
static const char *in_work(char *buf, const char *name) {
    return join(buf, workdir, name);
}

/* The contents of `path` (malloc'd; its size in *len), or NULL if missing. */
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    CHECK(fseek(f, 0, SEEK_END) == 0);
    long size = ftell(f);
    CHECK(size >= 0);
    rewind(f);
    char *data = malloc((size_t)size + 1);
    CHECK(data != NULL);
    CHECK(fread(data, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    *len = (size_t)size;
    return data;
}

static void write_file(const char *path, const char *data, size_t len) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(data, 1, len, f) == len);
    CHECK(fclose(f) == 0);
}

/* The message contains `part`. */
#define CHECK_MSG_HAS(part)                                                              \
    do {                                                                                 \
        const char *m_ = kvstore_errmsg();                                               \
        __sync_fetch_and_add(&checks, 1);                                               \
        if (!m_ || !strstr(m_, (part))) {                                                \
            fprintf(stderr, "%s:%d: error message \"%s\" lacks \"%s\"\n", __FILE__,      \
                    __LINE__, m_ ? m_ : "(null)", (part));                               \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

static kvstore *open_dir(const char *dir) {
    kvstore *db = NULL;
    CHECK_RC(kvstore_open(dir, NULL, &db), KVSTORE_OK);
    CHECK(db != NULL);
    return db;
}

/* The string value of `key` equals `want` (`want_len` bytes). */
static void check_value(kvstore *db, const char *key, size_t key_len, const char *want,
                        size_t want_len) {
    uint8_t *v = NULL;
    size_t len = 0;
    CHECK_RC(kvstore_get(db, (const uint8_t *)key, key_len, &v, &len), KVSTORE_OK);
    CHECK(len == want_len && memcmp(v, want, len) == 0);
    kvstore_free(v);
}

static long long integer_of(kvstore *db, const char *cmd, const char *key) {
    kvstore_reply *r = RUN(db, cmd, key);
    CHECK(kvstore_reply_type(r) == KVSTORE_REPLY_INTEGER);
    long long n = kvstore_reply_integer(r);
    kvstore_reply_free(r);
    return n;
}

/* One key of each type, a TTL and a binary key; then the handle closes
 * with a reply still alive, and the directory is free at once. */
static void test_write_close_reopen(const char *dir) {
    kvstore *db = open_dir(dir);
    CHECK_RC(kvstore_set(db, K("greeting"), K("hello")), KVSTORE_OK);
    CHECK_RC(kvstore_set(db, (const uint8_t *)"bin\0key", 7, (const uint8_t *)"a\0b", 3),
             KVSTORE_OK);
    CHECK_RC(kvstore_incrby(db, K("counter"), 41, NULL), KVSTORE_OK);
    CHECK_RC(kvstore_hset(db, K("user:1"), K("name"), K("Ada"), NULL), KVSTORE_OK);
    CHECK_RC(kvstore_lpush(db, K("queue"), K("job:1"), NULL), KVSTORE_OK);
    CHECK_RC(kvstore_sadd(db, K("tags"), K("c"), NULL), KVSTORE_OK);
    CHECK_RC(kvstore_zadd(db, K("board"), 2.5, K("ada"), NULL), KVSTORE_OK);
    CHECK_RC(kvstore_set(db, K("session"), K("s1")), KVSTORE_OK);
    CHECK_RC(kvstore_expire(db, K("session"), 1000, NULL), KVSTORE_OK);
    kvstore_reply_free(RUN(db, "SELECT", "3"));
    CHECK_RC(kvstore_set(db, K("in-db-3"), K("x")), KVSTORE_OK);
    kvstore_reply_free(RUN(db, "SELECT", "0"));

    kvstore_reply *alive = RUN(db, "GET", "greeting");
    kvstore_close(db);
    /* Released although a reply is alive: the next open succeeds. */
    db = open_dir(dir);
    CHECK_STR(alive, "hello");
    kvstore_reply_free(alive);

    check_value(db, "greeting", 8, "hello", 5);
    check_value(db, "bin\0key", 7, "a\0b", 3);
    kvstore_reply *r = RUN(db, "DBSIZE");
    CHECK(kvstore_reply_integer(r) == 8);
    kvstore_reply_free(r);
    int64_t n = 0;
    CHECK_RC(kvstore_incrby(db, K("counter"), 1, &n), KVSTORE_OK);
    CHECK(n == 42);
    uint8_t *v = NULL;
    size_t len = 0;
    CHECK_RC(kvstore_hget(db, K("user:1"), K("name"), &v, &len), KVSTORE_OK);
    CHECK(len == 3 && memcmp(v, "Ada", 3) == 0);
    kvstore_free(v);
    r = RUN(db, "LRANGE", "queue", "0", "-1");
    CHECK(kvstore_reply_len(r) == 1);
    CHECK_STR(kvstore_reply_element(r, 0), "job:1");
    kvstore_reply_free(r);
    CHECK(integer_of(db, "SCARD", "tags") == 1);
    r = RUN(db, "ZSCORE", "board", "ada");
    CHECK_STR(r, "2.5");
    kvstore_reply_free(r);
    long long ttl = integer_of(db, "TTL", "session");
    CHECK(ttl > 990 && ttl <= 1000);
    kvstore_reply_free(RUN(db, "SELECT", "3"));
    check_value(db, "in-db-3", 7, "x", 1);
    kvstore_reply_free(RUN(db, "SELECT", "0"));
    kvstore_close(db);
}

/* Runs `argv0 probe dir` (another process) and returns its result code,
 * with its message in `msg`. */
static int probe(const char *argv0, const char *dir, char *msg, size_t cap) {
    char cmd[3 * PATH_MAX];
    /* The harness's paths hold no quote. */
    CHECK(!strchr(argv0, '\'') && !strchr(dir, '\''));
    snprintf(cmd, sizeof cmd, "'%s' probe '%s'", argv0, dir);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    int rc = -1;
    CHECK(fscanf(p, "%d ", &rc) == 1);
    CHECK(fgets(msg, (int)cap, p) != NULL);
    CHECK(pclose(p) == 0);
    msg[strcspn(msg, "\n")] = '\0';
    return rc;
}

/* One owner at a time: a second handle in this process and a handle in
 * another process are refused, naming the holder's pid; free again after
 * kvstore_close. */
static void test_locked(const char *argv0, const char *dir) {
    char real[PATH_MAX], want[3 * PATH_MAX], msg[4 * PATH_MAX];
    CHECK(realpath(dir, real) != NULL);
    kvstore *db = open_dir(dir);

    kvstore *second = (kvstore *)0x1;
    CHECK_RC(kvstore_open(dir, NULL, &second), KVSTORE_ERR_LOCKED);
    CHECK(second == (kvstore *)0x1);
    snprintf(want, sizeof want,
             "kvstore_open: data directory %s is in use by another engine in this process "
             "(pid %ld) (lock file %s/kvstore.lock)",
             real, (long)getpid(), real);
    CHECK(strcmp(kvstore_errmsg(), want) == 0);
    CHECK(strcmp(kvstore_errstr(KVSTORE_ERR_LOCKED),
                 "the data directory is in use by another handle") == 0);

    CHECK(probe(argv0, dir, msg, sizeof msg) == KVSTORE_ERR_LOCKED);
    snprintf(want, sizeof want, "is in use by process %ld (lock file", (long)getpid());
    if (!strstr(msg, want)) {
        fprintf(stderr, "the other process says \"%s\", want \"%s\"\n", msg, want);
        exit(1);
    }
    /* The refused opens changed nothing: the holder works on. */
    CHECK_RC(kvstore_set(db, K("still"), K("mine")), KVSTORE_OK);
    kvstore_close(db);

    CHECK(probe(argv0, dir, msg, sizeof msg) == KVSTORE_OK);
    db = open_dir(dir);
    check_value(db, "still", 5, "mine", 4);
    kvstore_close(db);
}

/* `CONFIG SET save ""` turns the save rules off: a close then saves
 * nothing (the config itself is not persisted, as in Redis without
 * CONFIG REWRITE). */
static void test_save_rules_off(const char *dir) {
    kvstore *db = open_dir(dir);
    kvstore_reply_free(RUN(db, "CONFIG", "SET", "save", ""));
    CHECK_RC(kvstore_set(db, K("unsaved"), K("1")), KVSTORE_OK);
    kvstore_close(db);
    db = open_dir(dir);
    bool exists = true;
    CHECK_RC(kvstore_exists(db, K("unsaved"), &exists), KVSTORE_OK);
    CHECK(!exists);
    kvstore_reply *r = RUN(db, "CONFIG", "GET", "save");
    CHECK_STR(kvstore_reply_element(r, 1), "3600 1 300 100 60 10000");
    kvstore_reply_free(r);
    kvstore_close(db);
}

/* A directory `name` whose dump.rdb holds `data` (a damaged file) is
 * refused as corrupt, every time (a refused open keeps no lock), and the
 * file is left as it is. */
static void expect_corrupt(const char *name, const char *data, size_t len) {
    char dir[PATH_MAX], file[PATH_MAX], real[PATH_MAX], want[2 * PATH_MAX];
    in_work(dir, name);
    CHECK(mkdir(dir, 0700) == 0);
    join(file, dir, "dump.rdb");
    write_file(file, data, len);
    CHECK(realpath(dir, real) != NULL);
    snprintf(want, sizeof want, "kvstore_open: %s/dump.rdb: bad RDB data at offset ", real);
    for (int attempt = 0; attempt < 2; attempt++) {
        kvstore *db = (kvstore *)0x1;
        CHECK_RC(kvstore_open(dir, NULL, &db), KVSTORE_ERR_CORRUPT);
        CHECK(db == (kvstore *)0x1);
        CHECK_MSG(want);
    }
    size_t now_len = 0;
    char *now = read_file(file, &now_len);
    CHECK(now != NULL && now_len == len && memcmp(now, data, len) == 0);
    free(now);
}

static void test_corrupt(const char *good_dir) {
    char file[PATH_MAX];
    join(file, good_dir, "dump.rdb");
    size_t len = 0;
    char *good = read_file(file, &len);
    CHECK(good != NULL && len > 40);

    expect_corrupt("truncated", good, len - 10);
    char *flipped = malloc(len);
    CHECK(flipped != NULL);
    memcpy(flipped, good, len);
    flipped[len / 2] ^= 0x5a; /* caught by the decoder or by the CRC-64 */
    expect_corrupt("flipped", flipped, len);
    free(flipped);
    const char garbage[] = "this is not an RDB file";
    expect_corrupt("garbage", garbage, sizeof garbage - 1);
    CHECK(strcmp(kvstore_errstr(KVSTORE_ERR_CORRUPT), "the data file is corrupt") == 0);
    free(good);
}

/* Paths that cannot be a data directory. */
static void test_bad_paths(void) {
    char file[PATH_MAX], under[PATH_MAX], dir[PATH_MAX], want[2 * PATH_MAX];
    kvstore *db = (kvstore *)0x1;

    CHECK_RC(kvstore_open("", NULL, &db), KVSTORE_ERR_INVALID);
    CHECK_MSG("kvstore_open: path is empty");

    /* A regular file, and a path through one. */
    in_work(file, "plain-file");
    write_file(file, "x", 1);
    CHECK_RC(kvstore_open(file, NULL, &db), KVSTORE_ERR_IO);
    snprintf(want, sizeof want, "kvstore_open: %s: ", file);
    CHECK_MSG(want);
    in_work(under, "plain-file/sub");
    CHECK_RC(kvstore_open(under, NULL, &db), KVSTORE_ERR_IO);
    CHECK_MSG("kvstore_open: ");
    CHECK_MSG_HAS("plain-file");

    /* dump.rdb is a directory: it cannot be read. */
    in_work(dir, "rdb-is-a-dir");
    CHECK(mkdir(dir, 0700) == 0);
    CHECK(mkdir(join(want, dir, "dump.rdb"), 0700) == 0);
    CHECK_RC(kvstore_open(dir, NULL, &db), KVSTORE_ERR_IO);
    CHECK_MSG_HAS("dump.rdb: Is a directory");
    CHECK(db == (kvstore *)0x1);
    CHECK(strcmp(kvstore_errstr(KVSTORE_ERR_IO), "I/O error on the data directory") == 0);

    /* Options are checked on this path too. */
    kvstore_options opts;
    CHECK_RC(kvstore_options_init(&opts), KVSTORE_OK);
    opts.protocol = 5;
    in_work(dir, "never-created");
    CHECK_RC(kvstore_open(dir, &opts, &db), KVSTORE_ERR_INVALID);
    CHECK(db == (kvstore *)0x1);
}

/* A relative path is taken from the working directory; options apply. */
static void test_relative_path(void) {
    CHECK(chdir(workdir) == 0);
    kvstore_options opts;
    CHECK_RC(kvstore_options_init(&opts), KVSTORE_OK);
    opts.protocol = 3;
    opts.shards = 4;
    kvstore *db = NULL;
    CHECK_RC(kvstore_open("rel/nested", &opts, &db), KVSTORE_OK);
    CHECK_RC(kvstore_set(db, K("k"), K("v")), KVSTORE_OK);
    kvstore_reply *r = RUN(db, "SAVE");
    CHECK_STR(r, "OK");
    kvstore_reply_free(r);
    kvstore_close(db);
    struct stat st;
    CHECK(stat("rel/nested/dump.rdb", &st) == 0 && st.st_size > 0);
    CHECK(stat("rel/nested/kvstore.lock", &st) == 0);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "probe") == 0) {
        kvstore *db = NULL;
        int rc = kvstore_open(argv[2], NULL, &db);
        printf("%d %s\n", rc, rc == KVSTORE_OK ? "opened" : kvstore_errmsg());
        kvstore_close(db);
        return 0;
    }
    CHECK(argc == 2 && strlen(argv[1]) < PATH_MAX / 2);
    strcpy(workdir, argv[1]);
    char data[PATH_MAX];
    in_work(data, "data");

    test_write_close_reopen(data);
    test_locked(argv[0], data);
    test_save_rules_off(data);
    test_corrupt(data);
    test_bad_paths();
    test_relative_path();
    report("test_persist");
    return 0;
}
