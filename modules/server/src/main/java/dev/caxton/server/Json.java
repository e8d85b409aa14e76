package dev.caxton.server;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caxton.runtime.Conversation;
import dev.caxton.runtime.DeadLetter;
import dev.caxton.runtime.api.AgentInfo;
import dev.caxton.spi.Quantities;
import dev.caxton.spi.message.Envelope;
import dev.caxton.spi.message.EnvelopeFields;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** JSON in and out of the API, in the shapes docs/api.md describes. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    private Json() {
    }

    static Map<String, Object> object(byte[] body) {
        if (body.length == 0) {
            throw new ApiError(400, "the request needs a JSON object body");
        }
        Object v;
        try {
            v = MAPPER.readValue(body, Object.class);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr();
            throw new ApiError(400, "the body is not valid JSON" + where + ": " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new ApiError(400, "the body could not be read: " + e.getMessage());
        }
        if (!(v instanceof Map<?, ?>)) {
            throw new ApiError(400, "the body must be a JSON object, got " + EnvelopeFields.typeName(v));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) normalise(v);
        return m;
    }

    /** Integers become Long where they fit, as the envelope value model wants. */
    static Object normalise(Object v) {
        if (v instanceof BigInteger b) {
            return b.bitLength() < 64 ? (Object) b.longValue() : b;
        }
        if (v instanceof Integer i) {
            return i.longValue();
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(normalise(x)));
            return out;
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(String.valueOf(k), normalise(x)));
            return out;
        }
        return v;
    }

    static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render JSON: " + e.getMessage(), e);
        }
    }

    static Map<String, Object> agent(AgentInfo a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", a.name());
        m.put("id", a.id());
        m.put("state", a.state().label());
        m.put("capabilities", a.capabilities());
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("memory_bytes", a.limits().memoryBytes());
        limits.put("memory", Quantities.formatSize(a.limits().memoryBytes()));
        limits.put("execution_timeout_ms", a.limits().executionTimeout().toMillis());
        limits.put("fuel", a.limits().fuel());
        limits.put("cpu_share", a.limits().cpuShare());
        m.put("limits", limits);
        m.put("codec", a.codec());
        m.put("engine", a.engine());
        m.put("durable", a.durable());
        m.put("wasi", a.wasi());
        if (a.wasi()) {
            m.put("wasi_args", a.wasiArgs());
            // Names only: values are often credentials, and anyone with a read token sees this.
            m.put("wasi_env_names", a.wasiEnvNames());
        }
        if (a.extismFunction() != null) {
            m.put("extism_function", a.extismFunction());
            m.put("extism_config_keys", a.extismConfigKeys());
            m.put("extism_allow_hosts", a.extismAllowedHosts());
        }
        if (a.durable()) {
            // Null before the first checkpoint: the agent has handled nothing that changed it yet.
            m.put("checkpoint_version", a.checkpointVersion() < 0 ? null : a.checkpointVersion());
        }
        Map<String, Object> counters = new LinkedHashMap<>();
        counters.put("messages_handled", a.messagesHandled());
        counters.put("faults", a.faults());
        counters.put("errors", a.errors());
        counters.put("messages_sent", a.messagesSent());
        counters.put("queued", a.queued());
        // Null, not -1, when unmetered or before the first message: there is no amount to show.
        counters.put("fuel_last", a.fuelLast() < 0 ? null : a.fuelLast());
        counters.put("fuel_max", a.fuelMax() < 0 ? null : a.fuelMax());
        m.put("counters", counters);
        m.put("last_fault", a.lastFault());
        m.put("module_size", a.moduleSize());
        m.put("deployed_at", a.deployedAt().toString());
        return m;
    }

    /**
     * The JSON form of a trace: its hops oldest first, each with the time since the one before, so
     * the largest {@code since_previous_us} shows where the time went.
     */
    static Map<String, Object> trace(String id, boolean enabled, dev.caxton.runtime.cluster.ClusterTraces.Answers answers) {
        Map<String, Object> m = trace(id, enabled, answers.hops());
        // Which nodes' hops are in it, and which were asked and did not answer: their part is missing.
        m.put("nodes", answers.nodes());
        m.put("incomplete", answers.incomplete());
        m.put("truncated", answers.truncated());
        return m;
    }

    static Map<String, Object> trace(String id, boolean enabled, List<dev.caxton.runtime.trace.TraceHop> hops) {
        List<Map<String, Object>> out = new ArrayList<>(hops.size());
        long prev = hops.isEmpty() ? 0 : hops.getFirst().atMicros();
        for (dev.caxton.runtime.trace.TraceHop h : hops) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("hop", h.hop().wireName());
            m.put("message_id", h.messageId());
            if (h.conversationId() != null) {
                m.put("conversation_id", h.conversationId());
            }
            m.put("trace_id", h.traceId());
            m.put("span_id", h.spanId());
            m.put("node", h.node());
            if (h.agent() != null) {
                m.put("agent", h.agent());
            }
            if (h.detail() != null) {
                m.put("detail", h.detail());
            }
            m.put("at", java.time.Instant.EPOCH.plus(h.atMicros(), java.time.temporal.ChronoUnit.MICROS).toString());
            m.put("at_us", h.atMicros());
            m.put("since_previous_us", h.atMicros() - prev);
            prev = h.atMicros();
            out.add(m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("tracing_enabled", enabled);
        m.put("hops", out);
        m.put("total_us", hops.isEmpty() ? 0 : hops.getLast().atMicros() - hops.getFirst().atMicros());
        return m;
    }

    static Map<String, Object> deadLetter(DeadLetter d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", d.id());
        m.put("receiver", d.receiver());
        m.put("reason", d.reason());
        m.put("at", d.at().toString());
        m.put("envelope", d.envelope() == null ? null : EnvelopeFields.toMap(d.envelope()));
        return m;
    }

    static Map<String, Object> conversation(Conversation c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id());
        m.put("participants", c.participants());
        m.put("message_count", c.messageCount());
        m.put("first_at", c.firstAt().toString());
        m.put("last_activity", c.lastActivity().toString());
        List<Map<String, Object>> messages = new ArrayList<>();
        for (Conversation.Message msg : c.messages()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("sequence", msg.sequence());
            o.put("message_id", msg.messageId());
            o.put("sender", msg.sender());
            o.put("receiver", msg.receiver());
            o.put("performative", msg.performative());
            o.put("at", msg.at().toString());
            o.put("envelope", msg.envelope() == null ? null : EnvelopeFields.toMap(msg.envelope()));
            o.put("node", msg.node());
            messages.add(o);
        }
        m.put("messages", messages);
        m.put("next_cursor", c.nextCursor());
        m.put("omitted", c.omitted());
        m.put("incomplete", c.incomplete());
        return m;
    }

    static Map<String, Object> envelope(Envelope e) {
        return EnvelopeFields.toMap(e);
    }
}
