package dev.caxton.fipa.envelope;

import dev.caxton.fipa.acl.AclCodec;
import dev.caxton.fipa.acl.AclParseException;
import dev.caxton.fipa.acl.Aid;

import javax.xml.stream.Location;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The XML encoding of the transport envelope (SC00085), both ways.
 *
 * <p>Reading treats the input as hostile: DTDs are refused outright (no entity expansion, no
 * external fetches), nesting is bounded, and every problem is an {@link EnvelopeException} with the
 * line and column. Several {@code params} blocks are merged in {@code index} order, later ones
 * overriding earlier ones field by field, as the specification asks. Unknown elements (user-defined
 * parameters) are skipped.
 *
 * <p>Dates are written {@code yyyyMMddTHHmmssSSSZ}; reading also takes JADE's
 * {@code yyyyMMddZHHmmssSSS}.
 */
public final class EnvelopeXml {

    private static final int MAX_DEPTH = 16;
    private static final XMLInputFactory FACTORY;

    static {
        FACTORY = XMLInputFactory.newFactory();
        FACTORY.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        FACTORY.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        FACTORY.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
        FACTORY.setProperty(XMLInputFactory.IS_COALESCING, true);
    }

    private EnvelopeXml() {
    }

    // ------------------------------------------------------------------ writing

    /**
     * Writes an envelope as XML.
     *
     * @param e the envelope
     * @return the document
     */
    public static String write(FipaEnvelope e) {
        StringBuilder b = new StringBuilder(512);
        b.append("<?xml version=\"1.0\"?>\n<envelope><params index=\"1\">");
        for (Aid a : e.to()) {
            b.append("<to>");
            aid(b, a);
            b.append("</to>");
        }
        if (e.from() != null) {
            b.append("<from>");
            aid(b, e.from());
            b.append("</from>");
        }
        text(b, "comments", e.comments());
        text(b, "acl-representation", e.aclRepresentation());
        text(b, "payload-length", e.payloadLength() == null ? null : e.payloadLength().toString());
        text(b, "payload-encoding", e.payloadEncoding());
        text(b, "date", e.date() == null ? null : AclCodec.formatDate(e.date()));
        for (Aid a : e.intendedReceivers()) {
            b.append("<intended-receiver>");
            aid(b, a);
            b.append("</intended-receiver>");
        }
        for (FipaEnvelope.Received r : e.received()) {
            b.append("<received>");
            stamp(b, "received-by", r.by());
            stamp(b, "received-from", r.from());
            stamp(b, "received-date", r.date() == null ? null : AclCodec.formatDate(r.date()));
            stamp(b, "received-id", r.id());
            stamp(b, "received-via", r.via());
            b.append("</received>");
        }
        return b.append("</params></envelope>").toString();
    }

    private static void aid(StringBuilder b, Aid a) {
        b.append("<agent-identifier>");
        text(b, "name", a.name());
        if (!a.addresses().isEmpty()) {
            b.append("<addresses>");
            for (String u : a.addresses()) {
                text(b, "url", u);
            }
            b.append("</addresses>");
        }
        if (!a.resolvers().isEmpty()) {
            b.append("<resolvers>");
            for (Aid r : a.resolvers()) {
                aid(b, r);
            }
            b.append("</resolvers>");
        }
        b.append("</agent-identifier>");
    }

    private static void text(StringBuilder b, String tag, String v) {
        if (v != null) {
            b.append('<').append(tag).append('>');
            escape(b, v);
            b.append("</").append(tag).append('>');
        }
    }

    private static void stamp(StringBuilder b, String tag, String v) {
        if (v != null) {
            b.append('<').append(tag).append(" value=\"");
            escape(b, v);
            b.append("\"/>");
        }
    }

    private static void escape(StringBuilder b, String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(c);
            }
        }
    }

    // ------------------------------------------------------------------ reading

    /**
     * Reads an envelope.
     *
     * @param xml the document's bytes
     * @return the envelope (all {@code params} merged)
     * @throws EnvelopeException when it is not a valid envelope
     */
    public static FipaEnvelope read(byte[] xml) {
        XMLStreamReader r = null;
        try {
            r = FACTORY.createXMLStreamReader(new ByteArrayInputStream(xml));
            return new Reader(r).envelope();
        } catch (XMLStreamException ex) {
            Location l = ex.getLocation();
            String where = l == null ? "" : " (line " + l.getLineNumber() + ", column " + l.getColumnNumber() + ")";
            String msg = ex.getMessage() == null ? "malformed XML" : ex.getMessage();
            // The parser's own message starts with its location in brackets; keep the reason only.
            int cut = msg.indexOf("Message: ");
            throw new EnvelopeException("the XML envelope is not well-formed: "
                    + (cut >= 0 ? msg.substring(cut + 9) : msg) + where);
        } finally {
            if (r != null) {
                try {
                    r.close();
                } catch (XMLStreamException ignored) {
                    // nothing to release beyond the byte array
                }
            }
        }
    }

    /** A pull reader over one envelope document. */
    private static final class Reader {
        private final XMLStreamReader r;
        private int depth;

        Reader(XMLStreamReader r) {
            this.r = r;
        }

        private EnvelopeException error(String what) {
            Location l = r.getLocation();
            return new EnvelopeException("XML envelope: " + what + " (line " + l.getLineNumber() + ", column "
                    + l.getColumnNumber() + ")");
        }

        /** The next start or end tag, refusing DTDs on the way. */
        private int nextTag() throws XMLStreamException {
            while (r.hasNext()) {
                int ev = r.next();
                switch (ev) {
                    case XMLStreamConstants.DTD, XMLStreamConstants.ENTITY_REFERENCE ->
                            throw error("DTDs and entity references are not accepted");
                    case XMLStreamConstants.START_ELEMENT -> {
                        if (++depth > MAX_DEPTH) {
                            throw error("nested deeper than " + MAX_DEPTH + " elements");
                        }
                        return ev;
                    }
                    case XMLStreamConstants.END_ELEMENT -> {
                        depth--;
                        return ev;
                    }
                    case XMLStreamConstants.CHARACTERS, XMLStreamConstants.SPACE, XMLStreamConstants.COMMENT,
                         XMLStreamConstants.PROCESSING_INSTRUCTION, XMLStreamConstants.CDATA -> {
                        if ((ev == XMLStreamConstants.CHARACTERS || ev == XMLStreamConstants.CDATA)
                                && !r.isWhiteSpace()) {
                            throw error("unexpected text '" + shorten(r.getText().strip()) + "'");
                        }
                    }
                    case XMLStreamConstants.END_DOCUMENT -> throw error("the document ended early");
                    default -> {
                        // start of document and the like carry nothing for us
                    }
                }
            }
            throw error("the document ended early");
        }

        private String textOf() throws XMLStreamException {
            StringBuilder b = new StringBuilder();
            while (true) {
                int ev = r.next();
                switch (ev) {
                    case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE ->
                            b.append(r.getText());
                    case XMLStreamConstants.COMMENT, XMLStreamConstants.PROCESSING_INSTRUCTION -> { }
                    case XMLStreamConstants.END_ELEMENT -> {
                        depth--;
                        return b.toString().strip();
                    }
                    case XMLStreamConstants.START_ELEMENT -> throw error("element <" + r.getLocalName()
                            + "> where text was expected");
                    case XMLStreamConstants.DTD, XMLStreamConstants.ENTITY_REFERENCE ->
                            throw error("DTDs and entity references are not accepted");
                    default -> throw error("the document ended inside an element");
                }
            }
        }

        private void skipElement() throws XMLStreamException {
            int level = depth;
            while (depth >= level) {
                nextTag();
            }
        }

        FipaEnvelope envelope() throws XMLStreamException {
            if (nextTag() != XMLStreamConstants.START_ELEMENT || !r.getLocalName().equals("envelope")) {
                throw error("the root element must be <envelope>");
            }
            Map<Integer, Params> byIndex = new TreeMap<>();
            int order = 0;
            while (nextTag() == XMLStreamConstants.START_ELEMENT) {
                if (!r.getLocalName().equals("params")) {
                    throw error("expected <params>, found <" + r.getLocalName() + ">");
                }
                String idx = r.getAttributeValue(null, "index");
                int index;
                try {
                    index = idx == null ? ++order : Integer.parseInt(idx.strip());
                } catch (NumberFormatException ex) {
                    throw error("params index '" + shorten(idx) + "' is not a number");
                }
                Params p = params();
                byIndex.merge(index, p, Params::overriddenBy);
            }
            if (byIndex.isEmpty()) {
                throw error("the envelope has no <params>");
            }
            Params all = new Params();
            for (Params p : byIndex.values()) {
                all = all.overriddenBy(p);
            }
            return all.build();
        }

        Params params() throws XMLStreamException {
            Params p = new Params();
            while (nextTag() == XMLStreamConstants.START_ELEMENT) {
                String tag = r.getLocalName();
                switch (tag) {
                    case "to" -> p.to = add(p.to, wrappedAid(tag));
                    case "from" -> p.from = wrappedAid(tag);
                    case "intended-receiver" -> p.intended = add(p.intended, wrappedAid(tag));
                    case "comments" -> p.comments = textOf();
                    case "acl-representation" -> p.representation = textOf();
                    case "payload-encoding" -> p.encoding = textOf();
                    case "payload-length" -> {
                        String v = textOf();
                        try {
                            p.length = Long.parseLong(v);
                        } catch (NumberFormatException ex) {
                            throw error("payload-length '" + shorten(v) + "' is not a number");
                        }
                        if (p.length < 0) {
                            throw error("payload-length cannot be negative");
                        }
                    }
                    case "date" -> p.date = date(textOf());
                    case "received" -> p.received = add(p.received, received());
                    default -> skipElement();
                }
            }
            return p;
        }

        private static <T> List<T> add(List<T> list, T v) {
            List<T> out = list == null ? new ArrayList<>() : list;
            out.add(v);
            return out;
        }

        Aid wrappedAid(String tag) throws XMLStreamException {
            Aid a = null;
            while (nextTag() == XMLStreamConstants.START_ELEMENT) {
                if (!r.getLocalName().equals("agent-identifier")) {
                    throw error("<" + tag + "> holds <agent-identifier>, found <" + r.getLocalName() + ">");
                }
                if (a != null) {
                    throw error("<" + tag + "> holds one <agent-identifier>");
                }
                a = aid();
            }
            if (a == null) {
                throw error("<" + tag + "> without <agent-identifier>");
            }
            return a;
        }

        Aid aid() throws XMLStreamException {
            String name = null;
            List<String> urls = new ArrayList<>();
            List<Aid> resolvers = new ArrayList<>();
            while (nextTag() == XMLStreamConstants.START_ELEMENT) {
                switch (r.getLocalName()) {
                    case "name" -> name = textOf();
                    case "addresses" -> {
                        while (nextTag() == XMLStreamConstants.START_ELEMENT) {
                            if (!r.getLocalName().equals("url")) {
                                throw error("<addresses> holds <url>, found <" + r.getLocalName() + ">");
                            }
                            urls.add(textOf());
                        }
                    }
                    case "resolvers" -> {
                        while (nextTag() == XMLStreamConstants.START_ELEMENT) {
                            if (!r.getLocalName().equals("agent-identifier")) {
                                throw error("<resolvers> holds <agent-identifier>, found <" + r.getLocalName() + ">");
                            }
                            resolvers.add(aid());
                        }
                    }
                    default -> skipElement();
                }
            }
            if (name == null || name.isEmpty()) {
                throw error("<agent-identifier> without <name>");
            }
            return new Aid(name, urls, resolvers, Map.of());
        }

        FipaEnvelope.Received received() throws XMLStreamException {
            String by = null;
            String from = null;
            Instant date = null;
            String id = null;
            String via = null;
            while (nextTag() == XMLStreamConstants.START_ELEMENT) {
                String tag = r.getLocalName();
                String v = r.getAttributeValue(null, "value");
                skipElement();
                switch (tag) {
                    case "received-by" -> by = v;
                    case "received-from" -> from = v;
                    case "received-date" -> date = v == null ? null : date(v);
                    case "received-id" -> id = v;
                    case "received-via" -> via = v;
                    default -> { }
                }
            }
            return new FipaEnvelope.Received(by, from, date, id, via);
        }

        Instant date(String v) {
            String s = v;
            // JADE writes the zone letter after the date part: yyyyMMddZHHmmssSSS.
            if (s.length() == 18 && (s.charAt(8) == 'Z' || s.charAt(8) == 'z')) {
                s = s.substring(0, 8) + "T" + s.substring(9) + "Z";
            }
            try {
                return AclCodec.parseDate(s);
            } catch (AclParseException ex) {
                throw error("date '" + shorten(v) + "' is not a FIPA date (yyyyMMddTHHmmssSSS[Z])");
            }
        }

        private static String shorten(String t) {
            return t.length() > 40 ? t.substring(0, 40) + "..." : t;
        }
    }

    /** One {@code params} block; null fields were not given there. */
    private static final class Params {
        List<Aid> to;
        Aid from;
        String comments;
        String representation;
        Long length;
        String encoding;
        Instant date;
        List<Aid> intended;
        List<FipaEnvelope.Received> received;

        Params overriddenBy(Params o) {
            Params p = new Params();
            p.to = o.to != null ? o.to : to;
            p.from = o.from != null ? o.from : from;
            p.comments = o.comments != null ? o.comments : comments;
            p.representation = o.representation != null ? o.representation : representation;
            p.length = o.length != null ? o.length : length;
            p.encoding = o.encoding != null ? o.encoding : encoding;
            p.date = o.date != null ? o.date : date;
            p.intended = o.intended != null ? o.intended : intended;
            // Stamps accumulate: every platform on the way adds its own.
            if (received == null || o.received == null) {
                p.received = o.received != null ? o.received : received;
            } else {
                p.received = new ArrayList<>(received);
                p.received.addAll(o.received);
            }
            return p;
        }

        FipaEnvelope build() {
            return new FipaEnvelope(to, from, comments, representation, length, encoding, date, intended, received);
        }
    }
}
