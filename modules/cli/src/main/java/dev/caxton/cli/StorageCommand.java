package dev.caxton.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Locale;

/** {@code caxton storage}: what a node keeps on disk. */
@Command(name = "storage",
        description = "The node's storage: backups of a running node.")
final class StorageCommand {

    private StorageCommand() {
    }

    /** {@code caxton storage backup FILE}. */
    @Command(name = "backup",
            description = {"Copies a running node's storage into FILE, consistently, while the node keeps taking traffic.",
                "Restore by starting a node with storage.sqlite.path pointing at FILE (see docs/durability.md)."})
    static final class Backup extends ClientCommand {

        /** How long the node may take to make its copy when {@code --timeout} is not given. */
        static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

        @Parameters(index = "0", paramLabel = "FILE", description = "The file to write (readable by its owner only).")
        private Path file;

        @Option(names = "--force", description = "Replace FILE when it exists.")
        private boolean force;

        @Option(names = "--timeout", paramLabel = "DURATION", converter = Quantity.Time.class,
                description = "How long the node may take to make its copy before it starts sending (default: 10m).")
        private Duration timeout;

        private Path target;

        @Override
        void prepare() {
            target = file.toAbsolutePath().normalize();
            if (timeout != null && timeout.isZero()) {
                throw CliException.usage("--timeout: must be more than zero");
            }
            if (Files.isDirectory(target)) {
                throw new CliException(target + " is a directory; name the backup file to write");
            }
            if (!Files.isDirectory(target.getParent())) {
                throw new CliException("cannot write " + target + ": the directory " + target.getParent() + " does not exist");
            }
            if (!force && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new CliException(target + " already exists; pass --force to replace it, or choose another name");
            }
        }

        @Override
        int run(ApiClient api, PrintWriter out) {
            long start = System.nanoTime();
            Path partial = partialFile();
            try {
                ApiClient.Download d = api.download("/storage/backup", partial, timeout == null ? DEFAULT_TIMEOUT : timeout);
                sync(partial);
                publish(partial);
                double seconds = (System.nanoTime() - start) / 1e9;
                long nodeMillis = d.headerAsLong("X-Caxton-Backup-Millis").orElse(-1);
                if (json()) {
                    ObjectNode o = Json.object();
                    o.put("file", target.toString());
                    o.put("bytes", d.bytes());
                    o.put("seconds", Math.round(seconds * 1000) / 1000.0);
                    if (nodeMillis >= 0) {
                        o.put("node_copy_ms", nodeMillis);
                    }
                    Json.print(out, o);
                } else {
                    out.println("backed up " + api.server() + " to " + target + ": " + size(d.bytes()) + " in "
                            + String.format(Locale.ROOT, "%.1f s", seconds)
                            + (nodeMillis >= 0 ? " (the node made its copy in " + nodeMillis + " ms)" : ""));
                }
                return 0;
            } finally {
                try {
                    Files.deleteIfExists(partial);
                } catch (IOException e) {
                    spec.commandLine().getErr().println("caxton: warning: cannot remove " + partial + ": " + e.getMessage());
                }
            }
        }

        /** Beside the target, so the final rename stays on one file system; owner-only from the start. */
        private Path partialFile() {
            String prefix = "." + target.getFileName() + ".";
            try {
                try {
                    return Files.createTempFile(target.getParent(), prefix, ".partial",
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                } catch (UnsupportedOperationException e) {
                    return Files.createTempFile(target.getParent(), prefix, ".partial");
                }
            } catch (IOException e) {
                throw new CliException("cannot create a file in " + target.getParent() + ": " + e.getMessage());
            }
        }

        private static void sync(Path p) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.force(true);
            } catch (IOException e) {
                throw new CliException("cannot flush " + p + " to disk: " + e.getMessage());
            }
        }

        /**
         * Puts the complete file in place in one step, so FILE is never seen half written. Without
         * {@code --force} a hard link does it, which fails rather than replaces when FILE appeared
         * meanwhile; a rename would silently replace it.
         */
        private void publish(Path partial) {
            try {
                if (force) {
                    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    return;
                }
                try {
                    Files.createLink(target, partial);
                } catch (UnsupportedOperationException e) {
                    Files.move(partial, target);
                }
            } catch (FileAlreadyExistsException e) {
                throw new CliException(target + " appeared while the backup was being made; nothing was replaced "
                        + "(pass --force to replace it)");
            } catch (IOException e) {
                throw new CliException("cannot put the backup in place at " + target + ": " + e.getMessage());
            }
        }

        private static String size(long bytes) {
            if (bytes < 1024) {
                return bytes + " bytes";
            }
            if (bytes < 1024 * 1024) {
                return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
            }
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
        }
    }
}
