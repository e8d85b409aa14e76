package dev.caxton.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.Properties;

/**
 * The product version for {@code caxton --version} and the {@code User-Agent} header.
 *
 * <p>Looked up in order: the module descriptor (set when the jar is built as a module and run from
 * the image), the version file the build writes into the jar (which also works on the class path),
 * then the jar manifest's {@code Implementation-Version}.
 */
final class VersionInfo implements CommandLine.IVersionProvider {

    private static final String RESOURCE = "version.properties";

    /**
     * The version of this build.
     *
     * @return e.g. {@code 0.1.0}, or {@code unknown} when nothing records it (classes run straight
     *         from an IDE's output folder)
     */
    static String version() {
        Module module = VersionInfo.class.getModule();
        if (module.isNamed() && module.getDescriptor().rawVersion().isPresent()) {
            return module.getDescriptor().rawVersion().get();
        }
        return fromResource()
                .or(() -> Optional.ofNullable(VersionInfo.class.getPackage().getImplementationVersion()))
                .orElse("unknown");
    }

    private static Optional<String> fromResource() {
        try (InputStream in = VersionInfo.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return Optional.empty();
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "").trim();
            // An unfiltered copy (resources used without the build) still holds the placeholder.
            return v.isEmpty() || v.contains("${") ? Optional.empty() : Optional.of(v);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the bundled " + RESOURCE, e);
        }
    }

    @Override
    public String[] getVersion() {
        return new String[] {"caxton " + version()};
    }
}
