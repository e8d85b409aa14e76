/*
 * selftest.c - caxton.h's JSON reading and writing, checked inside a real
 * module. init runs every check and returns the number of the first one that
 * fails (0 when all pass), so a deploy or `caxton agent test` of this module
 * fails with that number; each failure is also logged.
 */
#define CAXTON_IMPLEMENTATION
#include "../caxton.h"

static int32_t failed;
static int32_t check_no;

static void check(bool ok, const char *what) {
    check_no++;
    if (!ok) {
        caxton_log(CAXTON_ERROR, what);
        if (failed == 0) {
            failed = check_no;
        }
    }
}

static caxton_json parse(const char *text) {
    return caxton_json_parse(text, caxton_strlen(text));
}

static bool same(const caxton_buf *b, const char *want) {
    return caxton_equals(b->ptr, b->len, want);
}

CAXTON_EXPORT("init") int32_t init(void) {
    /* Keys are found as keys of that object only, never in strings or nested values. */
    caxton_json o = parse("{\"a\":\"\\\"k\\\":1\",\"n\":{\"k\":2},\"k\":3,\"k\":4}");
    int64_t n = 0;
    check(caxton_json_i64(caxton_json_get(o, "k"), &n) && n == 3, "the first top-level k is 3");
    check(caxton_json_type_of(caxton_json_get(o, "missing")) == CAXTON_JSON_NONE, "an absent key is NONE");
    check(caxton_json_type_of(caxton_json_get(o, "n")) == CAXTON_JSON_OBJECT, "a nested object is found");

    /* Malformed text is refused as a whole. */
    check(parse("{\"a\":1,}").ptr == NULL, "trailing comma refused");
    check(parse("{\"a\":01}").ptr == NULL, "leading zero refused");
    check(parse("\"tab\there\"").ptr == NULL, "raw control character refused");
    check(parse("[1] x").ptr == NULL, "text after the value refused");
    check(parse("\"\\x\"").ptr == NULL, "unknown escape refused");
    check(parse(" {\"a\" : [ 1 , 2 ] } ").ptr != NULL, "whitespace allowed");

    /* Numbers. */
    check(caxton_json_i64(parse("-9223372036854775808"), &n) && n == INT64_MIN, "INT64_MIN");
    check(!caxton_json_i64(parse("9223372036854775808"), &n), "2^63 refused as i64");
    check(!caxton_json_i64(parse("4.0"), &n), "4.0 is not an i64");
    double d = 0;
    check(caxton_json_f64(parse("-2.5e2"), &d) && d == -250.0, "-2.5e2");
    check(caxton_json_f64(parse("0.125"), &d) && d == 0.125, "0.125");

    /* Strings: escapes, surrogate pairs, lone surrogates. */
    char text[32];
    check(caxton_json_text(parse("\"a\\n\\u00e9\\ud83d\\ude00\\\\\""), text, sizeof text) == 9
              && caxton_equals(text, 9, "a\n\xc3\xa9\xf0\x9f\x98\x80\\"), "escapes decoded to UTF-8");
    check(caxton_json_text(parse("\"\\ud800x\""), text, sizeof text) == 4
              && caxton_equals(text, 4, "\xef\xbf\xbdx"), "a lone surrogate becomes U+FFFD");
    check(caxton_json_text(parse("\"abcdef\""), text, 4) == -1, "too small a buffer is -1");

    /* Writing. */
    caxton_buf b = caxton_buf_new(4);
    caxton_put_string(&b, "q\"\\\n\x01\xc3\xa9");
    check(same(&b, "\"q\\\"\\\\\\n\\u0001\xc3\xa9\""), "strings escaped");
    b = caxton_buf_new(4);
    caxton_put_f64(&b, -0.5);
    caxton_put(&b, " ");
    caxton_put_f64(&b, 1.25);
    caxton_put(&b, " ");
    caxton_put_f64(&b, 3.0);
    caxton_put(&b, " ");
    caxton_put_i64(&b, INT64_MIN);
    check(same(&b, "-0.5 1.25 3 -9223372036854775808"), "numbers written");

    /* The allocator reuses what was freed and merges neighbours. */
    void *x = caxton_malloc(100);
    void *y = caxton_malloc(100);
    caxton_free(x);
    caxton_free(y);
    void *z = caxton_malloc(200);
    check(z == x, "freed neighbours merge into one block");
    caxton_free(z);

    /* Envelopes. */
    caxton_msg m;
    const char *env = "{\"sender\":\"a\\\"b\",\"performative\":\"query-ref\",\"content\":{\"performative\":\"x\"}}";
    check(caxton_msg_parse(&m, env, caxton_strlen(env)) && caxton_msg_is(&m, "query-ref"), "performative read");
    check(caxton_equals(m.from, 3, "a\"b"), "sender decoded");
    check(!caxton_msg_parse(&m, "[1]", 3), "an array is no envelope");
    return failed;
}

int64_t caxton_on_message(const caxton_msg *m) {
    return caxton_inform(m, "\"selftest passed\"");
}
