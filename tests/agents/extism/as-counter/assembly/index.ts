// An ordinary Extism plugin: nothing in it knows about Caxton. Each call greets with the configured
// greeting, counts the calls in a var, and reports the input's length; input "fail" sets an error.
import { Config, Host, Memory, Var } from "@extism/as-pdk";
import { error_set } from "@extism/as-pdk/lib/env";

export function count(): i32 {
  const input = Host.inputString();
  if (input == "fail") {
    error_set(Memory.allocateString("asked to fail").offset);
    return 1;
  }
  const previous = Var.getString("count");
  const n: i32 = previous === null ? 1 : I32.parseInt(previous) + 1;
  Var.set("count", Uint8Array.wrap(String.UTF8.encode(n.toString())));
  const greeting = Config.get("greeting");
  Host.outputString('{"greeting":"' + (greeting === null ? "none" : greeting) + '","count":' + n.toString()
    + ',"length":' + input.length.toString() + '}');
  return 0;
}

// Not called by Caxton's tests: a second export for `caxton agent check` to list.
export function shout(): i32 {
  Host.outputString(Host.inputString().toUpperCase());
  return 0;
}
