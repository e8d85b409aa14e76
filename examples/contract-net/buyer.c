/*
 * buyer.c - the initiator side of the FIPA Contract-Net protocol.
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
 * An agent runs only when a message arrives, so the buyer has no timer: if
 * fewer sellers answer than the request announced, it keeps waiting until the
 * next request.
 */

#include "agent.h"

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
 * Logging with names and numbers in it
 * ---------------------------------------------------------------------- */

#define LINE_CAP 320

static void log_out(int32_t level, const Out *line) {
    caxton_log(level, line->buf, (int32_t) line->len);
}

/* "<what> <performative> from <sender>", e.g. for messages being ignored. */
static void log_about(int32_t level, const char *what, const char *perf, size_t perf_len, const char *sender,
                      int32_t sender_len) {
    char buf[LINE_CAP];
    Out line = out_line(buf, sizeof buf);
    put(&line, what);
    put(&line, " ");
    put_bytes(&line, perf, perf_len);
    put(&line, " from ");
    if (sender_len >= 0) {
        put_bytes(&line, sender, (size_t) sender_len);
    } else {
        put(&line, "(no readable sender)");
    }
    log_out(level, &line);
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

/* Sends the envelope in out; logs at error level when the runtime refuses. */
static int32_t send(const Out *out, const char *what) {
    int32_t code = caxton_send_message(out->buf, (int32_t) out->len);
    if (code < 0) {
        char buf[LINE_CAP];
        Out line = out_line(buf, sizeof buf);
        put(&line, what);
        put(&line, " not sent: ");
        put(&line, send_problem(code));
        put(&line, " (send_message returned ");
        put_i64(&line, code);
        put(&line, ")");
        log_out(LOG_ERROR, &line);
    }
    return code;
}

/* accept-proposal or reject-proposal for one proposer, in this conversation. */
static void send_verdict(const Answer *to, bool accepted) {
    Out out = out_json(256 + ESCAPED_MAX(to->name_len) + conversation_len);
    put(&out, accepted ? "{\"performative\":\"accept-proposal\",\"receiver\":"
                       : "{\"performative\":\"reject-proposal\",\"receiver\":");
    put_string(&out, to->name, to->name_len);
    put(&out, ",\"conversation_id\":");
    put_string(&out, conversation, conversation_len);
    put(&out, ",\"protocol\":\"" PROTOCOL "\",\"content\":{\"price\":");
    put_i64(&out, to->price);
    if (!accepted) {
        put(&out, ",\"reason\":\"another proposal was accepted\"");
    }
    put(&out, "}}");
    send(&out, accepted ? "accept-proposal" : "reject-proposal");
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
        log_text(LOG_WARN, "no seller made a proposal; nothing awarded");
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
    char buf[LINE_CAP];
    Out line = out_line(buf, sizeof buf);
    put(&line, "winner ");
    put_bytes(&line, answers[winner].name, answers[winner].name_len);
    put(&line, " at ");
    put_i64(&line, answers[winner].price);
    log_out(LOG_INFO, &line);
}

/* ------------------------------------------------------------------------
 * Handling each kind of message
 * ---------------------------------------------------------------------- */

/* True when the envelope belongs to the current conversation. */
static bool in_conversation(Cursor envelope) {
    char id[CONVERSATION_CAP];
    int32_t n = find_text(envelope, "conversation_id", id, sizeof id);
    return phase != IDLE && n >= 0 && bytes_same(id, (size_t) n, conversation, conversation_len);
}

/* request {"item":...,"sellers":N}: start a negotiation. Returns the reply. */
static int64_t on_request(Cursor envelope) {
    Cursor content;
    const char *item;
    size_t item_len;
    int64_t sellers;
    if (!find_member(envelope, "content", &content) || !is_object(content)) {
        Out out = reply_reason("not-understood", "expected content like " REQUEST_EXAMPLE, "", 0, "");
        return reply_of(&out);
    }
    if (!find_raw(content, "item", &item, &item_len)) {
        Out out = reply_reason("not-understood", "content has no 'item'; expected content like " REQUEST_EXAMPLE,
                               "", 0, "");
        return reply_of(&out);
    }
    Cursor at;
    if (!find_member(content, "sellers", &at)) {
        Out out = reply_reason("not-understood",
                               "content has no 'sellers' (how many answers to wait for); expected content like "
                               REQUEST_EXAMPLE, "", 0, "");
        return reply_of(&out);
    }
    if (!read_int64(at, &sellers) || sellers < 1 || sellers > MAX_SELLERS) {
        Out out = reply_reason("not-understood", "'sellers' must be a whole number from 1 to " NUMBER_TEXT(MAX_SELLERS), "", 0, "");
        return reply_of(&out);
    }

    if (phase == COLLECTING || phase == AWARDED) {
        char buf[LINE_CAP];
        Out line = out_line(buf, sizeof buf);
        put(&line, "abandoning conversation ");
        put_bytes(&line, conversation, conversation_len);
        log_out(LOG_INFO, &line);
    }

    /* A fresh conversation: cn-<now_millis>, never the same twice. */
    int64_t stamp = caxton_now_millis();
    if (stamp <= last_stamp) {
        stamp = last_stamp + 1;
    }
    last_stamp = stamp;
    Out id = out_line(conversation, sizeof conversation);
    put(&id, "cn-");
    put_i64(&id, stamp);
    conversation_len = id.len;
    expected = (uint32_t) sellers;
    answered = 0;

    Out cfp = out_json(224 + conversation_len + item_len);
    put(&cfp, "{\"performative\":\"cfp\",\"capability\":\"seller\",\"broadcast\":true,\"conversation_id\":");
    put_string(&cfp, conversation, conversation_len);
    put(&cfp, ",\"protocol\":\"" PROTOCOL "\",\"reply_with\":\"cfp-1\",\"content\":{\"item\":");
    put_bytes(&cfp, item, item_len);
    put(&cfp, "}}");
    int32_t code = send(&cfp, "cfp");
    if (code < 0) {
        phase = IDLE;
        Out out = out_json(256);
        put(&out, "{\"performative\":\"failure\",\"content\":{\"reason\":\"cfp not sent: ");
        put(&out, send_problem(code));
        put(&out, " (send_message returned ");
        put_i64(&out, code);
        put(&out, ")\"}}");
        return reply_of(&out);
    }
    phase = COLLECTING;
    log_text(LOG_INFO, "cfp sent");

    Out out = out_json(96 + conversation_len);
    put(&out, "{\"content\":{\"status\":\"cfp sent\",\"conversation_id\":");
    put_string(&out, conversation, conversation_len);
    put(&out, "}}");
    return reply_of(&out);
}

/* A seller's answer to the cfp: propose (with a price) or a refusal. */
static void on_answer(Cursor envelope, const char *perf, size_t perf_len, const char *sender, int32_t sender_len,
                      bool proposal) {
    if (!in_conversation(envelope)) {
        log_about(LOG_DEBUG, "ignoring", perf, perf_len, sender, sender_len);
        return;
    }
    if (sender_len <= 0) {
        log_about(LOG_WARN, "ignoring (sender missing or too long)", perf, perf_len, sender, sender_len);
        return;
    }
    int64_t price = 0;
    if (proposal) {
        Cursor content;
        if (!find_member(envelope, "content", &content) || !is_object(content) ||
            !find_int64(content, "price", &price)) {
            log_about(LOG_WARN, "ignoring (no whole-number content.price)", perf, perf_len, sender, sender_len);
            return;
        }
    }
    /* One answer per seller: a repeat changes nothing, and after the award a
     * seller that already has its verdict must not get a second one. */
    for (uint32_t i = 0; i < answered; i++) {
        if (bytes_same(answers[i].name, answers[i].name_len, sender, (size_t) sender_len)) {
            log_about(LOG_DEBUG, "ignoring a second answer,", perf, perf_len, sender, sender_len);
            return;
        }
    }
    if (phase != COLLECTING) {
        /* The contract is already awarded: a proposal that comes too late
         * (more sellers than announced) still deserves an answer. */
        log_about(LOG_INFO, "too late:", perf, perf_len, sender, sender_len);
        if (proposal) {
            Answer late;
            copy_bytes(late.name, sender, (size_t) sender_len);
            late.name_len = (size_t) sender_len;
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
    copy_bytes(a->name, sender, (size_t) sender_len);
    a->name_len = (size_t) sender_len;
    a->proposed = proposal;
    a->price = price;

    char buf[LINE_CAP];
    Out line = out_line(buf, sizeof buf);
    if (proposal) {
        put(&line, "proposal from ");
        put_bytes(&line, sender, (size_t) sender_len);
        put(&line, ": ");
        put_i64(&line, price);
    } else {
        put(&line, "no proposal from ");
        put_bytes(&line, sender, (size_t) sender_len);
        put(&line, " (");
        put_bytes(&line, perf, perf_len);
        put(&line, ")");
    }
    put(&line, ", ");
    put_i64(&line, answered);
    put(&line, " of ");
    put_i64(&line, expected);
    log_out(proposal ? LOG_INFO : LOG_WARN, &line);

    if (answered == expected) {
        decide();
    }
}

/* The winner's inform: the sale is confirmed. */
static void on_inform(Cursor envelope, const char *perf, size_t perf_len, const char *sender, int32_t sender_len) {
    const Answer *w = &answers[winner];
    Cursor content;
    const char *status;
    size_t status_len;
    if (phase != AWARDED || !in_conversation(envelope) || sender_len < 0 ||
        !bytes_same(sender, (size_t) sender_len, w->name, w->name_len) ||
        !find_member(envelope, "content", &content) || !is_object(content) ||
        !find_string(content, "status", &status, &status_len) || !string_is(status, status_len, "sold")) {
        log_about(LOG_DEBUG, "ignoring", perf, perf_len, sender, sender_len);
        return;
    }
    phase = CLOSED;
    char buf[LINE_CAP];
    Out line = out_line(buf, sizeof buf);
    put(&line, "contract closed with ");
    put_bytes(&line, w->name, w->name_len);
    log_out(LOG_INFO, &line);
}

static int64_t respond(const char *message, size_t len) {
    Cursor envelope = cursor_of(message, len);
    char perf[PERFORMATIVE_CAP];
    size_t perf_len;
    if (!read_performative(envelope, perf, &perf_len)) {
        log_text(LOG_DEBUG, "ignoring a message that is not a JSON envelope with a performative");
        return 0;
    }
    char sender[MAX_NAME];
    int32_t sender_len = find_text(envelope, "sender", sender, sizeof sender);

    if (bytes_equal(perf, perf_len, "request")) {
        return on_request(envelope);
    }
    if (bytes_equal(perf, perf_len, "propose")) {
        on_answer(envelope, perf, perf_len, sender, sender_len, true);
    } else if (bytes_equal(perf, perf_len, "refuse") || bytes_equal(perf, perf_len, "not-understood") ||
               bytes_equal(perf, perf_len, "failure")) {
        /* A failure after the award means the winner could not deliver. */
        if (phase == AWARDED && in_conversation(envelope) && sender_len >= 0 &&
            bytes_same(sender, (size_t) sender_len, answers[winner].name, answers[winner].name_len)) {
            log_about(LOG_WARN, "the winner did not confirm:", perf, perf_len, sender, sender_len);
            phase = IDLE;
        } else {
            on_answer(envelope, perf, perf_len, sender, sender_len, false);
        }
    } else if (bytes_equal(perf, perf_len, "inform")) {
        on_inform(envelope, perf, perf_len, sender, sender_len);
    } else {
        log_about(LOG_DEBUG, "ignoring", perf, perf_len, sender, sender_len);
    }
    return 0; /* only requests get a reply; everything else is answered by sending */
}

/* ------------------------------------------------------------------------
 * The agent's entry points
 * ---------------------------------------------------------------------- */

CAXTON_EXPORT("init")
int32_t init(void) {
    log_text(LOG_INFO, "buyer ready");
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
