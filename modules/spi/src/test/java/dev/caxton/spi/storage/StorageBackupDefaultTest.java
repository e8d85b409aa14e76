package dev.caxton.spi.storage;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A store that does not override {@link Storage#backup} says plainly that it cannot be backed up. */
class StorageBackupDefaultTest {

    @Test
    void theDefaultRefusesWithAMessageAndWritesNothing() {
        Storage store = new Storage() {
            @Override
            public AgentStore agents() {
                return null;
            }

            @Override
            public OutboxStore outbox() {
                return null;
            }

            @Override
            public DeadLetterStore deadLetters() {
                return null;
            }

            @Override
            public ConversationStore conversations() {
                return null;
            }

            @Override
            public boolean durable() {
                return false;
            }

            @Override
            public void close() {
            }
        };
        Path target = Path.of(System.getProperty("java.io.tmpdir"), "never-written-" + System.nanoTime() + ".db");
        assertThatThrownBy(() -> store.backup(target)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessage("this storage cannot be backed up to a file");
        assertThat(Files.exists(target)).isFalse();
    }
}
