/*
 * A Caxton agent built with wasi-libc as a WASI reactor (tests/integration WasiAgentTest):
 *   clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor -Wl,--strip-all -o agent.wasm agent.c
 * It uses what --wasi offers: printf (to the agent's log), clock_gettime and getentropy, and the C
 * runtime's constructors and malloc, set up by _initialize before init runs. A message whose
 * content holds "exit" calls exit(7), which ends the call as a fault. Its init logs the program
 * arguments and the CAXTON_GREETING variable it was deployed with (--wasi-arg, --wasi-env), and
 * a message whose content holds "args" gets them back in the reply.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static int base;
static int count;
static char reply[512];

/* Runs from _initialize; if it did not, the counts would start at 1 instead of 1001. */
__attribute__((constructor)) static void setup(void) { base = 1000; }

__attribute__((export_name("alloc"))) void *agent_alloc(int size) { return malloc(size ? size : 1); }
__attribute__((export_name("dealloc"))) void agent_dealloc(void *p, int size) { (void) size; free(p); }
__attribute__((export_name("caxton_abi_version"))) int agent_abi_version(void) { return 2; }

/* The program arguments, as a reactor has no main(argc, argv): read them from WASI directly. */
static char args_text[256];
static size_t arg_count;

static void read_args(void) {
    size_t count = 0, bytes = 0;
    if (__wasi_args_sizes_get(&count, &bytes) != 0 || count > 16 || bytes > 192) return;
    char *argv[16];
    char buf[192];
    if (__wasi_args_get((uint8_t **) argv, (uint8_t *) buf) != 0) return;
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
        at += (size_t) snprintf(args_text + at, sizeof args_text - at, "%s%s", i ? "|" : "", argv[i]);
    }
    arg_count = count;
}

__attribute__((export_name("init"))) int agent_init(void) {
    /* stdout is not a terminal, so stdio would hold whole blocks back: one log line per printf line. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("wasi agent ready, base %d\n", base);
    read_args();
    const char *greeting = getenv("CAXTON_GREETING");
    printf("wasi agent has %zu arguments [%s], greeting %s\n", arg_count, args_text, greeting ? greeting : "(unset)");
    return 0;
}

__attribute__((export_name("handle_message"))) long long handle_message(char *msg, int len) {
    if (memmem(msg, len, "\"exit\"", 6) != NULL) {
        exit(7);
    }
    if (memmem(msg, len, "\"args\"", 6) != NULL) {
        const char *greeting = getenv("CAXTON_GREETING");
        /* Both are plain ASCII in the tests; a real agent would escape them for JSON. */
        int n = snprintf(reply, sizeof reply, "{\"performative\":\"inform\",\"content\":{\"argc\":%zu,"
                "\"args\":\"%s\",\"greeting\":\"%s\"}}", arg_count, args_text, greeting ? greeting : "");
        return ((long long) (unsigned int) (size_t) reply << 32) | (unsigned int) n;
    }
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return -1;
    unsigned int r[4] = {0};
    if (getentropy(r, sizeof r) != 0) return -2;
    count++;
    printf("wasi agent got message %d of %d bytes\n", count, len);
    int n = snprintf(reply, sizeof reply,
            "{\"performative\":\"inform\",\"content\":{\"count\":%d,\"seconds\":%lld,\"random\":[%u,%u,%u,%u]}}",
            base + count, (long long) ts.tv_sec, r[0], r[1], r[2], r[3]);
    return ((long long) (unsigned int) (size_t) reply << 32) | (unsigned int) n;
}
