package dev.caxton.cli;

import dev.caxton.runtime.config.CaxtonConfig;
import dev.caxton.runtime.fatal.FatalErrors;
import dev.caxton.runtime.plugin.PluginCatalog;
import dev.caxton.server.CaxtonServer;
import dev.caxton.spi.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code caxton server}: run a node in this process. */
@Command(name = "server",
        description = "Run a Caxton node.")
final class ServerCommand {

    /**
     * {@code caxton server start}: loads the plugins and the configuration, starts the node and
     * blocks until it shuts down: SIGTERM or Ctrl-C stop it gracefully and the process exits with 0.
     */
    @Command(name = "start", description = "Starts a node and runs it until it is stopped (SIGTERM, Ctrl-C).")
    static final class Start implements Callable<Integer> {

        @Spec
        private CommandSpec spec;

        @Mixin
        private ConfigOptions location;

        @Option(names = "--join", paramLabel = "HOST:PORT",
                description = "A node to join the cluster through (repeatable): added to coordination.cluster.seeds. "
                        + "The address is the membership's own (for jgroups its bind_addr), not the API's.")
        private List<String> join = new ArrayList<>();

        @Option(names = "--profile", paramLabel = "NAME",
                description = "A tuning profile: high-throughput, low-latency, memory-optimized or none; "
                        + "its values apply to every key the file and CAXTON_OPTS leave unset (wins over server.profile).")
        private String profile;

        @Override
        public Integer call() {
            CliContext ctx = CaxtonCommand.context(spec);
            PluginCatalog catalog = LocalSetup.catalog(ctx);
            CaxtonConfig config = LocalSetup.loadWithProfile(LocalSetup.configFile(location.config(), ctx).orElse(null),
                    catalog, profile);
            config = withJoin(config, join);
            // An Error escaping any node thread (an agent's, an HTTP handler's, a timer's) ends the
            // process with status 70 instead of leaving a node that answers /metrics but nothing else.
            FatalErrors.install(System.err, status -> Runtime.getRuntime().halt(status));
            CaxtonServer server;
            try {
                server = CaxtonServer.start(config, location.dataDir(), catalog);
            } catch (ConfigException | CliException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new CliException("cannot start the server: " + Main.describe(e));
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println("caxton " + VersionInfo.version() + ": management API at " + server.apiUri()
                    + " (configuration: " + config.source() + ")");
            out.flush();
            // Only the launcher owns the process, so only here do signals end it (with exit code 0).
            server.exitOnSignals();
            server.awaitTermination();
            return 0;
        }

        /**
         * Adds the {@code --join} addresses to the configured seeds (after them, without repeats).
         *
         * @throws CliException (a usage error) naming the first address that is not {@code host:port}
         */
        static CaxtonConfig withJoin(CaxtonConfig config, List<String> join) {
            if (join.isEmpty()) {
                return config;
            }
            List<String> seeds = new ArrayList<>(config.list("coordination.cluster.seeds"));
            for (String a : join) {
                try {
                    dev.caxton.spi.membership.Seeds.split(a);
                } catch (IllegalArgumentException e) {
                    throw CliException.usage("--join " + a + ": " + e.getMessage().replace("seed '" + a + "'", "the address")
                            + " (write HOST:PORT, e.g. --join 10.0.0.4:7800)");
                }
                if (!seeds.contains(a)) {
                    seeds.add(a);
                }
            }
            return config.with("coordination.cluster.seeds", seeds);
        }
    }

    /**
     * {@code caxton server health}: asks a running node for {@code GET /api/v1/health} and exits 0
     * only when it answers {@code ok}, so it can serve as a container's readiness check (the health
     * endpoint needs the token, which this command reads from the node's data directory).
     */
    @Command(name = "health", description = "Asks a running node whether it is healthy: exit 0 when it answers ok, "
            + "1 when it is stopping or cannot be reached.")
    static final class Health extends ClientCommand {

        @Override
        int run(ApiClient api, PrintWriter out) {
            com.fasterxml.jackson.databind.JsonNode answer = api.get("/health");
            String status = Json.text(answer.path("status"));
            if (json()) {
                Json.print(out, answer);
            } else {
                out.println("node " + Json.text(answer.path("node")) + ": " + status);
            }
            if (!"ok".equals(status)) {
                throw new CliException("node " + Json.text(answer.path("node")) + " is " + status);
            }
            return 0;
        }
    }

    /**
     * {@code caxton server reload-tls}: makes a running node load its API certificate files now
     * ({@code POST /api/v1/tls/reload}), for a renewal hook that should not wait for the file watch.
     * A pair the node refuses fails the command with the node's reason; the old certificate stays.
     */
    @Command(name = "reload-tls", description = "Makes a running node load its renewed API certificate files now "
            + "(server.tls.*, and fipa.http_mtp.tls.* when set); the certificate in use stays when the new pair is refused.")
    static final class ReloadTls extends ClientCommand {

        @Override
        int run(ApiClient api, PrintWriter out) {
            com.fasterxml.jackson.databind.JsonNode answer = api.post("/tls/reload", Json.object(), ApiClient.REQUEST_TIMEOUT);
            if (json()) {
                Json.print(out, answer);
            } else {
                if (answer.has("subject")) {
                    out.println((answer.path("reloaded").asBoolean() ? "new connections now use " : "unchanged, in use: ")
                            + Json.text(answer.path("subject")) + ", valid until " + Json.text(answer.path("not_after")));
                }
                // The FIPA MTP's own certificate (fipa.http_mtp.tls.*), when it has one.
                com.fasterxml.jackson.databind.JsonNode mtp = answer.path("fipa_mtp");
                if (mtp.has("subject")) {
                    out.println("FIPA MTP: " + (mtp.path("reloaded").asBoolean() ? "new connections now use " : "unchanged, in use: ")
                            + Json.text(mtp.path("subject")) + ", valid until " + Json.text(mtp.path("not_after")));
                }
            }
            return 0;
        }
    }
}
