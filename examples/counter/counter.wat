;; counter.wat - a stateful Caxton agent.
;;
;; It counts the messages it has handled and answers each one with
;;   {"performative":"inform","content":{"count":N}}
;; where N is 1 for the first message. The count lives in a global of this
;; instance, and an instance (its globals and linear memory) lives as long as
;; the agent runs without a fault. A fault (trap, out-of-bounds pointer,
;; timeout) replaces the instance, and a fresh instance starts again from 0.
;;
;; Build: ./build.sh   (wat2wasm counter.wat -o counter.wasm)
(module
  (import "caxton" "log" (func $log (param i32 i32 i32)))

  (memory (export "memory") 1)

  ;; Static data, all below $heap_base (1024):
  ;;   16: "counter ready"                             (13 bytes, for the init log)
  ;;  256: the reply buffer. Its first 44 bytes are the fixed reply prefix;
  ;;       handle_message writes the decimal count and "}}" right after it.
  ;;       The longest reply is 44 + 20 digits + 2 = 66 bytes, far below the
  ;;       512 bytes reserved up to 768.
  ;; A static buffer is enough for a reply: the host reads the reply right
  ;; after handle_message returns, before the next message can overwrite it.
  (data (i32.const 16) "counter ready")
  (data (i32.const 256) "{\"performative\":\"inform\",\"content\":{\"count\":")
  (global $reply i32 (i32.const 256))
  (global $prefix_len i32 (i32.const 44))

  ;; The number of messages handled by this instance.
  (global $count (mut i64) (i64.const 0))

  ;; --- Bump allocator (same scheme as examples/echo/echo.wat) -------------
  ;; The first alloc after a handle_message restarts the arena at $heap_base,
  ;; because the previous message and reply are no longer needed then.
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

  ;; Writes $v as unsigned decimal at $dst; returns the number of bytes.
  ;; First counts the digits, then fills them in from the last one backwards.
  (func $write_u64 (param $v i64) (param $dst i32) (result i32)
    (local $n i32)
    (local $t i64)
    (local $p i32)
    (local.set $n (i32.const 1))
    (local.set $t (local.get $v))
    (block $counted
      (loop $more
        (br_if $counted (i64.lt_u (local.get $t) (i64.const 10)))
        (local.set $t (i64.div_u (local.get $t) (i64.const 10)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $more)))
    (local.set $p (i32.add (local.get $dst) (local.get $n)))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $v) (i64.const 0))))
    (local.get $n))

  (func (export "init") (result i32)
    (call $log (i32.const 2) (i32.const 16) (i32.const 13))
    (i32.const 0))

  ;; Every message counts, whatever it says; the reply carries the new count.
  (func (export "handle_message") (param $ptr i32) (param $len i32) (result i64)
    (local $end i32)
    (global.set $fresh (i32.const 1))
    (global.set $count (i64.add (global.get $count) (i64.const 1)))
    ;; reply = prefix + digits + "}}"
    (local.set $end (i32.add (global.get $reply) (global.get $prefix_len)))
    (local.set $end
      (i32.add (local.get $end) (call $write_u64 (global.get $count) (local.get $end))))
    (i32.store16 (local.get $end) (i32.const 0x7D7D)) ;; the two bytes "}}"
    (local.set $end (i32.add (local.get $end) (i32.const 2)))
    (i64.or
      (i64.shl (i64.extend_i32_u (global.get $reply)) (i64.const 32))
      (i64.extend_i32_u (i32.sub (local.get $end) (global.get $reply)))))
)
