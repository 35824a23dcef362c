-- UPPER and LOWER of non-ASCII text (Flink maps every letter, not only A-Z), and grouping by
-- strings with quotes, backslashes, tabs and emoji.
-- @min-rows: 9
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
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'json'
);
CREATE TABLE out_rows (
  svc_upper STRING,
  svc_lower STRING,
  cnt BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${out}', 'format' = 'json');
INSERT INTO out_rows
SELECT UPPER(service) AS svc_upper, LOWER(service) AS svc_lower, COUNT(*) AS cnt
FROM logs
GROUP BY UPPER(service), LOWER(service);
