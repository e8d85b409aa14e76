package dev.caxton.fipa.mtp;

import dev.caxton.fipa.acl.AclCodec;
import dev.caxton.fipa.acl.AclMessage;
import dev.caxton.fipa.acl.Aid;
import dev.caxton.fipa.envelope.EnvelopeException;
import dev.caxton.fipa.envelope.EnvelopeXml;
import dev.caxton.fipa.envelope.FipaEnvelope;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MtpBodyTest {

    /** A request JADE 4.3.3 sent (captured on the wire): headers, then the multipart body. */
    static byte[] captured() throws IOException {
        try (InputStream in = MtpBodyTest.class.getResourceAsStream("/fipa/jade-request.http")) {
            return in.readAllBytes();
        }
    }

    static int bodyStart(byte[] req) {
        for (int i = 0; i + 3 < req.length; i++) {
            if (req[i] == '\r' && req[i + 1] == '\n' && req[i + 2] == '\r' && req[i + 3] == '\n') {
                return i + 4;
            }
        }
        throw new AssertionError("no end of headers");
    }

    @Test
    void readsWhatJadeSends() throws IOException {
        byte[] req = captured();
        int start = bodyStart(req);
        String head = new String(req, 0, start, StandardCharsets.ISO_8859_1);
        String ct = head.lines().filter(l -> l.startsWith("Content-Type:")).findFirst().orElseThrow().substring(13).strip();
        MtpBody.Decoded d = MtpBody.decode(ct, Arrays.copyOfRange(req, start, req.length));
        FipaEnvelope e = d.envelope();
        assertThat(e.to()).extracting(Aid::name).containsExactly("echo@caxton-1");
        assertThat(e.from().name()).isEqualTo("sender@JadePeer");
        assertThat(e.from().addresses()).containsExactly("http://127.0.0.1:17778/acc");
        assertThat(e.aclRepresentation()).isEqualTo(FipaEnvelope.STRING_REPRESENTATION);
        assertThat(e.payloadLength()).isEqualTo(384L);
        // JADE writes the envelope date as yyyyMMddZHHmmssSSS.
        assertThat(e.date()).isEqualTo(Instant.parse("2026-12-06T09:53:49.970Z"));
        assertThat(e.deliverTo()).extracting(Aid::name).containsExactly("echo@caxton-1");
        assertThat(d.payload()).hasSize(384);
        AclMessage m = AclCodec.parse(new String(d.payload(), d.charset()));
        assertThat(m.performative()).isEqualTo("request");
        assertThat(m.sender().name()).isEqualTo("sender@JadePeer");
        assertThat(m.protocol()).isEqualTo("fipa-request");
        assertThat(m.conversationId()).isEqualTo("c1");
        assertThat(m.userParams()).containsEntry("X-Foo", "bar baz");
    }

    @Test
    void writesWhatItReads() {
        FipaEnvelope e = new FipaEnvelope(List.of(Aid.of("echo@JadePeer", "http://127.0.0.1:7778/acc")),
                Aid.of("a&b<c>@caxton-1", "http://127.0.0.1:7779/acc"), "x \"y\"", FipaEnvelope.STRING_REPRESENTATION,
                7L, "UTF-8", Instant.parse("2026-12-06T10:00:00.123Z"),
                List.of(Aid.of("echo@JadePeer")), List.of(new FipaEnvelope.Received("http://h/acc", null,
                Instant.parse("2026-12-06T10:00:01Z"), "id1", null)));
        byte[] payload = "(inform)".getBytes(StandardCharsets.UTF_8);
        MtpBody.Encoded enc = MtpBody.encode(e, Arrays.copyOf(payload, 8));
        assertThat(enc.contentType()).matches("multipart/mixed ; boundary=\"[0-9a-f]{32}\"");
        String text = new String(enc.body(), StandardCharsets.UTF_8);
        assertThat(text).doesNotContain("\n\n").contains("\r\n--").endsWith("--\r\n");
        MtpBody.Decoded d = MtpBody.decode(enc.contentType(), enc.body());
        assertThat(d.envelope()).isEqualTo(e);
        assertThat(new String(d.payload(), StandardCharsets.UTF_8)).isEqualTo("(inform");
    }

    @Test
    void refusesDtdsAndEntities() {
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + "<envelope><params index=\"1\"><comments>&x;</comments></params></envelope>";
        assertThatThrownBy(() -> EnvelopeXml.read(xxe.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(EnvelopeException.class).hasMessageContaining("DTD");
        String laughs = "<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>"
                + "<envelope><params><comments>&b;</comments></params></envelope>";
        assertThatThrownBy(() -> EnvelopeXml.read(laughs.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(EnvelopeException.class);
    }

    @Test
    void mergesParamsByIndex() {
        String xml = "<envelope><params index=\"2\"><payload-encoding>UTF-8</payload-encoding></params>"
                + "<params index=\"1\"><from><agent-identifier><name>x@p</name></agent-identifier></from>"
                + "<payload-encoding>US-ASCII</payload-encoding><X-unknown><a/></X-unknown></params></envelope>";
        FipaEnvelope e = EnvelopeXml.read(xml.getBytes(StandardCharsets.UTF_8));
        assertThat(e.from().name()).isEqualTo("x@p");
        assertThat(e.payloadEncoding()).isEqualTo("UTF-8");
    }

    @Test
    void malformedBodiesSayWhatIsWrong() {
        String ct = "multipart/mixed; boundary=B";
        assertThatThrownBy(() -> MtpBody.decode("text/plain", new byte[0])).hasMessageContaining("not multipart/mixed");
        assertThatThrownBy(() -> MtpBody.decode(ct, "nothing".getBytes())).hasMessageContaining("boundary never appears");
        assertThatThrownBy(() -> MtpBody.decode(ct, "--B\r\n\r\n<envelope/>\r\n--B--\r\n".getBytes()))
                .hasMessageContaining("1 part(s)");
        assertThatThrownBy(() -> MtpBody.decode(ct, ("--B\r\nContent-Type: application/xml\r\n\r\n<envelope><params>"
                + "<payload-length>99</payload-length></params></envelope>\r\n--B\r\n\r\n(inform)\r\n--B--").getBytes()))
                .hasMessageContaining("payload-length says 99");
    }

    @Test
    void mutatedBodiesOnlyFailWithEnvelopeErrors() throws IOException {
        byte[] req = captured();
        byte[] body = Arrays.copyOfRange(req, bodyStart(req), req.length);
        String ct = "multipart/mixed ; boundary=\"67133461da6e87b9368af4ccc3848cd\"";
        Random r = new Random(5);
        byte[] glyphs = "<>/&\"-\r\n=x".getBytes(StandardCharsets.US_ASCII);
        int ok = 0;
        int refused = 0;
        for (int i = 0; i < 3_000; i++) {
            byte[] b = body.clone();
            int len = b.length;
            for (int k = 1 + r.nextInt(3); k > 0; k--) {
                int at = r.nextInt(len);
                if (r.nextInt(5) == 0) {
                    len = at;
                } else {
                    b[at] = glyphs[r.nextInt(glyphs.length)];
                }
            }
            try {
                MtpBody.decode(ct, Arrays.copyOf(b, len));
                ok++;
            } catch (EnvelopeException expected) {
                refused++;
            }
        }
        System.out.println("MTP body fuzz: " + ok + " mutants decoded, " + refused + " refused");
        assertThat(refused).isPositive();
    }
}
