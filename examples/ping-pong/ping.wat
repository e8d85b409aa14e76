;; ping.wat - plays three rounds of ping-pong with the agent named "pong".
;;
;; A message that is not an inform (for example a request from a user) starts
;; a game: ping sends
;;   {"performative":"request","receiver":"pong","content":"ping","conversation_id":"ping-pong"}
;; logs "ping sent" and replies {"content":"started"} to whoever asked.
;; Each inform that comes back (pong's answer) completes a round: ping logs
;; "round N" and serves again until round 3, after which it logs
;; "ping-pong finished after 3 rounds" and stops. Informs that arrive while no
;; game is in progress are ignored, so a stray inform cannot start an endless
;; exchange. A new request starts three new rounds (a game in progress is
;; restarted from round 0).
;;
;; Messages sent with send_message are delivered after handle_message returns,
;; so pong's answer always arrives as a later, separate message.
;;
;; The performative is recognised by looking for the bytes
;; "performative":"inform" in the incoming JSON. That is enough here because
;; the host hands agents compact JSON (no spaces around ':').
;;
;; Build: ./build.sh
(module
  (import "caxton" "send_message" (func $send_message (param i32 i32) (result i32)))
  (import "caxton" "log" (func $log (param i32 i32 i32)))

  (memory (export "memory") 1)

  ;; Static data, all below $heap_base (1024):
  ;;   16: "ping sent"                                        9 bytes
  ;;   32: "ping-pong finished after 3 rounds"               33 bytes
  ;;   80: "performative":"inform"                           23 bytes (searched for)
  ;;  112: {"content":"started"}                             21 bytes (reply)
  ;;  144: "inform ignored: no ping-pong in progress"        40 bytes
  ;;  192: the ping message sent to pong                     91 bytes
  ;;  288: "round " + up to 20 digits                        log buffer
  ;;  320: "could not send ping: send_message returned "     43 bytes + sign and digits
  ;;  384: failure reply prefix (90 bytes) + sign, digits and "}}  (at most 104 bytes)
  ;;  512: "ping ready"                                      10 bytes
  (data (i32.const 16) "ping sent")
  (data (i32.const 32) "ping-pong finished after 3 rounds")
  (data (i32.const 80) "\"performative\":\"inform\"")
  (data (i32.const 112) "{\"content\":\"started\"}")
  (data (i32.const 144) "inform ignored: no ping-pong in progress")
  (data (i32.const 192) "{\"performative\":\"request\",\"receiver\":\"pong\",\"content\":\"ping\",\"conversation_id\":\"ping-pong\"}")
  (data (i32.const 288) "round ")
  (data (i32.const 320) "could not send ping: send_message returned ")
  (data (i32.const 384) "{\"performative\":\"failure\",\"content\":{\"reason\":\"could not send ping: send_message returned ")
  (data (i32.const 512) "ping ready")

  ;; Game state; it survives between messages as long as this instance does.
  (global $active (mut i32) (i32.const 0))  ;; 1 while a game is in progress
  (global $rounds (mut i32) (i32.const 0))  ;; rounds completed in this game

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

  ;; Writes $v as signed decimal at $dst; returns the number of bytes.
  (func $write_i32 (param $v i32) (param $dst i32) (result i32)
    (if (i32.lt_s (local.get $v) (i32.const 0))
      (then
        (i32.store8 (local.get $dst) (i32.const 45)) ;; '-'
        ;; Negate in 64 bits so that -2147483648 has a positive counterpart.
        (return
          (i32.add (i32.const 1)
            (call $write_u64
              (i64.sub (i64.const 0) (i64.extend_i32_s (local.get $v)))
              (i32.add (local.get $dst) (i32.const 1)))))))
    (call $write_u64 (i64.extend_i32_u (local.get $v)) (local.get $dst)))

  ;; 1 when the $needle_len bytes at $needle occur in the $hay_len bytes at
  ;; $hay, else 0. A plain scan: messages are small and the needle is short.
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

  ;; Sends one ping to "pong" and logs the outcome; returns send_message's
  ;; result (>= 0 accepted, negative: the error code from the ABI).
  (func $send_ping (result i32)
    (local $result i32)
    (local.set $result (call $send_message (i32.const 192) (i32.const 91)))
    (if (i32.ge_s (local.get $result) (i32.const 0))
      (then (call $log (i32.const 2) (i32.const 16) (i32.const 9)))
      (else
        ;; warn: "could not send ping: send_message returned <code>"
        (call $log (i32.const 3) (i32.const 320)
          (i32.add (i32.const 43)
            (call $write_i32 (local.get $result) (i32.const 363))))))
    (local.get $result))

  ;; pong answered: one more round done.
  (func $on_inform
    (if (i32.eqz (global.get $active))
      (then
        (call $log (i32.const 1) (i32.const 144) (i32.const 40))
        (return)))
    (global.set $rounds (i32.add (global.get $rounds) (i32.const 1)))
    ;; info: "round <N>"
    (call $log (i32.const 2) (i32.const 288)
      (i32.add (i32.const 6)
        (call $write_u64 (i64.extend_i32_u (global.get $rounds)) (i32.const 294))))
    (if (i32.lt_u (global.get $rounds) (i32.const 3))
      (then
        (if (i32.lt_s (call $send_ping) (i32.const 0))
          (then (global.set $active (i32.const 0)))))
      (else
        (global.set $active (i32.const 0))
        (call $log (i32.const 2) (i32.const 32) (i32.const 33)))))

  (func (export "init") (result i32)
    (call $log (i32.const 2) (i32.const 512) (i32.const 10))
    (i32.const 0))

  (func (export "handle_message") (param $ptr i32) (param $len i32) (result i64)
    (local $result i32)
    (local $n i32)
    (global.set $fresh (i32.const 1))
    (if (call $contains (local.get $ptr) (local.get $len) (i32.const 80) (i32.const 23))
      (then
        ;; pong's answer; it gets no reply, or the two would answer each other forever
        (call $on_inform)
        (return (i64.const 0))))
    ;; Anything else starts a new game.
    (global.set $rounds (i32.const 0))
    (global.set $active (i32.const 1))
    (local.set $result (call $send_ping))
    (if (i32.lt_s (local.get $result) (i32.const 0))
      (then
        (global.set $active (i32.const 0))
        ;; reply {"performative":"failure","content":{"reason":"... returned <code>"}}
        (local.set $n
          (i32.add (i32.const 474) (call $write_i32 (local.get $result) (i32.const 474))))
        (i32.store8 (local.get $n) (i32.const 34))                            ;; '"'
        (i32.store16 (i32.add (local.get $n) (i32.const 1)) (i32.const 0x7D7D)) ;; "}}"
        (return
          (i64.or (i64.shl (i64.const 384) (i64.const 32))
                  (i64.extend_i32_u (i32.sub (i32.add (local.get $n) (i32.const 3)) (i32.const 384)))))))
    ;; reply {"content":"started"}: (112 << 32) | 21
    (i64.or (i64.shl (i64.const 112) (i64.const 32)) (i64.const 21)))
)
