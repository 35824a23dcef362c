-- TUMBLE 10 s per service: every aggregate over an INT, a DOUBLE and a STRING column, with
-- Flink's result types (AVG over INT truncates; NULL service is a group of its own).
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
  cnt BIGINT,
  cnt_lat BIGINT,
  sum_lat BIGINT,
  min_lat INT,
  max_lat INT,
  avg_lat INT,
  sum_bytes DOUBLE,
  avg_bytes DOUBLE,
  min_bytes DOUBLE,
  max_bytes DOUBLE,
  min_user STRING,
  max_user STRING
) WITH ('connector' = 'filesystem', 'path' = 'out.jsonl', 'format' = 'json');
INSERT INTO out_rows
SELECT window_start, window_end, service, COUNT(*) AS cnt, COUNT(latency_ms) AS cnt_lat,
       SUM(latency_ms) AS sum_lat, MIN(latency_ms) AS min_lat, MAX(latency_ms) AS max_lat,
       AVG(latency_ms) AS avg_lat, SUM(`bytes`) AS sum_bytes, AVG(`bytes`) AS avg_bytes,
       MIN(`bytes`) AS min_bytes, MAX(`bytes`) AS max_bytes, MIN(user_id) AS min_user,
       MAX(user_id) AS max_user
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(rt), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, service;
