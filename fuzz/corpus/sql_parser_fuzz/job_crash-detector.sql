-- crash-detector: users with more than 2 records of severity High, Critical
-- mentioning 'crash' per 10 s event-time window (the course exercise's Activity 3).
--
-- `spate-submit ... crash-detector [--window 10s] [--watermark 10s] [--threshold 2]
-- [--keyword crash] [--severities High,Critical]` fills the ${...} fields from its flags, and
-- the source and sink tables from --bootstrap, --topic, --starting-offsets and --sink.
-- `timestamp` is read as Spate's data model says: epoch milliseconds, or an RFC 3339 string
-- with an offset. Flink's JSON format reads TIMESTAMP_LTZ only from text: for Flink, declare
-- `timestamp` BIGINT and `rt AS TO_TIMESTAMP_LTZ(`timestamp`, 3)` with the watermark on rt
-- (bench/sql/crash-detector.sql, which both engines run).
CREATE TABLE logs (
  `timestamp` TIMESTAMP_LTZ(3),
  severity STRING,
  user_id STRING,
  content STRING,
  WATERMARK FOR `timestamp` AS `timestamp` - INTERVAL '10' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'logs',
  'properties.bootstrap.servers' = '127.0.0.1:19092',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'json',
  'json.fail-on-missing-field' = 'true'
);

CREATE TABLE crashes (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  user_id STRING,
  crash_count BIGINT
) WITH (
  'connector' = 'print'
);

INSERT INTO crashes
SELECT window_start, window_end, user_id, COUNT(*) AS crash_count
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(`timestamp`), INTERVAL '10' SECOND))
WHERE LOWER(content) LIKE '%crash%' AND UPPER(severity) IN ('HIGH', 'CRITICAL')
GROUP BY window_start, window_end, user_id
HAVING COUNT(*) > 2;
