package dev.caxton.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;

/**
 * An agent module read from disk, in the form the API takes it: a binary {@code .wasm} file goes
 * base64-encoded in {@code wasm_module}; a {@code .wat} text file goes as text in
 * {@code wat_module} and the server compiles it.
 *
 * @param field the request field ({@code wasm_module} or {@code wat_module})
 * @param value the field's value
 */
record ModuleFile(String field, String value) {

    private static final byte[] WASM_MAGIC = {0x00, 0x61, 0x73, 0x6d};

    /**
     * Reads a module file.
     *
     * @param file the file
     * @return the module
     * @throws CliException naming the path when the file is missing, unreadable, or not what its
     *                      name says
     */
    static ModuleFile read(Path file) {
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) {
                throw new CliException(file + ": is a directory, not a module file");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CliException(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new CliException(file + ": permission denied");
        } catch (IOException e) {
            throw new CliException(file + ": cannot read: " + e.getMessage());
        }
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".wat")) {
            try {
                String text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes))
                        .toString();
                return new ModuleFile("wat_module", text);
            } catch (CharacterCodingException e) {
                throw new CliException(file + ": not UTF-8 text; a .wat file must hold the WebAssembly text format");
            }
        }
        if (!startsWithMagic(bytes)) {
            throw new CliException(file + ": not a WebAssembly binary (it does not start with \\0asm);"
                    + " a module in the text format must be named *.wat");
        }
        return new ModuleFile("wasm_module", Base64.getEncoder().encodeToString(bytes));
    }

    private static boolean startsWithMagic(byte[] bytes) {
        if (bytes.length < WASM_MAGIC.length) {
            return false;
        }
        for (int i = 0; i < WASM_MAGIC.length; i++) {
            if (bytes[i] != WASM_MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Puts the module into a request body.
     *
     * @param body the request
     * @return the request
     */
    ObjectNode putInto(ObjectNode body) {
        return body.put(field, value);
    }
}
