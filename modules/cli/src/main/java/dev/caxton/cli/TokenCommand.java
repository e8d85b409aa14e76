package dev.caxton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Duration;

/**
 * {@code caxton token}: the node's named API tokens. A new secret is printed once, on standard
 * output only, and is never kept anywhere but as a hash on the node (the default token excepted,
 * whose file the node rewrites so the local command line keeps working).
 */
@Command(name = "token",
        description = "Named API tokens with roles (admin, operator, metrics): list, create, rotate, revoke. Needs an admin token.")
final class TokenCommand {

    /** {@code caxton token list}. */
    @Command(name = "list", description = "Lists the tokens: name, role, and when a rotated-out secret stops working.")
    static final class ListTokens extends ClientCommand {

        @Override
        int run(ApiClient api, PrintWriter out) {
            JsonNode answer = api.get("/tokens");
            if (json()) {
                Json.print(out, answer);
                return 0;
            }
            TextTable table = new TextTable("NAME", "ROLE", "VALID UNTIL");
            for (JsonNode t : answer.path("tokens")) {
                table.row(Json.text(t.path("name")), Json.text(t.path("role")),
                        t.path("valid_until").isNull() ? "-" : Json.text(t.path("valid_until")) + " (rotated out)");
            }
            table.print(out);
            return 0;
        }
    }

    /** {@code caxton token create NAME --role ROLE}. */
    @Command(name = "create", description = "Creates a token and prints its secret once.")
    static final class Create extends ClientCommand {

        @Parameters(index = "0", paramLabel = "NAME", description = "The token's name (letters, digits, '.', '_', '-').")
        private String name;

        @Option(names = "--role", required = true, paramLabel = "ROLE",
                description = "admin (everything), operator (read and send messages) or metrics (read only).")
        private String role;

        @Override
        void prepare() {
            if (!role.equals("admin") && !role.equals("operator") && !role.equals("metrics")) {
                throw CliException.usage("--role: expected admin, operator or metrics, got '" + role + "'");
            }
        }

        @Override
        int run(ApiClient api, PrintWriter out) {
            ObjectNode body = JsonNodeFactory.instance.objectNode().put("name", name).put("role", role);
            return printSecret(json(), out, api.post("/tokens", body, ApiClient.REQUEST_TIMEOUT));
        }
    }

    /** {@code caxton token rotate [NAME] [--grace D]}. */
    @Command(name = "rotate", description = "Gives a token a new secret; the old one keeps working for the grace period, then is refused.")
    static final class Rotate extends ClientCommand {

        @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", defaultValue = "default",
                description = "The token (default: the node's default token, whose file in the data directory is rewritten).")
        private String name;

        @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "10m", converter = Quantity.Time.class,
                description = "How long the old secret stays valid, e.g. 30s, 10m, 0 (default: ${DEFAULT-VALUE}).")
        private Duration grace;

        @Override
        int run(ApiClient api, PrintWriter out) {
            ObjectNode body = JsonNodeFactory.instance.objectNode().put("grace_ms", grace.toMillis());
            JsonNode answer = api.post("/tokens/" + segment(name) + "/rotate", body, ApiClient.REQUEST_TIMEOUT);
            int rc = printSecret(json(), out, answer);
            if (!json()) {
                out.println(answer.path("previous_valid_until").isNull() ? "the previous secret is refused from now on"
                        : "the previous secret is accepted until " + Json.text(answer.path("previous_valid_until")));
            }
            return rc;
        }
    }

    /** {@code caxton token revoke NAME}. */
    @Command(name = "revoke", description = "Deletes a token; it is refused from now on.")
    static final class Revoke extends ClientCommand {

        @Parameters(index = "0", paramLabel = "NAME", description = "The token to delete.")
        private String name;

        @Override
        int run(ApiClient api, PrintWriter out) {
            JsonNode answer = api.delete("/tokens/" + segment(name));
            if (json()) {
                Json.print(out, answer);
            } else {
                out.println("revoked token " + name);
            }
            return 0;
        }
    }

    private static int printSecret(boolean json, PrintWriter out, JsonNode answer) {
        if (json) {
            Json.print(out, answer);
        } else {
            out.println(Json.text(answer.path("token")));
        }
        return 0;
    }
}
