/*
 * seller.c - the participant side of the FIPA Contract-Net protocol, on the
 * C SDK (sdk/c/caxton.h).
 *
 * A seller offers one fixed price, chosen when it is built (-DPRICE=95; see
 * build.sh, which builds three sellers with different prices). It registers
 * the capability "seller", so a buyer can reach every seller at once with a
 * broadcast, and then:
 *
 *   cfp              -> propose  {"price":PRICE,"item":<the cfp's item>}
 *   accept-proposal  -> inform   {"status":"sold","price":PRICE}
 *   reject-proposal  -> no reply; logs "lost"
 *   anything else    -> not-understood, with a reason
 *
 * The SDK's reply builders address each reply back to the sender and carry
 * the conversation_id and in_reply_to of the message being answered, which is
 * all Contract-Net needs.
 *
 * A seller keeps no state between messages, so it does not mind a fresh
 * instance (after a fault or a reload) at any point of a negotiation.
 */

#define CAXTON_IMPLEMENTATION
#include "caxton.h"

#ifndef PRICE
#error "build with -DPRICE=<whole number>, e.g. -DPRICE=95 (see build.sh)"
#endif

/* Only whole, non-negative prices make sense here; a typo in the build
 * (-DPRICE=9.5, -DPRICE=abc) stops the compile instead of producing an agent
 * that sends nonsense. */
_Static_assert((PRICE) >= 0, "PRICE must be a whole number >= 0");
static const int64_t price = (PRICE);

/* What a seller says when a cfp does not name an item. */
#define CFP_EXAMPLE "{\"item\":\"widget\"}"

/* Writes a finished line to the log. */
static void log_buf(int32_t level, const caxton_buf *line) {
    caxton_host_log(level, line->ptr, (int32_t) line->len);
}

/* The propose reply: content {"price":P,"item":I} where I is the cfp's item
 * copied exactly as it came (any JSON value). */
static int64_t propose(const caxton_msg *m) {
    if (caxton_json_type_of(m->content) != CAXTON_JSON_OBJECT) {
        return caxton_not_understood(m, "a cfp needs content like " CFP_EXAMPLE);
    }
    caxton_json item = caxton_json_get(m->content, "item");
    if (item.ptr == NULL) {
        return caxton_not_understood(m, "the cfp's content has no 'item', expected something like " CFP_EXAMPLE);
    }
    caxton_buf content = caxton_buf_new(32 + item.len);
    caxton_put(&content, "{\"price\":");
    caxton_put_i64(&content, price);
    caxton_put(&content, ",\"item\":");
    caxton_put_json(&content, item);
    caxton_put(&content, "}");

    caxton_buf line = caxton_buf_new(32 + item.len);
    caxton_put(&line, "proposing ");
    caxton_put_i64(&line, price);
    caxton_put(&line, " for ");
    caxton_put_json(&line, item);
    log_buf(CAXTON_INFO, &line);
    return caxton_reply_buf(m, "propose", &content);
}

/* The inform reply that closes the deal: {"status":"sold","price":P}. */
static int64_t sold(const caxton_msg *m) {
    caxton_buf content = caxton_buf_new(48);
    caxton_put(&content, "{\"status\":\"sold\",\"price\":");
    caxton_put_i64(&content, price);
    caxton_put(&content, "}");

    caxton_buf line = caxton_buf_new(32);
    caxton_put(&line, "sold at ");
    caxton_put_i64(&line, price);
    log_buf(CAXTON_INFO, &line);
    return caxton_reply_buf(m, "inform", &content);
}

/* Called by the SDK for every envelope (anything else gets not-understood
 * from the SDK itself). */
int64_t caxton_on_message(const caxton_msg *m) {
    if (caxton_msg_is(m, "cfp")) {
        return propose(m);
    }
    if (caxton_msg_is(m, "accept-proposal")) {
        return sold(m);
    }
    if (caxton_msg_is(m, "reject-proposal")) {
        caxton_log(CAXTON_INFO, "lost");
        return CAXTON_NO_REPLY;
    }
    if (caxton_msg_is(m, "not-understood") || caxton_msg_is(m, "failure")) {
        /* Answering a complaint with a complaint would never end. */
        caxton_log(CAXTON_DEBUG, "ignoring a not-understood/failure message");
        return CAXTON_NO_REPLY;
    }
    caxton_buf reason = caxton_buf_new(96);
    caxton_put(&reason, "a seller understands cfp, accept-proposal and reject-proposal, not '");
    caxton_put(&reason, m->perf);
    caxton_put(&reason, "'");
    caxton_put_bytes(&reason, "", 1); /* NUL-terminated for caxton_not_understood */
    return caxton_not_understood(m, reason.ptr);
}

/* Called once after instantiation; non-zero refuses the deployment. */
CAXTON_EXPORT("init")
int32_t init(void) {
    int32_t status = caxton_register("seller");
    if (status != 0) {
        /* A seller nobody can find by capability never sees a cfp. */
        caxton_log(CAXTON_ERROR, "seller: could not register capability 'seller'");
        return status;
    }
    caxton_buf line = caxton_buf_new(32);
    caxton_put(&line, "seller ready, asking ");
    caxton_put_i64(&line, price);
    log_buf(CAXTON_INFO, &line);
    return 0;
}
