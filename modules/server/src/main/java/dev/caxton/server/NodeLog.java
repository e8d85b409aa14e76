package dev.caxton.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.caxton.runtime.logging.LogFields;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The node's one log: java.util.logging's root logger (where {@link System.Logger}, Netty and
 * JGroups all write) with a single handler on standard error, one line per event, plain or JSON.
 * The level can change while the node runs.
 *
 * <p>Structured fields come from a {@link LogFields} passed as the last parameter of a log call;
 * the formatter writes them as {@code agent}, {@code message_id} and {@code conversation_id}.
 */
public final class NodeLog {

    /** The log formats {@code observability.logging.format} accepts. */
    public enum Format {
        /** {@code 2026-01-01T00:00:00Z INFO logger: message agent=a} */
        PLAIN,
        /** One JSON object per line: ts, level, logger, msg, agent, message_id, conversation_id, error. */
        JSON
    }

    private static final Object LOCK = new Object();
    private static volatile String level = "info";
    private static volatile Format format = Format.PLAIN;

    private NodeLog() {
    }

    /**
     * Makes the root logger write through one handler on standard error in the given format and level,
     * and sends Netty's own logging there too.
     *
     * @param fmt the format
     * @param lvl one of trace, debug, info, warn, error
     */
    public static void install(Format fmt, String lvl) {
        synchronized (LOCK) {
            // Netty would use SLF4J or log4j if one happened to be present; pin it to the JDK log.
            io.netty.util.internal.logging.InternalLoggerFactory.setDefaultFactory(
                    io.netty.util.internal.logging.JdkLoggerFactory.INSTANCE);
            Logger root = Logger.getLogger("");
            for (Handler h : root.getHandlers()) {
                root.removeHandler(h);
            }
            Handler h = new ConsoleHandler();
            h.setFormatter(formatter(fmt));
            root.addHandler(h);
            format = fmt;
            setLevel(lvl);
        }
    }

    /**
     * Changes the level of the node's log now.
     *
     * @param lvl one of trace, debug, info, warn, error
     * @throws IllegalArgumentException for any other word
     */
    public static void setLevel(String lvl) {
        Level l = julLevel(lvl);
        synchronized (LOCK) {
            Logger root = Logger.getLogger("");
            root.setLevel(l);
            for (Handler h : root.getHandlers()) {
                h.setLevel(l);
            }
            level = lvl;
        }
    }

    /** @return the current level word */
    public static String level() {
        return level;
    }

    /** @return the current format */
    public static Format format() {
        return format;
    }

    /**
     * @param lvl a level word
     * @return the java.util.logging level
     * @throws IllegalArgumentException naming the allowed words
     */
    static Level julLevel(String lvl) {
        return switch (lvl == null ? "" : lvl) {
            case "trace" -> Level.FINEST;
            case "debug" -> Level.FINE;
            case "info" -> Level.INFO;
            case "warn" -> Level.WARNING;
            case "error" -> Level.SEVERE;
            default -> throw new IllegalArgumentException("level must be one of trace, debug, info, warn, error; got '"
                    + lvl + "'");
        };
    }

    /**
     * The formatter for a format.
     *
     * @param fmt the format
     * @return a formatter writing one line per record
     */
    public static Formatter formatter(Format fmt) {
        return fmt == Format.JSON ? new JsonLines() : new Plain();
    }

    private static String levelWord(Level l) {
        int v = l.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return "ERROR";
        } else if (v >= Level.WARNING.intValue()) {
            return "WARN";
        } else if (v >= Level.INFO.intValue()) {
            return "INFO";
        } else if (v >= Level.FINE.intValue()) {
            return "DEBUG";
        }
        return "TRACE";
    }

    private static LogFields fields(LogRecord r) {
        Object[] p = r.getParameters();
        if (p != null && p.length > 0 && p[p.length - 1] instanceof LogFields f) {
            return f;
        }
        return null;
    }

    /** The message with its parameters filled in, as one line (line breaks become visible escapes). */
    private static String text(Formatter f, LogRecord r) {
        String m = f.formatMessage(r);
        return m.indexOf('\n') < 0 && m.indexOf('\r') < 0 ? m : m.replace("\r", "\\r").replace("\n", "\\n");
    }

    private static final class Plain extends Formatter {
        @Override
        public String format(LogRecord r) {
            StringBuilder b = new StringBuilder(160);
            b.append(r.getInstant()).append(' ').append(levelWord(r.getLevel())).append(' ')
                    .append(r.getLoggerName()).append(": ").append(text(this, r));
            LogFields f = fields(r);
            if (f != null) {
                field(b, "agent", f.agent());
                field(b, "message_id", f.messageId());
                field(b, "conversation_id", f.conversationId());
            }
            if (r.getThrown() != null) {
                b.append(" error=\"").append(String.valueOf(r.getThrown().getMessage()).replace("\n", "\\n")).append('"');
            }
            return b.append(System.lineSeparator()).toString();
        }

        private static void field(StringBuilder b, String k, String v) {
            if (v != null) {
                b.append(' ').append(k).append('=').append(v);
            }
        }
    }

    private static final class JsonLines extends Formatter {
        private static final JsonFactory JSON = new JsonFactory();

        @Override
        public String format(LogRecord r) {
            StringWriter w = new StringWriter(200);
            try (JsonGenerator g = JSON.createGenerator(w)) {
                g.writeStartObject();
                g.writeStringField("ts", r.getInstant().toString());
                g.writeStringField("level", levelWord(r.getLevel()).toLowerCase(Locale.ROOT));
                g.writeStringField("logger", r.getLoggerName());
                g.writeStringField("msg", formatMessage(r));
                LogFields f = fields(r);
                if (f != null) {
                    opt(g, "agent", f.agent());
                    opt(g, "message_id", f.messageId());
                    opt(g, "conversation_id", f.conversationId());
                }
                if (r.getThrown() != null) {
                    g.writeStringField("error", String.valueOf(r.getThrown().getMessage()));
                }
                g.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            // The generator escapes control characters, so the object is always one line.
            return w.append(System.lineSeparator()).toString();
        }

        private static void opt(JsonGenerator g, String k, String v) throws IOException {
            if (v != null) {
                g.writeStringField(k, v);
            }
        }
    }
}
