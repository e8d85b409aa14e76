/*
 * running-sum.c - keeps the sum of every number it is sent.
 *
 * Content 5 (or [1, 2.5], or {"add": 3}) adds to the total; any message gets
 * the reply {"sum": total, "count": numbers seen}. The total lives in a
 * static variable, so it survives from one message to the next (until the
 * instance is replaced after a fault or a reload).
 */
#define CAXTON_IMPLEMENTATION
#include "../../caxton.h"

static double total;
static int64_t count;

static void add(caxton_json v) {
    double d;
    if (caxton_json_f64(v, &d)) {
        total += d;
        count++;
    }
}

int64_t caxton_on_message(const caxton_msg *m) {
    /* Answering an inform or a failure would start an endless exchange with
     * an agent that answers everything too. */
    if (!caxton_msg_is(m, "request") && !caxton_msg_is(m, "query-ref")) {
        return CAXTON_NO_REPLY;
    }
    switch (caxton_json_type_of(m->content)) {
    case CAXTON_JSON_NUMBER:
        add(m->content);
        break;
    case CAXTON_JSON_ARRAY: {
        caxton_json_iter it = caxton_json_items(m->content);
        caxton_json item;
        while (caxton_json_next(&it, NULL, &item)) {
            if (caxton_json_type_of(item) != CAXTON_JSON_NUMBER) {
                return caxton_not_understood(m, "the array holds something other than numbers");
            }
            add(item);
        }
        break;
    }
    case CAXTON_JSON_OBJECT:
        if (caxton_json_type_of(caxton_json_get(m->content, "add")) != CAXTON_JSON_NUMBER) {
            return caxton_not_understood(m, "expected {\"add\": number}");
        }
        add(caxton_json_get(m->content, "add"));
        break;
    case CAXTON_JSON_NONE:
        break; /* no content: just report */
    default:
        return caxton_not_understood(m, "send a number, an array of numbers or {\"add\": number}");
    }
    caxton_buf b = caxton_buf_new(64);
    caxton_put(&b, "{\"sum\":");
    caxton_put_f64(&b, total);
    caxton_put(&b, ",\"count\":");
    caxton_put_i64(&b, count);
    caxton_put(&b, "}");
    return caxton_reply_buf(m, "inform", &b);
}
