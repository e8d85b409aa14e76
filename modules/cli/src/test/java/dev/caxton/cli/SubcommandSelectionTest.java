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
}
