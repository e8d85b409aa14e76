package dev.caxton.trace.otlp;

import dev.caxton.spi.trace.ExportedSpan;
import dev.caxton.spi.trace.SpanExporter;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Posts batches of spans as OTLP JSON ({@code ExportTraceServiceRequest}) to one collector URL.
 * Failures are {@link IOException}s naming the URL and what went wrong, never the configured
 * headers (they carry credentials). Not retried: the runtime counts a failed batch as dropped.
 */
final class OtlpSpanExporter implements SpanExporter {

    private final URI target;
    private final Map<String, String> headers;
    private final Duration timeout;
    private final Map<String, String> resource;
    private final HttpClient client;
    private volatile boolean closed;

    OtlpSpanExporter(URI target, Map<String, String> headers, Duration timeout, Map<String, String> resource) {
        this.target = target;
        this.headers = Map.copyOf(headers);
        this.timeout = timeout;
        this.resource = Map.copyOf(resource);
        // Built here but connects only on the first export: creating an exporter does no I/O.
        this.client = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1).build();
    }

    @Override
    public void export(List<ExportedSpan> spans) throws IOException {
        if (closed) {
            throw new IOException("the OTLP exporter to " + target + " is closed");
        }
        byte[] body = OtlpJson.request(resource, spans).getBytes(StandardCharsets.UTF_8);
        HttpRequest.Builder b = HttpRequest.newBuilder(target).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        HttpResponse<String> r;
        try {
            r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            throw new IOException("the OTLP collector at " + target + " did not answer within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while exporting to " + target, e);
        } catch (IOException e) {
            throw new IOException("cannot export to the OTLP collector at " + target + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
        if (r.statusCode() / 100 != 2) {
            String said = r.body() == null ? "" : r.body().strip();
            throw new IOException("the OTLP collector at " + target + " answered " + r.statusCode()
                    + (said.isEmpty() ? "" : ": " + (said.length() > 200 ? said.substring(0, 200) + "..." : said)));
        }
    }

    @Override
    public void close() {
        closed = true;
        // Not close(): that waits for a request in flight, which a hung collector would never finish.
        client.shutdownNow();
    }
}
