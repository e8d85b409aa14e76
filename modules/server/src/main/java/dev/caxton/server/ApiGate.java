package dev.caxton.server;

import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.server.HttpListener.Call;
import dev.caxton.server.TokenStore.Principal;
import dev.caxton.server.TokenStore.Role;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The one step every API request passes before routing: rate limits, the token, and whether the
 * token's role may do what the request asks. Routes added later are covered without knowing about
 * it: what they need follows from the method and path ({@link #needed}).
 *
 * <p>Refusals are logged, but once per client per {@link #LOG_INTERVAL_MS} with a count of the
 * ones not logged, so a client hammering the node with a bad token cannot fill the log; the
 * presented secret never appears in it.
 */
final class ApiGate {

    private static final System.Logger LOG = System.getLogger(ApiGate.class.getName());
    static final long LOG_INTERVAL_MS = 60_000;
    /** Bounds the per-client state an attacker with many addresses could make the node keep. */
    private static final int MAX_TRACKED = 10_000;

    private final TokenStore tokens;
    private final boolean limiting;
    private final double perSecond;
    private final double burst;
    private final LongSupplier nanos;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, long[]> refusals = new ConcurrentHashMap<>();

    ApiGate(TokenStore tokens, CaxtonConfig config, LongSupplier nanos) {
        this.tokens = tokens;
        this.limiting = config.bool("security.rate_limiting.enabled");
        this.perSecond = config.integer("security.rate_limiting.requests_per_second");
        this.burst = config.integer("security.rate_limiting.burst");
        this.nanos = nanos;
    }

    /**
     * Admits a request or throws the refusal.
     *
     * @param call the request
     * @param path its path without the query
     * @param open whether the path answers without a token (the probes)
     * @return who sent it; empty only for an open path asked without a token
     * @throws ApiError 429, 401 or 403
     */
    Optional<Principal> admit(Call call, String path, boolean open) {
        limit("address " + call.client(), call.client(), "client address " + call.client());
        String presented = call.header().apply(ApiToken.HEADER);
        if (presented == null && open) {
            return Optional.empty();
        }
        Principal p = tokens.authenticate(presented).orElse(null);
        if (p == null) {
            refused(call, 401, "missing or unknown token");
            throw new ApiError(401, "missing or wrong API token: send a valid token (the data directory's token file, "
                    + "or one made with 'caxton token create') in the " + ApiToken.HEADER + " header");
        }
        limit("token " + p.name(), call.client(), "token '" + p.name() + "'");
        Role need = needed(call.method(), path);
        if (!p.role().allows(need)) {
            refused(call, 403, "token '" + p.name() + "' (" + p.role().label() + ") lacks role " + need.label());
            throw new ApiError(403, "token '" + p.name() + "' has role '" + p.role().label() + "'; " + call.method() + " "
                    + path + " needs role '" + need.label() + "'", Map.of("role", p.role().label(), "needed", need.label()));
        }
        return Optional.of(p);
    }

    /**
     * The least role a request needs: reading needs {@code metrics}, sending a message
     * {@code operator}, anything else (deploy, reload, replay, backup, tokens, leaving) {@code admin}.
     * Tokens and backups are admin-only even to read: a list of tokens or a copy of the store is
     * worth more than the node's status.
     */
    static Role needed(String method, String path) {
        String rest = path.startsWith("/api/v1") ? path.substring("/api/v1".length()) : path;
        rest = rest.replaceAll("/+$", "");
        if (rest.startsWith("/tokens") || rest.startsWith("/storage/backup")) {
            return Role.ADMIN;
        }
        if (method.equals("GET") || method.equals("HEAD")) {
            return Role.METRICS;
        }
        if (method.equals("POST") && rest.equals("/messages")) {
            return Role.OPERATOR;
        }
        return Role.ADMIN;
    }

    private void limit(String key, String client, String who) {
        if (!limiting) {
            return;
        }
        if (buckets.size() > MAX_TRACKED) {
            // Crude but bounded: forgetting every bucket only grants each client a fresh burst.
            buckets.clear();
        }
        long waitNs = buckets.computeIfAbsent(key, k -> new Bucket(burst, nanos.getAsLong())).take(perSecond, burst, nanos.getAsLong());
        if (waitNs > 0) {
            long seconds = Math.max(1, (waitNs + 999_999_999L) / 1_000_000_000L);
            refusedLog(client, 429, "rate limit for " + who);
            throw new ApiError(429, "too many requests for " + who + " (security.rate_limiting: "
                    + (long) perSecond + " per second, burst " + (long) burst + "); retry after " + seconds + " s",
                    Map.of(), Map.of("Retry-After", Long.toString(seconds)));
        }
    }

    private void refused(Call call, int status, String why) {
        refusedLog(call.client(), status, why + " (" + call.method() + " " + pathOnly(call.uri()) + ")");
    }

    private void refusedLog(String client, int status, String why) {
        if (refusals.size() > MAX_TRACKED) {
            refusals.clear();
        }
        long now = nanos.getAsLong() / 1_000_000;
        long[] state = refusals.computeIfAbsent(client, c -> new long[] {Long.MIN_VALUE, 0});
        long suppressed;
        synchronized (state) {
            if (state[0] != Long.MIN_VALUE && now - state[0] < LOG_INTERVAL_MS) {
                state[1]++;
                return;
            }
            suppressed = state[1];
            state[0] = now;
            state[1] = 0;
        }
        LOG.log(System.Logger.Level.WARNING, "refused a request from {0}: {1} {2}{3}", client, status, why,
                suppressed == 0 ? "" : "; " + suppressed + " more refused since the last such line");
    }

    private static String pathOnly(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    /** A token bucket: refills at the rate, holds at most the burst. */
    private static final class Bucket {
        private double tokens;
        private long last;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.last = now;
        }

        /** @return 0 when a request may pass, else nanoseconds until one may */
        synchronized long take(double perSecond, double burst, long now) {
            tokens = Math.min(burst, tokens + (now - last) / 1e9 * perSecond);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) / perSecond * 1e9);
        }
    }
}
