-- An aggregate without GROUP BY: a single row over the whole input.
-- @min-rows: 1
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
  cnt BIGINT,
  cnt_http BIGINT,
  users BIGINT,
  min_ts BIGINT,
  max_ts BIGINT,
  avg_lat INT,
  sum_bytes DOUBLE
) WITH ('connector' = 'filesystem', 'path' = 'out.jsonl', 'format' = 'json');
INSERT INTO out_rows
SELECT COUNT(*) AS cnt, COUNT(http.status) AS cnt_http, COUNT(DISTINCT user_id) AS users,
       MIN(`timestamp`) AS min_ts, MAX(`timestamp`) AS max_ts, AVG(latency_ms) AS avg_lat,
       SUM(`bytes`) AS sum_bytes
FROM logs;
