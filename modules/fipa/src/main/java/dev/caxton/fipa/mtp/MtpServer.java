package dev.caxton.fipa.mtp;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.caxton.fipa.envelope.EnvelopeException;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * The ingress side of the HTTP MTP: serves {@code POST /acc} with the JDK's HTTP server on virtual
 * threads.
 *
 * <p>Every request is answered, and none can take the node down: a body over the size limit is
 * refused with 413 before it is read, a body that is not an MTP message with 400 and the reason,
 * another method with 405, and whatever the handler refuses with its own status. Each refusal is
 * counted. A 200 only acknowledges transport, as SC00084 says: the handler's delivery work runs after
 * the answer is sent, and what fails there goes back to the sender as a FIPA message.
 */
public final class MtpServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(MtpServer.class.getName());

    /** What the handler decided about one decoded message. */
    public sealed interface Outcome {
    }

    /**
     * Taken: acknowledge with 200, then run the delivery.
     *
     * @param delivery what to do once the peer has its answer
     */
    public record Accept(Runnable delivery) implements Outcome {
    }

    /**
     * Refused.
     *
     * @param status the HTTP status
     * @param reason a sentence for the peer
     */
    public record Refuse(int status, String reason) implements Outcome {
    }

    /** Decides what to do with each decoded message. */
    @FunctionalInterface
    public interface Handler {
        /**
         * @param message the decoded envelope and payload
         * @return accept (with the delivery to run) or refuse
         */
        Outcome handle(MtpBody.Decoded message);
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Handler handler;
    private final long maxBody;
    private final LongAdder accepted = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    private final LongAdder tooLarge = new LongAdder();
    private final LongAdder refused = new LongAdder();

    /**
     * Starts serving.
     *
     * @param host           the address to bind
     * @param port           the port (0 for any free one)
     * @param maxBody        the largest body accepted, in bytes
     * @param maxConnections most connections open at once
     * @param requestTimeout how long a request may take to arrive
     * @param handler        decides about each message
     * @return the running server
     * @throws IOException when the address cannot be bound
     */
    public static MtpServer start(String host, int port, long maxBody, int maxConnections, Duration requestTimeout,
                                  Handler handler) throws IOException {
        return start(host, port, maxBody, maxConnections, requestTimeout, null, handler);
    }

    /**
     * Starts serving, over TLS when a context is given.
     *
     * @param host           the address to bind
     * @param port           the port (0 for any free one)
     * @param maxBody        the largest body accepted, in bytes
     * @param maxConnections most connections open at once
     * @param requestTimeout how long a request may take to arrive
     * @param tls            the TLS context (HTTPS only), or null for plain HTTP
     * @param handler        decides about each message
     * @return the running server
     * @throws IOException when the address cannot be bound
     */
    public static MtpServer start(String host, int port, long maxBody, int maxConnections, Duration requestTimeout,
                                  javax.net.ssl.SSLContext tls, Handler handler) throws IOException {
        // The JDK server reads its limits from system properties once, when its first instance is
        // made; this node starts one MTP server at most, before anything else uses that server.
        setIfAbsent("jdk.httpserver.maxConnections", Integer.toString(maxConnections));
        setIfAbsent("sun.net.httpserver.maxReqTime", Long.toString(Math.max(1, requestTimeout.toSeconds())));
        setIfAbsent("sun.net.httpserver.maxRspTime", Long.toString(Math.max(1, requestTimeout.toSeconds())));
        // A refused request's unread body is not drained (which would wait on a peer that sends no
        // more): the connection is closed instead. Accepted bodies are read in full anyway.
        setIfAbsent("sun.net.httpserver.drainAmount", "0");
        InetSocketAddress at = new InetSocketAddress(host, port);
        if (tls == null) {
            return new MtpServer(HttpServer.create(at, 64), maxBody, handler);
        }
        com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(at, 64);
        https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
        return new MtpServer(https, maxBody, handler);
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private MtpServer(HttpServer server, long maxBody, Handler handler) {
        this.server = server;
        this.maxBody = maxBody;
        this.handler = handler;
        server.setExecutor(executor);
        server.createContext("/acc", this::exchange);
        server.createContext("/", ex -> {
            refused.increment();
            answer(ex, 404, "the FIPA MTP is served at /acc");
        });
        server.start();
    }

    /** @return the bound address (with the real port when 0 was asked) */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    private void exchange(HttpExchange ex) throws IOException {
        try {
            if (!ex.getRequestMethod().equals("POST")) {
                refused.increment();
                ex.getResponseHeaders().set("Allow", "POST");
                answer(ex, 405, "the MTP takes POST");
                return;
            }
            String len = ex.getRequestHeaders().getFirst("Content-Length");
            long declared = -1;
            if (len != null) {
                try {
                    declared = Long.parseLong(len.strip());
                } catch (NumberFormatException e) {
                    malformed.increment();
                    answer(ex, 400, "Content-Length '" + len + "' is not a number");
                    return;
                }
            }
            if (declared > maxBody) {
                tooLarge.increment();
                answer(ex, 413, "the body is " + declared + " bytes; this platform takes at most " + maxBody
                        + " (fipa.http_mtp.max_body_size)");
                return;
            }
            byte[] body = read(ex.getRequestBody());
            if (body == null) {
                tooLarge.increment();
                answer(ex, 413, "the body is larger than " + maxBody + " bytes (fipa.http_mtp.max_body_size)");
                return;
            }
            MtpBody.Decoded decoded;
            try {
                decoded = MtpBody.decode(ex.getRequestHeaders().getFirst("Content-Type"), body);
            } catch (EnvelopeException e) {
                malformed.increment();
                answer(ex, 400, e.getMessage());
                return;
            }
            Outcome o = handler.handle(decoded);
            switch (o) {
                case Refuse r -> {
                    refused.increment();
                    answer(ex, r.status(), r.reason());
                }
                case Accept a -> {
                    accepted.increment();
                    answer(ex, 200, "");
                    a.delivery().run();
                }
            }
        } catch (IOException e) {
            // The peer went away or was too slow: nothing to answer, nothing delivered.
            LOG.log(System.Logger.Level.DEBUG, "MTP request from {0} ended: {1}", ex.getRemoteAddress(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "MTP request from " + ex.getRemoteAddress() + " failed", e);
            answer(ex, 500, "the platform could not take the message");
        } finally {
            ex.close();
        }
    }

    /** The body, or null when it is larger than the limit. */
    private byte[] read(InputStream in) throws IOException {
        byte[] out = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBody + 1));
        return out.length > maxBody ? null : out;
    }

    private static void answer(HttpExchange ex, int status, String text) {
        try {
            byte[] b = text.isEmpty() ? new byte[0] : (text + "\n").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            ex.getResponseHeaders().set("Connection", "close");
            ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
            if (b.length > 0) {
                ex.getResponseBody().write(b);
                ex.getResponseBody().flush();
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not answer an MTP request: {0}", e.getMessage());
        }
    }

    /** @return messages acknowledged with 200 */
    public long acceptedCount() {
        return accepted.sum();
    }

    /** @return requests refused because the body was not an MTP message */
    public long malformedCount() {
        return malformed.sum();
    }

    /** @return requests refused for their size */
    public long tooLargeCount() {
        return tooLarge.sum();
    }

    /** @return requests refused otherwise (method, path, or by the handler) */
    public long refusedCount() {
        return refused.sum();
    }

    /** Stops listening; requests under way get a moment to finish. */
    @Override
    public void close() {
        server.stop(1);
        executor.shutdownNow();
    }
}
