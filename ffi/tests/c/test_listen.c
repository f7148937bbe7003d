/*
 * test_listen.c: kvstore_listen/kvstore_unlisten. A handle served on TCP
 * and on a unix socket answers raw RESP clients, which see the in-process
 * data and whose writes the handle sees; redis-cli (another process) works
 * too. Unlisten closes the connections and the port; kvstore_close stops
 * the listeners left. Bad and busy addresses fail with a code and a
 * message, writing no output.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <sys/stat.h>

#include "net.h"

static kvstore *db;
static char dir[] = "/tmp/kvstore-listen-XXXXXX";

/* Serves `db` at `addr`: the id, and the bound address in `bound`. */
static uint64_t listen_at(kvstore *d, const char *addr, char *bound, size_t cap) {
    uint64_t id = 0;
    char *b = NULL;
    CHECK_RC(kvstore_listen(d, addr, &id, &b), KVSTORE_OK);
    CHECK(id != 0 && b != NULL);
    CHECK(strlen(b) < cap);
    strcpy(bound, b);
    kvstore_free(b);
    return id;
}

static void tcp_serves_the_same_data(void) {
    char bound[128];
    uint64_t id = listen_at(db, "127.0.0.1:0", bound, sizeof bound);
    CHECK(strncmp(bound, "127.0.0.1:", 10) == 0);
    int port = port_of(bound);
    CHECK(port > 0);

    int fd = connect_tcp(port);
    CHECK(fd >= 0);
    send_all(fd, "*1\r\n$4\r\nPING\r\n");
    expect_bytes(fd, "+PONG\r\n");
    /* A write over the socket is seen in-process ... */
    send_all(fd, "*3\r\n$3\r\nSET\r\n$3\r\nnet\r\n$6\r\nsocket\r\n");
    expect_bytes(fd, "+OK\r\n");
    uint8_t *v = NULL;
    size_t vlen = 0;
    CHECK_RC(kvstore_get(db, K("net"), &v, &vlen), KVSTORE_OK);
    CHECK(vlen == 6 && memcmp(v, "socket", 6) == 0);
    kvstore_free(v);
    /* ... and an in-process write over the socket, pipelined. */
    CHECK_RC(kvstore_set(db, K("local"), K("here")), KVSTORE_OK);
    send_all(fd, "*2\r\n$3\r\nGET\r\n$5\r\nlocal\r\n*2\r\n$4\r\nINCR\r\n$5\r\nlocal\r\n");
    expect_bytes(fd, "$4\r\nhere\r\n-ERR value is not an integer or out of range\r\n");

    /* Another process: redis-cli. */
    char out[256];
    redis_cli(port, "SET cli value", out, sizeof out);
    CHECK(strcmp(out, "OK") == 0);
    redis_cli(port, "GET local", out, sizeof out);
    CHECK(strcmp(out, "here") == 0);
    CHECK_RC(kvstore_get(db, K("cli"), &v, &vlen), KVSTORE_OK);
    CHECK(vlen == 5 && memcmp(v, "value", 5) == 0);
    kvstore_free(v);

    /* The same address again, from this handle: busy, nothing written. */
    uint64_t other = 77;
    CHECK_RC(kvstore_listen(db, bound, &other, NULL), KVSTORE_ERR_IO);
    CHECK_MSG("kvstore_listen: this store already serves 127.0.0.1:");
    CHECK(other == 77);

    /* Unlisten closes the open connection and the port. */
    CHECK_RC(kvstore_unlisten(db, id), KVSTORE_OK);
    char c;
    CHECK(read(fd, &c, 1) == 0);
    close(fd);
    CHECK(connect_tcp(port) == -1 && errno == ECONNREFUSED);
    CHECK_RC(kvstore_unlisten(db, id), KVSTORE_NOTFOUND);
    CHECK_RC(kvstore_unlisten(db, 0), KVSTORE_NOTFOUND);
}

static void unix_socket(void) {
    char addr[256], path[200], bound[256];
    snprintf(path, sizeof path, "%s/kv.sock", dir);
    snprintf(addr, sizeof addr, "unix:%s", path);
    uint64_t id = listen_at(db, addr, bound, sizeof bound);
    CHECK(strcmp(bound, addr) == 0);
    int fd = connect_unix(path);
    CHECK(fd >= 0);
    send_all(fd, "*2\r\n$3\r\nGET\r\n$3\r\nnet\r\n");
    expect_bytes(fd, "$6\r\nsocket\r\n");
    close(fd);

    /* Another store of the process may not take the path over. */
    kvstore *second = NULL;
    uint64_t other = 77;
    CHECK_RC(kvstore_open(NULL, NULL, &second), KVSTORE_OK);
    CHECK_RC(kvstore_listen(second, addr, &other, NULL), KVSTORE_ERR_IO);
    CHECK_MSG("kvstore_listen: unix:");
    CHECK(strstr(kvstore_errmsg(), "already served by another store") != NULL);
    CHECK(other == 77);
    kvstore_close(second);

    CHECK_RC(kvstore_unlisten(db, id), KVSTORE_OK);
    struct stat st;
    CHECK(stat(path, &st) != 0 && errno == ENOENT);
    CHECK(connect_unix(path) == -1);
}

static void bad_addresses(void) {
    uint64_t id = 77;
    char *bound = (char *)0x1;
    const char *malformed[] = {"", "6379", "example.com:6379", "127.0.0.1:99999",
                               "127.0.0.1:port", "unix:"};
    for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++) {
        CHECK_RC(kvstore_listen(db, malformed[i], &id, &bound), KVSTORE_ERR_INVALID);
        CHECK(id == 77 && bound == (char *)0x1);
    }
    CHECK_RC(kvstore_listen(db, "6379", &id, &bound), KVSTORE_ERR_INVALID);
    CHECK_MSG("kvstore_listen: address \"6379\" is not \"host:port\"");
    CHECK_RC(kvstore_listen(db, "127.0.0.1:\xff", &id, &bound), KVSTORE_ERR_INVALID);
    CHECK_MSG("kvstore_listen: address");
    CHECK(strstr(kvstore_errmsg(), "is not UTF-8") != NULL);

    /* A path that is not a socket is refused and left alone. */
    char file[256], addr[300];
    snprintf(file, sizeof file, "%s/plain", dir);
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    fputs("keep me", f);
    fclose(f);
    snprintf(addr, sizeof addr, "unix:%s", file);
    CHECK_RC(kvstore_listen(db, addr, &id, &bound), KVSTORE_ERR_IO);
    CHECK(strstr(kvstore_errmsg(), "is not a socket") != NULL);
    struct stat st;
    CHECK(stat(file, &st) == 0 && st.st_size == 7);
    CHECK(unlink(file) == 0);

    /* A port another socket holds: the OS's error, with the address. */
    int holder = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(holder, (struct sockaddr *)&a, sizeof a) == 0 && listen(holder, 1) == 0);
    CHECK(getsockname(holder, (struct sockaddr *)&a, &alen) == 0);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ntohs(a.sin_port));
    CHECK_RC(kvstore_listen(db, addr, &id, &bound), KVSTORE_ERR_IO);
    CHECK_MSG("kvstore_listen: Could not create server TCP listening socket 127.0.0.1:");
    CHECK(strstr(kvstore_errmsg(), "in use") != NULL);
    close(holder);
    CHECK(id == 77 && bound == (char *)0x1);
}

/* Several listeners at once; kvstore_close stops those still running. */
static void close_stops_listeners(void) {
    kvstore *d = NULL;
    CHECK_RC(kvstore_open(NULL, NULL, &d), KVSTORE_OK);
    char b1[128], b2[128];
    uint64_t id1 = listen_at(d, "127.0.0.1:0", b1, sizeof b1);
    uint64_t id2 = listen_at(d, "localhost:0", b2, sizeof b2);
    CHECK(id1 != id2);
    int p1 = port_of(b1), p2 = port_of(b2);
    CHECK(p1 != p2);
    int fd = connect_tcp(p2);
    CHECK(fd >= 0);
    send_all(fd, "*1\r\n$4\r\nPING\r\n");
    expect_bytes(fd, "+PONG\r\n");
    /* No bound address asked for: only the id. */
    uint64_t id3 = 0;
    CHECK_RC(kvstore_listen(d, "127.0.0.1:0", &id3, NULL), KVSTORE_OK);
    CHECK(id3 != 0 && id3 != id1 && id3 != id2);
    kvstore_close(d);
    char c;
    CHECK(read(fd, &c, 1) == 0);
    close(fd);
    CHECK(connect_tcp(p1) == -1 && errno == ECONNREFUSED);
    CHECK(connect_tcp(p2) == -1 && errno == ECONNREFUSED);
}

int main(void) {
    CHECK(mkdtemp(dir) != NULL);
    CHECK_RC(kvstore_open(NULL, NULL, &db), KVSTORE_OK);
    tcp_serves_the_same_data();
    unix_socket();
    bad_addresses();
    close_stops_listeners();
    kvstore_close(db);
    CHECK(rmdir(dir) == 0);
    report("test_listen");
    return 0;
}
