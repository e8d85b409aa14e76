package dev.caxton.cli;

import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine;
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
        footer = {"", "Exit codes: 0 success, 1 the command failed, 2 the command line is wrong."})
final class CaxtonCommand {

    /**
     * Every subcommand of {@code caxton}, in the order help lists them. They are not declared on the
     * annotation because picocli would then introspect all of them at every start, and a client
     * command pays that for a tree it never uses; {@link #addSubcommands} adds only what the
     * command line needs.
     */
    static final List<Class<?>> SUBCOMMANDS = List.of(
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
            TokenCommand.class);

    /**
     * Adds to the root the subcommands this command line can reach: only the one it names when its
     * first word is a known command, none for a bare {@code --version}, and all of them otherwise
     * (help, a typo that picocli should answer with suggestions, no command at all).
     *
     * @param root the root command line
     * @param args the arguments about to be executed
     */
    static void addSubcommands(CommandLine root, String... args) {
        String first = null;
        boolean versionOnly = args.length > 0;
        for (String a : args) {
            if (!a.startsWith("-")) {
                first = a;
                break;
            }
            versionOnly &= a.equals("--version") || a.equals("-V");
        }
        if (first == null && versionOnly) {
            return;
        }
        for (Class<?> c : SUBCOMMANDS) {
            if (first != null && names(c).contains(first)) {
                root.addSubcommand(c);
                return;
            }
        }
        for (Class<?> c : SUBCOMMANDS) {
            root.addSubcommand(c);
        }
    }

    private static List<String> names(Class<?> c) {
        Command command = c.getAnnotation(Command.class);
        List<String> names = new ArrayList<>(List.of(command.aliases()));
        names.add(command.name());
        return names;
    }

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
