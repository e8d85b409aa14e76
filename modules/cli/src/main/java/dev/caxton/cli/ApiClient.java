package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLException;

/**
 * The management API as the command line sees it: JSON requests carrying the token, JSON answers,
 * and every way a call can fail turned into one line a person can act on.
 */
final class ApiClient implements AutoCloseable {

    /** The header every request carries the token in. */
    static final String TOKEN_HEADER = "X-Caxton-Token";

    /** The default address of a node's API. */
    static final String DEFAULT_URL = "http://127.0.0.1:8080";

    /** How long an ordinary request may take; message sends that wait for a reply get more. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final int MAX_BODY_IN_MESSAGE = 200;

    private final String base;
    private final String token;
    private final javax.net.ssl.SSLSocketFactory tls;

    /**
     * Creates a client.
     *
     * @param server the node's API base URL, e.g. {@code http://127.0.0.1:8080}
     * @param token  the API token
     */
    ApiClient(URI server, String token) {
        this(server, token, null);
    }

    /**
     * Creates a client.
     *
     * @param server the node's API base URL
     * @param token  the API token
     * @param tls    the TLS context for https (trusting a given CA), or null for the system's trust
     */
    ApiClient(URI server, String token, javax.net.ssl.SSLContext tls) {
        String s = server.toString();
        this.base = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
        this.token = token;
        // Nothing TLS is touched unless the server is https: building a TLS context (or the default
        // one, which parses the JDK's whole trust store) is wasted start time on plain HTTP.
        this.tls = tls == null ? null : tls.getSocketFactory();
    }

    /**
     * A TLS context trusting exactly the certificates of a PEM file (a private CA, or a node's
     * self-signed certificate).
     *
     * @param caFile the PEM file
     * @return the context
     * @throws CliException naming {@code --ca-file} and the file when it cannot be read or holds no certificate
     */
    static javax.net.ssl.SSLContext trusting(java.nio.file.Path caFile) {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(caFile)) {
            java.security.KeyStore ks = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (java.security.cert.Certificate c : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            if (i == 0) {
                throw new CliException("--ca-file: " + caFile + " holds no PEM certificate");
            }
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (java.io.IOException e) {
            throw new CliException("--ca-file: cannot read " + caFile + ": " + e.getMessage());
        } catch (java.security.GeneralSecurityException e) {
            throw new CliException("--ca-file: " + caFile + " is not a PEM certificate file: " + e.getMessage());
        }
    }

    /**
     * The API's base URL, as given.
     *
     * @return the URL without a trailing slash
     */
    String server() {
        return base;
    }

    /**
     * {@code GET /api/v1<path>}.
     *
     * @param path the path below {@code /api/v1}, starting with {@code /} (query included)
     * @return the JSON answer
     */
    JsonNode get(String path) {
        return call("GET", path, null, REQUEST_TIMEOUT);
    }

    /**
     * {@code DELETE /api/v1<path>}.
     *
     * @param path the path below {@code /api/v1}
     * @return the JSON answer, or a missing node when the server sends no body
     */
    JsonNode delete(String path) {
        return call("DELETE", path, null, REQUEST_TIMEOUT);
    }

    /**
     * {@code POST /api/v1<path>} with a JSON body.
     *
     * @param path    the path below {@code /api/v1}
     * @param body    the request body
     * @param timeout how long to wait for the answer
     * @return the JSON answer
     */
    JsonNode post(String path, JsonNode body, Duration timeout) {
        return call("POST", path, body, timeout);
    }

    /**
     * {@code PUT /api/v1<path>} with a JSON body.
     *
     * @param path the path below {@code /api/v1}
     * @param body the request body
     * @return the JSON answer
     */
    JsonNode put(String path, JsonNode body) {
        return call("PUT", path, body, REQUEST_TIMEOUT);
    }

    private JsonNode call(String method, String path, JsonNode body, Duration timeout) {
        HttpURLConnection c = exchange(method, path, body, timeout, "application/json");
        try {
            int status = c.getResponseCode();
            String text;
            try (InputStream in = bodyOf(c, status)) {
                text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            // Read to the end and closed, the connection goes back for reuse (top polls on it).
            return answer(status, text);
        } catch (IOException e) {
            c.disconnect();
            throw failed(method, path, timeout, e);
        }
    }

    /** The answer's body: the error stream for a refusal, which the connection keeps apart. */
    private static InputStream bodyOf(HttpURLConnection c, int status) throws IOException {
        return status >= 400 ? c.getErrorStream() : c.getInputStream();
    }

    /** What {@link #download} saved. */
    record Download(long bytes, Map<String, List<String>> headers) {

        /**
         * A header's first value as a number.
         *
         * @param name the header's name, in any case
         * @return its value, or empty when it is absent or not a number
         */
        OptionalLong headerAsLong(String name) {
            for (Map.Entry<String, List<String>> h : headers.entrySet()) {
                if (h.getKey() != null && h.getKey().equalsIgnoreCase(name) && !h.getValue().isEmpty()) {
                    try {
                        return OptionalLong.of(Long.parseLong(h.getValue().getFirst().trim()));
                    } catch (NumberFormatException e) {
                        return OptionalLong.empty();
                    }
                }
            }
            return OptionalLong.empty();
        }
    }

    /**
     * {@code POST /api/v1<path>} without a body, saving a binary answer into a file.
     *
     * @param path    the path below {@code /api/v1}
     * @param into    the file to write (created or truncated)
     * @param timeout how long to wait for the answer to begin
     * @return how many bytes were saved, and the answer's headers
     * @throws CliException with the API's words when it refuses, or when the answer is cut short
     */
    Download download(String path, Path into, Duration timeout) {
        HttpURLConnection c = exchange("POST", path, null, timeout, "application/octet-stream, application/json");
        try {
            int status = c.getResponseCode();
            try (InputStream in = bodyOf(c, status)) {
                if (status < 200 || status >= 300) {
                    String text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    throw new CliException(status + " " + errorMessage(status, parse(text), text));
                }
                long n;
                try (OutputStream out = Files.newOutputStream(into, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    n = in == null ? 0 : in.transferTo(out);
                }
                long expected = c.getContentLengthLong();
                if (expected >= 0 && expected != n) {
                    throw new CliException("the answer from " + base + " was cut short: " + n + " of "
                            + expected + " bytes arrived");
                }
                return new Download(n, c.getHeaderFields());
            } catch (IOException e) {
                throw new CliException("the download from " + base + " into " + into + " failed: " + describe(e));
            }
        } catch (IOException e) {
            throw failed("POST", path, timeout, e);
        } finally {
            c.disconnect();
        }
    }

    /**
     * Opens the connection and sends the request; the answer is read by the caller.
     *
     * <p>{@link HttpURLConnection} rather than {@code java.net.http}: the latter starts a selector
     * thread, an executor and its TLS machinery for a single request, about a tenth of a client
     * command's start; the former is part of {@code java.base} and does what one request needs
     * (keep-alive is irrelevant to a process that sends one or two).
     */
    private HttpURLConnection exchange(String method, String path, JsonNode body, Duration timeout, String accept) {
        URL url;
        try {
            url = URI.create(base + "/api/v1" + path).toURL();
        } catch (IllegalArgumentException | java.net.MalformedURLException e) {
            throw new CliException("cannot form a request URL from " + base + "/api/v1" + path + ": " + e.getMessage());
        }
        String scheme = url.getProtocol();
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw CliException.usage("--server: cannot send a request to " + base + ": the scheme must be http or https");
        }
        HttpURLConnection c;
        try {
            // No proxy, as before: the API is addressed directly, whatever http.proxyHost says.
            c = (HttpURLConnection) url.openConnection(Proxy.NO_PROXY);
            c.setRequestMethod(method);
        } catch (IOException e) {
            throw unreachable(describe(e));
        }
        if (c instanceof HttpsURLConnection https && tls != null) {
            https.setSSLSocketFactory(tls);
        }
        c.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
        c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis())));
        c.setUseCaches(false);
        c.setInstanceFollowRedirects(false);
        c.setRequestProperty(TOKEN_HEADER, token);
        c.setRequestProperty("Accept", accept);
        c.setRequestProperty("User-Agent", "caxton-cli/" + VersionInfo.version());
        byte[] bytes = body == null ? null : Json.compact(body).getBytes(StandardCharsets.UTF_8);
        if (bytes != null) {
            c.setRequestProperty("Content-Type", "application/json");
            // A fixed length also stops the connection from silently sending a POST twice when a
            // reused connection fails, which it would otherwise do for a message send.
            c.setFixedLengthStreamingMode(bytes.length);
            c.setDoOutput(true);
        }
        try {
            c.connect();
        } catch (SocketTimeoutException e) {
            throw unreachable("no connection within " + CONNECT_TIMEOUT.toSeconds() + "s");
        } catch (IOException e) {
            throw unreachable(describe(e));
        } catch (IllegalArgumentException e) {
            throw CliException.usage("--server: cannot send a request to " + base + ": " + e.getMessage());
        }
        if (bytes != null) {
            try (OutputStream out = c.getOutputStream()) {
                out.write(bytes);
            } catch (IOException e) {
                c.disconnect();
                throw failed(method, path, timeout, e);
            }
        }
        return c;
    }

    /** A failure after the connection was made: the server too slow, or the exchange broken. */
    private CliException failed(String method, String path, Duration timeout, IOException e) {
        if (e instanceof SocketTimeoutException) {
            return new CliException("the server at " + base + " did not answer " + method + " /api/v1" + path
                    + " within " + Json.formatDuration(timeout));
        }
        return unreachable(describe(e));
    }

    private JsonNode answer(int status, String body) {
        String text = body == null ? "" : body;
        JsonNode json = parse(text);
        if (status >= 200 && status < 300) {
            if (text.isBlank()) {
                return MissingNode.getInstance();
            }
            if (json == null) {
                throw new CliException("the server at " + base + " answered " + status + " with a body that is not JSON: "
                        + snippet(text));
            }
            return json;
        }
        throw new CliException(status + " " + errorMessage(status, json, text));
    }

    /** @return the text as JSON, or null when it is blank or not JSON */
    private static JsonNode parse(String text) {
        return text.isBlank() ? null : JsonText.parse(text);
    }


    /** The API's own words when it sent {@code {"error": ..., "details": {...}}}; the raw body otherwise. */
    private static String errorMessage(int status, JsonNode json, String text) {
        String message;
        if (json != null && json.path("error").isTextual()) {
            message = json.get("error").asText();
            JsonNode details = json.path("details");
            if (details.isObject() && !details.isEmpty()) {
                List<String> parts = new ArrayList<>();
                for (Map.Entry<String, JsonNode> d : details.properties()) {
                    parts.add(d.getKey() + ": " + (d.getValue().isValueNode() ? d.getValue().asText() : Json.compact(d.getValue())));
                }
                message += " (" + String.join(", ", parts) + ")";
            }
        } else if (!text.isBlank()) {
            message = snippet(text);
        } else {
            message = "(the server sent no explanation)";
        }
        if (status == 401 || status == 403) {
            message += " — check --token, " + CliContext.TOKEN_ENV + " or the token file in the server's data directory";
        }
        return message;
    }

    private CliException unreachable(String why) {
        return new CliException("cannot reach the server at " + base + " (" + why + ") — is it running?");
    }

    /** Names the root cause of a failed exchange in a few words. */
    private static String describe(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                String m = t.getMessage();
                return m == null || m.isBlank() || m.toLowerCase().contains("refused") ? "connection refused" : m;
            }
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
                return "unknown host";
            }
            if (t instanceof SSLException) {
                return "TLS failure: " + t.getMessage();
            }
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static String snippet(String text) {
        String line = text.strip().replaceAll("\\s+", " ");
        return line.length() > MAX_BODY_IN_MESSAGE ? line.substring(0, MAX_BODY_IN_MESSAGE) + "..." : line;
    }

    @Override
    public void close() {
        // Each exchange closes its own connection.
    }
}
