/*
 * caxton.h - the C SDK for Caxton agents (guest ABI v2), in one header.
 *
 * Use: in the one .c file that makes up your agent,
 *
 *     #define CAXTON_IMPLEMENTATION
 *     #include "caxton.h"
 *
 *     int64_t caxton_on_message(const caxton_msg *m) {
 *         return caxton_inform(m, "{\"ok\":true}");
 *     }
 *
 * and build with clang alone, no C library:
 *
 *     clang --target=wasm32 -std=c11 -O2 -ffreestanding -nostdlib \
 *       -Wl,--no-entry -Wl,--export-dynamic -Wl,--stack-first \
 *       -Wl,-z,stack-size=65536 -o agent.wasm agent.c
 *
 * With CAXTON_IMPLEMENTATION the header also defines the module's exports
 * (alloc, dealloc, handle_message, caxton_abi_version) and the memcpy/memset
 * the compiler may call; without it only the declarations and the static
 * inline helpers are seen, so further .c files of the same agent may include
 * it too. Everything else is static inline: what an agent does not use costs
 * nothing, and host functions it never calls are not imported.
 *
 * Memory: a first-fit free-list allocator over the heap the linker leaves
 * above the static data (__heap_base), growing memory page by page. It is
 * strict on purpose: freeing a pointer it never handed out, or freeing one
 * twice, traps (unreachable) instead of corrupting the heap, so a bug shows
 * as a fault in the dead-letter queue rather than as odd behaviour later.
 *
 * Buffer ownership (ABI v2): the host frees only the message buffer it got
 * from alloc. Everything the SDK allocates while one message is handled (the
 * decoded envelope fields, JSON text you build, the reply) is "round"
 * memory: it stays valid until the next call into the agent and is freed by
 * the SDK at the start of the next alloc. A reply may also be static data or
 * the incoming message itself (see caxton_reply_raw).
 *
 * See docs/sdk.md for the whole API.
 */
#ifndef CAXTON_H
#define CAXTON_H

#include <stdbool.h> /* freestanding headers: they come with the compiler, not a libc */
#include <stddef.h>
#include <stdint.h>

#ifndef CAXTON_ABI_VERSION
/* The contract the module declares; 1 only to reproduce the old behaviour. */
#define CAXTON_ABI_VERSION 2
#endif

#define CAXTON_IMPORT(name) __attribute__((import_module("caxton"), import_name(name)))
#define CAXTON_EXPORT(name) __attribute__((export_name(name)))

/* ------------------------------------------------------------------------
 * Host functions (module "caxton")
 * ---------------------------------------------------------------------- */

CAXTON_IMPORT("send_message") int32_t caxton_host_send_message(const char *envelope, int32_t len);
CAXTON_IMPORT("log") void caxton_host_log(int32_t level, const char *text, int32_t len);
CAXTON_IMPORT("now_millis") int64_t caxton_now_millis(void);
CAXTON_IMPORT("register_capability") int32_t caxton_host_register_capability(const char *name, int32_t len);
CAXTON_IMPORT("set_timer") int64_t caxton_host_set_timer(int64_t delay_ms, const char *tag, int32_t len);
CAXTON_IMPORT("cancel_timer") int32_t caxton_cancel_timer(int64_t id);

enum { CAXTON_TRACE = 0, CAXTON_DEBUG = 1, CAXTON_INFO = 2, CAXTON_WARN = 3, CAXTON_ERROR = 4 };

/* ------------------------------------------------------------------------
 * Small string helpers
 * ---------------------------------------------------------------------- */

static inline size_t caxton_strlen(const char *s) {
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

static inline void caxton_copy(void *dst, const void *src, size_t n) {
    char *d = (char *) dst;
    const char *s = (const char *) src;
    for (size_t i = 0; i < n; i++) {
        d[i] = s[i];
    }
}

/* True when the n bytes at a spell exactly the NUL-terminated b. */
static inline bool caxton_equals(const char *a, size_t n, const char *b) {
    size_t i = 0;
    for (; i < n; i++) {
        if (b[i] == '\0' || a[i] != b[i]) {
            return false;
        }
    }
    return b[i] == '\0';
}

/* One line to the node's log (level CAXTON_TRACE .. CAXTON_ERROR). */
static inline void caxton_log(int32_t level, const char *text) {
    caxton_host_log(level, text, (int32_t) caxton_strlen(text));
}

/* Registers a capability; 0 when held, -1 malformed name, -4 too many. */
static inline int32_t caxton_register(const char *capability) {
    return caxton_host_register_capability(capability, (int32_t) caxton_strlen(capability));
}

/* Asks for a timer message in delay_ms with the given tag (NUL-terminated);
 * returns the timer id (1 or more) or a negative code. */
static inline int64_t caxton_set_timer(int64_t delay_ms, const char *tag) {
    return caxton_host_set_timer(delay_ms, tag, (int32_t) caxton_strlen(tag));
}

/* ------------------------------------------------------------------------
 * Memory
 * ---------------------------------------------------------------------- */

void *caxton_malloc(size_t size);
void caxton_free(void *ptr);
/* Memory valid until the next call into the agent, then freed by the SDK. */
void *caxton_round_alloc(size_t size);

/* ------------------------------------------------------------------------
 * Reading JSON
 *
 * A caxton_json is a slice of JSON text holding exactly one value (strings
 * include their quotes). Lookups walk the text with a real tokenizer, so a
 * key is only found where it is a key of that very object, never inside a
 * string or a nested value.
 * ---------------------------------------------------------------------- */

typedef struct {
    const char *ptr; /* NULL when absent */
    size_t len;
} caxton_json;

typedef enum {
    CAXTON_JSON_NONE = 0, /* absent or malformed */
    CAXTON_JSON_OBJECT,
    CAXTON_JSON_ARRAY,
    CAXTON_JSON_STRING,
    CAXTON_JSON_NUMBER,
    CAXTON_JSON_BOOL,
    CAXTON_JSON_NULL
} caxton_json_type;

typedef struct {
    const char *p;
    const char *end;
} caxton_cursor;

#define CAXTON_MAX_DEPTH 64

static inline void caxton__ws(caxton_cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

static inline int caxton__hex(char ch) {
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

static inline int32_t caxton__hex4(const char *p) {
    int32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int d = caxton__hex(p[i]);
        if (d < 0) {
            return -1;
        }
        v = v * 16 + d;
    }
    return v;
}

/* Skips a string at its opening quote, checking every escape. */
static inline bool caxton__string(caxton_cursor *c) {
    if (c->p >= c->end || *c->p != '"') {
        return false;
    }
    c->p++;
    while (c->p < c->end) {
        unsigned char ch = (unsigned char) *c->p;
        if (ch == '"') {
            c->p++;
            return true;
        }
        if (ch == '\\') {
            if (c->end - c->p < 2) {
                return false;
            }
            char e = c->p[1];
            if (e == 'u') {
                if (c->end - c->p < 6 || caxton__hex4(c->p + 2) < 0) {
                    return false;
                }
                c->p += 6;
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
                c->p += 2;
            } else {
                return false;
            }
        } else if (ch < 0x20) {
            return false;
        } else {
            c->p++;
        }
    }
    return false;
}

static inline bool caxton__digits(caxton_cursor *c) {
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') {
        return false;
    }
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        c->p++;
    }
    return true;
}

/* A number exactly as JSON spells one. */
static inline bool caxton__number(caxton_cursor *c) {
    if (c->p < c->end && *c->p == '-') {
        c->p++;
    }
    if (c->p < c->end && *c->p == '0') {
        c->p++;
    } else if (!caxton__digits(c)) {
        return false;
    }
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (!caxton__digits(c)) {
            return false;
        }
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
            c->p++;
        }
        if (!caxton__digits(c)) {
            return false;
        }
    }
    return true;
}

static inline bool caxton__word(caxton_cursor *c, const char *w) {
    size_t n = caxton_strlen(w);
    if ((size_t) (c->end - c->p) < n || !caxton_equals(c->p, n, w)) {
        return false;
    }
    c->p += n;
    return true;
}

static inline bool caxton__value(caxton_cursor *c, int depth);

static inline bool caxton__container(caxton_cursor *c, int depth) {
    char close = *c->p == '{' ? '}' : ']';
    if (depth >= CAXTON_MAX_DEPTH) {
        return false;
    }
    c->p++;
    caxton__ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return true;
    }
    for (;;) {
        if (close == '}') {
            caxton__ws(c);
            if (!caxton__string(c)) {
                return false;
            }
            caxton__ws(c);
            if (c->p >= c->end || *c->p != ':') {
                return false;
            }
            c->p++;
        }
        if (!caxton__value(c, depth + 1)) {
            return false;
        }
        caxton__ws(c);
        if (c->p >= c->end) {
            return false;
        }
        if (*c->p == close) {
            c->p++;
            return true;
        }
        if (*c->p != ',') {
            return false;
        }
        c->p++;
    }
}

/* Skips one value, with the whitespace before it. */
static inline bool caxton__value(caxton_cursor *c, int depth) {
    caxton__ws(c);
    if (c->p >= c->end) {
        return false;
    }
    switch (*c->p) {
    case '{':
    case '[':
        return caxton__container(c, depth);
    case '"':
        return caxton__string(c);
    case 't':
        return caxton__word(c, "true");
    case 'f':
        return caxton__word(c, "false");
    case 'n':
        return caxton__word(c, "null");
    default:
        return caxton__number(c);
    }
}

/* The single JSON value in the len bytes at text (surrounding whitespace
 * allowed); ptr is NULL when the text is not exactly one well-formed value. */
static inline caxton_json caxton_json_parse(const char *text, size_t len) {
    caxton_cursor c = {text, text + len};
    caxton_json v = {NULL, 0};
    caxton__ws(&c);
    const char *start = c.p;
    if (!caxton__value(&c, 0)) {
        return v;
    }
    const char *stop = c.p;
    caxton__ws(&c);
    if (c.p != c.end) {
        return v;
    }
    v.ptr = start;
    v.len = (size_t) (stop - start);
    return v;
}

static inline caxton_json_type caxton_json_type_of(caxton_json v) {
    if (v.ptr == NULL || v.len == 0) {
        return CAXTON_JSON_NONE;
    }
    switch (v.ptr[0]) {
    case '{': return CAXTON_JSON_OBJECT;
    case '[': return CAXTON_JSON_ARRAY;
    case '"': return CAXTON_JSON_STRING;
    case 't': case 'f': return CAXTON_JSON_BOOL;
    case 'n': return CAXTON_JSON_NULL;
    default: return CAXTON_JSON_NUMBER;
    }
}

/* Iterates the members of an object or the items of an array. */
typedef struct {
    caxton_cursor c;
    bool object;
    bool done;
} caxton_json_iter;

static inline caxton_json_iter caxton_json_items(caxton_json v) {
    caxton_json_iter it = {{v.ptr, v.ptr + v.len}, false, true};
    caxton_json_type t = caxton_json_type_of(v);
    if (t == CAXTON_JSON_OBJECT || t == CAXTON_JSON_ARRAY) {
        it.object = t == CAXTON_JSON_OBJECT;
        it.done = false;
        it.c.p++; /* past the bracket; the value was checked when it was parsed */
        caxton__ws(&it.c);
        if (it.c.p < it.c.end && (*it.c.p == '}' || *it.c.p == ']')) {
            it.done = true;
        }
    }
    return it;
}

/* The next member (key is set, still a quoted JSON string) or item (key is
 * NULL-pointered). False at the end. */
static inline bool caxton_json_next(caxton_json_iter *it, caxton_json *key, caxton_json *value) {
    if (it->done) {
        return false;
    }
    caxton__ws(&it->c);
    if (it->object) {
        const char *k = it->c.p;
        if (!caxton__string(&it->c)) {
            it->done = true;
            return false;
        }
        if (key != NULL) {
            key->ptr = k;
            key->len = (size_t) (it->c.p - k);
        }
        caxton__ws(&it->c);
        if (it->c.p >= it->c.end || *it->c.p != ':') {
            it->done = true;
            return false;
        }
        it->c.p++;
    } else if (key != NULL) {
        key->ptr = NULL;
        key->len = 0;
    }
    caxton__ws(&it->c);
    const char *v = it->c.p;
    if (!caxton__value(&it->c, 1)) {
        it->done = true;
        return false;
    }
    value->ptr = v;
    value->len = (size_t) (it->c.p - v);
    caxton__ws(&it->c);
    if (it->c.p >= it->c.end || *it->c.p != ',') {
        it->done = true;
    } else {
        it->c.p++;
    }
    return true;
}

static inline size_t caxton__utf8(char *dst, uint32_t cp) {
    if (cp < 0x80) {
        dst[0] = (char) cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char) (0xC0 | (cp >> 6));
        dst[1] = (char) (0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char) (0xE0 | (cp >> 12));
        dst[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char) (0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (char) (0xF0 | (cp >> 18));
    dst[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (char) (0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes a JSON string value (quotes included, escapes checked) into UTF-8
 * at dst, NUL-terminated. Returns the text's length, or -1 when v is not a
 * string or the text needs more than cap - 1 bytes. Surrogate pairs become
 * one character; a lone surrogate becomes U+FFFD. The decoded text is never
 * longer than v.len, so cap = v.len + 1 always suffices. */
static inline int32_t caxton_json_text(caxton_json v, char *dst, size_t cap) {
    if (caxton_json_type_of(v) != CAXTON_JSON_STRING || v.len < 2 || cap == 0) {
        return -1;
    }
    const char *s = v.ptr + 1;
    size_t len = v.len - 2;
    size_t i = 0;
    size_t n = 0;
    while (i < len) {
        char tmp[4];
        size_t w = 1;
        if (s[i] != '\\') {
            tmp[0] = s[i++];
        } else {
            char e = s[i + 1];
            i += 2;
            switch (e) {
            case 'b': tmp[0] = '\b'; break;
            case 'f': tmp[0] = '\f'; break;
            case 'n': tmp[0] = '\n'; break;
            case 'r': tmp[0] = '\r'; break;
            case 't': tmp[0] = '\t'; break;
            case 'u': {
                uint32_t cp = (uint32_t) caxton__hex4(s + i);
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= len && s[i] == '\\' && s[i + 1] == 'u') {
                    int32_t low = caxton__hex4(s + i + 2);
                    if (low >= 0xDC00 && low <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t) low - 0xDC00);
                        i += 6;
                    }
                }
                if (cp >= 0xD800 && cp <= 0xDFFF) {
                    cp = 0xFFFD;
                }
                w = caxton__utf8(tmp, cp);
                break;
            }
            default: tmp[0] = e; break; /* \" \\ \/ */
            }
        }
        if (w >= cap - n) {
            return -1;
        }
        caxton_copy(dst + n, tmp, w);
        n += w;
    }
    dst[n] = '\0';
    return (int32_t) n;
}

/* The decoded string in round memory, or NULL when v is not a string. */
static inline const char *caxton_json_cstr(caxton_json v) {
    if (caxton_json_type_of(v) != CAXTON_JSON_STRING) {
        return NULL;
    }
    char *dst = (char *) caxton_round_alloc(v.len + 1);
    return caxton_json_text(v, dst, v.len + 1) < 0 ? NULL : dst;
}

/* True when v is a JSON string whose decoded text is exactly `text`. */
static inline bool caxton_json_is(caxton_json v, const char *text) {
    char buf[128];
    int32_t n = caxton_json_text(v, buf, sizeof buf);
    return n >= 0 && caxton_equals(buf, (size_t) n, text);
}

/* Member `key` of the object v (the first one, should the key repeat);
 * ptr is NULL when v is no object or has no such member. */
static inline caxton_json caxton_json_get(caxton_json v, const char *key) {
    caxton_json_iter it = caxton_json_items(v);
    caxton_json k;
    caxton_json val;
    caxton_json none = {NULL, 0};
    if (!it.object) {
        return none;
    }
    while (caxton_json_next(&it, &k, &val)) {
        if (caxton_json_is(k, key)) {
            return val;
        }
    }
    return none;
}

/* Reads a whole number within int64_t ("42", "-3"; not 4.2, 1e3 or 2^63). */
static inline bool caxton_json_i64(caxton_json v, int64_t *out) {
    if (caxton_json_type_of(v) != CAXTON_JSON_NUMBER) {
        return false;
    }
    const char *p = v.ptr;
    const char *end = v.ptr + v.len;
    bool negative = p < end && *p == '-';
    if (negative) {
        p++;
    }
    uint64_t limit = negative ? (uint64_t) 1 << 63 : ((uint64_t) 1 << 63) - 1u;
    uint64_t m = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
        unsigned d = (unsigned) (*p - '0');
        if (m > (limit - d) / 10u) {
            return false;
        }
        m = m * 10u + d;
    }
    *out = negative ? (int64_t) ((uint64_t) 0 - m) : (int64_t) m;
    return true;
}

/* Reads any JSON number as a double. Digits past the 19th and exponents are
 * folded in by repeated multiplication, so the last bit or two may differ
 * from a libc strtod. */
static inline bool caxton_json_f64(caxton_json v, double *out) {
    if (caxton_json_type_of(v) != CAXTON_JSON_NUMBER) {
        return false;
    }
    const char *p = v.ptr;
    const char *end = v.ptr + v.len;
    bool negative = *p == '-';
    if (negative) {
        p++;
    }
    uint64_t mant = 0;
    int digits = 0;
    int exp10 = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (digits < 19) {
            mant = mant * 10u + (uint64_t) (*p - '0');
            if (mant != 0) {
                digits++;
            }
        } else {
            exp10++;
        }
    }
    if (p < end && *p == '.') {
        for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
            if (digits < 19) {
                mant = mant * 10u + (uint64_t) (*p - '0');
                if (mant != 0) {
                    digits++;
                }
                exp10--;
            }
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = *p == '-';
        if (*p == '+' || *p == '-') {
            p++;
        }
        int e = 0;
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
            if (e < 10000) {
                e = e * 10 + (*p - '0');
            }
        }
        exp10 += eneg ? -e : e;
    }
    double d = (double) mant;
    for (; exp10 > 0 && d != 0; exp10--) {
        d *= 10.0;
    }
    for (; exp10 < 0 && d != 0; exp10++) {
        d /= 10.0;
    }
    *out = negative ? -d : d;
    return true;
}

/* ------------------------------------------------------------------------
 * Writing JSON
 *
 * A caxton_buf grows in round memory as text is appended; after the round
 * it is gone, so copy what must last. Running out of memory traps.
 * ---------------------------------------------------------------------- */

typedef struct {
    char *ptr;
    size_t len;
    size_t cap;
} caxton_buf;

static inline caxton_buf caxton_buf_new(size_t cap) {
    caxton_buf b = {(char *) caxton_round_alloc(cap < 16 ? 16 : cap), 0, cap < 16 ? 16 : cap};
    return b;
}

static inline void caxton_put_bytes(caxton_buf *b, const char *bytes, size_t n) {
    if (n > b->cap - b->len) {
        size_t cap = b->cap * 2;
        if (cap < b->len + n) {
            cap = b->len + n;
        }
        char *grown = (char *) caxton_round_alloc(cap);
        caxton_copy(grown, b->ptr, b->len);
        b->ptr = grown;
        b->cap = cap;
    }
    caxton_copy(b->ptr + b->len, bytes, n);
    b->len += n;
}

/* Appends text as it is (JSON punctuation, keys you know are clean). */
static inline void caxton_put(caxton_buf *b, const char *text) {
    caxton_put_bytes(b, text, caxton_strlen(text));
}

/* Appends n bytes as a complete JSON string: quotes, backslashes and control
 * characters escaped, everything else (UTF-8 included) as it is. */
static inline void caxton_put_string_n(caxton_buf *b, const char *text, size_t n) {
    static const char hex[] = "0123456789abcdef";
    caxton_put_bytes(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char) text[i];
        if (ch == '"' || ch == '\\') {
            char pair[2] = {'\\', (char) ch};
            caxton_put_bytes(b, pair, 2);
        } else if (ch == '\n') {
            caxton_put_bytes(b, "\\n", 2);
        } else if (ch < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
            caxton_put_bytes(b, esc, 6);
        } else {
            caxton_put_bytes(b, (const char *) &ch, 1);
        }
    }
    caxton_put_bytes(b, "\"", 1);
}

static inline void caxton_put_string(caxton_buf *b, const char *text) {
    caxton_put_string_n(b, text, caxton_strlen(text));
}

/* Appends a JSON value you hold already (a caxton_json from a message). */
static inline void caxton_put_json(caxton_buf *b, caxton_json v) {
    if (v.ptr == NULL) {
        caxton_put(b, "null");
    } else {
        caxton_put_bytes(b, v.ptr, v.len);
    }
}

static inline void caxton_put_i64(caxton_buf *b, int64_t value) {
    char digits[20];
    size_t n = 0;
    uint64_t m = value < 0 ? (uint64_t) 0 - (uint64_t) value : (uint64_t) value;
    do {
        digits[n++] = (char) ('0' + m % 10u);
        m /= 10u;
    } while (m != 0);
    if (value < 0) {
        caxton_put_bytes(b, "-", 1);
    }
    while (n > 0) {
        caxton_put_bytes(b, &digits[--n], 1);
    }
}

/* Appends a double: whole numbers as integers, others with up to 6
 * decimals (trailing zeros dropped). NaN and infinities, which JSON cannot
 * spell, become null. */
static inline void caxton_put_f64(caxton_buf *b, double d) {
    if (d != d || d > 9.2e18 || d < -9.2e18) {
        caxton_put(b, "null");
        return;
    }
    int64_t whole = (int64_t) d;
    double frac = d - (double) whole;
    if (frac < 0) {
        frac = -frac;
    }
    int64_t micro = (int64_t) (frac * 1e6 + 0.5);
    if (micro >= 1000000) {
        whole += d < 0 ? -1 : 1;
        micro = 0;
    }
    if (whole == 0 && d < 0 && micro != 0) {
        caxton_put_bytes(b, "-", 1);
    }
    caxton_put_i64(b, whole);
    if (micro != 0) {
        char f[7];
        for (int i = 5; i >= 0; i--) {
            f[i] = (char) ('0' + micro % 10);
            micro /= 10;
        }
        int n = 6;
        while (n > 0 && f[n - 1] == '0') {
            n--;
        }
        caxton_put_bytes(b, ".", 1);
        caxton_put_bytes(b, f, (size_t) n);
    }
}

/* ------------------------------------------------------------------------
 * The incoming message
 * ---------------------------------------------------------------------- */

/* One envelope, parsed. Every field is a JSON value (ptr NULL when absent);
 * the decoded performative and sender are there for convenience. */
typedef struct {
    caxton_json envelope; /* the whole object */
    caxton_json performative, sender, receiver, content, conversation_id, reply_with, in_reply_to, protocol,
        language, ontology, message_id, capability;
    char perf[24];      /* the performative as text ("" when missing) */
    const char *from;   /* the sender as text, in round memory ("" when missing) */
} caxton_msg;

/* Parses an envelope; false when it is not one JSON object with a string
 * performative. */
static inline bool caxton_msg_parse(caxton_msg *m, const char *bytes, size_t len) {
    unsigned char *raw = (unsigned char *) m;
    for (size_t i = 0; i < sizeof *m; i++) {
        raw[i] = 0;
    }
    m->from = "";
    m->envelope = caxton_json_parse(bytes, len);
    if (caxton_json_type_of(m->envelope) != CAXTON_JSON_OBJECT) {
        return false;
    }
    caxton_json_iter it = caxton_json_items(m->envelope);
    caxton_json k;
    caxton_json v;
    while (caxton_json_next(&it, &k, &v)) {
        char name[24];
        if (caxton_json_text(k, name, sizeof name) < 0) {
            continue;
        }
        caxton_json *slot = NULL;
#define CAXTON__FIELD(f) else if (caxton_equals(name, caxton_strlen(name), #f)) slot = &m->f;
        if (0) {
        }
        CAXTON__FIELD(performative)
        CAXTON__FIELD(sender)
        CAXTON__FIELD(receiver)
        CAXTON__FIELD(content)
        CAXTON__FIELD(conversation_id)
        CAXTON__FIELD(reply_with)
        CAXTON__FIELD(in_reply_to)
        CAXTON__FIELD(protocol)
        CAXTON__FIELD(language)
        CAXTON__FIELD(ontology)
        CAXTON__FIELD(message_id)
        CAXTON__FIELD(capability)
#undef CAXTON__FIELD
        if (slot != NULL && slot->ptr == NULL) {
            *slot = v; /* the first of duplicate keys counts, as in the node */
        }
    }
    if (caxton_json_text(m->performative, m->perf, sizeof m->perf) < 0) {
        return false;
    }
    const char *from = caxton_json_cstr(m->sender);
    m->from = from == NULL ? "" : from;
    return true;
}

/* True when the message's performative is p ("request", "query-ref", ...). */
static inline bool caxton_msg_is(const caxton_msg *m, const char *p) {
    return caxton_equals(m->perf, caxton_strlen(m->perf), p);
}

/* True for the message a timer delivers; *id and *tag (round memory) are set. */
static inline bool caxton_msg_timer(const caxton_msg *m, int64_t *id, const char **tag) {
    if (!caxton_json_is(m->sender, "caxton:timer") || !caxton_json_is(m->protocol, "caxton-timer")) {
        return false;
    }
    if (id != NULL && !caxton_json_i64(caxton_json_get(m->content, "timer"), id)) {
        *id = 0;
    }
    if (tag != NULL) {
        const char *t = caxton_json_cstr(caxton_json_get(m->content, "tag"));
        *tag = t == NULL ? "" : t;
    }
    return true;
}

/* ------------------------------------------------------------------------
 * Replies: what handle_message returns
 * ---------------------------------------------------------------------- */

/* Packs a reply at ptr (len bytes) for handle_message's return value. Under
 * ABI v2 it may be anything that stays put until the next call into the
 * agent: static data, round memory, or the incoming message itself. */
static inline int64_t caxton_reply_raw(const void *ptr, size_t len) {
    return (int64_t) (((uint64_t) (uintptr_t) ptr << 32) | (uint64_t) (uint32_t) len);
}

/* No reply. */
#define CAXTON_NO_REPLY ((int64_t) 0)

/* A reply to m: performative p, content the JSON text content_json (NULL
 * for none). It names the receiver and carries conversation_id and
 * in_reply_to from m, copied exactly as they came. Trapping beats sending
 * invalid JSON, so content that is not one JSON value traps. */
static inline int64_t caxton_reply_n(const caxton_msg *m, const char *p, const char *content_json, size_t len) {
    caxton_buf b = caxton_buf_new(96 + len);
    caxton_put(&b, "{\"performative\":");
    caxton_put_string(&b, p);
    if (m->sender.ptr != NULL) {
        caxton_put(&b, ",\"receiver\":");
        caxton_put_json(&b, m->sender);
    }
    if (m->conversation_id.ptr != NULL) {
        caxton_put(&b, ",\"conversation_id\":");
        caxton_put_json(&b, m->conversation_id);
    }
    if (m->reply_with.ptr != NULL) {
        caxton_put(&b, ",\"in_reply_to\":");
        caxton_put_json(&b, m->reply_with);
    }
    if (content_json != NULL) {
        caxton_json v = caxton_json_parse(content_json, len);
        if (v.ptr == NULL) {
            __builtin_trap();
        }
        caxton_put(&b, ",\"content\":");
        caxton_put_json(&b, v);
    }
    caxton_put(&b, "}");
    return caxton_reply_raw(b.ptr, b.len);
}

static inline int64_t caxton_reply(const caxton_msg *m, const char *p, const char *content_json) {
    return caxton_reply_n(m, p, content_json, content_json == NULL ? 0 : caxton_strlen(content_json));
}

/* Replies whose content is {"reason": text}, text escaped as needed. */
static inline int64_t caxton_reply_reason(const caxton_msg *m, const char *p, const char *reason) {
    caxton_buf b = caxton_buf_new(16 + caxton_strlen(reason));
    caxton_put(&b, "{\"reason\":");
    caxton_put_string(&b, reason);
    caxton_put(&b, "}");
    return caxton_reply_n(m, p, b.ptr, b.len);
}

/* One builder per common performative; content is JSON text. */
static inline int64_t caxton_inform(const caxton_msg *m, const char *content_json) {
    return caxton_reply(m, "inform", content_json);
}
static inline int64_t caxton_agree(const caxton_msg *m, const char *content_json) {
    return caxton_reply(m, "agree", content_json);
}
static inline int64_t caxton_propose(const caxton_msg *m, const char *content_json) {
    return caxton_reply(m, "propose", content_json);
}
static inline int64_t caxton_confirm(const caxton_msg *m, const char *content_json) {
    return caxton_reply(m, "confirm", content_json);
}
static inline int64_t caxton_accept_proposal(const caxton_msg *m, const char *content_json) {
    return caxton_reply(m, "accept-proposal", content_json);
}
static inline int64_t caxton_reject_proposal(const caxton_msg *m, const char *reason) {
    return caxton_reply_reason(m, "reject-proposal", reason);
}
static inline int64_t caxton_refuse(const caxton_msg *m, const char *reason) {
    return caxton_reply_reason(m, "refuse", reason);
}
static inline int64_t caxton_failure(const caxton_msg *m, const char *reason) {
    return caxton_reply_reason(m, "failure", reason);
}
static inline int64_t caxton_not_understood(const caxton_msg *m, const char *reason) {
    return caxton_reply_reason(m, "not-understood", reason);
}

/* A reply whose content is what b holds. */
static inline int64_t caxton_reply_buf(const caxton_msg *m, const char *p, const caxton_buf *b) {
    return caxton_reply_n(m, p, b->ptr, b->len);
}

/* ------------------------------------------------------------------------
 * Sending
 * ---------------------------------------------------------------------- */

/* Sends p with content_json (NULL for none) to the agent or API client
 * named `to` (or, when to_capability is true, to one holder of the
 * capability `to`), in conversation conversation_id (NULL: the host copies
 * the one of the message being handled). reply_with may be NULL. Returns
 * 0 or more when accepted, else the host's negative code (-1 malformed,
 * -2 nobody there, -3 mailbox full, -4 not permitted, -5 too large). */
static inline int32_t caxton_send_to(const char *to, bool to_capability, const char *p, const char *content_json,
                                     const char *conversation_id, const char *reply_with) {
    size_t clen = content_json == NULL ? 0 : caxton_strlen(content_json);
    caxton_buf b = caxton_buf_new(128 + clen + caxton_strlen(to));
    caxton_put(&b, "{\"performative\":");
    caxton_put_string(&b, p);
    caxton_put(&b, to_capability ? ",\"capability\":" : ",\"receiver\":");
    caxton_put_string(&b, to);
    if (conversation_id != NULL) {
        caxton_put(&b, ",\"conversation_id\":");
        caxton_put_string(&b, conversation_id);
    }
    if (reply_with != NULL) {
        caxton_put(&b, ",\"reply_with\":");
        caxton_put_string(&b, reply_with);
    }
    if (content_json != NULL) {
        if (caxton_json_parse(content_json, clen).ptr == NULL) {
            return -1; /* what the host would say, without the trip */
        }
        caxton_put(&b, ",\"content\":");
        caxton_put_bytes(&b, content_json, clen);
    }
    caxton_put(&b, "}");
    return caxton_host_send_message(b.ptr, (int32_t) b.len);
}

static inline int32_t caxton_send(const char *receiver, const char *p, const char *content_json) {
    return caxton_send_to(receiver, false, p, content_json, NULL, NULL);
}

static inline int32_t caxton_send_capability(const char *capability, const char *p, const char *content_json) {
    return caxton_send_to(capability, true, p, content_json, NULL, NULL);
}

/* ------------------------------------------------------------------------
 * The agent's handler, which you write
 * ---------------------------------------------------------------------- */

/* Called for every message that parses as an envelope; returns a reply
 * (caxton_inform(...), ...) or CAXTON_NO_REPLY. A message that is not an
 * envelope gets a not-understood reply without reaching it. */
int64_t caxton_on_message(const caxton_msg *m);

/* ========================================================================
 * Implementation: the exports and the allocator
 * ====================================================================== */
#ifdef CAXTON_IMPLEMENTATION

/* The compiler may call these for struct copies even without a libc. They
 * must not be turned back into calls to themselves. */
__attribute__((no_builtin)) void *memcpy(void *dst, const void *src, size_t n) {
    char *d = (char *) dst;
    const char *s = (const char *) src;
    while (n--) {
        *d++ = *s++;
    }
    return dst;
}

__attribute__((no_builtin)) void *memmove(void *dst, const void *src, size_t n) {
    char *d = (char *) dst;
    const char *s = (const char *) src;
    if (d < s) {
        while (n--) {
            *d++ = *s++;
        }
    } else {
        while (n--) {
            d[n] = s[n];
        }
    }
    return dst;
}

__attribute__((no_builtin)) void *memset(void *dst, int c, size_t n) {
    unsigned char *d = (unsigned char *) dst;
    while (n--) {
        *d++ = (unsigned char) c;
    }
    return dst;
}

extern unsigned char __heap_base;

/* Each block starts with this header; the payload follows, 8-aligned. The
 * tag says whether the block is in use, so a second free (or a free of
 * something that is not a block start) is noticed. */
typedef struct caxton__block {
    uint32_t size; /* payload bytes */
    uint32_t tag;
    struct caxton__block *next_free; /* only while free; address order */
    uint32_t pad;
} caxton__block;

#define CAXTON__USED 0xCA7A11C0u
#define CAXTON__FREE 0xF4EEB10Cu
#define CAXTON__PAGE 65536u

static caxton__block *caxton__free_list;
static uintptr_t caxton__heap_start;
static uintptr_t caxton__heap_top; /* end of the part the allocator has carved */
static void **caxton__round;       /* round allocations, chained through their first word */

static uintptr_t caxton__align(uintptr_t v) {
    return (v + 15u) & ~(uintptr_t) 15u;
}

void *caxton_malloc(size_t size) {
    if (caxton__heap_start == 0) {
        caxton__heap_start = caxton__align((uintptr_t) &__heap_base);
        caxton__heap_top = caxton__heap_start;
    }
    size = (size + 15u) & ~(size_t) 15u;
    if (size == 0) {
        size = 16;
    }
    caxton__block **link = &caxton__free_list;
    for (caxton__block *b = caxton__free_list; b != NULL; link = &b->next_free, b = b->next_free) {
        if (b->size >= size) {
            if (b->size - size >= sizeof(caxton__block) + 16u) {
                caxton__block *rest = (caxton__block *) ((char *) (b + 1) + size);
                rest->size = b->size - size - (uint32_t) sizeof(caxton__block);
                rest->tag = CAXTON__FREE;
                rest->next_free = b->next_free;
                b->size = (uint32_t) size;
                *link = rest;
            } else {
                *link = b->next_free;
            }
            b->tag = CAXTON__USED;
            b->next_free = NULL;
            return b + 1;
        }
    }
    uint64_t start = caxton__heap_top;
    uint64_t end = start + sizeof(caxton__block) + size;
    if (end >= ((uint64_t) 1 << 32)) {
        __builtin_trap();
    }
    uint64_t have = (uint64_t) __builtin_wasm_memory_size(0) * CAXTON__PAGE;
    if (end > have) {
        /* Past the agent's memory limit memory.grow answers -1: no address
         * would be honest then, so this message fails. */
        if (__builtin_wasm_memory_grow(0, (size_t) ((end - have + CAXTON__PAGE - 1) / CAXTON__PAGE)) == SIZE_MAX) {
            __builtin_trap();
        }
    }
    caxton__heap_top = (uintptr_t) end;
    caxton__block *b = (caxton__block *) (uintptr_t) start;
    b->size = (uint32_t) size;
    b->tag = CAXTON__USED;
    b->next_free = NULL;
    return b + 1;
}

void caxton_free(void *ptr) {
    if (ptr == NULL) {
        return;
    }
    uintptr_t at = (uintptr_t) ptr;
    /* Never handed out by caxton_malloc (static data, the stack, a pointer
     * into the middle of a block) or freed already: trap, loudly. */
    if (at < caxton__heap_start + sizeof(caxton__block) || at >= caxton__heap_top || (at & 15u) != 0) {
        __builtin_trap();
    }
    caxton__block *b = (caxton__block *) ptr - 1;
    if (b->tag != CAXTON__USED) {
        __builtin_trap();
    }
    b->tag = CAXTON__FREE;
    /* Insert in address order and merge with free neighbours, so a long run
     * of messages of varying sizes does not fragment the heap. */
    caxton__block *prev = NULL;
    caxton__block *cur = caxton__free_list;
    while (cur != NULL && cur < b) {
        prev = cur;
        cur = cur->next_free;
    }
    b->next_free = cur;
    if (cur != NULL && (char *) (b + 1) + b->size == (char *) cur) {
        b->size += (uint32_t) sizeof(caxton__block) + cur->size;
        b->next_free = cur->next_free;
        cur->tag = 0;
    }
    if (prev != NULL && (char *) (prev + 1) + prev->size == (char *) b) {
        prev->size += (uint32_t) sizeof(caxton__block) + b->size;
        prev->next_free = b->next_free;
        b->tag = 0;
    } else if (prev != NULL) {
        prev->next_free = b;
    } else {
        caxton__free_list = b;
    }
}

void *caxton_round_alloc(size_t size) {
    void **p = (void **) caxton_malloc(size + 16u);
    *p = caxton__round;
    caxton__round = p;
    return (char *) p + 16;
}

/* Frees the previous round's memory: the host has copied the reply out by
 * the time it calls into the agent again. */
static void caxton__round_end(void) {
    while (caxton__round != NULL) {
        void **p = caxton__round;
        caxton__round = (void **) *p;
        caxton_free(p);
    }
}

CAXTON_EXPORT("caxton_abi_version") int32_t caxton_abi_version(void) {
    return CAXTON_ABI_VERSION;
}

CAXTON_EXPORT("alloc") void *caxton_alloc_export(uint32_t size) {
    caxton__round_end();
    return caxton_malloc(size);
}

CAXTON_EXPORT("dealloc") void caxton_dealloc_export(void *ptr, uint32_t size) {
    (void) size;
    caxton_free(ptr);
}

CAXTON_EXPORT("handle_message") int64_t caxton_handle_message_export(const char *ptr, int32_t len) {
    caxton_msg m;
    if (!caxton_msg_parse(&m, ptr, (size_t) len)) {
        return caxton_not_understood(&m, "not a JSON envelope with a performative");
    }
    return caxton_on_message(&m);
}

#endif /* CAXTON_IMPLEMENTATION */
#endif /* CAXTON_H */
