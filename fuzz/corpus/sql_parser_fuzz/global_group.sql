-- GROUP BY without a window: one row per group, emitted when the input ends.
-- @min-rows: 30
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
  'topic' = 'logs',
  'properties.bootstrap.servers' = '127.0.0.1:19092',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'json'
);
CREATE TABLE out_rows (
  service STRING,
  severity STRING,
  cnt BIGINT,
  sum_lat BIGINT,
  users BIGINT,
  last_ts BIGINT,
  avg_bytes DOUBLE
) WITH ('connector' = 'filesystem', 'path' = 'out.jsonl', 'format' = 'json');
INSERT INTO out_rows
SELECT service, severity, COUNT(*) AS cnt, SUM(latency_ms) AS sum_lat,
       COUNT(DISTINCT user_id) AS users, MAX(`timestamp`) AS last_ts, AVG(`bytes`) AS avg_bytes
FROM logs
GROUP BY service, severity;
