/**
 * PostgreSQL schema, one entry per version; applied in order at start, all in one
 * transaction under an advisory lock (see PostgresStore.migrate). Column names and
 * value encodings match the SQLite schema, so both stores map rows the same way
 * (../sqlite/rows.ts): times are ISO text, JSON is text, epoch-ms columns are BIGINT.
 */
export const postgresMigrations: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE agents (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        agent_id TEXT NOT NULL UNIQUE,
        agent_name TEXT NOT NULL,
        version TEXT NOT NULL,
        capabilities TEXT NOT NULL,
        contact_endpoint TEXT NOT NULL,
        metadata TEXT NOT NULL,
        signing_secret TEXT NOT NULL,
        registered_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE agent_capabilities (
        capability TEXT NOT NULL,
        agent_seq BIGINT NOT NULL REFERENCES agents(seq) ON DELETE CASCADE,
        PRIMARY KEY (capability, agent_seq)
      );
      CREATE INDEX agent_capabilities_by_agent ON agent_capabilities(agent_seq);
      CREATE TABLE tasks (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        task_id TEXT NOT NULL UNIQUE,
        agent_id TEXT NOT NULL,
        task_name TEXT NOT NULL,
        parameters TEXT NOT NULL,
        opscore_session_id TEXT,
        opscore_task_id TEXT,
        timeout_seconds INTEGER,
        deadline TEXT,
        status TEXT NOT NULL,
        progress DOUBLE PRECISION,
        message TEXT,
        result TEXT,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        delivered_at TEXT,
        finished_at TEXT,
        idempotency_key TEXT,
        request_hash TEXT NOT NULL
      );
      CREATE UNIQUE INDEX tasks_idempotency ON tasks(agent_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX tasks_by_agent ON tasks(agent_id, seq);
      CREATE INDEX tasks_by_status ON tasks(status, seq);
      CREATE TABLE deliveries (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        delivery_id TEXT NOT NULL UNIQUE,
        webhook_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        event_type TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        task_id TEXT,
        target_url TEXT NOT NULL,
        payload TEXT NOT NULL,
        order_key TEXT,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        retry_base INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        expires_at BIGINT,
        lease_owner TEXT,
        lease_until BIGINT,
        last_status_code INTEGER,
        last_error TEXT,
        last_latency_ms DOUBLE PRECISION,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX deliveries_due ON deliveries(next_attempt_at, seq) WHERE status = 'pending';
      CREATE INDEX deliveries_ordered ON deliveries(order_key, seq) WHERE status = 'pending' AND order_key IS NOT NULL;
      CREATE INDEX deliveries_by_status ON deliveries(status, seq);
      CREATE INDEX deliveries_by_agent ON deliveries(agent_id, seq);
      CREATE INDEX deliveries_by_task ON deliveries(task_id) WHERE task_id IS NOT NULL;
      CREATE INDEX deliveries_by_lease_owner ON deliveries(lease_owner) WHERE lease_owner IS NOT NULL;
      CREATE TABLE delivery_attempts (
        delivery_seq BIGINT NOT NULL REFERENCES deliveries(seq) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        at TEXT NOT NULL,
        status_code INTEGER,
        latency_ms DOUBLE PRECISION NOT NULL,
        error TEXT,
        PRIMARY KEY (delivery_seq, attempt)
      );
    `,
  },
  {
    version: 2,
    sql: `
      CREATE INDEX tasks_open_by_deadline ON tasks(deadline) WHERE status IN ('delivered', 'running') AND deadline IS NOT NULL;
    `,
  },
  {
    version: 3,
    sql: `
      ALTER TABLE tasks ADD COLUMN opscore_message TEXT;
    `,
  },
  {
    version: 4,
    sql: `
      ALTER TABLE agents ADD COLUMN heartbeat_interval_s INTEGER;
      ALTER TABLE agents ADD COLUMN max_concurrent_tasks INTEGER;
      ALTER TABLE agents ADD COLUMN active_tasks INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE agents ADD COLUMN last_seen_at TEXT;
      ALTER TABLE tasks ADD COLUMN heartbeat_timeout_ms BIGINT;
      ALTER TABLE tasks ADD COLUMN heartbeat_due_at BIGINT;
      ALTER TABLE tasks ADD COLUMN last_heartbeat_at TEXT;
      ALTER TABLE tasks ADD COLUMN heartbeat TEXT;
      ALTER TABLE tasks ADD COLUMN cancel_requested_at TEXT;
      ALTER TABLE tasks ADD COLUMN cancel_reason TEXT;
      ALTER TABLE tasks ADD COLUMN cancel_due_at BIGINT;
      ALTER TABLE tasks ADD COLUMN holds_slot INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE tasks ADD COLUMN late_outcome TEXT;
      ALTER TABLE deliveries ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX tasks_heartbeat_due ON tasks(heartbeat_due_at) WHERE status IN ('delivered', 'running') AND heartbeat_due_at IS NOT NULL;
      CREATE INDEX tasks_cancel_due ON tasks(cancel_due_at) WHERE status = 'canceling';
      CREATE INDEX deliveries_held ON deliveries(agent_id, seq) WHERE held = 1 AND status = 'pending';
      CREATE INDEX deliveries_held_expiry ON deliveries(expires_at) WHERE held = 1 AND status = 'pending' AND expires_at IS NOT NULL;
    `,
  },
  {
    version: 5,
    sql: `
      ALTER TABLE agents ADD COLUMN token_hash TEXT;
    `,
  },
  {
    // Rotation keeps the replaced secret and credential for a grace period. The agent's tasks not
    // yet taken are counted through an index for its cap: a counter on the agent's row would
    // make concurrent dispatches to one agent wait for each other's row lock.
    version: 6,
    sql: `
      ALTER TABLE agents ADD COLUMN previous_signing_secret TEXT;
      ALTER TABLE agents ADD COLUMN previous_secret_until BIGINT;
      ALTER TABLE agents ADD COLUMN previous_token_hash TEXT;
      ALTER TABLE agents ADD COLUMN previous_token_until BIGINT;
      CREATE INDEX tasks_queued_by_agent ON tasks(agent_id) WHERE status = 'queued';
    `,
  },
  {
    // Each task's event log (domain/task-events.ts), written in the statements and transactions
    // that change the task; heartbeats are counted on the task instead. The primary key is the
    // one index, and serves a task's events in order. No foreign key: tasks are never deleted, and
    // the check would cost a lookup per event. Tasks from before have no events.
    version: 7,
    sql: `
      ALTER TABLE tasks ADD COLUMN heartbeats INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE task_events (
        task_id TEXT NOT NULL,
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        source TEXT NOT NULL,
        progress DOUBLE PRECISION,
        message TEXT,
        error TEXT,
        PRIMARY KEY (task_id, seq)
      );
    `,
  },
];
