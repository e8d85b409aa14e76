/*
 * ownership.c - the buffer-ownership test agents (issue 14).
 *
 * Built twice: with -DREPLY_INPUT the reply IS the incoming message buffer
 * (an echo); with -DREPLY_STATIC it is a buffer in static data. Both run on
 * caxton.h's allocator, which traps on a double free and on freeing a
 * pointer it never handed out. Under ABI v2 the host frees only the message
 * buffer, so neither ever traps; built with -DCAXTON_ABI_VERSION=1 the echo
 * shows what the old rule did: the host frees the same buffer twice, and the
 * allocator traps on the first message.
 */
#define CAXTON_IMPLEMENTATION
#include "../caxton.h"

#ifdef REPLY_STATIC
static const char STATIC_REPLY[] = "{\"performative\":\"inform\",\"content\":\"static\"}";
#endif

/* handle_message is the SDK's; the raw bytes are needed here, so they are
 * kept from the envelope the SDK parsed. */
int64_t caxton_on_message(const caxton_msg *m) {
    if (caxton_msg_is(m, "inform")) {
        return CAXTON_NO_REPLY;
    }
#ifdef REPLY_STATIC
    return caxton_reply_raw(STATIC_REPLY, sizeof STATIC_REPLY - 1);
#else
    return caxton_reply_raw(m->envelope.ptr, m->envelope.len);
#endif
}
