-- The first schema of the Caxton SQLite store.
--
-- Instants are kept as two integers, whole seconds since 1970 and the nanoseconds within that
-- second, so every java.time.Instant round-trips exactly and orders correctly as a pair.
-- Every table with a seq column uses it (an alias of the rowid) to break ties between rows of the
-- same instant in the order they were first written; an upsert keeps the row and so its place.

-- Deployed agents by name. Modules are stored whole, as BLOBs.
CREATE TABLE agents (
    name                  TEXT    NOT NULL PRIMARY KEY,
    id                    TEXT    NOT NULL,
    module                BLOB    NOT NULL,
    max_memory_bytes      INTEGER NOT NULL,
    execution_timeout_ms  INTEGER NOT NULL,
    fuel                  INTEGER NOT NULL,
    codec                 TEXT    NOT NULL,
    engine                TEXT    NOT NULL,
    state                 TEXT    NOT NULL,
    deployed_at_seconds   INTEGER NOT NULL,
    deployed_at_nanos     INTEGER NOT NULL,
    updated_at_seconds    INTEGER NOT NULL,
    updated_at_nanos      INTEGER NOT NULL
);

-- The capabilities of each agent, in the order they were granted.
CREATE TABLE agent_capabilities (
    agent_name  TEXT    NOT NULL REFERENCES agents (name) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    capability  TEXT    NOT NULL,
    PRIMARY KEY (agent_name, position)
) WITHOUT ROWID;

-- Messages accepted and not yet delivered; served oldest first.
CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    receiver    TEXT    NOT NULL,
    envelope    BLOB    NOT NULL,
    reason      TEXT    NOT NULL,
    attempts    INTEGER NOT NULL,
    at_seconds  INTEGER NOT NULL,
    at_nanos    INTEGER NOT NULL
);
CREATE INDEX outbox_by_age ON outbox (at_seconds, at_nanos, seq);

-- Messages that could not be delivered; listed newest first (the same index, read backwards).
CREATE TABLE dead_letters (
    seq         INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    receiver    TEXT    NOT NULL,
    envelope    BLOB    NOT NULL,
    reason      TEXT    NOT NULL,
    attempts    INTEGER NOT NULL,
    at_seconds  INTEGER NOT NULL,
    at_nanos    INTEGER NOT NULL
);
CREATE INDEX dead_letters_by_age ON dead_letters (at_seconds, at_nanos, seq);

-- One row per conversation: the last sequence number handed out (so appends number themselves
-- with one upsert) and the instant of its newest message (so idle conversations are found by index).
CREATE TABLE conversations (
    id                 TEXT    NOT NULL PRIMARY KEY,
    last_sequence      INTEGER NOT NULL,
    newest_at_seconds  INTEGER NOT NULL,
    newest_at_nanos    INTEGER NOT NULL
);
CREATE INDEX conversations_by_newest ON conversations (newest_at_seconds, newest_at_nanos);

-- The messages of each conversation; removed with their conversation.
CREATE TABLE conversation_entries (
    conversation_id  TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    sequence         INTEGER NOT NULL,
    message_id       TEXT    NOT NULL,
    sender           TEXT    NOT NULL,
    receiver         TEXT    NOT NULL,
    performative     TEXT    NOT NULL,
    envelope         BLOB    NOT NULL,
    at_seconds       INTEGER NOT NULL,
    at_nanos         INTEGER NOT NULL,
    UNIQUE (conversation_id, sequence)
);
