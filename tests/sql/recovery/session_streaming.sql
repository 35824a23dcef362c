-- Streaming SESSION per user (3 s gap) across a worker's kill -9: sessions that span batches,
-- bursts and the recovery merge in state.
-- @min-rows: 100
CREATE TABLE logs (
  `timestamp` BIGINT,
  service STRING,
  severity STRING,
  user_id STRING,
  latency_ms INT,
  `bytes` DOUBLE,
  ok BOOLEAN,
  http ROW<status INT, method STRING>,
  content STRING,
  rt AS TO_TIMESTAMP_LTZ(`timestamp`, 3),
  WATERMARK FOR rt AS rt - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${topic}',
  'properties.bootstrap.servers' = '${bootstrap}',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'json'
);
CREATE TABLE out_rows (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  user_id STRING,
  cnt BIGINT,
  first_ts BIGINT,
  last_ts BIGINT,
  methods BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${out}', 'format' = 'json');
INSERT INTO out_rows
SELECT window_start, window_end, user_id, COUNT(*) AS cnt, MIN(`timestamp`) AS first_ts,
       MAX(`timestamp`) AS last_ts, COUNT(DISTINCT http.method) AS methods
FROM TABLE(SESSION(TABLE logs PARTITION BY user_id, DESCRIPTOR(rt), INTERVAL '3' SECOND))
GROUP BY window_start, window_end, user_id;
