package dev.caxton.spi.storage;

import java.util.Optional;

/**
 * The durable state of agents deployed with {@code durable}. Written through {@link Storage#apply}
 * ({@link StorageWrite.CheckpointHeader}, {@link StorageWrite.CheckpointChunk},
 * {@link StorageWrite.CheckpointDrop}), read back whole when the agent starts again.
 */
public interface CheckpointStore {

    /**
     * The last checkpoint of an agent, assembled from its header and every chunk written since the
     * agent's last {@link StorageWrite.CheckpointDrop}.
     *
     * @param agent the agent's name
     * @return the checkpoint, empty when the agent has none
     */
    Optional<AgentCheckpoint> load(String agent);

    /** @return how many agents have a checkpoint */
    long count();
}
