/**
 * What the node keeps in storage so that a crash loses nothing it promised: accepted messages until
 * they are handled ({@link dev.caxton.runtime.durability.Ledger}), the state of durable agents
 * ({@link dev.caxton.runtime.durability.Checkpointer}), and the group commit that turns the writes of
 * many threads into few transactions ({@link dev.caxton.runtime.durability.CommitQueue}).
 */
package dev.caxton.runtime.durability;
