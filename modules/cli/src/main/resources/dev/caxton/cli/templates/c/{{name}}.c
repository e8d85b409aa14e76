/*
 * {{name}}.c - a Caxton agent in C, on caxton.h (the C SDK).
 *
 * It greets whoever asks and remembers how many greetings it has given:
 * a request with content "Ada" gets {"greeting":"hello, Ada","given":N}.
 * The count is a static variable, so it survives from one message to the
 * next.
 */
#define CAXTON_IMPLEMENTATION
#include "caxton.h"

static int64_t given;

CAXTON_EXPORT("init") int32_t init(void) {
    caxton_log(CAXTON_INFO, "{{name}} ready");
    return 0;
}

int64_t caxton_on_message(const caxton_msg *m) {
    if (!caxton_msg_is(m, "request")) {
        return CAXTON_NO_REPLY; /* never answer answers: two such agents would loop */
    }
    /* Greet the name in the content, or the sender when there is none. */
    const char *who = caxton_json_cstr(m->content);
    if (who == NULL) {
        who = m->from;
    }
    given++;
    caxton_buf b = caxton_buf_new(64);
    caxton_put(&b, "{\"greeting\":");
    caxton_buf text = caxton_buf_new(16);
    caxton_put(&text, "hello, ");
    caxton_put(&text, who);
    caxton_put_string_n(&b, text.ptr, text.len);
    caxton_put(&b, ",\"given\":");
    caxton_put_i64(&b, given);
    caxton_put(&b, "}");
    return caxton_reply_buf(m, "inform", &b);
}
