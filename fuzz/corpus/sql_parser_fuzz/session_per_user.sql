-- SESSION per user with a 3 s gap (windows that touch merge, as Flink's do): the session's
-- bounds (first record, last record + gap: fractional seconds) and its first and last event time.
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
  user_id STRING,
  cnt BIGINT,
  first_ts BIGINT,
  last_ts BIGINT,
  max_lat INT
) WITH ('connector' = 'filesystem', 'path' = 'out.jsonl', 'format' = 'json');
INSERT INTO out_rows
SELECT window_start, window_end, user_id, COUNT(*) AS cnt, MIN(`timestamp`) AS first_ts,
       MAX(`timestamp`) AS last_ts, MAX(latency_ms) AS max_lat
FROM TABLE(SESSION(TABLE logs PARTITION BY user_id, DESCRIPTOR(rt), INTERVAL '3' SECOND))
GROUP BY window_start, window_end, user_id;
