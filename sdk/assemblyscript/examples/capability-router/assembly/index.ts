// Capability routing: offers the capability `text.reverse` and answers requests addressed to it
// (caxton message send --capability text.reverse ...) with their text content reversed.
import { Envelope, Level, Message, handle, log, registerCapability } from "caxton-agent";
export { alloc, dealloc, caxton_abi_version } from "caxton-agent";

const CAPABILITY = "text.reverse";

export function init(): i32 {
  // Without the capability this agent is useless: fail the deployment and say why.
  const status = registerCapability(CAPABILITY);
  if (status != 0) {
    log(Level.Error, "could not register capability '" + CAPABILITY + "': " + status.toString());
    return status;
  }
  log(Level.Info, "capability-router ready, capability '" + CAPABILITY + "' registered");
  return 0;
}

function onMessage(msg: Envelope): Message | null {
  if (!msg.is("request")) return null;
  const content = msg.content;
  let found: string | null = null;
  if (content !== null) found = content.asString();
  if (found === null) return Message.refuse().reason("send a JSON string as content");
  const text: string = found;
  // Reverse by code point, so that characters outside the BMP stay whole.
  const chars = new Array<string>();
  for (let i = 0; i < text.length; i++) {
    const c = text.codePointAt(i);
    chars.push(String.fromCodePoint(c));
    if (c > 0xffff) i++;
  }
  chars.reverse();
  return Message.inform().contentObject().text("reversed", chars.join("")).text("via", CAPABILITY).end();
}

export function handle_message(ptr: usize, len: i32): i64 {
  return handle(ptr, len, onMessage);
}
