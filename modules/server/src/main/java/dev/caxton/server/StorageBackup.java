package dev.caxton.server;

import dev.caxton.runtime.CaxtonNode;
import dev.caxton.server.HttpListener.FileBody;
import dev.caxton.server.HttpListener.Reply;
import dev.caxton.spi.storage.StorageException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code POST /api/v1/storage/backup}: a consistent copy of the node's storage, made into a
 * temporary file in the data directory and streamed to the client, then deleted.
 *
 * <p>Why a file first rather than streaming while copying: the storage makes its copy in one
 * consistent pass that a slow client must not hold open (in SQLite a long read keeps the WAL from
 * being checkpointed); the file also gives the response an exact Content-Length, so a client can
 * tell a complete download from a cut one. Why one at a time: each copy costs the whole store's
 * size on disk and a full read of it, and two at once give nothing one does not.
 */
final class StorageBackup {

    private static final System.Logger LOG = System.getLogger(StorageBackup.class.getName());

    /** Temporary copies are named so; one left by a node killed mid-download is removed at the next backup. */
    static final String TEMP_PREFIX = "backup-in-progress-";

    /** The response header carrying how long the copy took on the node, in milliseconds. */
    static final String MILLIS_HEADER = "X-Caxton-Backup-Millis";

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final CaxtonNode node;
    private final AtomicBoolean running = new AtomicBoolean();

    StorageBackup(CaxtonNode node) {
        this.node = node;
    }

    /**
     * Makes the copy and answers with it.
     *
     * @param method the request's method
     * @return the reply streaming the copy; its file is deleted once sent or abandoned
     * @throws ApiError 409 while another backup runs, 400 when the storage cannot be backed up,
     *         500 when the copy fails
     */
    Reply handle(String method) {
        if (!method.equals("POST")) {
            throw new ApiError(405, "method " + method + " not allowed here; use POST", Map.of(), Map.of("Allow", "POST"));
        }
        if (!running.compareAndSet(false, true)) {
            throw new ApiError(409, "a backup of this node is already running; try again when it has finished",
                    Map.of("kind", "conflict"), Map.of("Retry-After", "5"));
        }
        Path temp = node.dataDir().resolve(TEMP_PREFIX + UUID.randomUUID().toString().substring(0, 8) + ".db");
        boolean handedOver = false;
        try {
            removeLeftovers();
            long start = System.nanoTime();
            node.backupStorage(temp);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            long size = Files.size(temp);
            LOG.log(System.Logger.Level.INFO, "storage backup: {0} bytes copied in {1} ms; sending it", size, millis);
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Content-Disposition", "attachment; filename=\"caxton-"
                    + node.config().string("server.node_name").replaceAll("[^A-Za-z0-9._-]", "_") + "-"
                    + STAMP.format(Instant.now()) + ".db\"");
            headers.put(MILLIS_HEADER, Long.toString(millis));
            AtomicBoolean done = new AtomicBoolean();
            Reply reply = new Reply(200, "application/octet-stream", new byte[0], headers, new FileBody(temp, () -> {
                if (done.compareAndSet(false, true)) {
                    delete(temp);
                    running.set(false);
                }
            }));
            handedOver = true;
            return reply;
        } catch (UnsupportedOperationException e) {
            String type = node.config().string("storage.type");
            throw new ApiError(400, "this node's storage (storage.type: " + type + ") cannot be backed up: it keeps "
                    + "nothing a file could hold; only a node on file-backed storage such as sqlite can be backed up",
                    Map.of("storage", type, "kind", "unsupported"));
        } catch (StorageException e) {
            LOG.log(System.Logger.Level.WARNING, "storage backup failed: {0}", e.getMessage());
            throw new ApiError(500, "the backup failed: " + e.getMessage(), Map.of("kind", "storage"));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "storage backup: cannot read the copy {0}: {1}", temp, e.toString());
            throw new ApiError(500, "the backup failed: the copy " + temp + " cannot be read; see the node's log",
                    Map.of("kind", "storage"));
        } finally {
            if (!handedOver) {
                delete(temp);
                running.set(false);
            }
        }
    }

    /** Copies left by a node that stopped while sending one; only one backup runs, so none is in use. */
    private void removeLeftovers() {
        try (DirectoryStream<Path> old = Files.newDirectoryStream(node.dataDir(), TEMP_PREFIX + "*")) {
            for (Path p : old) {
                delete(p);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot list {0} for old backup copies: {1}", node.dataDir(), e.toString());
        }
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete the temporary backup copy {0}: {1}", p, e.toString());
        }
    }
}
