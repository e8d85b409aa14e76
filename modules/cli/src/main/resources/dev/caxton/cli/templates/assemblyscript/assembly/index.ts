// {{name}}: a Caxton agent. It answers every request with how many messages it has handled and the
// content it was sent. Change onMessage to make it yours.
import { Envelope, Level, Message, handle, log } from "caxton-agent";
export { alloc, dealloc, caxton_abi_version } from "caxton-agent";

// State kept between messages (for as long as the instance lives).
let handled: i64 = 0;

export function init(): i32 {
  log(Level.Info, "{{name}} ready");
  return 0;
}

function onMessage(msg: Envelope): Message | null {
  handled++;
  // Answer requests only, so that two agents never answer each other's answers for ever.
  if (!msg.is("request")) return null;
  const reply = Message.inform().contentObject().text("agent", "{{name}}").integer("handled", handled);
  const content = msg.content;
  if (content !== null) reply.value("received", content);
  return reply.end();
}

export function handle_message(ptr: usize, len: i32): i64 {
  return handle(ptr, len, onMessage);
}
