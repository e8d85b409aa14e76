package dev.caxton.runtime.api;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How an Extism plugin runs as an agent ({@code --extism-function}, {@code --extism-config}): the exported
 * function each message calls and the configuration {@code config_get} reads.
 *
 * @param function     the exported function called once per message ({@code () -> i32})
 * @param config       what {@code config_get} answers, key to value
 * @param allowedHosts the hosts {@code http_request} may reach ({@code --extism-allow-host}); empty: none
 */
public record ExtismSettings(String function, Map<String, String> config, List<String> allowedHosts) {

    /** Most hosts one plugin may be allowed to reach. */
    public static final int MAX_ALLOWED_HOSTS = 64;

    /**
     * Settings without network access.
     *
     * @param function the exported function called once per message
     * @param config   what {@code config_get} answers
     */
    public ExtismSettings(String function, Map<String, String> config) {
        this(function, config, List.of());
    }

    /** Most configuration entries one plugin may be given. */
    public static final int MAX_CONFIG_ENTRIES = 256;
    /** Most bytes of configuration (keys and values, UTF-8) one plugin may be given. */
    public static final int MAX_CONFIG_BYTES = 64 * 1024;

    /**
     * Checks the parts and keeps the configuration in the order given.
     *
     * @throws DeployException naming the field at fault
     */
    public ExtismSettings {
        if (function == null || function.isBlank()) {
            throw invalid("field 'extism_function': name the plugin's exported function that handles each message");
        }
        config = config == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(config));
        if (config.size() > MAX_CONFIG_ENTRIES) {
            throw invalid("field 'config': " + config.size() + " entries; at most " + MAX_CONFIG_ENTRIES + " are allowed");
        }
        long bytes = 0;
        for (Map.Entry<String, String> e : config.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty()) {
                throw invalid("field 'config': a key is empty");
            }
            Objects.requireNonNull(e.getValue(), () -> "field 'config': the value of '" + e.getKey() + "' is missing");
            bytes += e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().getBytes(StandardCharsets.UTF_8).length;
        }
        if (bytes > MAX_CONFIG_BYTES) {
            throw invalid("field 'config': " + bytes + " bytes of keys and values; at most " + MAX_CONFIG_BYTES + " are allowed");
        }
        List<String> hosts = new ArrayList<>();
        for (String h : allowedHosts == null ? List.<String>of() : allowedHosts) {
            String host = h == null ? "" : h.strip().toLowerCase(java.util.Locale.ROOT);
            // A host name or address, nothing more: a scheme, port or path would never match a request's host.
            if (host.isEmpty() || !host.matches("[a-z0-9.:\\[\\]-]+") || host.contains("/")) {
                throw invalid("field 'extism_allow_hosts': '" + h + "' is not a host name or address (give the host"
                        + " alone, like api.example.com or 127.0.0.1)");
            }
            hosts.add(host);
        }
        if (hosts.size() > MAX_ALLOWED_HOSTS) {
            throw invalid("field 'extism_allow_hosts': " + hosts.size() + " hosts; at most " + MAX_ALLOWED_HOSTS + " are allowed");
        }
        allowedHosts = List.copyOf(hosts);
    }

    private static DeployException invalid(String message) {
        return new DeployException(DeployException.Kind.INVALID_REQUEST, message);
    }

    /**
     * The settings as one line of text for storage: {@code function=NAME&config=KEY=VALUE&...}, every
     * part URL-encoded, so that the storage SPI needs a single text column and no JSON.
     *
     * @return the encoded settings
     */
    public String encode() {
        StringBuilder b = new StringBuilder("function=").append(enc(function));
        config.forEach((k, v) -> b.append("&config=").append(enc(k)).append('=').append(enc(v)));
        allowedHosts.forEach(h -> b.append("&allow_host=").append(enc(h)));
        return b.toString();
    }

    /**
     * Reads what {@link #encode()} wrote.
     *
     * @param text the encoded settings, or null or empty for none
     * @return the settings, or null when the text is null or empty (not an Extism plugin)
     * @throws IllegalArgumentException when the text is not in that form
     */
    public static ExtismSettings decode(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        String function = null;
        Map<String, String> config = new LinkedHashMap<>();
        List<String> hosts = new ArrayList<>();
        for (String part : text.split("&")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("stored Extism settings: '" + part + "' has no '='");
            }
            String key = part.substring(0, eq);
            String value = part.substring(eq + 1);
            switch (key) {
                case "function" -> function = dec(value);
                case "config" -> {
                    int kv = value.indexOf('=');
                    if (kv < 0) {
                        throw new IllegalArgumentException("stored Extism settings: config entry '" + value + "' has no '='");
                    }
                    config.put(dec(value.substring(0, kv)), dec(value.substring(kv + 1)));
                }
                case "allow_host" -> hosts.add(dec(value));
                default -> {
                    // A later version's part: ignored, so a downgrade still starts the agent.
                }
            }
        }
        return new ExtismSettings(function, config, hosts);
    }

    /**
     * Parses {@code key=value} items as the command line gives them.
     *
     * @param items the items
     * @return key to value, in order
     * @throws IllegalArgumentException naming the item without '='
     */
    public static Map<String, String> parseConfig(List<String> items) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String item : items == null ? new ArrayList<String>() : items) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--extism-config '" + item + "': expected KEY=VALUE");
            }
            out.put(item.substring(0, eq), item.substring(eq + 1));
        }
        return out;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String dec(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
