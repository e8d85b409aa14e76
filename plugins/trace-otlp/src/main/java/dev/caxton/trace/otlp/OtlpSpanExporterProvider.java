package dev.caxton.trace.otlp;

import dev.caxton.spi.ConfigException;
import dev.caxton.spi.ConfigOption;
import dev.caxton.spi.ConfigOption.Type;
import dev.caxton.spi.ProviderConfig;
import dev.caxton.spi.ProviderContext;
import dev.caxton.spi.trace.SpanExporter;
import dev.caxton.spi.trace.SpanExporterProvider;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code otlp} trace exporter: spans to an OpenTelemetry collector over OTLP/HTTP with JSON
 * bodies. Options ({@code observability.tracing.otlp.*}): {@code endpoint}, the collector's base URL
 * ({@code /v1/traces} is appended unless the URL already ends with it); {@code headers}, extra
 * request headers as {@code name=value} (an API key, a tenant); {@code timeout}, how long one
 * request may take.
 */
public final class OtlpSpanExporterProvider implements SpanExporterProvider {

    /** The provider name, the value of {@code observability.tracing.exporter}. */
    public static final String NAME = "otlp";

    static final String ENDPOINT = "endpoint";
    static final String HEADERS = "headers";
    static final String TIMEOUT = "timeout";
    static final String DEFAULT_ENDPOINT = "http://127.0.0.1:4318";
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    // RFC 9110 token characters: what a header name may hold.
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    // Headers the JDK client sets itself and refuses from callers.
    private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade",
            "content-type");

    /** Creates the provider; cheap and free of side effects, as {@link java.util.ServiceLoader} needs. */
    public OtlpSpanExporterProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Sends trace spans to an OpenTelemetry collector over OTLP/HTTP (JSON)";
    }

    @Override
    public List<ConfigOption> options() {
        return List.of(
                ConfigOption.of(ENDPOINT, Type.STRING, DEFAULT_ENDPOINT,
                        "Base URL of the OTLP/HTTP collector; spans are POSTed to <endpoint>/v1/traces."),
                ConfigOption.of(HEADERS, Type.LIST, "",
                        "Extra request headers, each 'name=value' (e.g. an API key the collector wants)."),
                ConfigOption.ranged(TIMEOUT, Type.DURATION, "10s",
                        "Longest one export request may take, connecting included; a batch not sent by then is dropped.",
                        1, 300_000));
    }

    @Override
    public void check(ProviderConfig config) {
        target(config);
        headers(config);
    }

    @Override
    public SpanExporter create(ProviderContext context, Map<String, String> resource) {
        ProviderConfig c = context.config();
        return new OtlpSpanExporter(target(c), headers(c), c.duration(TIMEOUT, DEFAULT_TIMEOUT), resource);
    }

    /** The URL spans are POSTed to. */
    static URI target(ProviderConfig c) {
        String endpoint = c.string(ENDPOINT, DEFAULT_ENDPOINT).trim();
        URI u;
        try {
            u = new URI(endpoint);
        } catch (URISyntaxException e) {
            throw new ConfigException(c.fullKey(ENDPOINT), "'" + endpoint + "' is not a valid URL: " + e.getReason());
        }
        if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
            throw new ConfigException(c.fullKey(ENDPOINT), "must be an http:// or https:// URL with a host, e.g. "
                    + DEFAULT_ENDPOINT + "; got '" + endpoint + "'");
        }
        if (u.getRawQuery() != null || u.getRawFragment() != null || u.getRawUserInfo() != null) {
            throw new ConfigException(c.fullKey(ENDPOINT), "must not carry a query, fragment or user info (put"
                    + " credentials in " + c.fullKey(HEADERS) + "); got '" + endpoint + "'");
        }
        String path = u.getRawPath() == null ? "" : u.getRawPath();
        if (!path.endsWith("/v1/traces")) {
            path = (path.endsWith("/") ? path.substring(0, path.length() - 1) : path) + "/v1/traces";
        }
        return u.resolve(path);
    }

    /** The extra headers by name, as configured. */
    static Map<String, String> headers(ProviderConfig c) {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> raw = c.list(HEADERS);
        for (int i = 0; i < raw.size(); i++) {
            String h = raw.get(i);
            String where = c.fullKey(HEADERS) + "[" + i + "]";
            int eq = h.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException(where, "a header is written 'name=value', e.g. 'x-api-key=...'");
            }
            String name = h.substring(0, eq).trim();
            String value = h.substring(eq + 1).trim();
            if (!TOKEN.matcher(name).matches()) {
                throw new ConfigException(where, "'" + name + "' is not a valid header name");
            }
            if (RESTRICTED.contains(name.toLowerCase(Locale.ROOT))) {
                throw new ConfigException(where, "the header '" + name + "' is set by the exporter itself");
            }
            // Values are not echoed: they are often secrets.
            if (value.chars().anyMatch(ch -> ch < 0x20 && ch != '\t' || ch == 0x7f)) {
                throw new ConfigException(where, "the value of header '" + name + "' holds a control character");
            }
            out.put(name, value);
        }
        return out;
    }
}
