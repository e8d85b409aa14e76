package dev.caxton.cli;

import picocli.CommandLine.Option;

/** The {@code --output} option shared by every command that prints results. */
final class OutputOptions {

    /** How results are printed. */
    enum Format {
        /** Tables and lines for a person. */
        text,
        /** The server's JSON (or a JSON rendering of a local result), for scripts. */
        json
    }

    @Option(names = "--output", order = 105, paramLabel = "text|json", defaultValue = "text",
            description = "Print results as text (default) or as JSON for scripts.")
    private Format format;

    /**
     * Whether JSON was asked for.
     *
     * @return true for {@code --output json}
     */
    boolean json() {
        return format == Format.json;
    }
}
