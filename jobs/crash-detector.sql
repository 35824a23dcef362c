-- crash-detector: users with more than ${threshold} records of severity ${severity_list}
-- mentioning '${keyword}' per ${window} event-time window (the course exercise's Activity 3).
--
-- `spate-submit ... crash-detector [--window 10s] [--watermark 10s] [--threshold 2]
-- [--keyword crash] [--severities High,Critical]` fills the ${...} fields from its flags, and
-- the source and sink tables from --bootstrap, --topic, --starting-offsets and --sink.
-- `timestamp` is read as Spate's data model says: epoch milliseconds, or an RFC 3339 string
-- with an offset. Every column is NOT NULL: a record with a null or absent one is malformed
-- (counted, with its reason and field), as the data model says. Flink's JSON format reads TIMESTAMP_LTZ only from text: for Flink, declare
-- `timestamp` BIGINT and `rt AS TO_TIMESTAMP_LTZ(`timestamp`, 3)` with the watermark on rt
-- (bench/sql/crash-detector.sql, which both engines run).
CREATE TABLE logs (
  `timestamp` TIMESTAMP_LTZ(3) NOT NULL,
  severity STRING NOT NULL,
  user_id STRING NOT NULL,
  content STRING NOT NULL,
  WATERMARK FOR `timestamp` AS `timestamp` - INTERVAL '${watermark_s}' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${topic}',
  'properties.bootstrap.servers' = '${bootstrap}',
  'scan.startup.mode' = '${startup_mode}',
  'format' = 'json',
  'json.fail-on-missing-field' = 'true'
);

CREATE TABLE crashes (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  user_id STRING NOT NULL,
  crash_count BIGINT
) WITH (
  ${sink_options}
);

INSERT INTO crashes
SELECT window_start, window_end, user_id, COUNT(*) AS crash_count
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(`timestamp`), INTERVAL '${window_s}' SECOND))
WHERE LOWER(content) LIKE '%${keyword_like}%' AND UPPER(severity) IN (${severities_in})
GROUP BY window_start, window_end, user_id
HAVING COUNT(*) > ${threshold};
