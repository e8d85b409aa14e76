package dev.caxton.cli;

import dev.caxton.runtime.config.ConfigSchema;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code caxton agent new NAME --lang LANG}: writes a project an author can build and test at once.
 *
 * <p>Each language is a folder of resources, {@code templates/<lang>/}, whose {@code index.txt}
 * lists the files to write, one a line: {@code path} copies {@code templates/<lang>/path};
 * {@code sdk:<path> -> target} copies a file of the repository's {@code sdk/} tree (bundled into
 * this jar at build time) to {@code target}. {@code {{name}}} in paths and in template contents
 * becomes NAME (SDK files are copied byte for byte); a line ending in {@code " +x"} makes the file
 * executable. Resources are listed in an index because a jlinked image cannot list a folder.
 */
@Command(name = "new", sortOptions = false,
        description = "Writes a new agent project: source, build.sh and a README saying how to build and test it.")
final class AgentNew implements Callable<Integer> {

    /** The languages there are templates for. */
    static final List<String> LANGUAGES = List.of("wat", "c", "rust", "assemblyscript");

    private static final String TEMPLATES = "/dev/caxton/cli/templates/";
    private static final String SDK = "/dev/caxton/cli/sdk/";

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The agent's name (also the project's folder and module name).")
    private String name;

    @Option(names = "--lang", required = true, paramLabel = "wat|c|rust|assemblyscript", description = "The language.")
    private String lang;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where to write the project (default: ./NAME).")
    private Path dir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (!ConfigSchema.NAME.matcher(name).matches() || name.startsWith("client-")) {
            throw CliException.usage("NAME: '" + name + "' is not an agent name: 1 to 128 letters, digits, '.', '_' or '-',"
                    + " starting with a letter or digit, not starting with 'client-'");
        }
        if (!LANGUAGES.contains(lang)) {
            throw CliException.usage("--lang: '" + lang + "' is not one of " + String.join(", ", LANGUAGES));
        }
        Path target = dir == null ? Path.of(name) : dir;
        List<Path> written = write(lang, name, target);
        out.println("created " + target + " (" + lang + "): " + written.size() + " files");
        written.forEach(p -> out.println("  " + target.relativize(p)));
        out.println("next: cd " + target + " && ./build.sh, then see README.md for the test command");
        return 0;
    }

    /**
     * Writes the project of a language into a directory that is absent or empty.
     *
     * @param lang   the language (a template folder)
     * @param name   the agent's name, put where templates say {{name}}
     * @param target the project directory
     * @return the files written
     * @throws CliException when the directory holds something, or a template is broken
     */
    static List<Path> write(String lang, String name, Path target) {
        if (Files.exists(target)) {
            if (!Files.isDirectory(target)) {
                throw new CliException(target + ": exists and is not a directory");
            }
            try (Stream<Path> s = Files.list(target)) {
                if (s.findAny().isPresent()) {
                    throw new CliException(target + ": the directory is not empty; choose another with --dir");
                }
            } catch (IOException e) {
                throw new CliException(target + ": cannot read: " + e.getMessage());
            }
        }
        String index = new String(resource(TEMPLATES + lang + "/index.txt"), StandardCharsets.UTF_8);
        List<Path> written = new ArrayList<>();
        int lineNo = 0;
        for (String raw : index.split("\n")) {
            lineNo++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            boolean executable = line.endsWith(" +x");
            if (executable) {
                line = line.substring(0, line.length() - 3).strip();
            }
            byte[] bytes;
            String relative;
            if (line.startsWith("sdk:")) {
                int arrow = line.indexOf("->");
                if (arrow < 0) {
                    throw new CliException("template " + lang + "/index.txt line " + lineNo + ": 'sdk:' needs '-> target'");
                }
                bytes = resource(SDK + line.substring(4, arrow).strip());
                relative = line.substring(arrow + 2).strip().replace("{{name}}", name);
            } else {
                bytes = new String(resource(TEMPLATES + lang + "/" + line), StandardCharsets.UTF_8)
                        .replace("{{name}}", name).getBytes(StandardCharsets.UTF_8);
                relative = line.replace("{{name}}", name);
            }
            Path file = target.resolve(relative).normalize();
            if (!file.startsWith(target.normalize())) {
                throw new CliException("template " + lang + "/index.txt line " + lineNo + ": '" + relative + "' leaves the project");
            }
            try {
                Files.createDirectories(file.getParent());
                Files.write(file, bytes);
                if (executable) {
                    makeExecutable(file);
                }
            } catch (IOException e) {
                throw new CliException(file + ": cannot write: " + e.getMessage());
            }
            written.add(file);
        }
        return written;
    }

    private static void makeExecutable(Path file) throws IOException {
        try {
            Set<PosixFilePermission> p = EnumSet.copyOf(Files.getPosixFilePermissions(file));
            p.addAll(List.of(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_EXECUTE));
            Files.setPosixFilePermissions(file, p);
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: the README says to run the script with sh.
        }
    }

    private static byte[] resource(String path) {
        try (InputStream in = AgentNew.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new CliException("this build has no " + path.substring("/dev/caxton/cli/".length())
                        + " (the templates are incomplete)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new CliException("cannot read " + path + ": " + e.getMessage());
        }
    }
}
