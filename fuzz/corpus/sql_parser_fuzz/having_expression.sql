-- HAVING over an expression of aggregates (integer division of a SUM by a COUNT, a
-- difference of MAX and MIN), with aggregates that are not in the SELECT list.
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
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  user_id STRING,
  cnt BIGINT,
  spread INT
) WITH ('connector' = 'filesystem', 'path' = 'out.jsonl', 'format' = 'json');
INSERT INTO out_rows
SELECT window_start, window_end, user_id, COUNT(*) AS cnt,
       MAX(latency_ms) - MIN(latency_ms) AS spread
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(rt), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, user_id
HAVING (SUM(latency_ms) / COUNT(*) > 350 AND COUNT(*) >= 3) OR MAX(latency_ms) - MIN(latency_ms) > 2500;
