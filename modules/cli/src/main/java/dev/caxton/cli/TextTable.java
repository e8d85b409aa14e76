package dev.caxton.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * Columns aligned for a terminal: each as wide as its widest cell, two spaces apart, the last one
 * unpadded so long descriptions do not drag trailing blanks.
 */
final class TextTable {

    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    /**
     * Starts a table.
     *
     * @param headers the column titles
     */
    TextTable(String... headers) {
        this.headers = List.of(headers);
    }

    /**
     * Adds a row.
     *
     * @param cells one cell per column; null prints as {@code -}
     * @return this table
     */
    TextTable row(String... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException("a row of " + cells.length + " cells in a table of " + headers.size() + " columns");
        }
        List<String> row = new ArrayList<>();
        for (String c : cells) {
            // One row per line, whatever the server put in a field.
            row.add(c == null ? "-" : c.replaceAll("\\R", " "));
        }
        rows.add(row);
        return this;
    }

    /**
     * Prints the header and the rows.
     *
     * @param out where to
     */
    void print(PrintWriter out) {
        int[] widths = new int[headers.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = headers.get(i).length();
            for (List<String> r : rows) {
                widths[i] = Math.max(widths[i], r.get(i).length());
            }
        }
        printRow(out, headers, widths);
        for (List<String> r : rows) {
            printRow(out, r, widths);
        }
    }

    private static void printRow(PrintWriter out, List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            line.append(cells.get(i));
            if (i < cells.size() - 1) {
                line.append(" ".repeat(widths[i] - cells.get(i).length() + 2));
            }
        }
        out.println(line.toString().stripTrailing());
    }
}
