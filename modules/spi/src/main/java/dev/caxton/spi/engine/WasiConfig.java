package dev.caxton.spi.engine;

import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A sandboxed WASI preview 1 ({@code wasi_snapshot_preview1}) for one instance, for engines whose
 * {@link EngineFeatures#wasi()} is true. The guest gets no ambient authority: no preopened
 * directories, no sockets, an empty stdin, and only the arguments and environment given here (the
 * host's own are never inherited). Clocks and random numbers work. Output goes to the two streams,
 * which the host points at the agent's log. {@code proc_exit} (with any code, 0 included) ends the
 * call that made it with a {@link WasmTrapException} whose message says {@code "exit code N"}.
 *
 * @param args   the program arguments the guest sees ({@code args_get}), usually none
 * @param env    the environment the guest sees ({@code environ_get}), usually empty
 * @param stdout where {@code fd_write} to descriptor 1 goes
 * @param stderr where {@code fd_write} to descriptor 2 goes
 */
public record WasiConfig(List<String> args, Map<String, String> env, OutputStream stdout, OutputStream stderr) {

    /** The import module name of WASI preview 1. */
    public static final String MODULE = "wasi_snapshot_preview1";

    /** Copies the collections. */
    public WasiConfig {
        args = List.copyOf(args);
        env = Map.copyOf(env);
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
    }
}
