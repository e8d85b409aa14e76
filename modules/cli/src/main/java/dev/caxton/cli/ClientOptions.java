package dev.caxton.cli;

import dev.caxton.runtime.config.CaxtonConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The options of every command that talks to a running node, and how they become a connection.
 *
 * <p>The API address is {@code --server}, else the address the configuration gives, else
 * {@value ApiClient#DEFAULT_URL}. The token is {@code --token}, else {@code CAXTON_TOKEN}, else the
 * token file the node wrote into its data directory ({@code --data-dir}, else the configuration's
 * {@code server.data_dir}, else {@code ./data}).
 */
final class ClientOptions {

    // The shared options are listed after each command's own ones in its help (their order values
    // are above the default), so what is particular to a command comes first.

    /** The token file's name when no configuration says otherwise. */
    static final String DEFAULT_TOKEN_FILE = "api-token";

    @Mixin
    private ConfigOptions location;

    @Option(names = "--server", order = 101, paramLabel = "URL",
            description = "The node's management API (default: from the configuration, else " + ApiClient.DEFAULT_URL + ").")
    private String server;

    @Option(names = "--token", order = 102, paramLabel = "TOKEN",
            description = "The API token (default: $" + CliContext.TOKEN_ENV + ", else <data-dir>/api-token).")
    private String token;

    @Option(names = "--ca-file", order = 103, paramLabel = "FILE",
            description = "PEM file of the certificate authorities to trust for an https --server (default: the system's trust store).")
    private Path caFile;

    /**
     * Resolves the address and token and opens a client.
     *
     * @param ctx the process context
     * @return the client; close it when done
     * @throws CliException when no token can be found or an option is malformed
     * @throws dev.caxton.spi.ConfigException when the configuration file is wrong
     */
    ApiClient connect(CliContext ctx) {
        // The configuration is read only when something has to come from it, but a file named
        // explicitly is always checked (its core settings; provider sections are the node's to check):
        // silently ignoring a broken --config would hide a mistake.
        Optional<CaxtonConfig> config = Optional.empty();
        boolean needConfig = location.config() != null || server == null
                || (token == null && ctx.envVar(CliContext.TOKEN_ENV).isEmpty());
        if (needConfig) {
            Optional<Path> file = LocalSetup.configFile(location.config(), ctx);
            if (file.isPresent()) {
                config = Optional.of(CaxtonConfig.loadForClient(file.get()));
            }
        }
        URI uri = server != null ? parseServer(server)
                : parseServer(config.map(CaxtonConfig::apiUrl).orElse(ApiClient.DEFAULT_URL));
        return new ApiClient(uri, resolveToken(ctx, config), caFile == null ? null : ApiClient.trusting(caFile));
    }

    private String resolveToken(CliContext ctx, Optional<CaxtonConfig> config) {
        if (token != null) {
            if (token.isBlank()) {
                throw CliException.usage("--token: the token is empty");
            }
            return token.trim();
        }
        Optional<String> fromEnv = ctx.envVar(CliContext.TOKEN_ENV);
        if (fromEnv.isPresent()) {
            return fromEnv.get();
        }
        Path dataDir = location.dataDir() != null ? location.dataDir()
                : config.map(CaxtonConfig::dataDir).orElse(Path.of("data"));
        String fileName = config.map(c -> c.string("security.token_file")).orElse(DEFAULT_TOKEN_FILE);
        Path file = dataDir.resolve(fileName);
        try {
            String t = Files.readString(file).trim();
            if (t.isEmpty()) {
                throw new CliException("the token file " + file + " is empty");
            }
            return t;
        } catch (NoSuchFileException e) {
            throw new CliException("no API token: pass --token, set " + CliContext.TOKEN_ENV
                    + ", or point --data-dir at the server's data directory (" + file + " does not exist)");
        } catch (AccessDeniedException e) {
            throw new CliException("cannot read the API token from " + file + ": permission denied"
                    + " (run as the server's user, or pass --token)");
        } catch (IOException e) {
            throw new CliException("cannot read the API token from " + file + ": " + e.getMessage());
        }
    }

    /**
     * Checks an API address.
     *
     * @param value the URL text
     * @return the URL
     * @throws CliException naming {@code --server} when it is not an http(s) URL with a host
     */
    static URI parseServer(String value) {
        String problem;
        try {
            URI uri = new URI(value.trim());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                problem = "the scheme must be http or https";
            } else if (uri.getHost() == null) {
                problem = "it names no host";
            } else if (uri.getQuery() != null || uri.getFragment() != null) {
                problem = "it must not carry a query or fragment";
            } else {
                return uri;
            }
        } catch (URISyntaxException e) {
            problem = e.getMessage();
        }
        throw CliException.usage("--server: expected a URL such as " + ApiClient.DEFAULT_URL + ", got '" + value + "' (" + problem + ")");
    }
}
