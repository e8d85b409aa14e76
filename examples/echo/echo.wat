;; echo.wat - the smallest useful Caxton agent.
;;
;; Every message it receives goes straight back to its sender: handle_message
;; returns the very bytes the host just wrote into memory. The host completes
;; that reply (sender becomes "echo", receiver becomes the original sender,
;; message_id is made fresh because it equals the original's), so the sender
;; sees its own envelope come back as a reply.
;;
;; Build: ./build.sh   (wat2wasm echo.wat -o echo.wasm)
(module
  ;; The one host function this agent uses: log(level, ptr, len).
  ;; Level 2 is "info".
  (import "caxton" "log" (func $log (param i32 i32 i32)))

  ;; One 64 KiB page to start with. No maximum is declared: the host enforces
  ;; the agent's memory limit, and memory.grow past it simply returns -1.
  (memory (export "memory") 1)

  ;; Static data lives below $heap_base and is never handed out by alloc.
  (data (i32.const 16) "echo ready")   ;; 10 bytes at 16

  ;; --- A bump ("arena") allocator ------------------------------------------
  ;;
  ;; The host talks to an agent one message at a time:
  ;;   alloc(len) -> copy the message in -> handle_message(ptr, len)
  ;;   -> read the reply the agent returned -> (next message) alloc(len) ...
  ;; Once handle_message has returned and the host has read the reply, nothing
  ;; from that round is needed any more. So the first alloc after a
  ;; handle_message starts the arena over at $heap_base; memory use is then
  ;; bounded by the largest single round instead of growing with every message.
  ;; The reset happens in alloc, not at the start of handle_message, because
  ;; by then the incoming message already sits in the arena and resetting
  ;; would let later allocations overwrite it.
  (global $heap_base i32 (i32.const 1024))
  (global $bump (mut i32) (i32.const 1024))
  ;; 1 while no round is in progress (before the first message and after each
  ;; handle_message returns), 0 once the host has allocated for a new round.
  (global $fresh (mut i32) (i32.const 1))

  ;; alloc(size) -> address of `size` writable bytes, 8-byte aligned (enough
  ;; for any WebAssembly scalar), never overlapping anything else live.
  (func $alloc (export "alloc") (param $size i32) (result i32)
    (local $ptr i32)
    (local $end i64)
    (local $have i64)
    (if (global.get $fresh)
      (then
        (global.set $bump (global.get $heap_base))
        (global.set $fresh (i32.const 0))))
    ;; Round the bump pointer up to a multiple of 8.
    (local.set $ptr
      (i32.and (i32.add (global.get $bump) (i32.const 7)) (i32.const -8)))
    ;; The end is computed in 64 bits so that a huge size cannot wrap around.
    (local.set $end
      (i64.add (i64.extend_i32_u (local.get $ptr)) (i64.extend_i32_u (local.get $size))))
    ;; Nothing can live at or beyond 4 GiB in a 32-bit memory.
    (if (i64.ge_u (local.get $end) (i64.const 0x100000000))
      (then unreachable))
    (local.set $have (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
    (if (i64.gt_u (local.get $end) (local.get $have))
      (then
        ;; Grow by just enough whole pages (rounding up). If the host refuses
        ;; (the agent's memory limit), there is no honest address to return,
        ;; so trap: the host treats that as a fault of this one invocation.
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

  ;; init() -> 0: optional; a non-zero result would refuse the deployment.
  (func (export "init") (result i32)
    (call $log (i32.const 2) (i32.const 16) (i32.const 10))
    (i32.const 0))

  ;; handle_message(ptr, len) -> (reply_ptr << 32) | reply_len.
  ;; The reply is the incoming message itself. It stays untouched until the
  ;; host has read it, because the arena is only reset by the next alloc.
  (func (export "handle_message") (param $ptr i32) (param $len i32) (result i64)
    ;; Mark the round as over, so that the next alloc starts the arena over.
    ;; Doing it first thing is fine only because this handler allocates
    ;; nothing itself; a handler that calls $alloc must set $fresh just before
    ;; it returns, or its own allocation would reuse the incoming message's
    ;; memory (the C calculator does it that way).
    (global.set $fresh (i32.const 1))
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
      (i64.extend_i32_u (local.get $len))))
)
