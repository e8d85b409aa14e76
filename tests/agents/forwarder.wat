;; forwarder.wat - test agent: proves that send_message works from inside an agent.
;;
;; On a message it sends
;;   {"performative":"inform","receiver":"counter","content":"forwarded"}
;; and replies {"content":{"send_result":R}}, R being the decimal value
;; send_message returned (>= 0 accepted, negative an ABI error code).
;;
;; The one exception: messages from "counter" itself get no forward and no
;; reply. counter answers everything it receives, so without this rule the
;; forward, counter's answer and forwarder's reply to that answer would bounce
;; between the two agents for ever (and multiply, as every round sends two).
(module
  (import "caxton" "send_message" (func $send_message (param i32 i32) (result i32)))
  (import "caxton" "log" (func $log (param i32 i32 i32)))

  (memory (export "memory") 1)

  ;; Static data below $heap_base (1024):
  ;;   16: the message sent to counter                           68 bytes
  ;;   96: "sender":"counter"                                    18 bytes (searched for)
  ;;  128: "forwarded to counter"                                20 bytes (debug log)
  ;;  256: reply prefix {"content":{"send_result":  (26 bytes), then the code and "}}"
  (data (i32.const 16) "{\"performative\":\"inform\",\"receiver\":\"counter\",\"content\":\"forwarded\"}")
  (data (i32.const 96) "\"sender\":\"counter\"")
  (data (i32.const 128) "forwarded to counter")
  (data (i32.const 256) "{\"content\":{\"send_result\":")

  ;; Bump allocator, the same scheme as examples/echo/echo.wat (explained there):
  ;; the first alloc after a handle_message restarts the arena at $heap_base.
  (global $heap_base i32 (i32.const 1024))
  (global $bump (mut i32) (i32.const 1024))
  (global $fresh (mut i32) (i32.const 1))
  (func $alloc (export "alloc") (param $size i32) (result i32)
    (local $ptr i32)
    (local $end i64)
    (local $have i64)
    (if (global.get $fresh)
      (then
        (global.set $bump (global.get $heap_base))
        (global.set $fresh (i32.const 0))))
    (local.set $ptr
      (i32.and (i32.add (global.get $bump) (i32.const 7)) (i32.const -8)))
    (local.set $end
      (i64.add (i64.extend_i32_u (local.get $ptr)) (i64.extend_i32_u (local.get $size))))
    (if (i64.ge_u (local.get $end) (i64.const 0x100000000))
      (then unreachable))
    (local.set $have (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
    (if (i64.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow
                (i32.wrap_i64
                  (i64.shr_u
                    (i64.add (i64.sub (local.get $end) (local.get $have)) (i64.const 0xFFFF))
                    (i64.const 16))))
              (i32.const -1))
          (then unreachable))))
    (global.set $bump (i32.wrap_i64 (local.get $end)))
    (local.get $ptr))

  ;; Writes $v as signed decimal at $dst; returns the number of bytes written.
  ;; Digits are counted first, then filled in from the last one backwards.
  (func $write_i32 (param $v i32) (param $dst i32) (result i32)
    (local $u i64)
    (local $t i64)
    (local $n i32)
    (local $p i32)
    (local.set $u (i64.extend_i32_s (local.get $v)))
    (if (i32.lt_s (local.get $v) (i32.const 0))
      (then
        (i32.store8 (local.get $dst) (i32.const 45)) ;; '-'
        (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
        (local.set $n (i32.const 1))
        (local.set $u (i64.sub (i64.const 0) (local.get $u)))))
    (local.set $t (local.get $u))
    (local.set $p (local.get $dst))
    (loop $count
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $t (i64.div_u (local.get $t) (i64.const 10)))
      (br_if $count (i64.ne (local.get $t) (i64.const 0))))
    (local.set $n (i32.add (local.get $n) (i32.sub (local.get $p) (local.get $dst))))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $u) (i64.const 10)))))
      (local.set $u (i64.div_u (local.get $u) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $u) (i64.const 0))))
    (local.get $n))

  ;; 1 when the $needle_len bytes at $needle occur in the $hay_len bytes at
  ;; $hay, else 0.
  (func $contains (param $hay i32) (param $hay_len i32)
                  (param $needle i32) (param $needle_len i32) (result i32)
    (local $i i32)
    (local $j i32)
    (local $last i32)
    (if (i32.gt_u (local.get $needle_len) (local.get $hay_len))
      (then (return (i32.const 0))))
    (local.set $last (i32.sub (local.get $hay_len) (local.get $needle_len)))
    (block $not_found
      (loop $start
        (br_if $not_found (i32.gt_u (local.get $i) (local.get $last)))
        (local.set $j (i32.const 0))
        (block $mismatch
          (loop $compare
            (if (i32.eq (local.get $j) (local.get $needle_len))
              (then (return (i32.const 1))))
            (br_if $mismatch
              (i32.ne
                (i32.load8_u (i32.add (local.get $hay) (i32.add (local.get $i) (local.get $j))))
                (i32.load8_u (i32.add (local.get $needle) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $compare)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $start)))
    (i32.const 0))

  (func (export "handle_message") (param $ptr i32) (param $len i32) (result i64)
    (local $result i32)
    (local $end i32)
    (global.set $fresh (i32.const 1))
    (if (call $contains (local.get $ptr) (local.get $len) (i32.const 96) (i32.const 18))
      (then (return (i64.const 0))))
    (local.set $result (call $send_message (i32.const 16) (i32.const 68)))
    (if (i32.ge_s (local.get $result) (i32.const 0))
      (then (call $log (i32.const 1) (i32.const 128) (i32.const 20))))
    (local.set $end
      (i32.add (i32.const 282) (call $write_i32 (local.get $result) (i32.const 282))))
    (i32.store16 (local.get $end) (i32.const 0x7D7D)) ;; "}}"
    (i64.or (i64.shl (i64.const 256) (i64.const 32))
            (i64.extend_i32_u (i32.sub (i32.add (local.get $end) (i32.const 2)) (i32.const 256)))))
)
