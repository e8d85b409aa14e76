/*
 * capability-router.c - offers the capability "text.upper" and answers
 * requests routed to it by capability rather than by name.
 *
 * A request whose content is a string gets an inform with the string in
 * upper case (ASCII letters only) and the name of the agent that asked; other
 * content gets not-understood. Registering happens in init, so the agent is
 * reachable by capability from the moment it is deployed.
 */
#define CAXTON_IMPLEMENTATION
#include "../../caxton.h"

CAXTON_EXPORT("init") int32_t init(void) {
    int32_t rc = caxton_register("text.upper");
    if (rc != 0) {
        caxton_log(CAXTON_ERROR, "could not register text.upper");
        return rc;
    }
    caxton_log(CAXTON_INFO, "serving capability text.upper");
    return 0;
}

int64_t caxton_on_message(const caxton_msg *m) {
    if (!caxton_msg_is(m, "request")) {
        return CAXTON_NO_REPLY;
    }
    const char *text = caxton_json_cstr(m->content);
    if (text == NULL) {
        return caxton_not_understood(m, "the content must be a JSON string");
    }
    size_t n = caxton_strlen(text);
    char *upper = (char *) caxton_round_alloc(n + 1);
    for (size_t i = 0; i <= n; i++) {
        char ch = text[i];
        upper[i] = ch >= 'a' && ch <= 'z' ? (char) (ch - 'a' + 'A') : ch;
    }
    caxton_buf b = caxton_buf_new(32 + 2 * n);
    caxton_put(&b, "{\"upper\":");
    caxton_put_string_n(&b, upper, n);
    caxton_put(&b, ",\"for\":");
    caxton_put_string(&b, m->from);
    caxton_put(&b, "}");
    return caxton_reply_buf(m, "inform", &b);
}
