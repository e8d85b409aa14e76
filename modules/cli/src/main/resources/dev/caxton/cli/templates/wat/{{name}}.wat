;; {{name}}: a Caxton agent in WebAssembly text (guest ABI v2).
;; It counts the messages it has handled and answers each request with the
;; count: {"performative":"inform","content":{"count":N}}. The count lives in a
;; global, so it survives from one message to the next.
(module
  (import "caxton" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "ready")
  ;; the reply is built at 512: this prefix (44 bytes), the digits, then "}}"
  (data (i32.const 512) "{\"performative\":\"inform\",\"content\":{\"count\":")

  (global $count (mut i32) (i32.const 0))

  ;; ABI v2: the runtime copies the reply out and frees only the message buffer,
  ;; so a reply in static memory like this one is safe.
  (func (export "caxton_abi_version") (result i32) (i32.const 2))

  (func (export "init") (result i32)
    (call $log (i32.const 2) (i32.const 16) (i32.const 5))
    (i32.const 0))

  ;; One message at a time and nothing kept from one to the next, so every
  ;; message goes at 1024, memory growing when a message is larger.
  (func (export "alloc") (param $size i32) (result i32)
    (local $end i64)
    (local.set $end (i64.add (i64.const 1024) (i64.extend_i32_u (local.get $size))))
    (if (i64.gt_u (local.get $end) (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
      (then
        (if (i32.eq (memory.grow (i32.wrap_i64 (i64.shr_u (i64.add (i64.sub (local.get $end)
                (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16))) (i64.const 65535)) (i64.const 16))))
              (i32.const -1))
          (then unreachable))))
    (i32.const 1024))

  (func (export "handle_message") (param $ptr i32) (param $len i32) (result i64)
    (local $n i32) (local $digits i32) (local $at i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    ;; how many digits the count has
    (local.set $n (global.get $count))
    (loop $count_digits
      (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $count_digits (local.get $n)))
    ;; write them right to left after the prefix
    (local.set $n (global.get $count))
    (local.set $at (i32.add (i32.const 556) (local.get $digits)))
    (loop $write
      (local.set $at (i32.sub (local.get $at) (i32.const 1)))
      (i32.store8 (local.get $at) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $write (local.get $n)))
    (local.set $at (i32.add (i32.const 556) (local.get $digits)))
    (i32.store8 (local.get $at) (i32.const 125))
    (i32.store8 (i32.add (local.get $at) (i32.const 1)) (i32.const 125))
    (i64.or (i64.shl (i64.const 512) (i64.const 32))
            (i64.extend_i32_u (i32.add (local.get $digits) (i32.const 46))))))
