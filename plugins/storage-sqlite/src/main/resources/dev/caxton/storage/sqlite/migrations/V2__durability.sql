-- Durability: the outbox keyed by receiver and id, handled ids for suppressing duplicates, and
-- agent checkpoints. Instants are kept as in V1 (seconds, nanoseconds).

-- The outbox becomes keyed by (receiver, id): a broadcast stores one copy of a message per
-- receiver, and each copy leaves when its own receiver has handled it. SQLite cannot change a
-- table's constraints in place, so the table is rebuilt; rows keep their seq, and so their place
-- among messages of the same instant.
CREATE TABLE outbox_v2 (
    seq         INTEGER PRIMARY KEY,
    receiver    TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    envelope    BLOB    NOT NULL,
    reason      TEXT    NOT NULL,
    attempts    INTEGER NOT NULL,
    at_seconds  INTEGER NOT NULL,
    at_nanos    INTEGER NOT NULL,
    UNIQUE (receiver, id)
);
INSERT INTO outbox_v2 (seq, receiver, id, envelope, reason, attempts, at_seconds, at_nanos)
    SELECT seq, receiver, id, envelope, reason, attempts, at_seconds, at_nanos FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v2 RENAME TO outbox;
-- Serves recovery (walked oldest first, by keyset on the whole key) and TTL cleanup (a range at
-- its start). dead_letters_by_age from V1 already serves the dead letters' TTL the same way.
CREATE INDEX outbox_by_age ON outbox (at_seconds, at_nanos, seq);

-- Whether each agent's state is checkpointed (deployed with durable); agents from V1 are not.
ALTER TABLE agents ADD COLUMN durable INTEGER NOT NULL DEFAULT 0;

-- Ids of messages each receiver has handled, kept for the dedup window.
CREATE TABLE handled (
    receiver    TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    at_seconds  INTEGER NOT NULL,
    at_nanos    INTEGER NOT NULL,
    PRIMARY KEY (receiver, id)
) WITHOUT ROWID;
CREATE INDEX handled_by_age ON handled (at_seconds, at_nanos);

-- The header of each durable agent's last checkpoint; globals are 8 bytes each, big-endian.
CREATE TABLE checkpoints (
    agent          TEXT    NOT NULL PRIMARY KEY,
    module_digest  TEXT    NOT NULL,
    memory_size    INTEGER NOT NULL,
    chunk_size     INTEGER NOT NULL,
    globals        BLOB    NOT NULL,
    version        INTEGER NOT NULL
);

-- The non-zero chunks of each checkpointed memory; a chunk not stored reads as zeros.
CREATE TABLE checkpoint_chunks (
    agent        TEXT    NOT NULL,
    chunk_index  INTEGER NOT NULL,
    bytes        BLOB    NOT NULL,
    PRIMARY KEY (agent, chunk_index)
) WITHOUT ROWID;
