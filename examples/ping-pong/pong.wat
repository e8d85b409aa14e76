;; pong.wat - answers every message with {"performative":"inform","content":"pong"}.
;;
;; The reply names no receiver, so the host sends it back to whoever sent the
;; message, in the same conversation. Deploy it under the name "pong": that is
;; the name ping.wat sends to.
;;
;; Build: ./build.sh
(module
  (import "caxton" "log" (func $log (param i32 i32 i32)))

  (memory (export "memory") 1)

  ;; Static data below $heap_base (1024):
  ;;  16: "pong ready" (10 bytes)
  ;;  64: the reply, the same for every message (42 bytes). It is never
  ;;      written to, so handing out its address every time is safe.
  (data (i32.const 16) "pong ready")
  (data (i32.const 64) "{\"performative\":\"inform\",\"content\":\"pong\"}")

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

  (func (export "init") (result i32)
    (call $log (i32.const 2) (i32.const 16) (i32.const 10))
    (i32.const 0))

  (func (export "handle_message") (param $ptr i32) (param $len i32) (result i64)
    (global.set $fresh (i32.const 1))
    ;; (64 << 32) | 42
    (i64.or (i64.shl (i64.const 64) (i64.const 32)) (i64.const 42)))
)
