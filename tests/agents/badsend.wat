;; badsend.wat - test agent: calls send_message with a pointer outside its memory.
;;
;; send_message(0x7FFFFFF0, 4096) names 4096 bytes far beyond this agent's
;; single 64 KiB page. The host must treat that as a fault of this invocation.
;; Should the call return instead, the agent replies
;; {"content":{"send_result":R}} so that a test can see what happened.
(module
  (import "caxton" "send_message" (func $send_message (param i32 i32) (result i32)))

  (memory (export "memory") 1)

  ;; 256: reply prefix {"content":{"send_result":  (26 bytes), then the code and "}}
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

  (func (export "handle_message") (param $ptr i32) (param $len i32) (result i64)
    (local $end i32)
    (global.set $fresh (i32.const 1))
    (local.set $end
      (i32.add (i32.const 282)
        (call $write_i32
          (call $send_message (i32.const 0x7FFFFFF0) (i32.const 4096))
          (i32.const 282))))
    (i32.store16 (local.get $end) (i32.const 0x7D7D)) ;; "}}"
    (i64.or (i64.shl (i64.const 256) (i64.const 32))
            (i64.extend_i32_u (i32.sub (i32.add (local.get $end) (i32.const 2)) (i32.const 256)))))
)
