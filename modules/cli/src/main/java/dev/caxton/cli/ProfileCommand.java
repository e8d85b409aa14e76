package dev.caxton.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code caxton profile cpu|memory}: a Java Flight Recorder recording of a running node. */
@Command(name = "profile",
        description = {"Records the node with Java Flight Recorder for a while and downloads the recording.",
            "Read it with `jfr summary FILE`, `jfr print --events dev.caxton.MessageHandled FILE` or JDK Mission Control."})
final class ProfileCommand {

    private ProfileCommand() {
    }

    /**
     * What both kinds share: how long, where to, and the download. Not a {@link ClientCommand}:
     * {@code --output} names the file here, as JFR users expect, instead of the text/json choice.
     */
    abstract static class Recording implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        ClientOptions client;

        @Option(names = "--duration", paramLabel = "DURATION", converter = Quantity.Time.class,
                description = "How long to record, 100ms to 10m (default: 30s).")
        Duration duration;

        @Option(names = "--output", paramLabel = "FILE", required = true, description = "The .jfr file to write.")
        Path output;

        @Option(names = "--force", description = "Replace FILE when it exists.")
        boolean force;

        private Path target;

        abstract String kind();

        @Override
        public final Integer call() {
            prepare();
            try (ApiClient api = client.connect(CaxtonCommand.context(spec))) {
                return run(api, spec.commandLine().getOut());
            }
        }

        void prepare() {
            Duration d = duration == null ? Duration.ofSeconds(30) : duration;
            if (d.toMillis() < 100 || d.compareTo(Duration.ofMinutes(10)) > 0) {
                throw CliException.usage("--duration: must be between 100ms and 10m, got " + Json.formatDuration(d));
            }
            duration = d;
            target = output.toAbsolutePath().normalize();
            if (Files.isDirectory(target)) {
                throw new CliException(target + " is a directory; name the .jfr file to write");
            }
            if (!Files.isDirectory(target.getParent())) {
                throw new CliException("cannot write " + target + ": the directory " + target.getParent() + " does not exist");
            }
            if (!force && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new CliException(target + " already exists; pass --force to replace it, or choose another name");
            }
        }

        int run(ApiClient api, PrintWriter out) {
            Path partial = target.resolveSibling("." + target.getFileName() + ".partial");
            try {
                Files.deleteIfExists(partial);
                Files.createFile(partial);
                spec.commandLine().getErr().println("recording " + kind() + " on " + api.server() + " for "
                        + Json.formatDuration(duration) + "...");
                spec.commandLine().getErr().flush();
                // The node answers when the recording ends; allow it that long plus the time to write it.
                ApiClient.Download d = api.download("/profile/" + kind() + "?duration=" + duration.toMillis() + "ms",
                        partial, duration.plus(ApiClient.REQUEST_TIMEOUT));
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                out.println("wrote " + target + " (" + String.format(Locale.ROOT, "%.1f KiB", d.bytes() / 1024.0)
                        + "); read it with: jfr summary " + target);
                return 0;
            } catch (IOException e) {
                throw new CliException("cannot write " + target + ": " + e.getMessage());
            } finally {
                try {
                    Files.deleteIfExists(partial);
                } catch (IOException e) {
                    spec.commandLine().getErr().println("caxton: warning: cannot remove " + partial + ": " + e.getMessage());
                }
            }
        }
    }

    /** {@code caxton profile cpu}. */
    @Command(name = "cpu", description = "Where the node's time goes: JFR's \"profile\" settings (method samples, "
            + "locks, I/O) and Caxton's message and fault events.")
    static final class Cpu extends Recording {
        @Override
        String kind() {
            return "cpu";
        }
    }

    /** {@code caxton profile memory}. */
    @Command(name = "memory", description = "Where the node's memory goes: allocation samples, old-object (leak) "
            + "samples, heap after each GC, and Caxton's message and fault events.")
    static final class Memory extends Recording {
        @Override
        String kind() {
            return "memory";
        }
    }
}
