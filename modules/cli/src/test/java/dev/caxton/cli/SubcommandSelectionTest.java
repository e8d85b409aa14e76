package dev.caxton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The root command is given only the subcommands a command line can reach, so a client command does
 * not pay for introspecting the whole tree; help and typos still see every command.
 */
class SubcommandSelectionTest {

    private static CommandLine rootFor(String... args) {
        CommandLine root = new CommandLine(new CaxtonCommand(new CliContext(Map.of(), null)));
        CaxtonCommand.addSubcommands(root, args);
        return root;
    }

    @Test
    void aNamedCommandGetsOnlyItsOwnSubtree() {
        assertThat(rootFor("agent", "list", "--server", "http://x").getSubcommands()).containsOnlyKeys("agent");
        assertThat(rootFor("message", "send", "--config", "c.yaml").getSubcommands()).containsOnlyKeys("message");
    }

    @Test
    void aBareVersionNeedsNoSubcommand() {
        assertThat(rootFor("--version").getSubcommands()).isEmpty();
    }

    @Test
    void helpAndUnknownWordsSeeEveryCommand() {
        int all = CaxtonCommand.SUBCOMMANDS.size();
        assertThat(rootFor("--help").getSubcommands()).hasSize(all);
        assertThat(rootFor().getSubcommands()).hasSize(all);
        assertThat(rootFor("agnet", "list").getSubcommands()).hasSize(all);
    }

    @Test
    void throughMainHelpListsEveryCommandAndATypoIsAnsweredWithTheCommands() {
        Cli.Result help = Cli.run("--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("agent").contains("message").contains("token").contains("storage");
        Cli.Result typo = Cli.run("agnet", "list");
        assertThat(typo.code()).isEqualTo(CliException.USAGE);
        assertThat(typo.err()).contains("agnet");
        Cli.Result sub = Cli.run("agent", "list", "--help");
        assertThat(sub.code()).isZero();
        assertThat(sub.out()).contains("Usage: caxton agent list");
    }

    @Test
    void aNamedGroupGetsOnlyTheSubcommandNamedNext() {
        CommandLine agent = rootFor("agent", "list", "--server", "http://x").getSubcommands().get("agent");
        assertThat(agent.getSubcommands()).containsOnlyKeys("list");
        assertThat(rootFor("token", "list").getSubcommands().get("token").getSubcommands()).containsOnlyKeys("list");
        // agent test runs agent check itself, so it gets its sibling.
        assertThat(rootFor("agent", "test", "a.wasm").getSubcommands().get("agent").getSubcommands())
                .containsOnlyKeys("check", "test");
    }

    @Test
    void groupHelpAndTyposSeeEverySubcommandOfTheGroup() {
        int all = CaxtonCommand.GROUPS.get(AgentCommand.class).size();
        assertThat(rootFor("agent", "--help").getSubcommands().get("agent").getSubcommands()).hasSize(all);
        assertThat(rootFor("agent").getSubcommands().get("agent").getSubcommands()).hasSize(all);
        assertThat(rootFor("agent", "lsit").getSubcommands().get("agent").getSubcommands()).hasSize(all);
        Cli.Result typo = Cli.run("agent", "lsit");
        assertThat(typo.code()).isEqualTo(CliException.USAGE);
        assertThat(typo.err()).contains("lsit");
        Cli.Result help = Cli.run("agent", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("deploy").contains("list").contains("check").contains("test");
    }

    @Test
    void helpOfALeafIsTheSameWhetherItsSiblingsAreBuiltOrNot() {
        // The whole tree (as for a typo) against the path alone: inherited options and attributes
        // reach a leaf the same way.
        for (String[] path : new String[][] {{"agent", "deploy"}, {"agent", "list"}, {"message", "send"},
            {"config", "validate"}, {"token", "create"}, {"performance", "diagnose"}}) {
            CommandLine whole = rootFor("no-such-command");
            CommandLine alone = rootFor(path);
            String a = whole.getSubcommands().get(path[0]).getSubcommands().get(path[1]).getUsageMessage();
            String b = alone.getSubcommands().get(path[0]).getSubcommands().get(path[1]).getUsageMessage();
            assertThat(b).as(String.join(" ", path)).isEqualTo(a).contains("--help").contains("--version");
        }
    }

    @Test
    void versionAloneIsPrintedAsPicocliPrintsIt() {
        CommandLine root = new CommandLine(new CaxtonCommand(new CliContext(Map.of(), null)));
        java.io.StringWriter viaPicocli = new java.io.StringWriter();
        root.setOut(new java.io.PrintWriter(viaPicocli));
        assertThat(root.execute("--version")).isZero();
        for (String form : new String[] {"--version", "-V"}) {
            Cli.Result r = Cli.run(form);
            assertThat(r.code()).isZero();
            assertThat(r.out()).isEqualTo(viaPicocli.toString());
        }
    }
}
