package dev.caxton.engine.wasmtime;

import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.GuestMemory;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.ValueType;
import dev.caxton.spi.engine.WasiConfig;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The sandboxed WASI preview 1 this engine offers, as ordinary host functions of the module
 * {@code wasi_snapshot_preview1}.
 *
 * <p>Why not the binding's own {@code WasiCtx}: wasmtime-java 0.19 sends a guest's output only to
 * files or to the node's own stdout and stderr, needs a {@code Linker} over a store that carries the
 * context (this engine links imports itself, on stores without data), and reports {@code proc_exit}
 * as an error message rather than an exit code. Serving the few functions an agent needs from Java
 * keeps the sandbox contract of {@link WasiConfig} exactly: output goes straight to the given streams
 * (the agent's log), there are no descriptors beyond 0, 1 and 2, and nothing of the host leaks in.
 * Since host calls cost no fuel on either engine, a WASI agent uses the same fuel here as on Chicory.
 *
 * <p>Behaviour follows Chicory's WASI as the runtime configures it, so an agent sees the same on
 * both engines: stdin is empty, stdout and stderr are not terminals ({@code fd_fdstat_get} reports
 * an unknown file type), the real-time and monotonic clocks work and the CPU-time clocks answer
 * {@code ENOTSUP}, there is no preopened directory (so every {@code path_*} call fails), and
 * {@code proc_exit} ends the call. {@code poll_oneoff} answers {@code ENOTSUP}: a host-side sleep
 * would hold the agent's thread where the execution timeout cannot interrupt it. Every other
 * function of preview 1 exists, so any module links, and answers {@code EBADF} for a descriptor that
 * is not open or {@code ENOSYS}.
 */
final class WasiPreview1 {

    /** Thrown by {@code proc_exit}: ends the guest's call; the message names the exit code. */
    static final class GuestExit extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int code;

        /** @param code the exit code the guest gave */
        GuestExit(int code) {
            super("exit code " + code, null, false, false);
            this.code = code;
        }

        /** @return the exit code the guest gave */
        int code() {
            return code;
        }
    }

    // Error numbers of WASI preview 1.
    static final int SUCCESS = 0;
    static final int EBADF = 8;
    static final int EINVAL = 28;
    static final int ENOSYS = 52;
    static final int ENOTDIR = 54;
    static final int ENOTSUP = 58;
    static final int ESPIPE = 70;

    private static final long RIGHT_FD_READ = 1L << 1;
    private static final long RIGHT_FD_WRITE = 1L << 6;
    /** The most iovecs one read or write may list, as POSIX's IOV_MAX commonly is. */
    private static final int MAX_IOVECS = 1024;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[][] args;
    private final byte[][] env;
    private final OutputStream stdout;
    private final OutputStream stderr;
    // Descriptors 0, 1 and 2, until the guest closes them.
    private final boolean[] open = {true, true, true};

    private WasiPreview1(WasiConfig config) {
        this.args = encode(config.args());
        List<String> vars = new ArrayList<>();
        for (Map.Entry<String, String> e : config.env().entrySet()) {
            vars.add(e.getKey() + "=" + e.getValue());
        }
        vars.sort(null);
        this.env = encode(vars);
        this.stdout = config.stdout();
        this.stderr = config.stderr();
    }

    private static byte[][] encode(List<String> strings) {
        byte[][] out = new byte[strings.size()][];
        for (int i = 0; i < out.length; i++) {
            byte[] s = strings.get(i).getBytes(StandardCharsets.UTF_8);
            out[i] = java.util.Arrays.copyOf(s, s.length + 1); // NUL-terminated, as C expects
        }
        return out;
    }

    /**
     * The functions for one instance.
     *
     * @param config the sandbox: arguments, environment, where output goes
     * @return every function of WASI preview 1, each bound to this instance's descriptors
     */
    static List<HostFunction> functions(WasiConfig config) {
        return new WasiPreview1(config).all();
    }

    private interface Impl {
        int call(GuestMemory m, long[] a);
    }

    private final List<HostFunction> list = new ArrayList<>();

    private void add(String name, String params, Impl impl) {
        list.add(new HostFunction(WasiConfig.MODULE, name, FunctionType.of(types(params), List.of(ValueType.I32)),
                (m, a) -> new long[] {impl.call(m, a)}));
    }

    private static List<ValueType> types(String spec) {
        List<ValueType> out = new ArrayList<>(spec.length());
        for (char c : spec.toCharArray()) {
            out.add(c == 'I' ? ValueType.I64 : ValueType.I32);
        }
        return out;
    }

    /** Parameter lists below: 'i' an i32, 'I' an i64. Every function returns an errno (i32). */
    private List<HostFunction> all() {
        add("args_get", "ii", (m, a) -> strings(m, args, a[0], a[1]));
        add("args_sizes_get", "ii", (m, a) -> sizes(m, args, a[0], a[1]));
        add("environ_get", "ii", (m, a) -> strings(m, env, a[0], a[1]));
        add("environ_sizes_get", "ii", (m, a) -> sizes(m, env, a[0], a[1]));
        add("clock_res_get", "ii", (m, a) -> clock(m, (int) a[0], a[1], true));
        add("clock_time_get", "iIi", (m, a) -> clock(m, (int) a[0], a[2], false));
        add("fd_write", "iiii", (m, a) -> write(m, (int) a[0], a[1], (int) a[2], a[3]));
        add("fd_read", "iiii", (m, a) -> read(m, (int) a[0], a[1], (int) a[2], a[3]));
        add("fd_fdstat_get", "ii", (m, a) -> fdstat(m, (int) a[0], a[1]));
        add("fd_close", "i", (m, a) -> close((int) a[0]));
        add("fd_seek", "iIii", (m, a) -> stdio((int) a[0], ESPIPE));
        add("fd_tell", "ii", (m, a) -> stdio((int) a[0], ESPIPE));
        add("fd_prestat_get", "ii", (m, a) -> stdio((int) a[0], EBADF));
        add("fd_prestat_dir_name", "iii", (m, a) -> stdio((int) a[0], EBADF));
        add("random_get", "ii", (m, a) -> random(m, a[0], (int) a[1]));
        add("sched_yield", "", (m, a) -> SUCCESS);
        add("poll_oneoff", "iiii", (m, a) -> ENOTSUP);
        add("proc_raise", "i", (m, a) -> ENOSYS);
        list.add(new HostFunction(WasiConfig.MODULE, "proc_exit", FunctionType.of(List.of(ValueType.I32), List.of()),
                (m, a) -> {
                    throw new GuestExit((int) a[0]);
                }));
        // Descriptor operations no stdio stream supports.
        for (String[] f : new String[][] {{"fd_advise", "iIIi"}, {"fd_allocate", "iII"}, {"fd_datasync", "i"},
                {"fd_fdstat_set_flags", "ii"}, {"fd_fdstat_set_rights", "iII"}, {"fd_filestat_get", "ii"},
                {"fd_filestat_set_size", "iI"}, {"fd_filestat_set_times", "iIIi"}, {"fd_pread", "iiiIi"},
                {"fd_pwrite", "iiiIi"}, {"fd_readdir", "iiiIi"}, {"fd_renumber", "ii"}, {"fd_sync", "i"}}) {
            add(f[0], f[1], (m, a) -> stdio((int) a[0], ENOSYS));
        }
        // Paths resolve against a directory descriptor, and there is none.
        for (String[] f : new String[][] {{"path_create_directory", "iii"}, {"path_filestat_get", "iiiii"},
                {"path_filestat_set_times", "iiiiIIi"}, {"path_link", "iiiiiii"}, {"path_open", "iiiiiIIii"},
                {"path_readlink", "iiiiii"}, {"path_remove_directory", "iii"}, {"path_rename", "iiiiii"},
                {"path_unlink_file", "iii"}}) {
            add(f[0], f[1], (m, a) -> stdio((int) a[0], ENOTDIR));
        }
        add("path_symlink", "iiiii", (m, a) -> stdio((int) a[2], ENOTDIR));
        for (String[] f : new String[][] {{"sock_accept", "iii"}, {"sock_recv", "iiiiii"}, {"sock_send", "iiiii"},
                {"sock_shutdown", "ii"}}) {
            add(f[0], f[1], (m, a) -> stdio((int) a[0], ENOSYS));
        }
        return List.copyOf(list);
    }

    /** {@code ifOpen} for an open stdio descriptor, EBADF for any other. */
    private int stdio(int fd, int ifOpen) {
        return fd >= 0 && fd < open.length && open[fd] ? ifOpen : EBADF;
    }

    private static int sizes(GuestMemory m, byte[][] strings, long countPtr, long bytesPtr) {
        long total = 0;
        for (byte[] s : strings) {
            total += s.length;
        }
        putInt(m, countPtr, strings.length);
        putInt(m, bytesPtr, (int) total);
        return SUCCESS;
    }

    private static int strings(GuestMemory m, byte[][] strings, long pointers, long buffer) {
        long at = buffer;
        for (int i = 0; i < strings.length; i++) {
            putInt(m, pointers + 4L * i, (int) at);
            m.write(at, strings[i]);
            at += strings[i].length;
        }
        return SUCCESS;
    }

    private static int clock(GuestMemory m, int id, long resultPtr, boolean resolution) {
        long value;
        switch (id) {
            case 0 -> {
                if (resolution) {
                    value = 1_000;
                } else {
                    Instant now = Instant.now();
                    value = now.getEpochSecond() * 1_000_000_000L + now.getNano();
                }
            }
            case 1 -> value = resolution ? 1 : System.nanoTime();
            case 2, 3 -> {
                return ENOTSUP;
            }
            default -> {
                return EINVAL;
            }
        }
        putLong(m, resultPtr, value);
        return SUCCESS;
    }

    private int write(GuestMemory m, int fd, long iovs, int count, long writtenPtr) {
        OutputStream to = fd == 1 ? stdout : fd == 2 ? stderr : null;
        if (to == null || !open[fd]) {
            return stdio(fd, EBADF);
        }
        if (count < 0 || count > MAX_IOVECS) {
            return EINVAL;
        }
        long written = 0;
        try {
            for (int i = 0; i < count; i++) {
                long ptr = Integer.toUnsignedLong(getInt(m, iovs + 8L * i));
                int len = getInt(m, iovs + 8L * i + 4);
                if (len < 0) {
                    return EINVAL;
                }
                if (len > 0) {
                    to.write(m.read(ptr, len));
                    written += len;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing the agent's output", e);
        }
        putInt(m, writtenPtr, (int) written);
        return SUCCESS;
    }

    private int read(GuestMemory m, int fd, long iovs, int count, long readPtr) {
        if (fd != 0 || !open[0]) {
            return stdio(fd, EBADF);
        }
        if (count < 0 || count > MAX_IOVECS) {
            return EINVAL;
        }
        m.checkBounds(iovs, 8L * count);
        putInt(m, readPtr, 0); // stdin is empty: end of file at once
        return SUCCESS;
    }

    private int fdstat(GuestMemory m, int fd, long ptr) {
        if (stdio(fd, SUCCESS) != SUCCESS) {
            return EBADF;
        }
        byte[] stat = new byte[24]; // filetype 0 (unknown: not a terminal), no flags
        long rights = fd == 0 ? RIGHT_FD_READ : RIGHT_FD_WRITE;
        for (int i = 0; i < 8; i++) {
            stat[8 + i] = (byte) (rights >>> (8 * i));
        }
        m.write(ptr, stat);
        return SUCCESS;
    }

    private int close(int fd) {
        if (stdio(fd, SUCCESS) != SUCCESS) {
            return EBADF;
        }
        open[fd] = false;
        return SUCCESS;
    }

    private static int random(GuestMemory m, long ptr, int len) {
        if (len < 0) {
            return EINVAL;
        }
        m.checkBounds(ptr, len);
        byte[] bytes = new byte[len];
        RANDOM.nextBytes(bytes);
        m.write(ptr, bytes);
        return SUCCESS;
    }

    private static int getInt(GuestMemory m, long at) {
        byte[] b = m.read(at, 4);
        return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
    }

    private static void putInt(GuestMemory m, long at, int v) {
        m.write(at, new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)});
    }

    private static void putLong(GuestMemory m, long at, long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        m.write(at, b);
    }
}
