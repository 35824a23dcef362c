-- logs-processor: records of severity High, Critical mentioning 'crash', counted per
-- source_ip per 10 s event-time window (the course exercise's baseline job).
--
-- `spate-submit ... logs-processor [--window 10s] [--watermark 10s] [--threshold 0]
-- [--keyword vulnerability] [--severities High]` fills the ${...} fields from its flags, and
-- the source and sink tables from --bootstrap, --topic, --starting-offsets and --sink.
-- `timestamp` is read as Spate's data model says: epoch milliseconds, or an RFC 3339 string
-- with an offset (for Flink, see crash-detector.sql).
CREATE TABLE logs (
  `timestamp` TIMESTAMP_LTZ(3),
  severity STRING,
  source_ip STRING,
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

CREATE TABLE counts (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  source_ip STRING,
  `count` BIGINT
) WITH (
  'connector' = 'print'
);

INSERT INTO counts
SELECT window_start, window_end, source_ip, COUNT(*) AS `count`
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(`timestamp`), INTERVAL '10' SECOND))
WHERE LOWER(content) LIKE '%crash%' AND UPPER(severity) IN ('HIGH', 'CRITICAL')
GROUP BY window_start, window_end, source_ip
HAVING COUNT(*) > 2;
