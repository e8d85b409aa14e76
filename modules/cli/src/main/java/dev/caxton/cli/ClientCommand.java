package dev.caxton.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * A command that works through a running node's management API. The command's own arguments are
 * checked (and its files read) before anything is resolved or sent, so a mistake on the command
 * line is reported as such even when the node is unreachable.
 */
abstract class ClientCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions client;

    // Beside the connection options rather than among them: `caxton profile` needs --output for its file.
    @Mixin
    OutputOptions output;

    /**
     * Checks the arguments and prepares the request, before any connection is made.
     *
     * @throws CliException when an argument is wrong
     */
    void prepare() {
    }

    /**
     * Does the command's work.
     *
     * @param api the connected client
     * @param out standard output
     * @return the exit code
     */
    abstract int run(ApiClient api, PrintWriter out);

    @Override
    public final Integer call() {
        prepare();
        try (ApiClient api = client.connect(CaxtonCommand.context(spec))) {
            return run(api, spec.commandLine().getOut());
        }
    }

    /**
     * Whether JSON output was asked for.
     *
     * @return true for {@code --output json}
     */
    boolean json() {
        return output.json();
    }

    /**
     * Encodes a name as one path segment of a URL, so names with spaces or slashes reach the API intact.
     *
     * @param name the name
     * @return the encoded segment
     */
    static String segment(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
