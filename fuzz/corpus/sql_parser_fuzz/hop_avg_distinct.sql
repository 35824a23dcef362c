-- HOP of 10 s sliding by 5 s per service: AVG over INT (truncated) and over DOUBLE, exact
-- COUNT(DISTINCT) of users and of nested http methods.
-- @min-rows: 200
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
  avg_lat INT,
  avg_bytes DOUBLE,
  users BIGINT,
  methods BIGINT
) WITH ('connector' = 'filesystem', 'path' = 'out.jsonl', 'format' = 'json');
INSERT INTO out_rows
SELECT window_start, window_end, service, COUNT(*) AS cnt, AVG(latency_ms) AS avg_lat,
       AVG(`bytes`) AS avg_bytes, COUNT(DISTINCT user_id) AS users,
       COUNT(DISTINCT http.method) AS methods
FROM TABLE(HOP(TABLE logs, DESCRIPTOR(rt), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY window_start, window_end, service;
