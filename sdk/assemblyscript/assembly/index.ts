// caxton-agent for AssemblyScript: Caxton agents (guest ABI v2) without writing the ABI by hand.
//
// An agent's entry file re-exports the ABI exports and hands its handler to `handle`:
//
//   import { Envelope, Message, handle } from "caxton-agent";
//   export { alloc, dealloc, caxton_abi_version } from "caxton-agent";
//   function onMessage(msg: Envelope): Message | null { ... }
//   export function handle_message(ptr: usize, len: i32): i64 { return handle(ptr, len, onMessage); }
//
// Memory: the preset (asconfig.json) picks the `minimal` runtime, whose garbage collector runs only
// when asked. The SDK asks at the start of every call into the agent, when no AssemblyScript value
// lives only on the stack: what survives is what the agent keeps in globals, the pinned incoming
// message and nothing else. The reply stays referenced until then, which is exactly ABI v2's rule
// (the host copies the reply out, never frees it, and it stays valid until the next call).

// ---------------------------------------------------------------------------------------------
// Host functions (module "caxton"). AssemblyScript imports only those the agent ends up calling.

@external("caxton", "send_message")
declare function caxton_send_message(ptr: usize, len: i32): i32;
@external("caxton", "log")
declare function caxton_log(level: i32, ptr: usize, len: i32): void;
@external("caxton", "now_millis")
declare function caxton_now_millis(): i64;
@external("caxton", "register_capability")
declare function caxton_register_capability(ptr: usize, len: i32): i32;
@external("caxton", "set_timer")
declare function caxton_set_timer(delayMs: i64, tagPtr: usize, tagLen: i32): i64;
@external("caxton", "cancel_timer")
declare function caxton_cancel_timer(id: i64): i32;

/** Log levels as the host numbers them. */
export enum Level {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
}

/** `send_message`'s refusals (negative return values), see agent-guide.md. */
export namespace SendError {
  /** Not a JSON object, no valid performative, ... */
  export const MALFORMED: i32 = -1;
  /** Nobody by that receiver name, or nobody holds that capability. */
  export const NO_RECEIVER: i32 = -2;
  /** The receiver's mailbox is full: try later or drop the message. */
  export const QUEUE_FULL: i32 = -3;
  /** A foreign `sender`, or the hop limit (`messaging.max_hops`) is reached. */
  export const NOT_PERMITTED: i32 = -4;
  /** Larger than `messaging.max_message_size`. */
  export const TOO_LARGE: i32 = -5;
}

/** Writes one line to the node's log. */
export function log(level: Level, text: string): void {
  const bytes = String.UTF8.encode(text, false, String.UTF8.ErrorMode.REPLACE);
  caxton_log(<i32>level, changetype<usize>(bytes), bytes.byteLength);
}

/** The wall clock, milliseconds since 1970-01-01 UTC. */
export function nowMillis(): i64 {
  return caxton_now_millis();
}

/** Announces a capability (letters, digits and `. _ - : /`, at most 128); 0 on success, -1 for a
 *  name the host refuses, -4 when the agent holds too many. Usually called from `init`. */
export function registerCapability(name: string): i32 {
  const bytes = String.UTF8.encode(name);
  return caxton_register_capability(changetype<usize>(bytes), bytes.byteLength);
}

/** A timer message in `delayMs` (0 to 30 days) with content `{"timer":ID,"tag":TAG}`: returns the
 *  id (1 or more), -1 for a delay or tag (over 1,024 bytes) out of range, -4 with 1,000 pending. */
export function setTimer(delayMs: i64, tag: string): i64 {
  const bytes = String.UTF8.encode(tag);
  return caxton_set_timer(delayMs, changetype<usize>(bytes), bytes.byteLength);
}

/** Cancels a pending timer: true when it will not fire, false when none such was pending. */
export function cancelTimer(id: i64): bool {
  return caxton_cancel_timer(id) == 0;
}

/** Sends an already encoded envelope (UTF-8 JSON). `>= 0`: accepted; else a `SendError` code. */
export function sendRaw(ptr: usize, len: i32): i32 {
  return caxton_send_message(ptr, len);
}

// ---------------------------------------------------------------------------------------------
// Output buffer with JSON writers.

/** A growing byte buffer with writers for JSON text. */
export class Buf {
  private data: ArrayBuffer;
  private n: i32 = 0;

  constructor(capacity: i32 = 256) {
    this.data = new ArrayBuffer(max(capacity, 16));
  }

  get length(): i32 {
    return this.n;
  }

  /** Address of the first byte; valid until the buffer grows or is collected. */
  get dataStart(): usize {
    return changetype<usize>(this.data);
  }

  private reserve(extra: i32): void {
    const need = this.n + extra;
    if (need > this.data.byteLength) {
      const grown = new ArrayBuffer(max(need, this.data.byteLength * 2));
      memory.copy(changetype<usize>(grown), changetype<usize>(this.data), <usize>this.n);
      this.data = grown;
    }
  }

  pushByte(b: u8): void {
    this.reserve(1);
    store<u8>(changetype<usize>(this.data) + <usize>this.n, b);
    this.n += 1;
  }

  pushBytes(ptr: usize, len: i32): void {
    this.reserve(len);
    memory.copy(changetype<usize>(this.data) + <usize>this.n, ptr, <usize>len);
    this.n += len;
  }

  /** Appends `text` as UTF-8 (not as JSON). */
  pushString(text: string): void {
    const bytes = String.UTF8.encode(text, false, String.UTF8.ErrorMode.REPLACE);
    this.pushBytes(changetype<usize>(bytes), bytes.byteLength);
  }

  /** Appends `text` as a JSON string: quotes and escapes included. */
  jsonString(text: string): void {
    const bytes = String.UTF8.encode(text, false, String.UTF8.ErrorMode.REPLACE);
    const p = changetype<usize>(bytes);
    const len = bytes.byteLength;
    this.pushByte(0x22);
    let run = 0;
    for (let i = 0; i < len; i++) {
      const b = load<u8>(p + <usize>i);
      if (b != 0x22 && b != 0x5c && b >= 0x20) continue;
      this.pushBytes(p + <usize>run, i - run);
      run = i + 1;
      this.pushByte(0x5c);
      if (b == 0x22 || b == 0x5c) this.pushByte(b);
      else if (b == 0x0a) this.pushByte(0x6e); // n
      else if (b == 0x0d) this.pushByte(0x72); // r
      else if (b == 0x09) this.pushByte(0x74); // t
      else {
        this.pushString("u00");
        this.pushByte(hexDigit(b >> 4));
        this.pushByte(hexDigit(b & 15));
      }
    }
    this.pushBytes(p + <usize>run, len - run);
    this.pushByte(0x22);
  }

  /** Appends a number; an integral value prints without a fraction, NaN and infinities as null. */
  jsonNumber(x: f64): void {
    if (!isFinite(x)) {
      this.pushString("null");
    } else if (Math.trunc(x) == x && Math.abs(x) < 9007199254740992.0) {
      this.pushString((<i64>x).toString());
    } else {
      this.pushString(x.toString());
    }
  }

  jsonInteger(x: i64): void {
    this.pushString(x.toString());
  }

  jsonBool(b: bool): void {
    this.pushString(b ? "true" : "false");
  }

  /** A value read from a message, copied as it was. */
  jsonValue(v: Json): void {
    this.pushBytes(v.ptr, v.len);
  }

  /** The bytes as UTF-8 text. */
  toString(): string {
    return String.UTF8.decodeUnsafe(changetype<usize>(this.data), <usize>this.n);
  }
}

function hexDigit(v: u8): u8 {
  return v < 10 ? 0x30 + v : 0x61 + v - 10;
}

// ---------------------------------------------------------------------------------------------
// JSON reader. `Json.parse` checks a whole document once (strict grammar, nesting limited to
// MAX_DEPTH); the views it returns point into the message's bytes and are valid only while the
// handler runs. Walking the structure is what keeps `"content":` inside an earlier string from
// being taken for the real member.

export const MAX_DEPTH: i32 = 64;

export enum Kind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

class Reader {
  i: usize;
  error: string | null = null;
  errorAt: usize = 0;

  constructor(public start: usize, public end: usize) {
    this.i = start;
  }

  fail(what: string): bool {
    if (this.error === null) {
      this.error = what;
      this.errorAt = this.i - this.start;
    }
    return false;
  }

  peek(): i32 {
    return this.i < this.end ? <i32>load<u8>(this.i) : -1;
  }

  ws(): void {
    while (this.i < this.end) {
      const c = load<u8>(this.i);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.i++;
    }
  }

  literal(word: string): bool {
    const n = <usize>word.length;
    if (this.end - this.i < n) return this.fail("invalid literal");
    for (let k: usize = 0; k < n; k++) {
      if (<i32>load<u8>(this.i + k) != word.charCodeAt(<i32>k)) return this.fail("invalid literal");
    }
    this.i += n;
    return true;
  }

  digits(): i32 {
    let n = 0;
    while (this.i < this.end && load<u8>(this.i) >= 0x30 && load<u8>(this.i) <= 0x39) {
      this.i++;
      n++;
    }
    return n;
  }

  number(): bool {
    if (this.peek() == 0x2d) this.i++;
    const c = this.peek();
    if (c == 0x30) this.i++;
    else if (c >= 0x31 && c <= 0x39) this.digits();
    else return this.fail("expected a digit");
    if (this.peek() == 0x2e) {
      this.i++;
      if (this.digits() == 0) return this.fail("expected a digit after '.'");
    }
    if (this.peek() == 0x65 || this.peek() == 0x45) {
      this.i++;
      if (this.peek() == 0x2b || this.peek() == 0x2d) this.i++;
      if (this.digits() == 0) return this.fail("expected a digit in the exponent");
    }
    return true;
  }

  string(): bool {
    this.i++;
    while (true) {
      const c = this.peek();
      if (c < 0) return this.fail("unterminated string");
      if (c == 0x22) {
        this.i++;
        return true;
      }
      if (c == 0x5c) {
        this.i++;
        const e = this.peek();
        if (e == 0x75) {
          this.i++;
          for (let k = 0; k < 4; k++) {
            const h = this.peek();
            const hex = (h >= 0x30 && h <= 0x39) || (h >= 0x61 && h <= 0x66) || (h >= 0x41 && h <= 0x46);
            if (!hex) return this.fail("expected four hex digits after \\u");
            this.i++;
          }
        } else if (e == 0x22 || e == 0x5c || e == 0x2f || e == 0x62 || e == 0x66 || e == 0x6e || e == 0x72 || e == 0x74) {
          this.i++;
        } else {
          return this.fail("invalid escape");
        }
      } else if (c < 0x20) {
        return this.fail("control character in string");
      } else if (c < 0x80) {
        this.i++;
      } else if (!this.utf8(c)) {
        return this.fail("invalid UTF-8 in string");
      }
    }
  }

  /** One UTF-8 sequence starting with lead byte `c` (>= 0x80). */
  utf8(c: i32): bool {
    let n = 0;
    let min = 0;
    let cp = 0;
    if (c >= 0xc2 && c <= 0xdf) { n = 1; min = 0x80; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { n = 2; min = 0x800; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; min = 0x10000; cp = c & 0x07; }
    else return false;
    if (this.end - this.i <= <usize>n) return false;
    for (let k = 1; k <= n; k++) {
      const b = <i32>load<u8>(this.i + <usize>k);
      if ((b & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) return false;
    this.i += <usize>(n + 1);
    return true;
  }

  value(depth: i32): bool {
    this.ws();
    const c = this.peek();
    if (c < 0) return this.fail("expected a value");
    if (c == 0x6e) return this.literal("null");
    if (c == 0x74) return this.literal("true");
    if (c == 0x66) return this.literal("false");
    if (c == 0x22) return this.string();
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (c != 0x5b && c != 0x7b) return this.fail("expected a value");
    if (depth >= MAX_DEPTH) return this.fail("nested too deeply");
    const close = c == 0x5b ? 0x5d : 0x7d;
    this.i++;
    this.ws();
    if (this.peek() == close) {
      this.i++;
      return true;
    }
    while (true) {
      if (c == 0x7b) {
        this.ws();
        if (this.peek() != 0x22) return this.fail("expected a member name");
        if (!this.string()) return false;
        this.ws();
        if (this.peek() != 0x3a) return this.fail("expected ':'");
        this.i++;
      }
      if (!this.value(depth + 1)) return false;
      this.ws();
      const d = this.peek();
      if (d == 0x2c) {
        this.i++;
      } else if (d == close) {
        this.i++;
        return true;
      } else {
        return this.fail("expected ',' or the end of the array or object");
      }
    }
  }
}

/** Why `Json.parse` refused a document, and at which byte. */
export class ParseError {
  constructor(public at: i32, public what: string) {}
}

/** The last error of `Json.parse` or `Envelope.parse` (null after a success). */
export let lastParseError: ParseError | null = null;

/** One checked JSON value: `len` bytes at `ptr` inside a message. */
export class Json {
  constructor(public ptr: usize, public len: i32) {}

  /** Checks the `len` bytes at `ptr` as one JSON document; null (and `lastParseError`) if invalid. */
  static parse(ptr: usize, len: i32): Json | null {
    const r = new Reader(ptr, ptr + <usize>len);
    r.ws();
    const start = r.i;
    let ok = r.value(0);
    const stop = r.i;
    if (ok) {
      r.ws();
      if (r.i != r.end) ok = r.fail("more after the end of the value");
    }
    if (!ok) {
      lastParseError = new ParseError(<i32>r.errorAt, r.error!);
      return null;
    }
    lastParseError = null;
    return new Json(start, <i32>(stop - start));
  }

  /** Parses text (it is encoded as UTF-8 first; the bytes live as long as the returned view). */
  static parseString(text: string): Json | null {
    const bytes = String.UTF8.encode(text);
    keepAlive.push(bytes);
    return Json.parse(changetype<usize>(bytes), bytes.byteLength);
  }

  get kind(): Kind {
    const c = load<u8>(this.ptr);
    if (c == 0x6e) return Kind.Null;
    if (c == 0x74 || c == 0x66) return Kind.Bool;
    if (c == 0x22) return Kind.String;
    if (c == 0x5b) return Kind.Array;
    if (c == 0x7b) return Kind.Object;
    return Kind.Number;
  }

  get isNull(): bool {
    return this.kind == Kind.Null;
  }

  /** The value's JSON text, as it appears in the message. */
  toString(): string {
    return String.UTF8.decodeUnsafe(this.ptr, <usize>this.len);
  }

  asBool(dflt: bool = false): bool {
    return this.kind == Kind.Bool ? load<u8>(this.ptr) == 0x74 : dflt;
  }

  /** The number (NaN when this is not a number). */
  asNumber(): f64 {
    if (this.kind != Kind.Number) return NaN;
    return parseFloat(this.toString());
  }

  /** The number as an integer when it is one (no fraction, in range); else `dflt`. */
  asInteger(dflt: i64 = 0): i64 {
    const x = this.asNumber();
    if (isNaN(x) || Math.trunc(x) != x || Math.abs(x) >= 9007199254740992.0) return dflt;
    return <i64>x;
  }

  /** The decoded string (escapes resolved), or null when this is not a string. */
  asString(): string | null {
    if (this.kind != Kind.String) return null;
    return decodeJsonString(this.ptr + 1, this.len - 2);
  }

  /** True when this is the string `text`. */
  isString(text: string): bool {
    const s = this.asString();
    return s !== null && s == text;
  }

  /** The member `key` of an object (the first, should a key repeat), or null. */
  get(key: string): Json | null {
    if (this.kind != Kind.Object) return null;
    const r = new Reader(this.ptr + 1, this.ptr + <usize>this.len);
    while (true) {
      r.ws();
      if (r.peek() != 0x22) return null;
      const ks = r.i;
      r.string();
      const ke = r.i;
      r.ws();
      r.i++; // ':'
      r.ws();
      const vs = r.i;
      r.value(0);
      const ve = r.i;
      if (decodeJsonString(ks + 1, <i32>(ke - ks) - 2) == key) return new Json(vs, <i32>(ve - vs));
      r.ws();
      r.i++; // ',' or '}'
    }
  }

  /** The member names of an object, in order (empty for anything else). */
  keys(): string[] {
    const out = new Array<string>();
    if (this.kind != Kind.Object) return out;
    const r = new Reader(this.ptr + 1, this.ptr + <usize>this.len);
    while (true) {
      r.ws();
      if (r.peek() != 0x22) return out;
      const ks = r.i;
      r.string();
      out.push(decodeJsonString(ks + 1, <i32>(r.i - ks) - 2));
      r.ws();
      r.i++;
      r.value(0);
      r.ws();
      r.i++;
    }
  }

  /** The elements of an array, in order (empty for anything else). */
  items(): Json[] {
    const out = new Array<Json>();
    if (this.kind != Kind.Array) return out;
    const r = new Reader(this.ptr + 1, this.ptr + <usize>this.len);
    while (true) {
      r.ws();
      const c = r.peek();
      if (c < 0 || c == 0x5d) return out;
      const vs = r.i;
      r.value(0);
      out.push(new Json(vs, <i32>(r.i - vs)));
      r.ws();
      r.i++;
    }
  }
}

/** Buffers that must outlive the call that made them (reset at the next call into the agent). */
let keepAlive = new Array<ArrayBuffer>();

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return c - 0x41 + 10;
}

/** Decodes the checked string body (between the quotes) at `ptr`. */
function decodeJsonString(ptr: usize, len: i32): string {
  let plain = true;
  for (let k = 0; k < len; k++) {
    if (load<u8>(ptr + <usize>k) == 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return String.UTF8.decodeUnsafe(ptr, <usize>len);
  // Resolve escapes into UTF-16 code units; \uXXXX pairs stay pairs, as JavaScript strings do.
  let out = "";
  let run = 0;
  let k = 0;
  while (k < len) {
    if (load<u8>(ptr + <usize>k) != 0x5c) {
      k++;
      continue;
    }
    out += String.UTF8.decodeUnsafe(ptr + <usize>run, <usize>(k - run));
    const e = <i32>load<u8>(ptr + <usize>k + 1);
    if (e == 0x75) {
      let u = 0;
      for (let d = 0; d < 4; d++) u = u * 16 + hexValue(<i32>load<u8>(ptr + <usize>(k + 2 + d)));
      out += String.fromCharCode(u);
      k += 6;
    } else {
      let ch = e;
      if (e == 0x62) ch = 8;
      else if (e == 0x66) ch = 12;
      else if (e == 0x6e) ch = 10;
      else if (e == 0x72) ch = 13;
      else if (e == 0x74) ch = 9;
      out += String.fromCharCode(ch);
      k += 2;
    }
    run = k;
  }
  return out + String.UTF8.decodeUnsafe(ptr + <usize>run, <usize>(len - run));
}

// ---------------------------------------------------------------------------------------------
// Envelopes.

/** One incoming message. String fields are null when the message does not carry them. */
export class Envelope {
  constructor(public json: Json) {}

  /** Reads `len` bytes at `ptr` as an envelope; null (see `lastParseError`) if not a JSON object. */
  static parse(ptr: usize, len: i32): Envelope | null {
    const j = Json.parse(ptr, len);
    if (j === null) return null;
    if (j.kind != Kind.Object) {
      lastParseError = new ParseError(0, "the envelope is not a JSON object");
      return null;
    }
    return new Envelope(j);
  }

  /** Any member, including ones this SDK does not know. */
  get(key: string): Json | null {
    return this.json.get(key);
  }

  text(key: string): string | null {
    const v = this.json.get(key);
    return v === null ? null : v.asString();
  }

  /** `request`, `inform`, `query-ref`, ... (lower case, hyphens). */
  get performative(): string | null { return this.text("performative"); }
  /** An agent name, or a client name such as `client-7f3a` for messages from the API. */
  get sender(): string | null { return this.text("sender"); }
  get receiver(): string | null { return this.text("receiver"); }
  get capability(): string | null { return this.text("capability"); }
  get conversationId(): string | null { return this.text("conversation_id"); }
  get replyWith(): string | null { return this.text("reply_with"); }
  get inReplyTo(): string | null { return this.text("in_reply_to"); }
  get protocol(): string | null { return this.text("protocol"); }
  get language(): string | null { return this.text("language"); }
  get ontology(): string | null { return this.text("ontology"); }
  get priority(): string | null { return this.text("priority"); }
  get messageId(): string | null { return this.text("message_id"); }

  /** The payload (any JSON value), or null when absent. */
  get content(): Json | null { return this.json.get("content"); }

  /** True when the performative is `performative`. */
  is(performative: string): bool {
    const p = this.performative;
    return p !== null && p == performative;
  }

  /** `failure`, `not-understood` or `refuse`: answering those is how endless exchanges start. */
  get isComplaint(): bool {
    return this.is("failure") || this.is("not-understood") || this.is("refuse");
  }

  /** True for a message from one of this agent's timers (`setTimer`). */
  get isTimer(): bool {
    const s = this.sender;
    const p = this.protocol;
    return s !== null && s == "caxton:timer" && p !== null && p == "caxton-timer";
  }

  /** The id of the timer that fired (0 when this is no timer message). */
  get timerId(): i64 {
    const c = this.content;
    if (!this.isTimer || c === null) return 0;
    const t = c.get("timer");
    return t === null ? 0 : t.asInteger();
  }

  /** The tag the timer was set with (null when this is no timer message). */
  get timerTag(): string | null {
    const c = this.content;
    if (!this.isTimer || c === null) return null;
    const t = c.get("tag");
    return t === null ? null : t.asString();
  }
}

// ---------------------------------------------------------------------------------------------
// Building messages.

/** Writes the members of a JSON object; `end()` goes back to the message. */
export class ObjectWriter {
  private first: bool = true;

  constructor(private buf: Buf, private message: Message | null, private parent: ObjectWriter | null) {}

  private key(key: string): Buf {
    if (!this.first) this.buf.pushByte(0x2c);
    this.first = false;
    this.buf.jsonString(key);
    this.buf.pushByte(0x3a);
    return this.buf;
  }

  text(key: string, value: string): ObjectWriter { this.key(key).jsonString(value); return this; }
  number(key: string, value: f64): ObjectWriter { this.key(key).jsonNumber(value); return this; }
  integer(key: string, value: i64): ObjectWriter { this.key(key).jsonInteger(value); return this; }
  boolean(key: string, value: bool): ObjectWriter { this.key(key).jsonBool(value); return this; }
  /** A value read from a message, copied as it was. */
  value(key: string, value: Json): ObjectWriter { this.key(key).jsonValue(value); return this; }
  /** JSON text the caller vouches for (not checked). */
  raw(key: string, json: string): ObjectWriter { this.key(key).pushString(json); return this; }

  /** A nested object; its `endObject()` comes back here. */
  object(key: string): ObjectWriter {
    this.key(key).pushByte(0x7b);
    return new ObjectWriter(this.buf, null, this);
  }

  /** Closes a nested object. */
  endObject(): ObjectWriter {
    this.buf.pushByte(0x7d);
    return this.parent!;
  }

  /** Closes the content object and returns the message. */
  end(): Message {
    this.buf.pushByte(0x7d);
    return this.message!;
  }
}

/**
 * An envelope under construction: start with the performative's constructor (`Message.inform()`,
 * `Message.failure()`, ... one per FIPA performative), add fields, then return it from the handler
 * as the reply or `send()` it. A reply needs only the fields you care about: the host fills in
 * `sender` and, when absent, `receiver` (the original sender), `conversation_id`, `in_reply_to`.
 */
export class Message {
  buf: Buf = new Buf(256);
  private hasContent: bool = false;
  /** Non-zero: the handler's outcome is this agent-level error code instead of a reply. */
  errorCode: i32 = 0;

  constructor(performative: string) {
    this.buf.pushString("{\"performative\":");
    this.buf.jsonString(performative);
  }

  static acceptProposal(): Message { return new Message("accept-proposal"); }
  static agree(): Message { return new Message("agree"); }
  static cancel(): Message { return new Message("cancel"); }
  static cfp(): Message { return new Message("cfp"); }
  static confirm(): Message { return new Message("confirm"); }
  static disconfirm(): Message { return new Message("disconfirm"); }
  static failure(): Message { return new Message("failure"); }
  static inform(): Message { return new Message("inform"); }
  static informIf(): Message { return new Message("inform-if"); }
  static informRef(): Message { return new Message("inform-ref"); }
  static notUnderstood(): Message { return new Message("not-understood"); }
  static propagate(): Message { return new Message("propagate"); }
  static propose(): Message { return new Message("propose"); }
  static proxy(): Message { return new Message("proxy"); }
  static queryIf(): Message { return new Message("query-if"); }
  static queryRef(): Message { return new Message("query-ref"); }
  static refuse(): Message { return new Message("refuse"); }
  static rejectProposal(): Message { return new Message("reject-proposal"); }
  static request(): Message { return new Message("request"); }
  static requestWhen(): Message { return new Message("request-when"); }
  static requestWhenever(): Message { return new Message("request-whenever"); }
  static subscribe(): Message { return new Message("subscribe"); }

  /** No reply, but an agent-level error (negative code): the sender gets a `failure` naming it. */
  static error(code: i32): Message {
    const m = new Message("failure");
    m.errorCode = code < 0 ? code : -1;
    return m;
  }

  private field(key: string, value: string): Message {
    this.buf.pushByte(0x2c);
    this.buf.jsonString(key);
    this.buf.pushByte(0x3a);
    this.buf.jsonString(value);
    return this;
  }

  /** The receiving agent (or API client) by name. */
  to(receiver: string): Message { return this.field("receiver", receiver); }
  /** Addresses whichever agent holds `capability` instead of a named receiver. */
  capability(capability: string): Message { return this.field("capability", capability); }
  /** With `capability`: every holder gets a copy. */
  broadcast(): Message { this.buf.pushString(",\"broadcast\":true"); return this; }
  conversationId(id: string): Message { return this.field("conversation_id", id); }
  replyWith(tag: string): Message { return this.field("reply_with", tag); }
  inReplyTo(tag: string): Message { return this.field("in_reply_to", tag); }
  protocol(protocol: string): Message { return this.field("protocol", protocol); }
  language(language: string): Message { return this.field("language", language); }
  ontology(ontology: string): Message { return this.field("ontology", ontology); }
  /** `critical`, `high`, `normal` or `low`. */
  priority(priority: string): Message { return this.field("priority", priority); }
  /** A deadline for replies, milliseconds since the epoch. */
  replyBy(millis: i64): Message { this.buf.pushString(",\"reply_by\":"); this.buf.jsonInteger(millis); return this; }

  private contentKey(): bool {
    // A second content would repeat a key in the object; the first one stays.
    if (this.hasContent) return false;
    this.hasContent = true;
    this.buf.pushString(",\"content\":");
    return true;
  }

  contentText(text: string): Message { if (this.contentKey()) this.buf.jsonString(text); return this; }
  contentNumber(x: f64): Message { if (this.contentKey()) this.buf.jsonNumber(x); return this; }
  contentInteger(x: i64): Message { if (this.contentKey()) this.buf.jsonInteger(x); return this; }
  contentBool(b: bool): Message { if (this.contentKey()) this.buf.jsonBool(b); return this; }
  /** A value read from a message, copied as it was. */
  contentValue(v: Json): Message { if (this.contentKey()) this.buf.jsonValue(v); return this; }
  /** JSON text the caller vouches for (not checked). */
  contentRaw(json: string): Message { if (this.contentKey()) this.buf.pushString(json); return this; }

  /** Content: an object; write its members, then `end()` returns to this message. */
  contentObject(): ObjectWriter {
    if (this.contentKey()) {
      this.buf.pushByte(0x7b);
      return new ObjectWriter(this.buf, this, null);
    }
    // Content was set already: write into a scratch buffer that is thrown away.
    const scratch = new Buf(16);
    return new ObjectWriter(scratch, this, null);
  }

  /** Content `{"reason":"..."}`, the shape the node itself uses for failures. */
  reason(reason: string): Message {
    return this.contentObject().text("reason", reason).end();
  }

  /** The finished envelope (call once). */
  finish(): Buf {
    this.buf.pushByte(0x7d);
    return this.buf;
  }

  /** Sends it now; `>= 0` accepted, else a `SendError` code. Delivery happens after the handler. */
  send(): i32 {
    const b = this.finish();
    return caxton_send_message(b.dataStart, b.length);
  }
}

// ---------------------------------------------------------------------------------------------
// The ABI exports' bodies. Re-export `alloc`, `dealloc` and `caxton_abi_version` from the entry
// file, and call `handle` from an exported `handle_message`.

/** The last reply: kept referenced until the next call into the agent (ABI v2). */
let heldReply: Buf | null = null;

/** Called at the start of every call into the agent: nothing of the last round is needed now. */
function nextCall(): void {
  heldReply = null;
  keepAlive = new Array<ArrayBuffer>();
  __collect();
}

/** Declares guest ABI version 2: the host frees only the message buffer, never the reply. */
export function caxton_abi_version(): i32 {
  return 2;
}

/** A buffer for the next incoming message, pinned so that no collection frees it before `dealloc`. */
export function alloc(size: i32): usize {
  nextCall();
  return __pin(__new(<usize>max(size, 1), idof<ArrayBuffer>()));
}

/** The host is done with a message buffer it got from `alloc`. */
export function dealloc(ptr: usize, size: i32): void {
  __unpin(ptr);
}

/** Runs `handler` on the message in `len` bytes at `ptr` and packs its reply for the host. */
export function handle(ptr: usize, len: i32, handler: (msg: Envelope) => Message | null): i64 {
  const env = Envelope.parse(ptr, len);
  if (env === null) return -101; // not JSON: an agent deployed with --codec msgpack cannot use this SDK
  const reply = handler(env);
  if (reply === null) return 0;
  if (reply.errorCode != 0) return <i64>reply.errorCode;
  const out = reply.finish();
  heldReply = out;
  const at = out.dataStart;
  if (at >= 0x80000000) return -100; // would read as a negative code
  return (<i64>at << 32) | <i64>out.length;
}
