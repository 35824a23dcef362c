-- APPROX_COUNT_DISTINCT (HyperLogLog) next to the exact count: within 10 % (or 2).
-- @min-rows: 100
-- @approx: approx_users=0.1, approx_ts=0.1
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
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  service STRING,
  approx_users BIGINT,
  exact_users BIGINT,
  approx_ts BIGINT
) WITH ('connector' = 'filesystem', 'path' = 'out.jsonl', 'format' = 'json');
INSERT INTO out_rows
SELECT window_start, window_end, service, APPROX_COUNT_DISTINCT(user_id) AS approx_users,
       COUNT(DISTINCT user_id) AS exact_users, APPROX_COUNT_DISTINCT(`timestamp`) AS approx_ts
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(rt), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, service;
