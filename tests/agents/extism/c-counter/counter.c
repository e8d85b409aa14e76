/*
 * An Extism plugin in C, built against Extism's host ABI as any Extism host offers it; nothing in it
 * knows about Caxton. The imports are declared here (the C PDK header is not packaged for Debian).
 *
 * count: greets with the configured greeting, counts its calls in a var, reports the input's length.
 * Input "fail" sets an error; input "hog" allocates blocks until the host says no; "send:NAME" sends
 * NAME an inform and "register:CAP" registers a capability, through the Caxton host functions
 * offered under extism:host/user. "http:URL" GETs URL with http_request and answers with the
 * status and the start of the body.
 */
#include <stdint.h>

#define IMPORT(name) __attribute__((import_module("extism:host/env"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

typedef uint64_t handle;

IMPORT(input_length) uint64_t extism_input_length(void);
IMPORT(input_load_u8) uint8_t extism_input_load_u8(uint64_t i);
IMPORT(alloc) handle extism_alloc(uint64_t n);
IMPORT(length) uint64_t extism_length(handle h);
IMPORT(load_u8) uint8_t extism_load_u8(handle h);
IMPORT(store_u8) void extism_store_u8(handle h, uint8_t v);
IMPORT(output_set) void extism_output_set(handle h, uint64_t n);
IMPORT(error_set) void extism_error_set(handle h);
IMPORT(config_get) handle extism_config_get(handle key);
IMPORT(var_get) handle extism_var_get(handle key);
IMPORT(var_set) void extism_var_set(handle key, handle value);
IMPORT(log_info) void extism_log_info(handle h);
IMPORT(http_request) handle extism_http_request(handle request, handle body);
IMPORT(http_status_code) int32_t extism_http_status_code(void);

#define USER(name) __attribute__((import_module("extism:host/user"), import_name(#name)))
USER(send_message) int64_t caxton_send_message(handle envelope);
USER(register_capability) int64_t caxton_register_capability(handle name);

static char buf[1024];

static uint64_t slen(const char *s) {
  uint64_t n = 0;
  while (s[n]) n++;
  return n;
}

static handle put(const char *s, uint64_t n) {
  handle h = extism_alloc(n);
  for (uint64_t i = 0; i < n; i++) extism_store_u8(h + i, (uint8_t)s[i]);
  return h;
}

static handle put_str(const char *s) { return put(s, slen(s)); }

/* Copies a block into buf, NUL-terminated; returns its length (cut at the buffer's size). */
static uint64_t get(handle h, char *into, uint64_t cap) {
  uint64_t n = h == 0 ? 0 : extism_length(h);
  if (n >= cap) n = cap - 1;
  for (uint64_t i = 0; i < n; i++) into[i] = (char)extism_load_u8(h + i);
  into[n] = 0;
  return n;
}

static char *append(char *at, const char *s) {
  while (*s) *at++ = *s++;
  return at;
}

static char *append_u64(char *at, uint64_t v) {
  char digits[20];
  int n = 0;
  do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) *at++ = digits[--n];
  return at;
}

static int input_is(const char *word) {
  uint64_t n = extism_input_length();
  if (n != slen(word)) return 0;
  for (uint64_t i = 0; i < n; i++) if (extism_input_load_u8(i) != (uint8_t)word[i]) return 0;
  return 1;
}

/* Whether the input starts with prefix; then copies the rest into rest (NUL-terminated). */
static int input_starts(const char *prefix, char *rest, uint64_t cap) {
  uint64_t n = extism_input_length(), p = slen(prefix);
  if (n < p || n - p >= cap) return 0;
  for (uint64_t i = 0; i < p; i++) if (extism_input_load_u8(i) != (uint8_t)prefix[i]) return 0;
  for (uint64_t i = p; i < n; i++) rest[i - p] = (char)extism_input_load_u8(i);
  rest[n - p] = 0;
  return 1;
}

static int32_t answer_status(const char *what, int64_t status) {
  char *at = append(buf, "{\"");
  at = append(at, what);
  at = append(at, "\":");
  if (status < 0) { *at++ = '-'; status = -status; }
  at = append_u64(at, (uint64_t)status);
  at = append(at, "}");
  extism_output_set(put(buf, (uint64_t)(at - buf)), (uint64_t)(at - buf));
  return 0;
}

/* Appends a block's bytes as the inside of a JSON string, at most max of them. */
static char *append_escaped(char *at, handle h, uint64_t max) {
  static const char hex[] = "0123456789abcdef";
  uint64_t n = h == 0 ? 0 : extism_length(h);
  if (n > max) n = max;
  for (uint64_t i = 0; i < n; i++) {
    uint8_t c = extism_load_u8(h + i);
    if (c == '"' || c == '\\') {
      *at++ = '\\';
      *at++ = (char)c;
    } else if (c < 0x20) {
      at = append(at, "\\u00");
      *at++ = hex[c >> 4];
      *at++ = hex[c & 15];
    } else {
      *at++ = (char)c;
    }
  }
  return at;
}

/* GETs url; answers {"status":S,"length":N,"body":"..."} with the first 128 bytes of the body. */
static int32_t fetch(const char *url) {
  char *at = append(buf, "{\"url\":\"");
  at = append(at, url);
  at = append(at, "\",\"method\":\"GET\"}");
  handle response = extism_http_request(put(buf, (uint64_t)(at - buf)), 0);
  at = append(buf, "{\"status\":");
  at = append_u64(at, (uint64_t)extism_http_status_code());
  at = append(at, ",\"length\":");
  at = append_u64(at, response == 0 ? 0 : extism_length(response));
  at = append(at, ",\"body\":\"");
  at = append_escaped(at, response, 128);
  at = append(at, "\"}");
  extism_output_set(put(buf, (uint64_t)(at - buf)), (uint64_t)(at - buf));
  return 0;
}

EXPORT(count) int32_t count(void) {
  char arg[128];
  if (input_starts("http:", arg, sizeof arg)) {
    return fetch(arg);
  }
  if (input_starts("send:", arg, sizeof arg)) {
    char *at = append(buf, "{\"performative\":\"inform\",\"receiver\":\"");
    at = append(at, arg);
    at = append(at, "\",\"content\":\"sent by a plugin\"}");
    return answer_status("sent", caxton_send_message(put(buf, (uint64_t)(at - buf))));
  }
  if (input_starts("register:", arg, sizeof arg)) {
    return answer_status("registered", caxton_register_capability(put_str(arg)));
  }
  if (input_is("fail")) {
    extism_error_set(put_str("asked to fail"));
    return 1;
  }
  if (input_is("hog")) {
    for (;;) extism_alloc(65536);
  }
  char number[24];
  uint64_t calls = 0;
  uint64_t n = get(extism_var_get(put_str("count")), number, sizeof number);
  for (uint64_t i = 0; i < n; i++) calls = calls * 10 + (uint64_t)(number[i] - '0');
  calls++;
  char *end = append_u64(number, calls);
  extism_var_set(put_str("count"), put(number, (uint64_t)(end - number)));

  char greeting[256];
  handle g = extism_config_get(put_str("greeting"));
  if (g == 0) {
    append(greeting, "none")[0] = 0;
  } else {
    get(g, greeting, sizeof greeting);
  }
  char *at = append(buf, "{\"greeting\":\"");
  at = append(at, greeting);
  at = append(at, "\",\"count\":");
  at = append_u64(at, calls);
  at = append(at, ",\"length\":");
  at = append_u64(at, extism_input_length());
  at = append(at, "}");
  extism_log_info(put_str("count called"));
  extism_output_set(put(buf, (uint64_t)(at - buf)), (uint64_t)(at - buf));
  return 0;
}
