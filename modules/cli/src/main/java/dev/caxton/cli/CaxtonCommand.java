package dev.caxton.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ScopeType;

/**
 * The {@code caxton} command itself: a group of subcommands, holding the process context they all
 * read. Help and version options are inherited by every subcommand.
 */
@Command(name = "caxton",
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = "Caxton: a secure runtime for multi-agent systems (WebAssembly agents exchanging FIPA-ACL messages).",
        footer = {"", "Exit codes: 0 success, 1 the command failed, 2 the command line is wrong."},
        subcommands = {
            ServerCommand.class,
            AgentCommand.class,
            MessageCommand.class,
            DeadLettersCommand.class,
            ConfigCommand.class,
            PluginsCommand.class,
            ClusterCommand.class,
            BenchmarkCommand.class,
            ProfileCommand.class,
            TopCommand.class,
            DiagnoseCommands.Performance.class,
            DiagnoseCommands.Memory.class,
            StorageCommand.class,
            TokenCommand.class
        })
final class CaxtonCommand {

    private final CliContext context;

    /**
     * Creates the root command.
     *
     * @param context the process context
     */
    CaxtonCommand(CliContext context) {
        this.context = context;
    }

    /**
     * The process context, from any command of the tree.
     *
     * @param spec the command's spec
     * @return the context the root was created with
     */
    static CliContext context(CommandSpec spec) {
        return ((CaxtonCommand) spec.root().userObject()).context;
    }
}
