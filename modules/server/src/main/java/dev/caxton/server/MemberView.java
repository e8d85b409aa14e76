package dev.caxton.server;

import dev.caxton.spi.membership.Member;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How {@code GET /api/v1/cluster/members} shows a member: what an operator asks first (name, state,
 * where its transport and API listen, how many agents it runs, when it was last heard), then the raw
 * metadata. The API address and agent count come from the metadata keys {@code api} and
 * {@code agents} each node publishes; a node that publishes none shows null.
 */
final class MemberView {

    /** The metadata key of a node's API address. */
    static final String API = "api";
    /** The metadata key of a node's local agent count. */
    static final String AGENTS = "agents";

    private MemberView() {
    }

    /**
     * The members as the API answers them.
     *
     * @param members  the membership's view
     * @param selfName this node's name, whose {@code last_heard} is null
     * @param now      the time {@code last_heard_ms_ago} is measured from
     * @return one map per member, in the membership's order
     */
    static List<Map<String, Object>> render(List<Member> members, String selfName, Instant now) {
        return members.stream().map(m -> render(m, selfName, now)).toList();
    }

    static Map<String, Object> render(Member m, String selfName, Instant now) {
        boolean self = m.id().value().equals(selfName);
        Instant heard = self ? null : m.lastHeard();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("name", m.id().value());
        o.put("id", m.id().value());
        o.put("self", self);
        o.put("state", m.state().name().toLowerCase(Locale.ROOT));
        o.put("address", m.address().getHostString() + ":" + m.address().getPort());
        o.put("api", m.metadata().get(API));
        o.put("agents", agents(m.metadata().get(AGENTS)));
        o.put("last_heard", heard == null ? null : heard.toString());
        o.put("last_heard_ms_ago", heard == null ? null : Math.max(0, Duration.between(heard, now).toMillis()));
        o.put("incarnation", m.incarnation());
        o.put("metadata", m.metadata());
        return o;
    }

    /** The agent count a node published; null when it published none or something that is not a count. */
    private static Integer agents(String published) {
        if (published == null || published.isEmpty() || published.length() > 9
                || !published.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        return Integer.parseInt(published);
    }
}
