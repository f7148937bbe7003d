/*
 * net.h: the C tests' raw RESP clients of a kvstore_listen listener (TCP
 * and unix sockets), and redis-cli run as another process. Include after
 * defining _POSIX_C_SOURCE 200809L.
 */
#ifndef KVSTORE_TEST_NET_H
#define KVSTORE_TEST_NET_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* Sleeps `ms` milliseconds. */
static inline void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Milliseconds on the monotonic clock. */
static inline long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads on `fd` give up after 5 s, so a missing reply fails, not hangs. */
static inline int with_timeout(int fd) {
    struct timeval tv = {5, 0};
    CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    return fd;
}

/* A connection to 127.0.0.1:port, or -1 with errno set. */
static inline int connect_tcp(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return with_timeout(fd);
}

/* A connection to the unix socket at `path`, or -1 with errno set. */
static inline int connect_unix(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    CHECK(strlen(path) < sizeof a.sun_path);
    strcpy(a.sun_path, path);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return with_timeout(fd);
}

/* Sends the whole of `s` (a RESP request). */
static inline void send_all(int fd, const char *s) {
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        CHECK(w > 0);
        s += w;
        n -= (size_t)w;
    }
}

/* The next strlen(want) bytes on `fd` are exactly `want`. */
static inline void expect_bytes(int fd, const char *want) {
    size_t n = strlen(want), got = 0;
    char buf[512];
    CHECK(n < sizeof buf);
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        CHECK(r > 0);
        got += (size_t)r;
    }
    buf[got] = '\0';
    if (strcmp(buf, want) != 0) {
        fprintf(stderr, "socket read \"%s\", want \"%s\"\n", buf, want);
        CHECK(strcmp(buf, want) == 0);
    }
}

/* The port of a bound TCP address ("127.0.0.1:40123"). */
static inline int port_of(const char *bound) {
    const char *colon = strrchr(bound, ':');
    CHECK(colon != NULL);
    return atoi(colon + 1);
}

/* Runs redis-cli with `args` (a shell word list) against 127.0.0.1:port and
 * returns its output, without the trailing newline, in `out`. */
static inline void redis_cli(int port, const char *args, char *out, size_t cap) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "redis-cli -h 127.0.0.1 -p %d %s 2>&1", port, args);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    CHECK(pclose(p) == 0);
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r')) {
        out[--n] = '\0';
    }
}

#endif
