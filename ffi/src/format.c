/*
 * The printf-style call, kvstore_command / kvstore_vcommand (hiredis's
 * redisCommand / redisvCommand). Stable Rust cannot define C-variadic
 * functions, so this file parses the format into an argv and hands it to
 * the Rust side (kvstore_internal_formatted), which runs it under the panic
 * boundary and records any error message.
 *
 * Format: words separated by spaces; inside a word, conversions are
 * interpolated into that word (so "SET key:%d %b" makes two arguments
 * after SET):
 *   %s  a NUL-terminated string
 *   %b  binary-safe bytes: two arguments, (const void *ptr, size_t len)
 *   %%  a literal '%'
 *   %d %i %u %x %X %o with the length modifiers hh h l ll z j t, and
 *   %e %E %f %F %g %G %a %A (double), with printf's flags (#0- +), a width
 *   and a precision (digits only, no '*').
 * Anything else is KVSTORE_ERR_INVALID, with nothing run.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvstore.h"

/* Declared by the Rust side (src/command.rs); not in the public header. */
kvstore_result kvstore_internal_formatted(kvstore *db, size_t argc, const char *const *argv,
                                          const size_t *argvlen, kvstore_reply **out,
                                          kvstore_result parse_rc, const char *parse_msg);

/* A growable byte buffer: the word being built. */
typedef struct {
    char *data;
    size_t len, cap;
} buf;

/* The argv being built: each word owned by `argv`. */
typedef struct {
    char **argv;
    size_t *lens;
    size_t argc, cap;
} words;

static int buf_append(buf *b, const void *p, size_t n) {
    if (n > SIZE_MAX - b->len - 1) return -1;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->len + n + 1) cap = cap > SIZE_MAX / 2 ? b->len + n + 1 : cap * 2;
        char *d = realloc(b->data, cap);
        if (!d) return -1;
        b->data = d;
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

/* Moves the word in `b` to the end of `w` (b is left empty). */
static int words_push(words *w, buf *b) {
    if (w->argc == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8;
        char **argv = realloc(w->argv, cap * sizeof *argv);
        if (!argv) return -1;
        w->argv = argv;
        size_t *lens = realloc(w->lens, cap * sizeof *lens);
        if (!lens) return -1;
        w->lens = lens;
        w->cap = cap;
    }
    /* An empty word (from "%s" with "") still needs a non-NULL pointer. */
    if (!b->data && buf_append(b, "", 0) != 0) return -1;
    w->argv[w->argc] = b->data;
    w->lens[w->argc] = b->len;
    w->argc++;
    b->data = NULL;
    b->len = b->cap = 0;
    return 0;
}

static void words_free(words *w) {
    for (size_t i = 0; i < w->argc; i++) free(w->argv[i]);
    free(w->argv);
    free(w->lens);
}

/* Formats one numeric conversion `spec` (e.g. "%-08lld") into `b`. */
static int append_number(buf *b, const char *spec, char conv, const char *len_mod, va_list *ap) {
    char out[512];
    int n;
    if (strchr("eEfFgGaA", conv)) {
        n = snprintf(out, sizeof out, spec, va_arg(*ap, double));
    } else {
        int is_signed = conv == 'd' || conv == 'i';
        if (!strcmp(len_mod, "hh") || !strcmp(len_mod, "h") || !*len_mod) {
            /* char and short are promoted to int through `...`. */
            n = is_signed ? snprintf(out, sizeof out, spec, va_arg(*ap, int))
                          : snprintf(out, sizeof out, spec, va_arg(*ap, unsigned int));
        } else if (!strcmp(len_mod, "l")) {
            n = is_signed ? snprintf(out, sizeof out, spec, va_arg(*ap, long))
                          : snprintf(out, sizeof out, spec, va_arg(*ap, unsigned long));
        } else if (!strcmp(len_mod, "ll")) {
            n = is_signed ? snprintf(out, sizeof out, spec, va_arg(*ap, long long))
                          : snprintf(out, sizeof out, spec, va_arg(*ap, unsigned long long));
        } else if (!strcmp(len_mod, "z")) {
            n = snprintf(out, sizeof out, spec, va_arg(*ap, size_t));
        } else if (!strcmp(len_mod, "j")) {
            n = is_signed ? snprintf(out, sizeof out, spec, va_arg(*ap, intmax_t))
                          : snprintf(out, sizeof out, spec, va_arg(*ap, uintmax_t));
        } else { /* "t" */
            n = snprintf(out, sizeof out, spec, va_arg(*ap, ptrdiff_t));
        }
    }
    /* A width or precision above ~500 would be truncated: refuse it. */
    if (n < 0 || (size_t)n >= sizeof out) return -2;
    return buf_append(b, out, (size_t)n);
}

/*
 * Parses the conversion starting at `*pp` (just after '%') and appends its
 * text to `b`. Returns 0, -1 (out of memory) or -2 (bad conversion).
 */
static int append_conversion(buf *b, const char **pp, va_list *ap) {
    const char *p = *pp;
    if (*p == '%') {
        *pp = p + 1;
        return buf_append(b, "%", 1);
    }
    if (*p == 's') {
        const char *s = va_arg(*ap, const char *);
        *pp = p + 1;
        if (!s) return -3;
        return buf_append(b, s, strlen(s));
    }
    if (*p == 'b') {
        const void *s = va_arg(*ap, const void *);
        size_t n = va_arg(*ap, size_t);
        *pp = p + 1;
        if (!s && n) return -3;
        return buf_append(b, s, n);
    }
    /* A numeric conversion: copy flags, width, precision, length, conv.
     * The bounds keep the copy within `spec` (at most 23 bytes); a longer
     * run stops early and then fails the conversion check. */
    char spec[32] = "%";
    size_t k = 1;
    while (*p && strchr("#0- +", *p) && k < 8) spec[k++] = *p++;
    while (*p >= '0' && *p <= '9' && k < 14) spec[k++] = *p++;
    if (*p == '.') {
        spec[k++] = *p++;
        while (*p >= '0' && *p <= '9' && k < 20) spec[k++] = *p++;
    }
    const char *len_start = p;
    if ((p[0] == 'h' && p[1] == 'h') || (p[0] == 'l' && p[1] == 'l')) p += 2;
    else if (*p && strchr("hlzjt", *p)) p++;
    char len_mod[3] = {0};
    memcpy(len_mod, len_start, (size_t)(p - len_start));
    char conv = *p;
    int integer = conv && strchr("diuxXo", conv);
    int floating = conv && strchr("eEfFgGaA", conv);
    /* Doubles take no length modifier (%Lf's long double is not read). */
    if ((!integer && !floating) || (floating && *len_mod)) return -2;
    memcpy(spec + k, len_mod, strlen(len_mod));
    k += strlen(len_mod);
    spec[k++] = conv;
    spec[k] = '\0';
    *pp = p + 1;
    return append_number(b, spec, conv, len_mod, ap);
}

kvstore_result kvstore_vcommand(kvstore *db, kvstore_reply **out, const char *format, va_list ap) {
    if (!format)
        return kvstore_internal_formatted(db, 0, NULL, NULL, out, KVSTORE_ERR_NULL, "format is NULL");
    words w = {0};
    buf b = {0};
    int in_word = 0, rc = 0;
    va_list args;
    va_copy(args, ap);
    for (const char *p = format; *p && rc == 0;) {
        if (*p == ' ') {
            if (in_word) rc = words_push(&w, &b);
            in_word = 0;
            p++;
        } else if (*p == '%') {
            p++;
            in_word = 1;
            rc = append_conversion(&b, &p, &args);
        } else {
            in_word = 1;
            rc = buf_append(&b, p, 1);
            p++;
        }
    }
    va_end(args);
    if (rc == 0 && in_word) rc = words_push(&w, &b);
    free(b.data);
    kvstore_result result;
    if (rc == -1) {
        result = kvstore_internal_formatted(db, 0, NULL, NULL, out, KVSTORE_ERR_NOMEM,
                                            "out of memory while formatting the command");
    } else if (rc == -2) {
        result = kvstore_internal_formatted(db, 0, NULL, NULL, out, KVSTORE_ERR_INVALID,
                                            "unsupported conversion in the format");
    } else if (rc == -3) {
        result = kvstore_internal_formatted(db, 0, NULL, NULL, out, KVSTORE_ERR_NULL,
                                            "a %s or %b argument is NULL");
    } else {
        result = kvstore_internal_formatted(db, w.argc, (const char *const *)w.argv, w.lens, out,
                                            KVSTORE_OK, NULL);
    }
    words_free(&w);
    return result;
}

kvstore_result kvstore_command(kvstore *db, kvstore_reply **out, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    kvstore_result rc = kvstore_vcommand(db, out, format, ap);
    va_end(ap);
    return rc;
}
