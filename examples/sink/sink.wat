;; sink.wat - takes every message and never answers: the agent `caxton benchmark run
;; --pattern fire-and-forget` sends to, so the figure is the cost of delivering and handling a
;; message, with no reply on top. handle_message returns 0 (handled, no reply).
(module
  (memory (export "memory") 1)

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

  (func (export "handle_message") (param $ptr i32) (param $len i32) (result i64)
    ;; The round is over: the next alloc starts the arena over. Without this the arena only
    ;; grew, and after some 50,000 messages (16 MiB) alloc trapped, the message was
    ;; dead-lettered and the benchmark waited for it until it gave up.
    (global.set $fresh (i32.const 1))
    (i64.const 0))
)
