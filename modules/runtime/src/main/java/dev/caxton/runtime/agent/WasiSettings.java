package dev.caxton.runtime.agent;

import dev.caxton.runtime.api.DeployException;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The bounds on the program arguments and environment a deployer gives a WASI agent
 * ({@code wasi_args}, {@code wasi_env}), checked before anything is compiled. They are fixed rather
 * than configured: they exist to keep a stored agent record and every instance of it small, and
 * far exceed what a program's configuration needs.
 */
public final class WasiSettings {

    /** The most arguments an agent may be given. */
    public static final int MAX_ARGS = 64;
    /** The most environment variables an agent may be given. */
    public static final int MAX_ENV = 64;
    /** The most UTF-8 bytes one argument, or one {@code NAME=value} entry, may take. */
    public static final int MAX_ITEM_BYTES = 4096;
    /** The most UTF-8 bytes all arguments and entries may take together. */
    public static final int MAX_TOTAL_BYTES = 32 * 1024;

    private WasiSettings() {
    }

    /**
     * Checks a deployment's WASI arguments and environment.
     *
     * @param wasi whether the deployment asks for WASI
     * @param args the arguments
     * @param env  the environment
     * @throws DeployException ({@link DeployException.Kind#INVALID_REQUEST}) naming the field and the
     *                         entry that is wrong
     */
    public static void check(boolean wasi, List<String> args, Map<String, String> env) {
        if (!wasi && (!args.isEmpty() || !env.isEmpty())) {
            String field = args.isEmpty() ? "wasi_env" : "wasi_args";
            throw invalid("field '" + field + "': arguments and environment are for WASI agents; deploy with wasi"
                    + " (--wasi) or without " + field);
        }
        if (args.size() > MAX_ARGS) {
            throw invalid("field 'wasi_args' has " + args.size() + " arguments; at most " + MAX_ARGS + " are allowed");
        }
        if (env.size() > MAX_ENV) {
            throw invalid("field 'wasi_env' has " + env.size() + " variables; at most " + MAX_ENV + " are allowed");
        }
        long total = 0;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String where = "field 'wasi_args', argument " + (i + 1);
            if (a == null) {
                throw invalid(where + " is null; every argument is a string");
            }
            total += checkText(where, a);
        }
        for (Map.Entry<String, String> e : env.entrySet()) {
            String name = e.getKey();
            String where = "field 'wasi_env', variable '" + name + "'";
            if (name == null || name.isEmpty()) {
                throw invalid("field 'wasi_env' has a variable with an empty name");
            }
            if (name.indexOf('=') >= 0) {
                throw invalid(where + ": a name cannot contain '='");
            }
            if (e.getValue() == null) {
                throw invalid(where + " has no value; give an empty string for an empty one");
            }
            total += checkText(where, name + "=" + e.getValue());
        }
        if (total > MAX_TOTAL_BYTES) {
            throw invalid("fields 'wasi_args' and 'wasi_env' take " + total + " bytes together; at most "
                    + MAX_TOTAL_BYTES + " are allowed");
        }
    }

    /** @return the text's size in UTF-8, once it is known to fit */
    private static int checkText(String where, String text) {
        if (text.indexOf('\0') >= 0) {
            throw invalid(where + " contains a NUL character, which C programs cannot see past");
        }
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_ITEM_BYTES) {
            throw invalid(where + " is " + bytes + " bytes long; at most " + MAX_ITEM_BYTES + " are allowed");
        }
        return bytes;
    }

    private static DeployException invalid(String message) {
        return new DeployException(DeployException.Kind.INVALID_REQUEST, message);
    }
}
