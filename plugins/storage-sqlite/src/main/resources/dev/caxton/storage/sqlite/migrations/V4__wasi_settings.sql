-- The program arguments and environment each WASI agent was deployed with (wasi_args, wasi_env),
-- so that a restart shows the agent the same. Ordered like agent_capabilities; an environment
-- entry is kept as the NAME=value text WASI hands the guest. Earlier agents have none.
CREATE TABLE agent_wasi_settings (
    agent_name  TEXT    NOT NULL REFERENCES agents (name) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('arg', 'env')),
    position    INTEGER NOT NULL,
    value       TEXT    NOT NULL,
    PRIMARY KEY (agent_name, kind, position)
) WITHOUT ROWID;
