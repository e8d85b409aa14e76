/*
 * seller.c - the participant side of the FIPA Contract-Net protocol.
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
 * Replies only carry performative and content: the runtime addresses them
 * back to the buyer and fills in conversation_id and in_reply_to from the
 * message being answered, which is all Contract-Net needs.
 *
 * A seller keeps no state between messages, so it does not mind a fresh
 * instance (after a fault or a reload) at any point of a negotiation.
 */

#include "agent.h"

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

/* The propose reply: {"performative":"propose","content":{"price":P,"item":I}}
 * where I is the cfp's item copied exactly as it came (any JSON value). */
static int64_t propose(Cursor envelope) {
    Cursor content;
    const char *item;
    size_t item_len;
    if (!find_member(envelope, "content", &content) || !is_object(content)) {
        Out out = reply_reason("not-understood", "a cfp needs content like " CFP_EXAMPLE, "", 0, "");
        return reply_of(&out);
    }
    if (!find_raw(content, "item", &item, &item_len)) {
        Out out = reply_reason("not-understood", "the cfp's content has no 'item', expected something like " CFP_EXAMPLE,
                               "", 0, "");
        return reply_of(&out);
    }
    Out out = out_json(96 + item_len);
    put(&out, "{\"performative\":\"propose\",\"content\":{\"price\":");
    put_i64(&out, price);
    put(&out, ",\"item\":");
    put_bytes(&out, item, item_len);
    put(&out, "}}");

    char line[160];
    Out log = out_line(line, sizeof line);
    put(&log, "proposing ");
    put_i64(&log, price);
    put(&log, " for ");
    put_bytes(&log, item, item_len);
    caxton_log(LOG_INFO, log.buf, (int32_t) log.len);
    return reply_of(&out);
}

/* The inform reply that closes the deal: {"status":"sold","price":P}. */
static int64_t sold(void) {
    Out out = out_json(128);
    put(&out, "{\"performative\":\"inform\",\"content\":{\"status\":\"sold\",\"price\":");
    put_i64(&out, price);
    put(&out, "}}");

    char line[48];
    Out log = out_line(line, sizeof line);
    put(&log, "sold at ");
    put_i64(&log, price);
    caxton_log(LOG_INFO, log.buf, (int32_t) log.len);
    return reply_of(&out);
}

static int64_t respond(const char *message, size_t len) {
    Cursor envelope = cursor_of(message, len);
    char perf[PERFORMATIVE_CAP];
    size_t perf_len;
    if (!read_performative(envelope, perf, &perf_len)) {
        /* The runtime only delivers valid envelopes, so this is a client
         * speaking some other format; say so rather than stay silent. */
        Out out = reply_reason("not-understood", "expected a JSON envelope with a string 'performative'", "", 0, "");
        return reply_of(&out);
    }
    if (bytes_equal(perf, perf_len, "cfp")) {
        return propose(envelope);
    }
    if (bytes_equal(perf, perf_len, "accept-proposal")) {
        return sold();
    }
    if (bytes_equal(perf, perf_len, "reject-proposal")) {
        log_text(LOG_INFO, "lost");
        return 0;
    }
    if (bytes_equal(perf, perf_len, "not-understood") || bytes_equal(perf, perf_len, "failure")) {
        /* Answering a complaint with a complaint would never end. */
        log_text(LOG_DEBUG, "ignoring a not-understood/failure message");
        return 0;
    }
    Out out = reply_reason("not-understood",
                           "a seller understands cfp, accept-proposal and reject-proposal, not '", perf, perf_len, "'");
    return reply_of(&out);
}

/* ------------------------------------------------------------------------
 * The agent's entry points
 * ---------------------------------------------------------------------- */

/* Called once after instantiation; non-zero refuses the deployment. */
CAXTON_EXPORT("init")
int32_t init(void) {
    static const char capability[] = "seller";
    int32_t status = caxton_register_capability(capability, (int32_t) (sizeof capability - 1));
    if (status != 0) {
        /* A seller nobody can find by capability never sees a cfp. */
        log_text(LOG_ERROR, "seller: could not register capability 'seller'");
        return status;
    }
    char line[64];
    Out log = out_line(line, sizeof line);
    put(&log, "seller ready, asking ");
    put_i64(&log, price);
    caxton_log(LOG_INFO, log.buf, (int32_t) log.len);
    return 0;
}

/* Handles one envelope: the len bytes at message. Returns
 * (reply address << 32) | reply length, or 0 for no reply. */
CAXTON_EXPORT("handle_message")
int64_t handle_message(const char *message, int32_t len) {
    int64_t reply = respond(message, (size_t) (uint32_t) len);
    /* The reply stays in the arena until the host has read it, which it
     * does before its next alloc; that alloc may start the arena over. */
    arena_round_end();
    return reply;
}
