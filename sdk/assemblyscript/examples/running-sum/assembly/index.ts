// Running sum: adds up the numbers it is sent (a number, or an array of numbers, as content) and
// answers every request with the total so far: {"total":6,"count":3}.
import { Envelope, Json, Kind, Message, handle } from "caxton-agent";
export { alloc, dealloc, caxton_abi_version } from "caxton-agent";

// The state kept between messages (as long as the instance lives: a fault, reload or restart
// starts again from zero).
let total: f64 = 0;
let count: i64 = 0;

function onMessage(msg: Envelope): Message | null {
  // Only requests get an answer, so this agent never argues with another agent's replies.
  if (!msg.is("request")) return null;
  const content = msg.content;
  if (content === null) return Message.notUnderstood().reason("send a number or an array of numbers as content");
  let added: f64 = 0;
  let seen: i64 = 0;
  if (content.kind == Kind.Number) {
    added = content.asNumber();
    seen = 1;
  } else if (content.kind == Kind.Array) {
    const items: Json[] = content.items();
    for (let i = 0; i < items.length; i++) {
      if (items[i].kind != Kind.Number) {
        return Message.notUnderstood().reason("every element of the array must be a number");
      }
      added += items[i].asNumber();
      seen++;
    }
  } else {
    return Message.notUnderstood().reason("send a number or an array of numbers as content");
  }
  if (!isFinite(total + added)) return Message.failure().reason("the total would overflow");
  total += added;
  count += seen;
  return Message.inform().contentObject().number("total", total).integer("count", count).end();
}

export function handle_message(ptr: usize, len: i32): i64 {
  return handle(ptr, len, onMessage);
}
