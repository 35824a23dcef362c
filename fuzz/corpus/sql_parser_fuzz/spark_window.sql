-- Spark's spelling: GROUP BY window(rt, '10 seconds') with window.start / window.end.
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
  user_id STRING,
  cnt BIGINT
) WITH ('connector' = 'filesystem', 'path' = 'out.jsonl', 'format' = 'json');
INSERT INTO out_rows
SELECT window.start AS window_start, window.end AS window_end, user_id, COUNT(*) AS cnt
FROM logs
WHERE UPPER(severity) = 'HIGH'
GROUP BY window(rt, '10 seconds'), user_id;
