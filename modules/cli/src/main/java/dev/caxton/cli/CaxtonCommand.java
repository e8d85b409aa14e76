package dev.caxton.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
     * The subcommands of each command group, in the order its help lists them. Like the root's, they
     * are not declared on the groups' annotations: picocli would introspect every one of them
     * (annotations, fields, mixins) to run one, and {@code agent list} would pay for {@code agent
     * deploy}'s seventeen options. {@link #addSubcommands} builds only the path the command line takes.
     */
    static final Map<Class<?>, List<Class<?>>> GROUPS = Map.ofEntries(
            Map.entry(ServerCommand.class, List.of(ServerCommand.Start.class, ServerCommand.Health.class,
                    ServerCommand.ReloadTls.class)),
            Map.entry(AgentCommand.class, List.of(AgentCommand.Deploy.class, AgentCommand.ListAgents.class,
                    AgentCommand.Inspect.class, AgentCommand.Undeploy.class, AgentCommand.Reload.class,
                    AgentCheck.class, AgentNew.class, AgentTest.class)),
            Map.entry(MessageCommand.class, List.of(MessageCommand.Send.class, MessageCommand.Trace.class)),
            Map.entry(DeadLettersCommand.class, List.of(DeadLettersCommand.ListLetters.class,
                    DeadLettersCommand.Replay.class)),
            Map.entry(ConfigCommand.class, List.of(ConfigCommand.Validate.class, ConfigCommand.Set.class)),
            Map.entry(PluginsCommand.class, List.of(PluginsCommand.ListPlugins.class, PluginsCommand.Verify.class)),
            Map.entry(ClusterCommand.class, List.of(ClusterCommand.Members.class, ClusterCommand.Leave.class,
                    DiagnoseCommands.AnalyzeGossip.class)),
            Map.entry(BenchmarkCommand.class, List.of(BenchmarkCommand.Run.class, BenchmarkCommand.Compare.class)),
            Map.entry(ProfileCommand.class, List.of(ProfileCommand.Cpu.class, ProfileCommand.Memory.class)),
            Map.entry(DiagnoseCommands.Performance.class, List.of(DiagnoseCommands.Performance.Diagnose.class)),
            Map.entry(DiagnoseCommands.Memory.class, List.of(DiagnoseCommands.Memory.Analyze.class)),
            Map.entry(StorageCommand.class, List.of(StorageCommand.Backup.class)),
            Map.entry(TokenCommand.class, List.of(TokenCommand.ListTokens.class, TokenCommand.Create.class,
                    TokenCommand.Rotate.class, TokenCommand.Revoke.class)));

    /** Siblings a command runs itself: {@code agent test} lists its findings through {@code agent check}. */
    private static final Map<Class<?>, Class<?>> SIBLINGS = Map.of(AgentTest.class, AgentCheck.class);

    /**
     * Adds to the root the subcommands this command line can reach: only the one it names when its
     * first word is a known command, none for a bare {@code --version}, and all of them otherwise
     * (help, a typo that picocli should answer with suggestions, no command at all). Groups get the
     * same treatment from the next word on.
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
        List<String> words = new ArrayList<>();
        for (String a : args) {
            if (!a.startsWith("-")) {
                words.add(a);
            }
        }
        addReachable(root, SUBCOMMANDS, words, 0);
    }

    /**
     * Adds the children a command line can reach. Each group is built with its own children before
     * it is added to its parent, the order picocli follows for annotated subcommands, so inherited
     * options and attributes reach the whole subtree as before.
     */
    private static void addReachable(CommandLine parent, List<Class<?>> children, List<String> words, int depth) {
        String word = depth < words.size() ? words.get(depth) : null;
        List<Class<?>> chosen = children;
        boolean named = false;
        for (Class<?> c : children) {
            if (word != null && names(c).contains(word)) {
                chosen = SIBLINGS.containsKey(c) ? List.of(SIBLINGS.get(c), c) : List.of(c);
                named = true;
                break;
            }
        }
        for (Class<?> c : children) {
            if (chosen.contains(c)) {
                CommandLine child = new CommandLine(c, parent.getFactory());
                List<Class<?>> grandChildren = GROUPS.get(c);
                if (grandChildren != null) {
                    // A word that names no child here may be an option's value: then all children,
                    // as for help or a typo, and picocli answers as it always did.
                    addReachable(child, grandChildren, words, named ? depth + 1 : words.size());
                }
                parent.addSubcommand(child);
            }
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
