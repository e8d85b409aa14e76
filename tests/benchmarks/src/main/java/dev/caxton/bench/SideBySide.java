package dev.caxton.bench;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.caxton.runtime.CaxtonNode;
import dev.caxton.runtime.api.DeploySpec;
import dev.caxton.runtime.api.ExtismSettings;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.Performative;
import dev.caxton.testkit.Wat;
import dev.caxton.testkit.WatAgents;
import org.extism.sdk.chicory.Manifest;
import org.extism.sdk.chicory.ManifestWasm;
import org.extism.sdk.chicory.Plugin;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * The paths {@link SideBySideBenchmarks} compares, each echoing the same 128 bytes: the bare Chicory
 * call on the compiled echo module (the floor), the Extism Java SDK's {@code plugin.call} on an
 * equivalent Extism plugin, and Caxton's node (routed request→reply into the echo agent, a window of
 * requests in flight, fire-and-forget into one agent, each also with the agent deployed with codec
 * {@code msgpack}, and the same Extism plugin deployed as an agent). Kept apart from the JMH class so a unit test can check each path returns the echoed bytes.
 */
final class SideBySide implements AutoCloseable {

    /** The payload every path echoes: 128 ASCII bytes that are not JSON, so Caxton keeps them a string. */
    static final String PAYLOAD = payload();
    /** Requests in flight in {@link #caxtonRequestWindow()}; half a normal mailbox, so none is refused. */
    static final int WINDOW = 500;
    /** Messages per {@link #caxtonFireAndForget()}. */
    static final int BATCH = 500;

    /**
     * An Extism plugin that copies its input into its output through the kernel, eight bytes per
     * host call and the tail byte by byte, and returns 0: what every PDK's echo does, without a
     * PDK's own copies into linear memory. Both Extism hosts (the SDK's kernel and Caxton's) run it.
     */
    static final String EXTISM_ECHO = """
            (module
              (import "extism:host/env" "input_length" (func $input_length (result i64)))
              (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
              (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
              (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
              (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
              (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
              (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
              (memory (export "memory") 1)
              (func (export "echo") (result i32)
                (local $n i64) (local $out i64) (local $i i64)
                (local.set $n (call $input_length))
                (local.set $out (call $alloc (local.get $n)))
                (block $words
                  (loop $word
                    (br_if $words (i64.gt_u (i64.add (local.get $i) (i64.const 8)) (local.get $n)))
                    (call $store_u64 (i64.add (local.get $out) (local.get $i)) (call $input_load_u64 (local.get $i)))
                    (local.set $i (i64.add (local.get $i) (i64.const 8)))
                    (br $word)))
                (block $bytes
                  (loop $byte
                    (br_if $bytes (i64.ge_u (local.get $i) (local.get $n)))
                    (call $store_u8 (i64.add (local.get $out) (local.get $i)) (call $input_load_u8 (local.get $i)))
                    (local.set $i (i64.add (local.get $i) (i64.const 1)))
                    (br $byte)))
                (call $output_set (local.get $out) (local.get $n))
                (i32.const 0)))
            """;

    private static final Duration WAIT = Duration.ofSeconds(30);
    // The shortest sleep of a sender waiting for its fire-and-forget batch to be handled.
    private static final long MIN_POLL_NANOS = 20_000;

    private final byte[] payloadBytes = PAYLOAD.getBytes(StandardCharsets.US_ASCII);
    private Instance bare;
    private ExportFunction bareAlloc;
    private ExportFunction bareHandle;
    private Memory bareMemory;
    private Plugin extism;
    private CaxtonNode node;
    private long sunk;
    private long sunkMsgpack;

    /**
     * Builds the paths asked for, and only those: a node's threads running beside the bare call or
     * the Extism SDK would take CPU from them and count in their CPU time.
     *
     * @param chicoryMode the Caxton node's Chicory mode ({@code compiler} is what the other two use)
     * @param withBare    build the bare Chicory call
     * @param withExtism  build the Extism SDK plugin
     * @param withNode    start the Caxton node and deploy its agents
     */
    SideBySide(String chicoryMode, boolean withBare, boolean withExtism, boolean withNode) {
        byte[] echo = BenchNode.resource("/echo.wasm");
        byte[] extismEcho = Wat.compile(EXTISM_ECHO);
        if (withBare) {
            startBare(echo);
        }
        if (withExtism) {
            // AoT: the SDK's compiled mode, as a Java team picking it for speed would run it.
            extism = Plugin.ofManifest(Manifest.ofWasms(ManifestWasm.fromBytes(extismEcho).build())
                    .withOptions(new Manifest.Options().withAoT()).build()).build();
        }
        if (withNode) {
            node = BenchNode.start(chicoryMode, Map.of()).node();
            node.deploy(new DeploySpec("echo", echo, List.of(), null, null, null, null));
            node.deploy(new DeploySpec("sink", Wat.compile(WatAgents.SILENT), List.of(), null, null, null, null));
            // The same echo module with the MessagePack codec: it returns its input, so either codec works.
            node.deploy(new DeploySpec("echo-msgpack", echo, List.of(), null, "msgpack", null, null));
            node.deploy(new DeploySpec("sink-msgpack", Wat.compile(WatAgents.SILENT), List.of(), null, "msgpack",
                    null, null));
            node.deploy(new DeploySpec("extism-echo", extismEcho, List.of(), null, null, null, null, null, false,
                    new ExtismSettings("echo", Map.of())));
        }
    }

    private void startBare(byte[] echo) {
        WasmModule module = Parser.parse(echo);
        // The echo agent logs once from init, which the bare call never runs; its import still needs a body.
        HostFunction log = new HostFunction("caxton", "log",
                FunctionType.of(List.of(ValType.I32, ValType.I32, ValType.I32), List.of()), (inst, args) -> null);
        bare = Instance.builder(module)
                .withMachineFactory(MachineFactoryCompiler.builder(module).compile())
                .withImportValues(ImportValues.builder().addFunction(log).build())
                .build();
        bareAlloc = bare.export("alloc");
        bareHandle = bare.export("handle_message");
        bareMemory = bare.memory();
    }

    /** @return the 128 bytes: the floor, alloc, copy in, {@code handle_message}, copy out */
    byte[] bareChicory() {
        int ptr = (int) bareAlloc.apply(payloadBytes.length)[0];
        bareMemory.write(ptr, payloadBytes);
        long reply = bareHandle.apply(ptr, payloadBytes.length)[0];
        return bareMemory.readBytes((int) (reply >>> 32), (int) reply);
    }

    /** @return the 128 bytes, through the Extism SDK */
    byte[] extismCall() {
        return extism.call("echo", payloadBytes);
    }

    /** @return the echo agent's reply to a request whose caller waits at once (the API's {@code wait_ms}) */
    Envelope caxtonRequestReply() throws ExecutionException, InterruptedException {
        return node.request(request("echo"), WAIT, true).get();
    }

    /** @return the reply of the echo agent deployed with codec {@code msgpack}, the caller waiting at once */
    Envelope caxtonMsgpackRequestReply() throws ExecutionException, InterruptedException {
        return node.request(request("echo-msgpack"), WAIT, true).get();
    }

    /** @return the Extism plugin's reply, run as a Caxton agent, to a request whose caller waits at once */
    Envelope caxtonExtismRequestReply() throws ExecutionException, InterruptedException {
        return node.request(request("extism-echo"), WAIT, true).get();
    }

    /**
     * {@link #WINDOW} requests in flight into the one echo agent, every reply awaited.
     *
     * @return the last reply
     */
    Envelope caxtonRequestWindow() throws ExecutionException, InterruptedException {
        return requestWindow("echo");
    }

    /** @return the last reply of {@link #WINDOW} requests in flight into the msgpack echo agent */
    Envelope caxtonMsgpackRequestWindow() throws ExecutionException, InterruptedException {
        return requestWindow("echo-msgpack");
    }

    private Envelope requestWindow(String receiver) throws ExecutionException, InterruptedException {
        @SuppressWarnings("unchecked")
        CompletableFuture<Envelope>[] replies = new CompletableFuture[WINDOW];
        for (int i = 0; i < WINDOW; i++) {
            replies[i] = node.request(request(receiver), WAIT, false);
        }
        CompletableFuture.allOf(replies).get();
        return replies[WINDOW - 1].get();
    }

    /**
     * {@link #BATCH} messages sent into an agent that never answers, then waits until it has handled
     * them all (so the figure is messages handled, not merely queued).
     *
     * @return how many messages the sink has handled in all
     */
    long caxtonFireAndForget() throws TimeoutException {
        sunk += BATCH;
        return fireAndForget("sink", sunk);
    }

    /** @return how many messages the msgpack sink has handled in all, after {@link #BATCH} more */
    long caxtonMsgpackFireAndForget() throws TimeoutException {
        sunkMsgpack += BATCH;
        return fireAndForget("sink-msgpack", sunkMsgpack);
    }

    private long fireAndForget(String sink, long total) throws TimeoutException {
        for (int i = 0; i < BATCH; i++) {
            node.send(Envelope.builder(Performative.INFORM).receiver(sink).content(PAYLOAD).build());
        }
        long sent = System.nanoTime();
        long deadline = sent + WAIT.toNanos();
        long handled;
        long atSent = -1;
        while ((handled = node.agent(sink).orElseThrow().messagesHandled()) < total) {
            long now = System.nanoTime();
            if (now > deadline) {
                throw new TimeoutException("the " + sink + " handled " + handled + " of " + total + " messages in " + WAIT);
            }
            if (atSent < 0) {
                atSent = handled;
            }
            // Sleeps, not spinning, which would take a core from the agent's worker on a 2-core
            // machine. Half the time the rest should take at the rate seen since the sends ended, so
            // the sender wakes a handful of times a batch and never sleeps far past the last message;
            // polling every 20 µs woke it some 25 times a batch, each wake taking CPU from the worker.
            long progress = handled - atSent;
            long park = progress <= 0 ? MIN_POLL_NANOS
                    : Math.max(MIN_POLL_NANOS, (now - sent) * (total - handled) / progress / 2);
            LockSupport.parkNanos(park);
        }
        return handled;
    }

    /** @return the node the Caxton paths run on */
    CaxtonNode node() {
        return node;
    }

    private static Envelope request(String receiver) {
        return Envelope.builder(Performative.REQUEST).receiver(receiver).content(PAYLOAD).build();
    }

    private static String payload() {
        StringBuilder b = new StringBuilder(128);
        while (b.length() < 128) {
            b.append("side by side echo ");
        }
        return b.substring(0, 128);
    }

    @Override
    public void close() {
        if (node != null) {
            node.close();
        }
    }
}
