/**
 * The storage SPI: what a node keeps across restarts. A {@link dev.caxton.spi.storage.Storage}
 * holds four stores: deployed agents (module, limits, capabilities, state), the outbox of messages
 * accepted but not yet delivered, the dead-letter queue, and conversation history.
 *
 * <p>Stores deal in bytes for messages (encoded by the node's configured serializer), so storage
 * providers know nothing of codecs. Every write is durable when the call returns, to the degree
 * the provider promises (the memory provider promises nothing across restarts).
 */
package dev.caxton.spi.storage;
