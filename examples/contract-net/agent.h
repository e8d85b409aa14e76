/*
 * agent.h - what the Contract-Net agents (buyer.c, seller.c) have in common.
 *
 * A Caxton agent built without a C library needs a handful of helpers of its
 * own: the host function declarations, a memory allocator for the `alloc`
 * export, a way to build JSON text, and a JSON reader good enough for the
 * runtime's compact envelopes. They live here so the buyer and the seller do
 * not each carry a copy.
 *
 * Each agent is exactly one translation unit that includes this header once,
 * so the header may define the `alloc` export itself. Everything else is
 * `static inline`: an agent that does not use a helper does not pay for it,
 * and the compiler does not warn about it. Host functions an agent never
 * calls are not imported either (the linker drops unused imports), so the
 * seller, which never sends or reads the clock, imports only `log` and
 * `register_capability`.
 */
#ifndef CAXTON_CONTRACT_NET_AGENT_H
#define CAXTON_CONTRACT_NET_AGENT_H

#include <stdbool.h> /* freestanding headers: they come with the compiler, not a libc */
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------
 * Host functions (module "caxton", guest ABI v1)
 * ---------------------------------------------------------------------- */

#define CAXTON_IMPORT(name) __attribute__((import_module("caxton"), import_name(name)))
#define CAXTON_EXPORT(name) __attribute__((export_name(name)))

CAXTON_IMPORT("send_message")
int32_t caxton_send_message(const char *envelope, int32_t len);

CAXTON_IMPORT("log")
void caxton_log(int32_t level, const char *text, int32_t len);

CAXTON_IMPORT("now_millis")
int64_t caxton_now_millis(void);

CAXTON_IMPORT("register_capability")
int32_t caxton_register_capability(const char *name, int32_t len);

enum { LOG_TRACE = 0, LOG_DEBUG = 1, LOG_INFO = 2, LOG_WARN = 3, LOG_ERROR = 4 };

/* ------------------------------------------------------------------------
 * Small string helpers
 * ---------------------------------------------------------------------- */

static inline size_t str_len(const char *s) {
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

/* True when the n bytes at a equal the NUL-terminated string b. */
static inline bool bytes_equal(const char *a, size_t n, const char *b) {
    size_t i = 0;
    for (; i < n; i++) {
        if (b[i] == '\0' || a[i] != b[i]) {
            return false;
        }
    }
    return b[i] == '\0';
}

/* True when the n bytes at a equal the m bytes at b. */
static inline bool bytes_same(const char *a, size_t n, const char *b, size_t m) {
    if (n != m) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

static inline void copy_bytes(char *dst, const char *src, size_t n) {
    for (size_t i = 0; i < n; i++) {
        dst[i] = src[i];
    }
}

static inline void log_text(int32_t level, const char *text) {
    caxton_log(level, text, (int32_t) str_len(text));
}

/* ------------------------------------------------------------------------
 * Memory: a bump ("arena") allocator, as in the calculator example
 *
 * The host works with an agent one message at a time: alloc(len), copy the
 * message in, handle_message, read the reply. After that neither the message
 * nor the reply is needed, so the first alloc after handle_message returned
 * starts the arena over at __heap_base (set by the linker). Memory use stays
 * bounded by the largest single round. Whatever must outlive a round (the
 * buyer's negotiation state) lives in static variables, not in the arena.
 *
 * handle_message calls arena_round_end() just before it returns: the reply it
 * hands back sits in the arena and must stay put until the host has read it,
 * which the host does before its next alloc.
 * ---------------------------------------------------------------------- */

extern unsigned char __heap_base;

static uint64_t arena_next;          /* next free address */
static bool arena_round_over = true; /* true until the host allocates for a new message */

#define PAGE_SIZE 65536u

static inline void *arena_alloc(uint32_t size) {
    if (arena_round_over) {
        arena_next = (uint64_t) (uintptr_t) &__heap_base;
        arena_round_over = false;
    }
    uint64_t start = (arena_next + 7u) & ~(uint64_t) 7u; /* 64-bit sums cannot wrap */
    uint64_t end = start + size;
    if (end >= ((uint64_t) 1 << 32)) {
        __builtin_trap();
    }
    uint64_t have = (uint64_t) __builtin_wasm_memory_size(0) * PAGE_SIZE;
    if (end > have) {
        size_t pages = (size_t) ((end - have + PAGE_SIZE - 1) / PAGE_SIZE);
        /* Past the agent's memory limit memory.grow answers -1; no address
         * would be honest then, so fail this one message. */
        if (__builtin_wasm_memory_grow(0, pages) == SIZE_MAX) {
            __builtin_trap();
        }
    }
    arena_next = end;
    return (void *) (uintptr_t) start;
}

static inline void arena_round_end(void) {
    arena_round_over = true;
}

/* The host calls this to get room for each incoming message. */
CAXTON_EXPORT("alloc")
void *alloc(uint32_t size) {
    return arena_alloc(size);
}

/* ------------------------------------------------------------------------
 * Building text: replies, envelopes to send, log lines
 *
 * Out appends to a fixed buffer. For JSON (clip == false) the callers size
 * the buffer from what they will write, so running past it is a bug in the
 * agent; trapping then beats sending cut-off, invalid JSON. Log lines
 * (clip == true) are simply cut short instead: a long name from another agent
 * must not fail the message.
 * ---------------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len;
    size_t cap;
    bool clip;
} Out;

/* A JSON buffer of cap bytes in the arena. */
static inline Out out_json(size_t cap) {
    Out out = {arena_alloc((uint32_t) cap), 0, cap, false};
    return out;
}

/* A log line in a caller's buffer (usually on the stack). */
static inline Out out_line(char *buf, size_t cap) {
    Out out = {buf, 0, cap, true};
    return out;
}

static inline void put_bytes(Out *out, const char *bytes, size_t n) {
    if (n > out->cap - out->len) {
        if (!out->clip) {
            __builtin_trap();
        }
        n = out->cap - out->len;
    }
    copy_bytes(out->buf + out->len, bytes, n);
    out->len += n;
}

static inline void put(Out *out, const char *text) {
    put_bytes(out, text, str_len(text));
}

static inline void put_i64(Out *out, int64_t value) {
    char digits[20];
    size_t n = 0;
    /* The magnitude as unsigned, so INT64_MIN has one too. */
    uint64_t magnitude = value < 0 ? (uint64_t) 0 - (uint64_t) value : (uint64_t) value;
    do {
        digits[n++] = (char) ('0' + magnitude % 10u);
        magnitude /= 10u;
    } while (magnitude != 0);
    if (value < 0) {
        put(out, "-");
    }
    while (n > 0) {
        put_bytes(out, &digits[--n], 1);
    }
}

/* Most bytes put_escaped can write for n input bytes (\u00XX is six). */
#define ESCAPED_MAX(n) ((size_t) (n) * 6u)

/* Writes bytes as the inside of a JSON string: quotes, backslashes and
 * control characters are escaped, everything else is copied as it is. */
static inline void put_escaped(Out *out, const char *bytes, size_t n) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char) bytes[i];
        if (ch == '"' || ch == '\\') {
            char pair[2] = {'\\', (char) ch};
            put_bytes(out, pair, 2);
        } else if (ch < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
            put_bytes(out, esc, 6);
        } else {
            put_bytes(out, (const char *) &ch, 1);
        }
    }
}

/* Writes bytes as a complete JSON string, quotes included. */
static inline void put_string(Out *out, const char *bytes, size_t n) {
    put(out, "\"");
    put_escaped(out, bytes, n);
    put(out, "\"");
}

/* Packs a reply for handle_message's return value. */
static inline int64_t reply_of(const Out *out) {
    return (int64_t) (((uint64_t) (uintptr_t) out->buf << 32) | (uint64_t) out->len);
}

/* ------------------------------------------------------------------------
 * Reading JSON
 *
 * Enough of a parser to find members of an object (in any order), read
 * strings (with their escapes decoded) and whole numbers. Values nobody asked
 * for are skipped but still checked for shape, so a broken message is
 * noticed rather than misread. Nesting deeper than MAX_DEPTH is refused
 * instead of risking the stack.
 * ---------------------------------------------------------------------- */

typedef struct {
    const char *p;   /* next byte to read */
    const char *end; /* one past the last byte */
} Cursor;

#define MAX_DEPTH 64

static inline Cursor cursor_of(const char *bytes, size_t len) {
    Cursor c = {bytes, bytes + len};
    return c;
}

static inline void skip_ws(Cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

static inline int hex_digit(char ch) {
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

/* Reads the four hex digits after "\u" at p; -1 when they are not hex. */
static inline int32_t read_hex4(const char *p) {
    int32_t value = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(p[i]);
        if (d < 0) {
            return -1;
        }
        value = value * 16 + d;
    }
    return value;
}

/* Reads a string starting at its opening quote, checking its escapes. On
 * success the cursor is just past the closing quote and, if body is not
 * NULL, *body / *body_len hold the raw (still escaped) bytes between the
 * quotes; json_unescape turns them into text. */
static inline bool read_string(Cursor *c, const char **body, size_t *body_len) {
    if (c->p >= c->end || *c->p != '"') {
        return false;
    }
    const char *start = ++c->p;
    while (c->p < c->end) {
        unsigned char ch = (unsigned char) *c->p;
        if (ch == '"') {
            if (body != NULL) {
                *body = start;
                *body_len = (size_t) (c->p - start);
            }
            c->p++;
            return true;
        }
        if (ch == '\\') {
            if (c->end - c->p < 2) {
                return false;
            }
            switch (c->p[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                c->p += 2;
                break;
            case 'u':
                if (c->end - c->p < 6 || read_hex4(c->p + 2) < 0) {
                    return false;
                }
                c->p += 6;
                break;
            default:
                return false;
            }
        } else if (ch < 0x20) {
            return false; /* raw control characters are not allowed in JSON strings */
        } else {
            c->p++;
        }
    }
    return false; /* no closing quote */
}

static inline size_t put_utf8(char *dst, uint32_t cp) {
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

/* Decodes the body of a JSON string (as read_string found it, escapes already
 * checked) into UTF-8 text at dst. Returns the text's length, or -1 when it
 * needs more than cap bytes. A \uXXXX surrogate pair becomes one character;
 * a lone surrogate becomes U+FFFD, the replacement character. */
static inline int32_t json_unescape(const char *body, size_t len, char *dst, size_t cap) {
    size_t i = 0;
    size_t n = 0;
    while (i < len) {
        char tmp[4];
        size_t w;
        if (body[i] != '\\') {
            tmp[0] = body[i++];
            w = 1;
        } else {
            char e = body[i + 1];
            i += 2;
            switch (e) {
            case 'b': tmp[0] = '\b'; w = 1; break;
            case 'f': tmp[0] = '\f'; w = 1; break;
            case 'n': tmp[0] = '\n'; w = 1; break;
            case 'r': tmp[0] = '\r'; w = 1; break;
            case 't': tmp[0] = '\t'; w = 1; break;
            case 'u': {
                uint32_t cp = (uint32_t) read_hex4(body + i);
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= len && body[i] == '\\' && body[i + 1] == 'u') {
                    int32_t low = read_hex4(body + i + 2);
                    if (low >= 0xDC00 && low <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t) low - 0xDC00);
                        i += 6;
                    }
                }
                if (cp >= 0xD800 && cp <= 0xDFFF) {
                    cp = 0xFFFD;
                }
                w = put_utf8(tmp, cp);
                break;
            }
            default: tmp[0] = e; w = 1; break; /* \" \\ \/ */
            }
        }
        if (w > cap - n) {
            return -1;
        }
        copy_bytes(dst + n, tmp, w);
        n += w;
    }
    return (int32_t) n;
}

/* True when the string body (escapes still in) spells exactly `text`. */
static inline bool string_is(const char *body, size_t len, const char *text) {
    char decoded[64];
    int32_t n = json_unescape(body, len, decoded, sizeof decoded);
    return n >= 0 && bytes_equal(decoded, (size_t) n, text);
}

static inline bool skip_literal(Cursor *c, const char *word) {
    size_t n = str_len(word);
    if ((size_t) (c->end - c->p) < n || !bytes_equal(c->p, n, word)) {
        return false;
    }
    c->p += n;
    return true;
}

static inline bool at_digit(const Cursor *c) {
    return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

/* Skips one or more digits; false when there is none. */
static inline bool skip_digits(Cursor *c) {
    if (!at_digit(c)) {
        return false;
    }
    while (at_digit(c)) {
        c->p++;
    }
    return true;
}

/* Skips a number exactly as JSON spells one: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * Being strict here matters because skipped values may be copied into a
 * reply as they are (a seller repeats the cfp's item). */
static inline bool skip_number(Cursor *c) {
    if (c->p < c->end && *c->p == '-') {
        c->p++;
    }
    if (c->p < c->end && *c->p == '0') {
        c->p++;
    } else if (!skip_digits(c)) {
        return false;
    }
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (!skip_digits(c)) {
            return false;
        }
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
            c->p++;
        }
        if (!skip_digits(c)) {
            return false;
        }
    }
    return true;
}

static inline bool skip_value(Cursor *c, int depth);

/* Skips an object or array starting at '{' or '['. */
static inline bool skip_container(Cursor *c, int depth) {
    char close = *c->p == '{' ? '}' : ']';
    bool is_object = close == '}';
    if (depth >= MAX_DEPTH) {
        return false;
    }
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return true;
    }
    for (;;) {
        if (is_object) {
            if (!read_string(c, NULL, NULL)) {
                return false;
            }
            skip_ws(c);
            if (c->p >= c->end || *c->p != ':') {
                return false;
            }
            c->p++;
        }
        if (!skip_value(c, depth + 1)) {
            return false;
        }
        skip_ws(c);
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
        skip_ws(c);
    }
}

/* Skips one value of any kind, with the whitespace before it. */
static inline bool skip_value(Cursor *c, int depth) {
    skip_ws(c);
    if (c->p >= c->end) {
        return false;
    }
    switch (*c->p) {
    case '{':
    case '[':
        return skip_container(c, depth);
    case '"':
        return read_string(c, NULL, NULL);
    case 't':
        return skip_literal(c, "true");
    case 'f':
        return skip_literal(c, "false");
    case 'n':
        return skip_literal(c, "null");
    default:
        return skip_number(c);
    }
}

/* A checked whole object: true when the value at c is an object and well
 * formed up to its closing brace (nothing after it is looked at). */
static inline bool is_object(Cursor c) {
    skip_ws(&c);
    return c.p < c.end && *c.p == '{' && skip_value(&c, 0);
}

/* Looks for member `key` in the object at obj (which is_object accepted).
 * On success *value points at the member's value; with duplicate keys the
 * first one counts. */
static inline bool find_member(Cursor obj, const char *key, Cursor *value) {
    skip_ws(&obj);
    if (obj.p >= obj.end || *obj.p != '{') {
        return false;
    }
    obj.p++;
    skip_ws(&obj);
    if (obj.p < obj.end && *obj.p == '}') {
        return false;
    }
    for (;;) {
        const char *name;
        size_t name_len;
        if (!read_string(&obj, &name, &name_len)) {
            return false;
        }
        skip_ws(&obj);
        if (obj.p >= obj.end || *obj.p != ':') {
            return false;
        }
        obj.p++;
        skip_ws(&obj);
        if (string_is(name, name_len, key)) {
            *value = obj;
            return true;
        }
        if (!skip_value(&obj, 1)) {
            return false;
        }
        skip_ws(&obj);
        if (obj.p >= obj.end || *obj.p != ',') {
            return false; /* '}' (not there) or broken */
        }
        obj.p++;
        skip_ws(&obj);
    }
}

/* Finds member `key` of obj and, when it is a string, its raw body. */
static inline bool find_string(Cursor obj, const char *key, const char **body, size_t *len) {
    Cursor at;
    return find_member(obj, key, &at) && read_string(&at, body, len);
}

/* Finds member `key` of obj and decodes the string there into dst (cap
 * bytes). Returns the text's length, or -1 when the member is absent, not a
 * string or too long. */
static inline int32_t find_text(Cursor obj, const char *key, char *dst, size_t cap) {
    const char *body;
    size_t len;
    if (!find_string(obj, key, &body, &len)) {
        return -1;
    }
    return json_unescape(body, len, dst, cap);
}

/* Reads a JSON number at c that must be a whole number within int64_t
 * ("95", "-3"; not "95.5", "1e2" or anything past 2^63). */
static inline bool read_int64(Cursor c, int64_t *out) {
    bool negative = false;
    uint64_t magnitude = 0;
    if (c.p < c.end && *c.p == '-') {
        negative = true;
        c.p++;
    }
    uint64_t limit = negative ? (uint64_t) 1 << 63 : ((uint64_t) 1 << 63) - 1u;
    if (c.p >= c.end || *c.p < '0' || *c.p > '9') {
        return false;
    }
    while (c.p < c.end && *c.p >= '0' && *c.p <= '9') {
        unsigned digit = (unsigned) (*c.p - '0');
        if (magnitude > (limit - digit) / 10u) {
            return false;
        }
        magnitude = magnitude * 10u + digit;
        c.p++;
    }
    if (c.p < c.end && (*c.p == '.' || *c.p == 'e' || *c.p == 'E')) {
        return false;
    }
    *out = negative ? (int64_t) ((uint64_t) 0 - magnitude) : (int64_t) magnitude;
    return true;
}

/* Finds member `key` of obj and reads it as a whole number. */
static inline bool find_int64(Cursor obj, const char *key, int64_t *out) {
    Cursor at;
    return find_member(obj, key, &at) && read_int64(at, out);
}

/* Finds member `key` of obj and gives the raw JSON text of its value (the
 * value is checked for shape), for copying it into another message as is. */
static inline bool find_raw(Cursor obj, const char *key, const char **raw, size_t *len) {
    Cursor at;
    if (!find_member(obj, key, &at)) {
        return false;
    }
    const char *start = at.p;
    if (!skip_value(&at, 1)) {
        return false;
    }
    *raw = start;
    *len = (size_t) (at.p - start);
    return true;
}

/* ------------------------------------------------------------------------
 * Envelope basics
 * ---------------------------------------------------------------------- */

/* Longest performative is "request-whenever" (16 bytes). */
#define PERFORMATIVE_CAP 24

/* Decodes the envelope's performative into perf; false when the message is
 * not a JSON object or has no (short enough) string performative. */
static inline bool read_performative(Cursor envelope, char perf[PERFORMATIVE_CAP], size_t *perf_len) {
    if (!is_object(envelope)) {
        return false;
    }
    int32_t n = find_text(envelope, "performative", perf, PERFORMATIVE_CAP);
    if (n < 0) {
        return false;
    }
    *perf_len = (size_t) n;
    return true;
}

/* A reply {"performative":P,"content":{"reason":R}}, in the arena, where
 * the reason R is `before`, then the detail_len bytes at detail (text from
 * the message being answered, escaped as needed), then `after`. */
static inline Out reply_reason(const char *performative, const char *before, const char *detail, size_t detail_len,
                               const char *after) {
    Out out = out_json(64 + str_len(performative) + ESCAPED_MAX(str_len(before)) + ESCAPED_MAX(detail_len) +
                       ESCAPED_MAX(str_len(after)));
    put(&out, "{\"performative\":\"");
    put(&out, performative);
    put(&out, "\",\"content\":{\"reason\":\"");
    put_escaped(&out, before, str_len(before));
    put_escaped(&out, detail, detail_len);
    put_escaped(&out, after, str_len(after));
    put(&out, "\"}}");
    return out;
}

#endif /* CAXTON_CONTRACT_NET_AGENT_H */
