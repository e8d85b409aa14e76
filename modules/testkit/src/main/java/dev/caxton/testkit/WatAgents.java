package dev.caxton.testkit;

/**
 * The smallest agents the API tests deploy, as WAT text for {@link Wat#compile(String)}: one that
 * answers, one that never answers and one that always traps.
 */
public final class WatAgents {

    /** Returns every message unchanged, so the host completes it into a reply to the sender. */
    public static final String ECHO = """
            (module
              (memory (export "memory") 1)
              (global $next (mut i32) (i32.const 1024))
              (func (export "alloc") (param $size i32) (result i32)
                (local $p i32)
                (local.set $p (global.get $next))
                (global.set $next (i32.add (global.get $next) (local.get $size)))
                (local.get $p))
              (func (export "handle_message") (param $ptr i32) (param $len i32) (result i64)
                (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
                        (i64.extend_i32_u (local.get $len)))))
            """;

    /** Takes every message and never answers: a waiting client waits until wait_ms or until it leaves. */
    public static final String SILENT = """
            (module
              (memory (export "memory") 1)
              (func (export "alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "handle_message") (param i32 i32) (result i64) (i64.const 0)))
            """;

    /** Traps on every message. */
    public static final String TRAP = """
            (module
              (memory (export "memory") 1)
              (func (export "alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "handle_message") (param i32 i32) (result i64) unreachable))
            """;

    private WatAgents() {
    }
}
