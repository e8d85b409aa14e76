package dev.caxton.spi.storage;

import java.util.List;
import java.util.Optional;

/** Deployed agents by name. */
public interface AgentStore {

    /**
     * Inserts or replaces the agent of that name.
     *
     * @param agent the record
     */
    void put(AgentRecord agent);

    /**
     * Looks an agent up.
     *
     * @param name the name
     * @return the record, if stored
     */
    Optional<AgentRecord> get(String name);

    /**
     * Every stored agent, ordered by name.
     *
     * @return the records
     */
    List<AgentRecord> list();

    /**
     * Removes an agent.
     *
     * @param name the name
     * @return whether there was one
     */
    boolean remove(String name);
}
