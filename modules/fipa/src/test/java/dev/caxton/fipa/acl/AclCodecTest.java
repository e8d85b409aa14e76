package dev.caxton.fipa.acl;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AclCodecTest {

    /** The shape JADE 4.3's ACLMessage.toString() prints (spacing included). */
    static final String JADE_STYLE = """
            (REQUEST
             :sender  ( agent-identifier :name buyer@JadePeer  :addresses (sequence http://127.0.0.1:7778/acc ))
             :receiver  (set ( agent-identifier :name echo@caxton-1  :addresses (sequence http://127.0.0.1:7779/acc )) )
             :content  "say \\"hi\\" \\ there \\\\n"
             :reply-with  R1733480000000_0  :language  fipa-sl  :ontology  test-ontology
             :protocol  fipa-request
             :conversation-id  C123_456
             :reply-by  20261206T101500000Z
             :X-JADE-Encoding  "x" )""";

    @Test
    void parsesWhatJadePrints() {
        AclMessage m = AclCodec.parse(JADE_STYLE);
        assertThat(m.performative()).isEqualTo("request");
        assertThat(m.sender().name()).isEqualTo("buyer@JadePeer");
        assertThat(m.sender().addresses()).containsExactly("http://127.0.0.1:7778/acc");
        assertThat(m.sender().platform()).isEqualTo("JadePeer");
        assertThat(m.receivers()).extracting(Aid::name).containsExactly("echo@caxton-1");
        // A backslash not before a quote is itself, as JADE prints it.
        assertThat(m.content()).isEqualTo("say \"hi\" \\ there \\\\n");
        assertThat(m.replyWith()).isEqualTo("R1733480000000_0");
        assertThat(m.language()).isEqualTo("fipa-sl");
        assertThat(m.ontology()).isEqualTo("test-ontology");
        assertThat(m.protocol()).isEqualTo("fipa-request");
        assertThat(m.conversationId()).isEqualTo("C123_456");
        assertThat(m.replyBy()).isEqualTo(Instant.parse("2026-12-06T10:15:00Z"));
        assertThat(m.userParams()).containsEntry("X-JADE-Encoding", "x");
        assertThat(AclCodec.parse(AclCodec.print(m))).isEqualTo(m);
    }

    @Test
    void readsByteLengthStringsByUtf8Bytes() {
        // "héllo ✓" is 10 bytes in UTF-8 but 7 characters.
        AclMessage m = AclCodec.parse("(inform :content #10\"héllo ✓ :language x)");
        assertThat(m.content()).isEqualTo("héllo ✓");
        assertThat(m.language()).isEqualTo("x");
        assertThatThrownBy(() -> AclCodec.parse("(inform :content #3\"é✓)"))
                .isInstanceOf(AclParseException.class).hasMessageContaining("ends inside a character");
    }

    @Test
    void aTrailingBackslashIsPrintedByteLengthEncoded() {
        AclMessage m = new AclMessage("inform", null, null, null, "C:\\dir\\", null, null, null, null, null, null,
                null, null, null);
        assertThat(AclCodec.print(m)).contains(":content #7\"C:\\dir\\");
        assertThat(AclCodec.parse(AclCodec.print(m))).isEqualTo(m);
    }

    @Test
    void keepsNestedExpressionsAsText() {
        AclMessage m = AclCodec.parse("(inform :content \"x\" :X-Extra (a (b \"c d\") 12))");
        assertThat(m.userParams()).containsEntry("X-Extra", "(a (b \"c d\") 12)");
    }

    @Test
    void errorsSayWhatAndWhere() {
        assertThatThrownBy(() -> AclCodec.parse("(inform :sender (agent-identifier :addresses (sequence a)))"))
                .isInstanceOf(AclParseException.class).hasMessageContaining("without :name");
        assertThatThrownBy(() -> AclCodec.parse("(shout :content \"x\")"))
                .isInstanceOf(AclParseException.class)
                .hasMessage("unknown performative 'shout' (at character 1)");
        assertThatThrownBy(() -> AclCodec.parse("(inform content \"x\")"))
                .isInstanceOf(AclParseException.class)
                .satisfies(e -> assertThat(((AclParseException) e).position()).isEqualTo(8));
        assertThatThrownBy(() -> AclCodec.parse("(inform :content \"x"))
                .hasMessageContaining("string not closed");
        assertThatThrownBy(() -> AclCodec.parse("(inform :content \"x\""))
                .hasMessageContaining("a ')' is missing");
        assertThatThrownBy(() -> AclCodec.parse("(inform :content \"x\" :content \"y\")"))
                .hasMessageContaining(":content given twice");
        assertThatThrownBy(() -> AclCodec.parse("(inform :reply-by 2026-12-06)"))
                .hasMessageContaining("yyyyMMddTHHmmssSSS");
        assertThatThrownBy(() -> AclCodec.parse("(inform) trailing"))
                .hasMessageContaining("after the end of the message");
        assertThatThrownBy(() -> AclCodec.parse("(inform :X-deep " + "(".repeat(100) + ")".repeat(100) + ")"))
                .hasMessageContaining("nested deeper");
    }

    @Test
    void relativeReplyByCountsFromNow() {
        Instant before = Instant.now();
        AclMessage m = AclCodec.parse("(request :reply-by +00000000T000100000)");
        assertThat(m.replyBy()).isBetween(before.plusSeconds(59), Instant.now().plusSeconds(61));
    }

    // ------------------------------------------------------------ property-based round trip

    private static final String ALPHABET = "abcXYZ09_-.@:/\"\\()# \t\néü✓😀";

    static String randomText(Random r, int max) {
        int n = r.nextInt(max + 1);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.appendCodePoint(ALPHABET.codePointAt(ALPHABET.offsetByCodePoints(0, r.nextInt(ALPHABET.codePointCount(0, ALPHABET.length())))));
        }
        return b.toString();
    }

    static String maybe(Random r, int max) {
        return r.nextInt(3) == 0 ? null : randomText(r, max);
    }

    static String nonEmpty(Random r) {
        String s = randomText(r, 12);
        return s.isEmpty() ? "a" : s;
    }

    static Aid randomAid(Random r, int depth) {
        List<String> addresses = new ArrayList<>();
        for (int i = r.nextInt(3); i > 0; i--) {
            addresses.add(nonEmpty(r));
        }
        List<Aid> resolvers = new ArrayList<>();
        if (depth < 2) {
            for (int i = r.nextInt(2); i > 0; i--) {
                resolvers.add(randomAid(r, depth + 1));
            }
        }
        Map<String, String> user = new LinkedHashMap<>();
        for (int i = r.nextInt(2); i > 0; i--) {
            user.put("X-a" + r.nextInt(100), randomText(r, 8));
        }
        return new Aid(nonEmpty(r) + "@" + nonEmpty(r), addresses, resolvers, user);
    }

    static AclMessage randomMessage(Random r) {
        List<Aid> receivers = new ArrayList<>();
        for (int i = r.nextInt(3); i > 0; i--) {
            receivers.add(randomAid(r, 0));
        }
        List<Aid> replyTo = new ArrayList<>();
        for (int i = r.nextInt(2); i > 0; i--) {
            replyTo.add(randomAid(r, 0));
        }
        Map<String, String> user = new LinkedHashMap<>();
        for (int i = r.nextInt(3); i > 0; i--) {
            user.put("X-" + (char) ('a' + r.nextInt(26)) + r.nextInt(1000), randomText(r, 10));
        }
        Instant replyBy = r.nextBoolean() ? null : Instant.ofEpochMilli(r.nextLong(0, 4_000_000_000_000L));
        return new AclMessage(AclMessage.PERFORMATIVES.get(r.nextInt(AclMessage.PERFORMATIVES.size())),
                r.nextBoolean() ? randomAid(r, 0) : null, receivers, replyTo, maybe(r, 40), maybe(r, 8), maybe(r, 8),
                maybe(r, 8), maybe(r, 8), maybe(r, 12), maybe(r, 12), maybe(r, 12), replyBy, user);
    }

    @Test
    void printThenParseGivesTheSameMessage() {
        long seed = Long.getLong("acl.seed", 20261206L);
        Random r = new Random(seed);
        for (int i = 0; i < 5_000; i++) {
            AclMessage m = randomMessage(r);
            String text = AclCodec.print(m);
            assertThat(AclCodec.parse(text)).as("seed %d case %d: %s", seed, i, text).isEqualTo(m);
        }
    }

    // ------------------------------------------------------------ fuzz

    @Test
    void mutatedMessagesOnlyEverFailWithTheCodecsOwnError() {
        Random r = new Random(17);
        String glyphs = "()\":#\\ \n0-@abcé";
        int parsed = 0;
        int refused = 0;
        long deadline = System.nanoTime() + 60_000_000_000L;
        for (int i = 0; i < 20_000 && System.nanoTime() < deadline; i++) {
            StringBuilder b = new StringBuilder(i % 7 == 0 ? JADE_STYLE : AclCodec.print(randomMessage(r)));
            for (int k = 1 + r.nextInt(4); k > 0 && !b.isEmpty(); k--) {
                int at = r.nextInt(b.length());
                switch (r.nextInt(4)) {
                    case 0 -> b.deleteCharAt(at);
                    case 1 -> b.insert(at, glyphs.charAt(r.nextInt(glyphs.length())));
                    case 2 -> b.setCharAt(at, glyphs.charAt(r.nextInt(glyphs.length())));
                    default -> b.setLength(at);
                }
            }
            try {
                AclMessage m = AclCodec.parse(b.toString());
                // Whatever parses must print to something that parses to the same message.
                assertThat(AclCodec.parse(AclCodec.print(m))).isEqualTo(m);
                parsed++;
            } catch (AclParseException expected) {
                assertThat(expected.position()).isBetween(0, b.length());
                refused++;
            }
        }
        System.out.println("ACL fuzz: " + parsed + " mutants parsed, " + refused + " refused with a parse error");
        assertThat(refused).isPositive();
    }
}
