/*
 * calculator.c - a Caxton agent written in C: integer arithmetic on request.
 *
 * Send it a message whose content is
 *     {"op":"add","a":2,"b":40}
 * and it replies
 *     {"performative":"inform","content":{"result":42}}
 *
 * Operations: add, sub, mul, div on signed 64-bit integers (div truncates
 * towards zero). Division by zero and results that do not fit in 64 bits get
 * a `failure` reply with a reason; content it cannot make sense of gets a
 * `not-understood` reply whose reason says what was wrong. In `init` it
 * registers the capability "math", so it can also be reached with
 * `--capability math` instead of by name.
 *
 * There is no C library here (the build uses -nostdlib): a Caxton agent needs
 * nothing but its linear memory and the four host functions, so the few
 * helpers it uses are written out below. Build with ./build.sh.
 */

#include <stdbool.h> /* freestanding headers: they come with the compiler, not a libc */
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------
 * Host functions (imported from module "caxton")
 * ---------------------------------------------------------------------- */

#define CAXTON_IMPORT(name) __attribute__((import_module("caxton"), import_name(name)))
#define CAXTON_EXPORT(name) __attribute__((export_name(name)))

CAXTON_IMPORT("log")
void caxton_log(int32_t level, const char *text, int32_t len);

CAXTON_IMPORT("register_capability")
int32_t caxton_register_capability(const char *name, int32_t len);

enum { LOG_DEBUG = 1, LOG_INFO = 2, LOG_WARN = 3, LOG_ERROR = 4 };

/* ------------------------------------------------------------------------
 * Small string helpers
 * ---------------------------------------------------------------------- */

static size_t str_len(const char *s) {
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

/* True when the n bytes at a equal the NUL-terminated string b. */
static bool bytes_equal(const char *a, size_t n, const char *b) {
    size_t i = 0;
    for (; i < n; i++) {
        if (b[i] == '\0' || a[i] != b[i]) {
            return false;
        }
    }
    return b[i] == '\0';
}

static void log_text(int32_t level, const char *text) {
    caxton_log(level, text, (int32_t) str_len(text));
}

/* ------------------------------------------------------------------------
 * Memory: a bump ("arena") allocator
 *
 * The host works with an agent one message at a time: it calls alloc(len),
 * copies the message in, calls handle_message, and reads the reply the agent
 * returned before it does anything else with the agent. After that, neither
 * the message nor the reply is needed any more. So the first alloc after a
 * handle_message has returned starts the arena over at __heap_base (the end
 * of the static data and the C stack, provided by the linker). Memory use is
 * then bounded by the largest single message and reply, however many
 * messages the agent handles.
 *
 * Allocations made while handling a message (the reply below) simply follow
 * the message in the arena; handle_message marks the round as over only just
 * before it returns.
 * ---------------------------------------------------------------------- */

extern unsigned char __heap_base;

static uint64_t arena_next;          /* next free address */
static bool arena_round_over = true; /* true until the host allocates for a new message */

#define PAGE_SIZE 65536u

static void *arena_alloc(uint32_t size) {
    if (arena_round_over) {
        arena_next = (uint64_t) (uintptr_t) &__heap_base;
        arena_round_over = false;
    }
    /* 8-byte alignment suits every scalar type; 64-bit arithmetic cannot wrap. */
    uint64_t start = (arena_next + 7u) & ~(uint64_t) 7u;
    uint64_t end = start + size;
    if (end >= ((uint64_t) 1 << 32)) {
        __builtin_trap(); /* can never fit in a 32-bit memory */
    }
    uint64_t have = (uint64_t) __builtin_wasm_memory_size(0) * PAGE_SIZE;
    if (end > have) {
        size_t pages = (size_t) ((end - have + PAGE_SIZE - 1) / PAGE_SIZE);
        /* memory.grow returns -1 (SIZE_MAX here) past the agent's memory limit.
         * No address would be honest then, so trap: the host contains the
         * fault to this one message and starts a fresh instance. */
        if (__builtin_wasm_memory_grow(0, pages) == SIZE_MAX) {
            __builtin_trap();
        }
    }
    arena_next = end;
    return (void *) (uintptr_t) start;
}

/* The host calls this to get room for each incoming message. */
CAXTON_EXPORT("alloc")
void *alloc(uint32_t size) {
    return arena_alloc(size);
}

/* ------------------------------------------------------------------------
 * Building the reply
 *
 * Out collects the reply's bytes in a buffer taken from the arena. The
 * replies here are short (a few hundred bytes at most, echoed input is
 * capped), so a fixed capacity is enough; running past it would be a bug in
 * this file, and trapping then beats sending a cut-off, invalid JSON reply.
 * ---------------------------------------------------------------------- */

#define REPLY_CAPACITY 1024u

typedef struct {
    char *buf;
    size_t len;
} Out;

static void put_bytes(Out *out, const char *bytes, size_t n) {
    if (n > REPLY_CAPACITY - out->len) {
        __builtin_trap();
    }
    for (size_t i = 0; i < n; i++) {
        out->buf[out->len++] = bytes[i];
    }
}

static void put(Out *out, const char *text) {
    put_bytes(out, text, str_len(text));
}

static void put_i64(Out *out, int64_t value) {
    char digits[20];
    size_t n = 0;
    /* Work on the magnitude as unsigned, so INT64_MIN has one too. */
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

/* Writes bytes as the inside of a JSON string: quotes, backslashes and
 * control characters are escaped, everything else is copied as it is. */
static void put_escaped(Out *out, const char *bytes, size_t n) {
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

/* ------------------------------------------------------------------------
 * Reading JSON
 *
 * Just enough of a parser to find members of an object and read integers.
 * Values it is not interested in are skipped, but still checked for shape,
 * so a broken message is reported rather than misread. Keys are compared as
 * the raw bytes between their quotes (a key spelled with escapes would not
 * match; the host never writes keys that way).
 * ---------------------------------------------------------------------- */

typedef struct {
    const char *p;   /* next byte to read */
    const char *end; /* one past the last byte */
} Cursor;

#define MAX_DEPTH 64 /* deeper nesting is refused rather than risking the stack */

static void skip_ws(Cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

/* Reads a string starting at its opening quote. On success the cursor is just
 * past the closing quote and, if body is not NULL, *body / *body_len hold the
 * raw bytes between the quotes. */
static bool read_string(Cursor *c, const char **body, size_t *body_len) {
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
            c->p += 2; /* the escaped character; \uXXXX digits pass as plain bytes */
        } else if (ch < 0x20) {
            return false; /* raw control characters are not allowed in JSON strings */
        } else {
            c->p++;
        }
    }
    return false; /* no closing quote */
}

static bool skip_literal(Cursor *c, const char *word) {
    size_t n = str_len(word);
    if ((size_t) (c->end - c->p) < n || !bytes_equal(c->p, n, word)) {
        return false;
    }
    c->p += n;
    return true;
}

static bool skip_value(Cursor *c, int depth);

/* Skips an object or array starting at '{' or '['. */
static bool skip_container(Cursor *c, int depth) {
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
static bool skip_value(Cursor *c, int depth) {
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
        if (*c->p != '-' && (*c->p < '0' || *c->p > '9')) {
            return false;
        }
        while (c->p < c->end && ((*c->p >= '0' && *c->p <= '9') || *c->p == '-' || *c->p == '+' ||
                                 *c->p == '.' || *c->p == 'e' || *c->p == 'E')) {
            c->p++;
        }
        return true;
    }
}

/* A description of the value at the cursor, for error messages. */
static const char *kind_of(const Cursor *c) {
    switch (*c->p) {
    case '{': return "an object";
    case '[': return "an array";
    case '"': return "a string";
    case 't':
    case 'f': return "a boolean";
    case 'n': return "null";
    default: return "a number";
    }
}

typedef enum { MEMBER_FOUND, MEMBER_ABSENT, MEMBER_MALFORMED } MemberResult;

/* Looks for `key` among the members of the object whose '{' is at obj->p.
 * When found, *value points at the member's value (whitespace skipped). The
 * whole object is checked, so a malformed tail after the key is noticed. */
static MemberResult find_member(Cursor obj, const char *key, Cursor *value) {
    bool found = false;
    if (obj.p >= obj.end || *obj.p != '{') {
        return MEMBER_MALFORMED;
    }
    obj.p++;
    skip_ws(&obj);
    if (obj.p < obj.end && *obj.p == '}') {
        return MEMBER_ABSENT;
    }
    for (;;) {
        const char *name;
        size_t name_len;
        if (!read_string(&obj, &name, &name_len)) {
            return MEMBER_MALFORMED;
        }
        skip_ws(&obj);
        if (obj.p >= obj.end || *obj.p != ':') {
            return MEMBER_MALFORMED;
        }
        obj.p++;
        skip_ws(&obj);
        if (!found && bytes_equal(name, name_len, key)) {
            found = true;
            *value = obj;
        }
        if (!skip_value(&obj, 1)) {
            return MEMBER_MALFORMED;
        }
        skip_ws(&obj);
        if (obj.p >= obj.end) {
            return MEMBER_MALFORMED;
        }
        if (*obj.p == '}') {
            return found ? MEMBER_FOUND : MEMBER_ABSENT;
        }
        if (*obj.p != ',') {
            return MEMBER_MALFORMED;
        }
        obj.p++;
        skip_ws(&obj);
    }
}

typedef enum { INT_OK, INT_NOT_NUMBER, INT_NOT_WHOLE, INT_OUT_OF_RANGE } IntResult;

/* Reads a JSON number that must be a whole number within int64_t. On
 * INT_NOT_WHOLE, *text / *text_len give the number as written. */
static IntResult read_int64(Cursor c, int64_t *out, const char **text, size_t *text_len) {
    const char *start = c.p;
    bool negative = false;
    uint64_t magnitude = 0;
    /* Largest magnitude allowed: 2^63 - 1, or 2^63 for a negative number. */
    uint64_t limit;
    if (c.p < c.end && *c.p == '-') {
        negative = true;
        c.p++;
    }
    limit = negative ? (uint64_t) 1 << 63 : ((uint64_t) 1 << 63) - 1u;
    if (c.p >= c.end || *c.p < '0' || *c.p > '9') {
        return INT_NOT_NUMBER;
    }
    bool too_big = false;
    while (c.p < c.end && *c.p >= '0' && *c.p <= '9') {
        unsigned digit = (unsigned) (*c.p - '0');
        if (magnitude > (limit - digit) / 10u) {
            too_big = true; /* keep scanning, to tell 1e30 (not whole) from 10^30 */
        } else {
            magnitude = magnitude * 10u + digit;
        }
        c.p++;
    }
    if (c.p < c.end && (*c.p == '.' || *c.p == 'e' || *c.p == 'E')) {
        Cursor whole = {start, c.end};
        skip_value(&whole, 0);
        *text = start;
        *text_len = (size_t) (whole.p - start);
        return INT_NOT_WHOLE;
    }
    if (too_big) {
        return INT_OUT_OF_RANGE;
    }
    *out = negative ? (int64_t) ((uint64_t) 0 - magnitude) : (int64_t) magnitude;
    return INT_OK;
}

/* ------------------------------------------------------------------------
 * The calculator
 * ---------------------------------------------------------------------- */

#define EXAMPLE "{\"op\":\"add\",\"a\":2,\"b\":40}"
#define MAX_ECHO 32 /* bytes of the caller's op name repeated in a reason */

/* Starts a reply with the given performative and opens content.reason. */
static void begin_reason(Out *out, const char *performative) {
    put(out, "{\"performative\":\"");
    put(out, performative);
    put(out, "\",\"content\":{\"reason\":\"");
}

static void end_reason(Out *out) {
    put(out, "\"}}");
}

static void reply_reason(Out *out, const char *performative, const char *reason) {
    begin_reason(out, performative);
    put_escaped(out, reason, str_len(reason));
    end_reason(out);
}

static uint64_t magnitude_of(int64_t v) {
    return v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;
}

/* *result = a * b; returns true instead when the product does not fit.
 * Written out because __builtin_mul_overflow on 64-bit values needs a
 * 128-bit multiply helper (__multi3) from compiler-rt, which is not linked. */
static bool multiply(int64_t a, int64_t b, int64_t *result) {
    if (a == 0 || b == 0) {
        *result = 0;
        return false;
    }
    bool negative = (a < 0) != (b < 0);
    uint64_t limit = negative ? (uint64_t) 1 << 63 : ((uint64_t) 1 << 63) - 1u;
    uint64_t ma = magnitude_of(a);
    uint64_t mb = magnitude_of(b);
    if (ma > limit / mb) {
        return true;
    }
    uint64_t product = ma * mb;
    *result = negative ? (int64_t) ((uint64_t) 0 - product) : (int64_t) product;
    return false;
}

/* Reads integer operand `name` ("a" or "b") from content; on trouble writes
 * a not-understood reply and returns false. */
static bool read_operand(Cursor content, const char *name, int64_t *value, Out *out) {
    Cursor at;
    const char *text;
    size_t text_len;
    if (find_member(content, name, &at) != MEMBER_FOUND) {
        begin_reason(out, "not-understood");
        put(out, "content has no '");
        put(out, name);
        put(out, "' (an integer)");
        end_reason(out);
        return false;
    }
    switch (read_int64(at, value, &text, &text_len)) {
    case INT_OK:
        return true;
    case INT_NOT_NUMBER:
        begin_reason(out, "not-understood");
        put(out, "'");
        put(out, name);
        put(out, "' must be an integer, got ");
        put(out, kind_of(&at));
        end_reason(out);
        return false;
    case INT_NOT_WHOLE:
        begin_reason(out, "not-understood");
        put(out, "'");
        put(out, name);
        put(out, "' must be an integer, got ");
        put_escaped(out, text, text_len < MAX_ECHO ? text_len : MAX_ECHO);
        end_reason(out);
        return false;
    case INT_OUT_OF_RANGE:
    default:
        begin_reason(out, "not-understood");
        put(out, "'");
        put(out, name);
        put(out, "' is out of range: integers must fit in 64 bits "
                 "(-9223372036854775808 to 9223372036854775807)");
        end_reason(out);
        return false;
    }
}

/* Writes the reply to one envelope into out. Returns false when the message
 * should get no reply at all. */
static bool calculate(const char *message, size_t len, Out *out) {
    Cursor envelope = {message, message + len};
    Cursor field;
    skip_ws(&envelope);

    /* Never answer a not-understood or a failure with another one: two
     * agents that do so would keep each other busy for ever. */
    if (find_member(envelope, "performative", &field) == MEMBER_FOUND) {
        const char *name;
        size_t name_len;
        if (read_string(&field, &name, &name_len) &&
            (bytes_equal(name, name_len, "not-understood") || bytes_equal(name, name_len, "failure"))) {
            return false;
        }
    }

    switch (find_member(envelope, "content", &field)) {
    case MEMBER_FOUND:
        break;
    case MEMBER_ABSENT:
        reply_reason(out, "not-understood", "the message has no content; expected something like " EXAMPLE);
        return true;
    case MEMBER_MALFORMED:
    default:
        reply_reason(out, "not-understood",
                     "the message is not a valid JSON object (or nests deeper than 64 levels)");
        return true;
    }
    Cursor content = field;
    if (*content.p != '{') {
        begin_reason(out, "not-understood");
        put(out, "content must be a JSON object like ");
        put_escaped(out, EXAMPLE, str_len(EXAMPLE));
        put(out, ", got ");
        put(out, kind_of(&content));
        end_reason(out);
        return true;
    }

    /* The operation. */
    const char *op;
    size_t op_len;
    if (find_member(content, "op", &field) != MEMBER_FOUND) {
        reply_reason(out, "not-understood", "content has no 'op' (one of add, sub, mul, div)");
        return true;
    }
    if (*field.p != '"') {
        begin_reason(out, "not-understood");
        put(out, "'op' must be a string (one of add, sub, mul, div), got ");
        put(out, kind_of(&field));
        end_reason(out);
        return true;
    }
    read_string(&field, &op, &op_len); /* cannot fail: find_member checked the object */
    enum { ADD, SUB, MUL, DIV } kind;
    if (bytes_equal(op, op_len, "add")) {
        kind = ADD;
    } else if (bytes_equal(op, op_len, "sub")) {
        kind = SUB;
    } else if (bytes_equal(op, op_len, "mul")) {
        kind = MUL;
    } else if (bytes_equal(op, op_len, "div")) {
        kind = DIV;
    } else {
        /* Repeat at most MAX_ECHO bytes of what was sent, cut at a UTF-8
         * character boundary (continuation bytes look like 10xxxxxx). */
        size_t shown = op_len;
        if (shown > MAX_ECHO) {
            shown = MAX_ECHO;
            while (shown > 0 && ((unsigned char) op[shown] & 0xC0u) == 0x80u) {
                shown--;
            }
        }
        begin_reason(out, "not-understood");
        put(out, "unknown op '");
        put_escaped(out, op, shown);
        put(out, shown < op_len ? "...'" : "'");
        put(out, "; expected add, sub, mul or div");
        end_reason(out);
        return true;
    }

    /* The operands. */
    int64_t a, b, result;
    if (!read_operand(content, "a", &a, out) || !read_operand(content, "b", &b, out)) {
        return true;
    }

    /* The arithmetic, refusing results that do not fit in 64 bits. */
    bool overflow;
    switch (kind) {
    case ADD:
        overflow = __builtin_add_overflow(a, b, &result);
        break;
    case SUB:
        overflow = __builtin_sub_overflow(a, b, &result);
        break;
    case MUL:
        overflow = multiply(a, b, &result);
        break;
    case DIV:
    default:
        if (b == 0) {
            reply_reason(out, "failure", "division by zero");
            return true;
        }
        /* INT64_MIN / -1 is 2^63, one more than the largest int64_t; wasm
         * would trap on it, so it is reported like any other overflow. */
        overflow = a == INT64_MIN && b == -1;
        result = overflow ? 0 : a / b;
        break;
    }
    if (overflow) {
        reply_reason(out, "failure", "integer overflow: the result does not fit in 64 bits");
        return true;
    }

    put(out, "{\"performative\":\"inform\",\"content\":{\"result\":");
    put_i64(out, result);
    put(out, "}}");
    return true;
}

/* ------------------------------------------------------------------------
 * The agent's entry points
 * ---------------------------------------------------------------------- */

/* Called once after the agent is instantiated; non-zero refuses the deployment. */
CAXTON_EXPORT("init")
int32_t init(void) {
    static const char capability[] = "math";
    int32_t status = caxton_register_capability(capability, (int32_t) (sizeof capability - 1));
    if (status != 0) {
        /* An agent meant to be found by capability is of no use without it. */
        log_text(LOG_ERROR, "calculator: could not register capability 'math'");
        return status;
    }
    log_text(LOG_INFO, "calculator ready, capability 'math' registered");
    return 0;
}

/* Handles one message: the len bytes at message, a JSON envelope. Returns
 * (reply address << 32) | reply length, or 0 for no reply. */
CAXTON_EXPORT("handle_message")
int64_t handle_message(const char *message, int32_t len) {
    Out out = {arena_alloc(REPLY_CAPACITY), 0};
    bool reply = calculate(message, (size_t) (uint32_t) len, &out);
    /* This round is over once the host has read the reply, which it does
     * before its next alloc; that alloc may start the arena over. */
    arena_round_over = true;
    if (!reply) {
        return 0;
    }
    return (int64_t) (((uint64_t) (uintptr_t) out.buf << 32) | (uint64_t) out.len);
}
