package dev.caxton.runtime.agent;

import dev.caxton.spi.engine.FunctionType;
import dev.caxton.spi.engine.HostFunction;
import dev.caxton.spi.engine.ValueType;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * The Extism host ABI ({@code extism:host/env}) for one Extism plugin run as an agent: memory blocks,
 * the call's input and output, its error, configuration, vars and logging.
 *
 * <p>Blocks live on the Java heap, not in the plugin's linear memory: the plugin names them by
 * offsets in an address space of their own, and every offset it hands back is checked against the
 * live blocks, so a bad offset or length is a fault that says what was wrong instead of a read of
 * whatever lies there. The blocks of one call together are bounded by the agent's memory limit, so
 * a plugin that allocates in a loop faults instead of filling the heap. Blocks last one call; vars
 * last as long as the agent (bounded in count and bytes).
 *
 * <p>Not thread-safe: the agent calls into its instance from one thread at a time.
 */
public final class ExtismKernel {

    /** The import module of the kernel's functions. */
    public static final String MODULE = "extism:host/env";
    /** The import module of Extism user host functions: Caxton's own imports, offered to plugins. */
    public static final String USER_MODULE = "extism:host/user";
    /** Most vars one plugin may keep. */
    public static final int MAX_VARS = 1024;
    /** Most bytes of vars (keys and values) one plugin may keep. */
    public static final int MAX_VAR_BYTES = 1024 * 1024;

    private static final ValueType I32 = ValueType.I32;
    private static final byte[] EMPTY = new byte[0];
    // Shared by every host function without results: a zero-length array has nothing to change.
    private static final long[] NO_RESULTS = new long[0];
    private static final ValueType I64 = ValueType.I64;

    /** Every function of {@link #MODULE} this kernel offers, with its signature. */
    public static final Map<String, FunctionType> FUNCTIONS;

    static {
        Map<String, FunctionType> m = new LinkedHashMap<>();
        m.put("alloc", sig(List.of(I64), List.of(I64)));
        m.put("free", sig(List.of(I64), List.of()));
        m.put("length", sig(List.of(I64), List.of(I64)));
        m.put("length_unsafe", sig(List.of(I64), List.of(I64)));
        m.put("load_u8", sig(List.of(I64), List.of(I32)));
        m.put("load_u64", sig(List.of(I64), List.of(I64)));
        m.put("store_u8", sig(List.of(I64, I32), List.of()));
        m.put("store_u64", sig(List.of(I64, I64), List.of()));
        m.put("input_length", sig(List.of(), List.of(I64)));
        m.put("input_offset", sig(List.of(), List.of(I64)));
        m.put("input_load_u8", sig(List.of(I64), List.of(I32)));
        m.put("input_load_u64", sig(List.of(I64), List.of(I64)));
        m.put("output_set", sig(List.of(I64, I64), List.of()));
        m.put("error_set", sig(List.of(I64), List.of()));
        m.put("error_get", sig(List.of(), List.of(I64)));
        m.put("config_get", sig(List.of(I64), List.of(I64)));
        m.put("var_get", sig(List.of(I64), List.of(I64)));
        m.put("var_set", sig(List.of(I64, I64), List.of()));
        m.put("http_request", sig(List.of(I64, I64), List.of(I64)));
        m.put("http_status_code", sig(List.of(), List.of(I32)));
        m.put("http_headers", sig(List.of(), List.of(I64)));
        m.put("log_trace", sig(List.of(I64), List.of()));
        m.put("log_debug", sig(List.of(I64), List.of()));
        m.put("log_info", sig(List.of(I64), List.of()));
        m.put("log_warn", sig(List.of(I64), List.of()));
        m.put("log_error", sig(List.of(I64), List.of()));
        m.put("get_log_level", sig(List.of(), List.of(I32)));
        m.put("reset", sig(List.of(), List.of()));
        FUNCTIONS = Collections.unmodifiableMap(m);
    }

    /**
     * Caxton's imports as Extism user host functions ({@link #USER_MODULE}): the same names and
     * meaning as in module {@code caxton}, with kernel offsets instead of pointer and length, and i64
     * throughout as Extism's PDKs declare host functions.
     */
    public static final Map<String, FunctionType> USER_FUNCTIONS;

    static {
        Map<String, FunctionType> m = new LinkedHashMap<>();
        m.put(AbiContract.SEND_MESSAGE, sig(List.of(I64), List.of(I64)));
        m.put(AbiContract.REGISTER_CAPABILITY, sig(List.of(I64), List.of(I64)));
        m.put(AbiContract.NOW_MILLIS, sig(List.of(), List.of(I64)));
        m.put(AbiContract.SET_TIMER, sig(List.of(I64, I64), List.of(I64)));
        m.put(AbiContract.CANCEL_TIMER, sig(List.of(I64), List.of(I64)));
        USER_FUNCTIONS = Collections.unmodifiableMap(m);
    }

    private static FunctionType sig(List<ValueType> p, List<ValueType> r) {
        return new FunctionType(p, r);
    }

    /**
     * A fault the kernel detects: a bad offset, a length past a block, an allocation over the limit,
     * a refused request. It ends the call; the agent reports its message.
     */
    public static final class KernelFault extends RuntimeException {
        private static final long serialVersionUID = 1L;

        KernelFault(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * What a call left behind.
     *
     * @param output the output the plugin set, or null when it set none
     * @param error  the error the plugin set, or null when it set none
     */
    public record Outcome(byte[] output, String error) {
    }

    // Offsets start above 0: 0 means "none" in the ABI (a missing config key, no error).
    private static final long FIRST_OFFSET = 8;

    /** Most bytes of one HTTP response body a plugin may receive. */
    public static final int MAX_HTTP_RESPONSE = 1024 * 1024;
    /** How long one HTTP request may take, connecting included. */
    public static final java.time.Duration HTTP_TIMEOUT = java.time.Duration.ofSeconds(10);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final long limitBytes;
    private final Map<String, String> config;
    private final List<String> allowedHosts;
    private java.net.http.HttpClient http;
    private int httpStatus;
    private final BiConsumer<System.Logger.Level, String> log;
    private final TreeMap<Long, byte[]> blocks = new TreeMap<>();
    private final Map<String, byte[]> vars = new LinkedHashMap<>();
    private long varBytes;
    private long next = FIRST_OFFSET;
    private long allocated;
    private long inputOffset;
    private byte[] input = EMPTY;
    // The block the last load or store landed in: a plugin copying data walks one block eight bytes
    // at a time, and asking the tree each time cost a lookup and a boxed key per access.
    private long lastStart = -1;
    private byte[] lastBlock;
    // Where in its block the last slot() address lies (read right after the call, on one thread).
    private int slotIndex;
    private byte[] output;
    private String error;

    /**
     * A kernel with no vars yet.
     *
     * @param limitBytes the most bytes the blocks of one call may hold together (the agent's memory limit)
     * @param config     what {@code config_get} answers
     * @param log        where {@code log_*} lines go
     */
    public ExtismKernel(long limitBytes, Map<String, String> config, BiConsumer<System.Logger.Level, String> log) {
        this(limitBytes, config, List.of(), log);
    }

    /**
     * A kernel with no vars yet whose {@code http_request} may reach the given hosts.
     *
     * @param limitBytes   the most bytes the blocks of one call may hold together (the agent's memory limit)
     * @param config       what {@code config_get} answers
     * @param allowedHosts the hosts {@code http_request} may reach, lower case; empty refuses every request
     * @param log          where {@code log_*} lines go
     */
    public ExtismKernel(long limitBytes, Map<String, String> config, List<String> allowedHosts,
                        BiConsumer<System.Logger.Level, String> log) {
        this.limitBytes = limitBytes;
        this.config = Map.copyOf(config);
        this.allowedHosts = List.copyOf(allowedHosts);
        this.log = log;
    }

    /**
     * Starts a call: forgets the blocks, output and error of the last one and makes the input a block.
     *
     * @param in the input
     */
    public void begin(byte[] in) {
        beginOwned(in.clone());
    }

    /**
     * Starts a call on an input the caller hands over: the kernel keeps the array, so the caller
     * must not change it during the call (the agent passes an array made for this call alone).
     *
     * @param in the input, no longer the caller's
     */
    void beginOwned(byte[] in) {
        clear();
        input = in;
        inputOffset = allocate(input.length);
        System.arraycopy(input, 0, blocks.get(inputOffset), 0, input.length);
    }

    /**
     * Ends a call: what it left behind; the blocks are freed.
     *
     * @return the output and error
     */
    public Outcome end() {
        Outcome o = new Outcome(output, error);
        clear();
        return o;
    }

    private void clear() {
        blocks.clear();
        allocated = 0;
        next = FIRST_OFFSET;
        input = EMPTY;
        inputOffset = 0;
        forgetLastBlock();
        output = null;
        error = null;
    }

    /** @return the bytes the live blocks hold */
    public long allocatedBytes() {
        return allocated;
    }

    /** @return a copy of the vars */
    public Map<String, byte[]> vars() {
        Map<String, byte[]> copy = new LinkedHashMap<>();
        vars.forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
    }

    /**
     * Replaces the vars (a durable agent's saved vars after a restart).
     *
     * @param saved the vars
     */
    public void restoreVars(Map<String, byte[]> saved) {
        vars.clear();
        varBytes = 0;
        saved.forEach((k, v) -> {
            vars.put(k, v.clone());
            varBytes += k.getBytes(StandardCharsets.UTF_8).length + v.length;
        });
    }

    /**
     * The vars as bytes, for a durable agent's checkpoint: a count, then each key and value with its length.
     *
     * @return the bytes
     */
    public byte[] encodeVars() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            out.writeInt(vars.size());
            for (Map.Entry<String, byte[]> e : vars.entrySet()) {
                byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
                out.writeInt(k.length);
                out.write(k);
                out.writeInt(e.getValue().length);
                out.write(e.getValue());
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Replaces the vars with what {@link #encodeVars()} wrote; empty bytes mean no vars.
     *
     * @param encoded the bytes
     * @throws IllegalArgumentException when they are not in that form
     */
    public void restoreVars(byte[] encoded) {
        Map<String, byte[]> saved = new LinkedHashMap<>();
        if (encoded.length > 0) {
            try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(encoded))) {
                int n = in.readInt();
                for (int i = 0; i < n; i++) {
                    String k = new String(in.readNBytes(in.readInt()), StandardCharsets.UTF_8);
                    saved.put(k, in.readNBytes(in.readInt()));
                }
            } catch (java.io.IOException | RuntimeException e) {
                throw new IllegalArgumentException("the saved vars are damaged: " + e.getMessage(), e);
            }
        }
        restoreVars(saved);
    }

    /**
     * The kernel's functions, to link into the plugin's instance.
     *
     * @return one host function per entry of {@link #FUNCTIONS}
     */
    public List<HostFunction> hostFunctions() {
        Map<String, HostFunction.Body> b = new LinkedHashMap<>();
        b.put("alloc", (m, a) -> one(alloc(a[0])));
        b.put("free", (m, a) -> none(() -> free(a[0])));
        b.put("length", (m, a) -> one(length(a[0])));
        b.put("length_unsafe", (m, a) -> one(length(a[0])));
        b.put("load_u8", (m, a) -> {
            byte[] block = slot(a[0], 1, "load_u8");
            return one(block[slotIndex] & 0xFF);
        });
        b.put("load_u64", (m, a) -> {
            byte[] block = slot(a[0], 8, "load_u64");
            return one(getLong(block, slotIndex));
        });
        b.put("store_u8", (m, a) -> {
            byte[] block = slot(a[0], 1, "store_u8");
            block[slotIndex] = (byte) a[1];
            return NO_RESULTS;
        });
        b.put("store_u64", (m, a) -> {
            byte[] block = slot(a[0], 8, "store_u64");
            putLong(block, slotIndex, a[1]);
            return NO_RESULTS;
        });
        b.put("input_length", (m, a) -> one(input.length));
        b.put("input_offset", (m, a) -> one(inputOffset));
        b.put("input_load_u8", (m, a) -> one(input[inputIndex(a[0], 1, "input_load_u8")] & 0xFF));
        b.put("input_load_u64", (m, a) -> one(getLong(input, inputIndex(a[0], 8, "input_load_u64"))));
        b.put("output_set", (m, a) -> none(() -> output = read(a[0], a[1], "output_set")));
        b.put("error_set", (m, a) -> none(() -> error = a[0] == 0 ? null : text(a[0], "error_set")));
        b.put("error_get", (m, a) -> one(error == null ? 0 : put(error.getBytes(StandardCharsets.UTF_8))));
        b.put("config_get", (m, a) -> one(configGet(a[0])));
        b.put("var_get", (m, a) -> one(varGet(a[0])));
        b.put("var_set", (m, a) -> none(() -> varSet(a[0], a[1])));
        b.put("http_request", (m, a) -> one(httpRequest(a[0], a[1])));
        b.put("http_status_code", (m, a) -> one(httpStatus));
        b.put("http_headers", (m, a) -> one(0));
        b.put("log_trace", (m, a) -> none(() -> logAt(System.Logger.Level.TRACE, a[0])));
        b.put("log_debug", (m, a) -> none(() -> logAt(System.Logger.Level.DEBUG, a[0])));
        b.put("log_info", (m, a) -> none(() -> logAt(System.Logger.Level.INFO, a[0])));
        b.put("log_warn", (m, a) -> none(() -> logAt(System.Logger.Level.WARNING, a[0])));
        b.put("log_error", (m, a) -> none(() -> logAt(System.Logger.Level.ERROR, a[0])));
        // 0 is Extism's "trace": the plugin sends every line and the agent's log filters and rate-limits them.
        b.put("get_log_level", (m, a) -> one(0));
        b.put("reset", (m, a) -> none(this::resetBlocks));
        List<HostFunction> out = new ArrayList<>();
        FUNCTIONS.forEach((name, type) -> out.add(new HostFunction(MODULE, name, type, b.get(name))));
        return out;
    }

    private static long[] one(long v) {
        return new long[] {v};
    }

    private static long[] none(Runnable r) {
        r.run();
        return NO_RESULTS;
    }

    // ------------------------------------------------------------------ blocks

    /**
     * {@code alloc}: a zeroed block of {@code n} bytes.
     *
     * @param n the size
     * @return its offset
     */
    long alloc(long n) {
        if (n < 0) {
            throw new KernelFault("alloc of " + n + " bytes: a size cannot be negative");
        }
        return allocate(n);
    }

    private long allocate(long n) {
        if (n > Integer.MAX_VALUE - 8 || allocated + n > limitBytes) {
            throw new KernelFault("alloc of " + n + " bytes would bring the plugin's Extism memory to " + (allocated + n)
                    + " bytes, over the agent's memory limit of " + limitBytes + " bytes");
        }
        long at = next;
        blocks.put(at, new byte[(int) n]);
        allocated += n;
        // Each block takes at least one address, so two blocks never share an offset; 8-aligned as
        // Extism's own kernel hands them out.
        next = at + ((Math.max(n, 1) + 7) & ~7L);
        return at;
    }

    private long put(byte[] bytes) {
        long at = allocate(bytes.length);
        System.arraycopy(bytes, 0, blocks.get(at), 0, bytes.length);
        return at;
    }

    private void free(long offset) {
        if (offset == 0) {
            return;
        }
        byte[] b = blocks.remove(offset);
        if (b == null) {
            throw new KernelFault("free(" + offset + "): no block starts at that offset" + nearest(offset));
        }
        allocated -= b.length;
        forgetLastBlock();
        if (offset == inputOffset) {
            inputOffset = 0;
        }
    }

    private void resetBlocks() {
        blocks.clear();
        forgetLastBlock();
        allocated = 0;
        inputOffset = 0;
    }

    private long length(long offset) {
        if (offset == 0) {
            return 0;
        }
        byte[] b = blocks.get(offset);
        if (b == null) {
            throw new KernelFault("length(" + offset + "): no block starts at that offset" + nearest(offset));
        }
        return b.length;
    }

    /**
     * The block holding {@code width} bytes from {@code address}, with {@link #slotIndex} set to
     * where the address lies in it; a fault when no live block does.
     */
    private byte[] slot(long address, int width, String what) {
        byte[] last = lastBlock;
        if (last != null && address >= lastStart && address - lastStart + width <= last.length) {
            slotIndex = (int) (address - lastStart);
            return last;
        }
        Map.Entry<Long, byte[]> e = address <= 0 ? null : blocks.floorEntry(address);
        if (e == null || address - e.getKey() + width > e.getValue().length) {
            throw new KernelFault(what + " at offset " + address + ": " + width + " byte(s) there are not inside an"
                    + " allocated block" + nearest(address));
        }
        lastStart = e.getKey();
        lastBlock = e.getValue();
        slotIndex = (int) (address - lastStart);
        return lastBlock;
    }

    /** Called whenever a block may have gone, so a freed block is never reached through the cache. */
    private void forgetLastBlock() {
        lastStart = -1;
        lastBlock = null;
    }

    private String nearest(long address) {
        Map.Entry<Long, byte[]> e = address <= 0 ? null : blocks.floorEntry(address);
        if (e == null) {
            return " (" + blocks.size() + " block(s) are allocated, none at or below it)";
        }
        return " (the nearest block below starts at " + e.getKey() + " and holds " + e.getValue().length + " bytes)";
    }

    private int inputIndex(long index, int width, String what) {
        if (index < 0 || index + width > input.length) {
            throw new KernelFault(what + " at input index " + index + ": past the input's " + input.length + " bytes");
        }
        return (int) index;
    }

    /** The bytes of a block from its start, {@code length} of them (all of it for {@code length} -1). */
    private byte[] read(long offset, long length, String what) {
        if (offset == 0 && length == 0) {
            return new byte[0];
        }
        byte[] b = blocks.get(offset);
        if (b == null) {
            throw new KernelFault(what + ": no block starts at offset " + offset + nearest(offset));
        }
        if (length < 0 || length > b.length) {
            throw new KernelFault(what + ": length " + length + " is past the " + b.length + " bytes of the block at " + offset);
        }
        return java.util.Arrays.copyOf(b, (int) length);
    }

    /**
     * A whole block as a memory of its own (address 0 is its first byte), so that the host functions
     * Caxton agents call with a pointer into linear memory can read a plugin's block instead.
     *
     * @param offset the block's offset
     * @param what   the function asking, for the fault's message
     * @return the view; reads and writes past its end are refused like any out-of-bounds access
     * @throws KernelFault when no block starts at {@code offset}
     */
    public dev.caxton.spi.engine.GuestMemory blockView(long offset, String what) {
        byte[] b = blocks.get(offset);
        if (b == null) {
            throw new KernelFault(what + ": no block starts at offset " + offset + nearest(offset));
        }
        return new dev.caxton.spi.engine.GuestMemory() {
            @Override
            public long size() {
                return b.length;
            }

            @Override
            public byte[] read(long address, int length) {
                checkBounds(address, length);
                return java.util.Arrays.copyOfRange(b, (int) address, (int) address + length);
            }

            @Override
            public void write(long address, byte[] bytes) {
                checkBounds(address, bytes.length);
                System.arraycopy(bytes, 0, b, (int) address, bytes.length);
            }
        };
    }

    private String text(long offset, String what) {
        byte[] b = blocks.get(offset);
        if (b == null) {
            throw new KernelFault(what + ": no block starts at offset " + offset + nearest(offset));
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    private static long getLong(byte[] b, int at) {
        // Little-endian, as WebAssembly memory is.
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[at + i] & 0xFFL);
        }
        return v;
    }

    private static void putLong(byte[] b, int at, long v) {
        for (int i = 0; i < 8; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    // ------------------------------------------------------------------ config, vars, log

    private long configGet(long keyOffset) {
        String value = config.get(text(keyOffset, "config_get"));
        return value == null ? 0 : put(value.getBytes(StandardCharsets.UTF_8));
    }

    private long varGet(long keyOffset) {
        byte[] value = vars.get(text(keyOffset, "var_get"));
        return value == null ? 0 : put(value);
    }

    private void varSet(long keyOffset, long valueOffset) {
        String key = text(keyOffset, "var_set");
        int keyBytes = key.getBytes(StandardCharsets.UTF_8).length;
        byte[] old = vars.get(key);
        long without = varBytes - (old == null ? 0 : keyBytes + old.length);
        if (valueOffset == 0) {
            if (old != null) {
                vars.remove(key);
                varBytes = without;
            }
            return;
        }
        byte[] value = read(valueOffset, length(valueOffset), "var_set");
        if (old == null && vars.size() >= MAX_VARS) {
            throw new KernelFault("var_set '" + key + "': the plugin keeps " + MAX_VARS + " vars already, the most allowed");
        }
        if (without + keyBytes + value.length > MAX_VAR_BYTES) {
            throw new KernelFault("var_set '" + key + "': " + value.length + " bytes would bring the plugin's vars to "
                    + (without + keyBytes + value.length) + " bytes; at most " + MAX_VAR_BYTES + " are allowed");
        }
        vars.put(key, value);
        varBytes = without + keyBytes + value.length;
    }

    /**
     * {@code http_request}: the request is a block of JSON ({@code url}, optional {@code method} and
     * {@code headers}), the body another block or 0. Refused unless the URL's host is in the allow-list;
     * redirects are not followed (they could lead off the list). The response body becomes a block.
     */
    private long httpRequest(long requestOffset, long bodyOffset) {
        httpStatus = 0;
        com.fasterxml.jackson.databind.JsonNode req;
        try {
            req = JSON.readTree(text(requestOffset, "http_request"));
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new KernelFault("http_request: the request is not JSON: " + e.getOriginalMessage());
        }
        String url = req.path("url").asText("");
        java.net.URI uri;
        try {
            uri = new java.net.URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new KernelFault("http_request: the url '" + url + "' is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new KernelFault("http_request: the url '" + url + "' must be http or https");
        }
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (allowedHosts.isEmpty()) {
            // Named, so that the author knows which host to give the flag.
            throw new KernelFault("http_request to '" + host + "' refused: this agent may reach no host (deploying it"
                    + " with --extism-allow-host " + bare + " opens a deliberate hole in the sandbox for that host; see"
                    + " docs/agent-guide.md, Extism plugins)");
        }
        if (!allowedHosts.contains(host) && !allowedHosts.contains(bare)) {
            throw new KernelFault("http_request to '" + host + "' refused: not in this agent's allow-list ("
                    + String.join(", ", allowedHosts) + ")");
        }
        byte[] body = bodyOffset == 0 ? new byte[0] : read(bodyOffset, length(bodyOffset), "http_request body");
        String method = req.path("method").asText("GET").toUpperCase(java.util.Locale.ROOT);
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(uri).timeout(HTTP_TIMEOUT);
        try {
            b.method(method, body.length == 0 ? java.net.http.HttpRequest.BodyPublishers.noBody()
                    : java.net.http.HttpRequest.BodyPublishers.ofByteArray(body));
            var headers = req.path("headers").properties();
            for (Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> h : headers) {
                b.header(h.getKey(), h.getValue().asText());
            }
        } catch (IllegalArgumentException e) {
            throw new KernelFault("http_request: " + e.getMessage());
        }
        try {
            java.net.http.HttpResponse<java.io.InputStream> r = client().send(b.build(),
                    java.net.http.HttpResponse.BodyHandlers.ofInputStream());
            byte[] got;
            try (java.io.InputStream in = r.body()) {
                got = in.readNBytes(MAX_HTTP_RESPONSE + 1);
            }
            if (got.length > MAX_HTTP_RESPONSE) {
                throw new KernelFault("http_request to '" + host + "': the response is over " + MAX_HTTP_RESPONSE + " bytes");
            }
            httpStatus = r.statusCode();
            return put(got);
        } catch (java.io.IOException e) {
            throw new KernelFault("http_request to '" + host + "' failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KernelFault("http_request to '" + host + "' interrupted");
        }
    }

    private java.net.http.HttpClient client() {
        if (http == null) {
            // Redirects are not followed: the next hop could be a host off the allow-list.
            http = java.net.http.HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT)
                    .followRedirects(java.net.http.HttpClient.Redirect.NEVER).build();
        }
        return http;
    }

    private void logAt(System.Logger.Level level, long offset) {
        log.accept(level, text(offset, "log"));
    }
}
