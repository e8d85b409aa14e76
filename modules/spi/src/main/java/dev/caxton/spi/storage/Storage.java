package dev.caxton.spi.storage;

/**
 * An open store. Thread-safe.
 */
public interface Storage extends AutoCloseable {

    /** @return the deployed agents */
    AgentStore agents();

    /** @return messages accepted and not yet delivered */
    OutboxStore outbox();

    /** @return messages that could not be delivered */
    DeadLetterStore deadLetters();

    /** @return the history of conversations */
    ConversationStore conversations();

    /**
     * Whether what is written survives a restart of the node.
     *
     * @return true for file- or server-backed stores
     */
    boolean durable();

    /** Flushes and releases the store. */
    @Override
    void close();
}
