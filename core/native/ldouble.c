/* Long-double helpers: Redis computes INCRBYFLOAT and HINCRBYFLOAT in C's
 * `long double` and formats results with "%.17Lg". Rust has no such type, so
 * this file does exactly what Redis's util.c (string2ld / ld2string) does. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

/* Parses `len` bytes as a long double the way Redis's string2ld does.
 * Returns 1 and stores the value on success, 0 on a malformed number. */
static int kv_string2ld(const char *s, size_t len, long double *dp) {
    char buf[5120];
    char *eptr;
    long double value;
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    value = strtold(buf, &eptr);
    if (isspace((unsigned char)buf[0]) || eptr[0] != '\0' || (size_t)(eptr - buf) != len ||
        ((errno == ERANGE) && (value == HUGE_VALL || value == -HUGE_VALL || fpclassify(value) == FP_ZERO)) ||
        isnan(value))
        return 0;
    *dp = value;
    return 1;
}

/* Formats like Redis's ld2string in LD_STR_HUMAN mode: "%.17Lf" with trailing
 * zeros (and a trailing dot) removed. Returns the length, 0 on failure. */
static int kv_ld2string(char *buf, size_t len, long double value) {
    int l;
    if (isinf(value)) {
        if (len < 5) return 0;
        if (value > 0) { memcpy(buf, "inf", 3); l = 3; }
        else { memcpy(buf, "-inf", 4); l = 4; }
        buf[l] = '\0';
        return l;
    }
    l = snprintf(buf, len, "%.17Lf", value);
    if (l < 0 || (size_t)l + 1 > len) return 0;
    if (strchr(buf, '.') != NULL) {
        char *p = buf + l - 1;
        while (*p == '0') { p--; l--; }
        if (*p == '.') l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') { buf[0] = '0'; l = 1; }
    buf[l] = '\0';
    return l;
}

/* kvstore_ld_incr: parses `cur` (may be NULL for 0) and `incr` as long doubles,
 * adds them and writes the human formatted sum into `out` (size `outlen`).
 * Returns the length written, -1 when an input is not a valid float and -2
 * when the result is NaN or infinite. */
int kvstore_ld_incr(const char *cur, size_t curlen, const char *incr, size_t incrlen,
                    char *out, size_t outlen) {
    long double a = 0, b, r;
    int n;
    if (cur != NULL && !kv_string2ld(cur, curlen, &a)) return -1;
    if (!kv_string2ld(incr, incrlen, &b)) return -1;
    r = a + b;
    if (isnan(r) || isinf(r)) return -2;
    n = kv_ld2string(out, outlen, r);
    return n > 0 ? n : -1;
}

/* kvstore_ld_millis: parses `s` as a long double number of seconds (Redis's
 * string2ld) and stores `(long long)ceill(seconds * 1000.0)` in `out`, as
 * Redis 7.0's getTimeoutFromObjectOrReply computes it (a positive timeout
 * under 1 ms waits 1 ms); a value outside the range of long long (where the
 * C cast is undefined, and x86 yields LLONG_MIN) becomes LLONG_MIN.
 * Returns 1, or 0 when `s` is not a valid float. */
int kvstore_ld_millis(const char *s, size_t len, long long *out) {
    long double v;
    if (!kv_string2ld(s, len, &v)) return 0;
    v = ceill(v * 1000.0L);
    if (v >= -9223372036854775808.0L && v < 9223372036854775808.0L)
        *out = (long long)v;
    else
        *out = (-9223372036854775807LL - 1);
    return 1;
}
