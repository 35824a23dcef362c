-- Three-valued logic: comparisons with NULL are NULL, CASE takes ELSE for them, NOT NULL is
-- NULL, x IN (..., NULL) is never FALSE; COUNT(x) counts non-NULL values.
-- @min-rows: 5
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
  severity STRING,
  cnt BIGINT,
  not_api BIGINT,
  not_slow BIGINT,
  slow_unknown BIGINT,
  not_true BIGINT,
  get_or_null BIGINT,
  cnt_status BIGINT,
  cnt_ok BIGINT
) WITH ('connector' = 'filesystem', 'path' = 'out.jsonl', 'format' = 'json');
INSERT INTO out_rows
SELECT severity, COUNT(*) AS cnt,
       SUM(CASE WHEN service <> 'api' THEN 1 ELSE 0 END) AS not_api,
       SUM(CASE WHEN NOT (latency_ms > 500) THEN 1 ELSE 0 END) AS not_slow,
       SUM(CASE WHEN (latency_ms > 500) IS NULL THEN 1 ELSE 0 END) AS slow_unknown,
       SUM(CASE WHEN ok IS NOT TRUE THEN 1 ELSE 0 END) AS not_true,
       SUM(CASE WHEN http.method IN ('GET', NULL) THEN 1 WHEN NOT (http.method IN ('GET', NULL)) THEN 100 ELSE 0 END) AS get_or_null,
       COUNT(http.status) AS cnt_status, COUNT(ok) AS cnt_ok
FROM logs
WHERE service IS NULL OR service <> 'web'
GROUP BY severity;
