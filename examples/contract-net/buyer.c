/*
 * buyer.c - the initiator side of the FIPA Contract-Net protocol, on the C
 * SDK (sdk/c/caxton.h).
 *
 * Ask it to buy something:
 *     request  {"item":"widget","sellers":3}
 * and it
 *   1. broadcasts one cfp to every agent holding the capability "seller",
 *      in a new conversation "cn-<now_millis>", and answers the request with
 *      {"status":"cfp sent","conversation_id":"cn-..."};
 *   2. collects the sellers' answers: a propose (content.price), or a refuse,
 *      not-understood or failure (no offer);
 *   3. once as many sellers as the request said have answered, sends
 *      accept-proposal to the lowest price (the first one on a tie) and
 *      reject-proposal to every other proposer, and logs
 *      "winner <name> at <price>";
 *   4. on the winner's inform with status "sold" logs
 *      "contract closed with <name>".
 * A proposal that arrives after the award (more sellers answered than the
 * request announced) gets a reject-proposal too.
 *
 * The negotiation state lives in static variables: they last as long as the
 * instance. A new request starts a new conversation and drops the old one;
 * late answers to an old conversation are recognised by their
 * conversation_id and ignored, as is anything else the buyer does not expect
 * (logged at debug level).
 *
 * The buyer sets no timer: if fewer sellers answer than the request
 * announced, it keeps waiting until the next request (caxton_set_timer could
 * end a negotiation that takes too long; see docs/agent-guide.md).
 */

#define CAXTON_IMPLEMENTATION
#include "caxton.h"

#define MAX_SELLERS 32  /* most answers one negotiation keeps track of */
#define MAX_NAME 128    /* longest agent name kept, in bytes of UTF-8 */
#define CONVERSATION_CAP 32

#define TEXT_OF(x) #x
#define NUMBER_TEXT(x) TEXT_OF(x) /* NUMBER_TEXT(MAX_SELLERS) is "32" */

#define PROTOCOL "fipa-contract-net"
#define REQUEST_EXAMPLE "{\"item\":\"widget\",\"sellers\":3}"

/* ------------------------------------------------------------------------
 * Negotiation state
 * ---------------------------------------------------------------------- */

typedef enum {
    IDLE,       /* no negotiation, or the last one ended without a contract */
    COLLECTING, /* cfp sent, waiting for answers */
    AWARDED,    /* accept-proposal sent, waiting for the winner's inform */
    CLOSED      /* the winner confirmed the sale */
} Phase;

typedef struct {
    char name[MAX_NAME];
    size_t name_len;
    bool proposed; /* false: refused, did not understand or failed */
    int64_t price;
} Answer;

static Phase phase = IDLE;
static char conversation[CONVERSATION_CAP];
static size_t conversation_len;
static int64_t last_stamp; /* keeps ids unique even for two requests in one millisecond */
static uint32_t expected;  /* how many sellers the request announced */
static uint32_t answered;
static Answer answers[MAX_SELLERS];
static uint32_t winner;    /* index into answers, once AWARDED */

/* ------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------- */

static bool same(const char *a, size_t n, const char *b, size_t m) {
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

static void log_buf(int32_t level, const caxton_buf *line) {
    caxton_host_log(level, line->ptr, (int32_t) line->len);
}

/* "<what> <performative> from <sender>", e.g. for messages being ignored. */
static void log_about(int32_t level, const char *what, const caxton_msg *m) {
    caxton_buf line = caxton_buf_new(64);
    caxton_put(&line, what);
    caxton_put(&line, " ");
    caxton_put(&line, m->perf);
    caxton_put(&line, " from ");
    caxton_put(&line, m->from[0] != '\0' ? m->from : "(no readable sender)");
    log_buf(level, &line);
}

/* The sender's name, when it fits an Answer; -1 otherwise. */
static int32_t sender_len(const caxton_msg *m) {
    size_t n = caxton_strlen(m->from);
    return n > 0 && n < MAX_NAME ? (int32_t) n : -1;
}

/* A reply whose content is {"reason": text}; text is built by the caller. */
static int64_t reply_reason_buf(const caxton_msg *m, const char *p, caxton_buf *reason) {
    caxton_put_bytes(reason, "", 1); /* NUL-terminated for caxton_reply_reason */
    return caxton_reply_reason(m, p, reason->ptr);
}

/* ------------------------------------------------------------------------
 * Sending
 * ---------------------------------------------------------------------- */

static const char *send_problem(int32_t code) {
    switch (code) {
    case -1: return "malformed envelope";
    case -2: return "no such receiver, or nobody holds the capability";
    case -3: return "the receiver's mailbox is full";
    case -4: return "not permitted";
    case -5: return "too large";
    default: return "refused";
    }
}

/* Sends the envelope in b; logs at error level when the runtime refuses. */
static int32_t send(const caxton_buf *b, const char *what) {
    int32_t code = caxton_host_send_message(b->ptr, (int32_t) b->len);
    if (code < 0) {
        caxton_buf line = caxton_buf_new(96);
        caxton_put(&line, what);
        caxton_put(&line, " not sent: ");
        caxton_put(&line, send_problem(code));
        caxton_put(&line, " (send_message returned ");
        caxton_put_i64(&line, code);
        caxton_put(&line, ")");
        log_buf(CAXTON_ERROR, &line);
    }
    return code;
}

/* accept-proposal or reject-proposal for one proposer, in this conversation. */
static void send_verdict(const Answer *to, bool accepted) {
    caxton_buf b = caxton_buf_new(256);
    caxton_put(&b, accepted ? "{\"performative\":\"accept-proposal\",\"receiver\":"
                            : "{\"performative\":\"reject-proposal\",\"receiver\":");
    caxton_put_string_n(&b, to->name, to->name_len);
    caxton_put(&b, ",\"conversation_id\":");
    caxton_put_string_n(&b, conversation, conversation_len);
    caxton_put(&b, ",\"protocol\":\"" PROTOCOL "\",\"content\":{\"price\":");
    caxton_put_i64(&b, to->price);
    if (!accepted) {
        caxton_put(&b, ",\"reason\":\"another proposal was accepted\"");
    }
    caxton_put(&b, "}}");
    send(&b, accepted ? "accept-proposal" : "reject-proposal");
}

/* Every seller has answered: award the contract to the lowest price. */
static void decide(void) {
    bool any = false;
    for (uint32_t i = 0; i < answered; i++) {
        if (answers[i].proposed && (!any || answers[i].price < answers[winner].price)) {
            winner = i;
            any = true;
        }
    }
    if (!any) {
        caxton_log(CAXTON_WARN, "no seller made a proposal; nothing awarded");
        phase = IDLE;
        return;
    }
    phase = AWARDED;
    send_verdict(&answers[winner], true);
    for (uint32_t i = 0; i < answered; i++) {
        if (i != winner && answers[i].proposed) {
            send_verdict(&answers[i], false);
        }
    }
    caxton_buf line = caxton_buf_new(64);
    caxton_put(&line, "winner ");
    caxton_put_bytes(&line, answers[winner].name, answers[winner].name_len);
    caxton_put(&line, " at ");
    caxton_put_i64(&line, answers[winner].price);
    log_buf(CAXTON_INFO, &line);
}

/* ------------------------------------------------------------------------
 * Handling each kind of message
 * ---------------------------------------------------------------------- */

/* True when the message belongs to the current conversation. */
static bool in_conversation(const caxton_msg *m) {
    char id[CONVERSATION_CAP];
    int32_t n = caxton_json_text(m->conversation_id, id, sizeof id);
    return phase != IDLE && n >= 0 && same(id, (size_t) n, conversation, conversation_len);
}

/* request {"item":...,"sellers":N}: start a negotiation. Returns the reply. */
static int64_t on_request(const caxton_msg *m) {
    if (caxton_json_type_of(m->content) != CAXTON_JSON_OBJECT) {
        return caxton_not_understood(m, "expected content like " REQUEST_EXAMPLE);
    }
    caxton_json item = caxton_json_get(m->content, "item");
    if (item.ptr == NULL) {
        return caxton_not_understood(m, "content has no 'item'; expected content like " REQUEST_EXAMPLE);
    }
    caxton_json count = caxton_json_get(m->content, "sellers");
    if (count.ptr == NULL) {
        return caxton_not_understood(m, "content has no 'sellers' (how many answers to wait for); expected content like "
                                        REQUEST_EXAMPLE);
    }
    int64_t sellers;
    if (!caxton_json_i64(count, &sellers) || sellers < 1 || sellers > MAX_SELLERS) {
        return caxton_not_understood(m, "'sellers' must be a whole number from 1 to " NUMBER_TEXT(MAX_SELLERS));
    }

    if (phase == COLLECTING || phase == AWARDED) {
        caxton_buf line = caxton_buf_new(64);
        caxton_put(&line, "abandoning conversation ");
        caxton_put_bytes(&line, conversation, conversation_len);
        log_buf(CAXTON_INFO, &line);
    }

    /* A fresh conversation: cn-<now_millis>, never the same twice. */
    int64_t stamp = caxton_now_millis();
    if (stamp <= last_stamp) {
        stamp = last_stamp + 1;
    }
    last_stamp = stamp;
    caxton_buf id = caxton_buf_new(CONVERSATION_CAP);
    caxton_put(&id, "cn-");
    caxton_put_i64(&id, stamp);
    caxton_copy(conversation, id.ptr, id.len); /* at most 3 + 20 bytes */
    conversation_len = id.len;
    expected = (uint32_t) sellers;
    answered = 0;

    caxton_buf cfp = caxton_buf_new(224 + item.len);
    caxton_put(&cfp, "{\"performative\":\"cfp\",\"capability\":\"seller\",\"broadcast\":true,\"conversation_id\":");
    caxton_put_string_n(&cfp, conversation, conversation_len);
    caxton_put(&cfp, ",\"protocol\":\"" PROTOCOL "\",\"reply_with\":\"cfp-1\",\"content\":{\"item\":");
    caxton_put_json(&cfp, item);
    caxton_put(&cfp, "}}");
    int32_t code = send(&cfp, "cfp");
    if (code < 0) {
        phase = IDLE;
        caxton_buf reason = caxton_buf_new(96);
        caxton_put(&reason, "cfp not sent: ");
        caxton_put(&reason, send_problem(code));
        caxton_put(&reason, " (send_message returned ");
        caxton_put_i64(&reason, code);
        caxton_put(&reason, ")");
        return reply_reason_buf(m, "failure", &reason);
    }
    phase = COLLECTING;
    caxton_log(CAXTON_INFO, "cfp sent");

    caxton_buf content = caxton_buf_new(64 + conversation_len);
    caxton_put(&content, "{\"status\":\"cfp sent\",\"conversation_id\":");
    caxton_put_string_n(&content, conversation, conversation_len);
    caxton_put(&content, "}");
    return caxton_reply_buf(m, "inform", &content);
}

/* A seller's answer to the cfp: propose (with a price) or a refusal. */
static void on_answer(const caxton_msg *m, bool proposal) {
    if (!in_conversation(m)) {
        log_about(CAXTON_DEBUG, "ignoring", m);
        return;
    }
    int32_t from_len = sender_len(m);
    if (from_len <= 0) {
        log_about(CAXTON_WARN, "ignoring (sender missing or too long)", m);
        return;
    }
    int64_t price = 0;
    if (proposal && !caxton_json_i64(caxton_json_get(m->content, "price"), &price)) {
        log_about(CAXTON_WARN, "ignoring (no whole-number content.price)", m);
        return;
    }
    /* One answer per seller: a repeat changes nothing, and after the award a
     * seller that already has its verdict must not get a second one. */
    for (uint32_t i = 0; i < answered; i++) {
        if (same(answers[i].name, answers[i].name_len, m->from, (size_t) from_len)) {
            log_about(CAXTON_DEBUG, "ignoring a second answer,", m);
            return;
        }
    }
    if (phase != COLLECTING) {
        /* The contract is already awarded: a proposal that comes too late
         * (more sellers than announced) still deserves an answer. */
        log_about(CAXTON_INFO, "too late:", m);
        if (proposal) {
            Answer late;
            caxton_copy(late.name, m->from, (size_t) from_len);
            late.name_len = (size_t) from_len;
            late.proposed = true;
            late.price = price;
            send_verdict(&late, false);
        }
        return;
    }
    if (answered >= MAX_SELLERS) { /* cannot happen: expected <= MAX_SELLERS */
        return;
    }
    Answer *a = &answers[answered++];
    caxton_copy(a->name, m->from, (size_t) from_len);
    a->name_len = (size_t) from_len;
    a->proposed = proposal;
    a->price = price;

    caxton_buf line = caxton_buf_new(96);
    if (proposal) {
        caxton_put(&line, "proposal from ");
        caxton_put(&line, m->from);
        caxton_put(&line, ": ");
        caxton_put_i64(&line, price);
    } else {
        caxton_put(&line, "no proposal from ");
        caxton_put(&line, m->from);
        caxton_put(&line, " (");
        caxton_put(&line, m->perf);
        caxton_put(&line, ")");
    }
    caxton_put(&line, ", ");
    caxton_put_i64(&line, answered);
    caxton_put(&line, " of ");
    caxton_put_i64(&line, expected);
    log_buf(proposal ? CAXTON_INFO : CAXTON_WARN, &line);

    if (answered == expected) {
        decide();
    }
}

/* The winner's inform: the sale is confirmed. */
static void on_inform(const caxton_msg *m) {
    const Answer *w = &answers[winner];
    if (phase != AWARDED || !in_conversation(m) || !same(m->from, caxton_strlen(m->from), w->name, w->name_len) ||
        !caxton_json_is(caxton_json_get(m->content, "status"), "sold")) {
        log_about(CAXTON_DEBUG, "ignoring", m);
        return;
    }
    phase = CLOSED;
    caxton_buf line = caxton_buf_new(64);
    caxton_put(&line, "contract closed with ");
    caxton_put_bytes(&line, w->name, w->name_len);
    log_buf(CAXTON_INFO, &line);
}

/* Called by the SDK for every envelope. Only requests get a reply; everything
 * else is answered by sending. */
int64_t caxton_on_message(const caxton_msg *m) {
    if (caxton_msg_is(m, "request")) {
        return on_request(m);
    }
    if (caxton_msg_is(m, "propose")) {
        on_answer(m, true);
    } else if (caxton_msg_is(m, "refuse") || caxton_msg_is(m, "not-understood") || caxton_msg_is(m, "failure")) {
        /* A failure after the award means the winner could not deliver. */
        const Answer *w = &answers[winner];
        if (phase == AWARDED && in_conversation(m) && same(m->from, caxton_strlen(m->from), w->name, w->name_len)) {
            log_about(CAXTON_WARN, "the winner did not confirm:", m);
            phase = IDLE;
        } else {
            on_answer(m, false);
        }
    } else if (caxton_msg_is(m, "inform")) {
        on_inform(m);
    } else {
        log_about(CAXTON_DEBUG, "ignoring", m);
    }
    return CAXTON_NO_REPLY;
}

/* ------------------------------------------------------------------------
 * The agent's entry point besides the SDK's
 * ---------------------------------------------------------------------- */

CAXTON_EXPORT("init")
int32_t init(void) {
    caxton_log(CAXTON_INFO, "buyer ready");
    return 0;
}
