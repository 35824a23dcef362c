-- logs-processor: records of severity ${severity_list} mentioning '${keyword}', counted per
-- source_ip per ${window} event-time window (the course exercise's baseline job).
--
-- `spate-submit ... logs-processor [--window 10s] [--watermark 10s] [--threshold 0]
-- [--keyword vulnerability] [--severities High]` fills the ${...} fields from its flags, and
-- the source and sink tables from --bootstrap, --topic, --starting-offsets and --sink.
-- `timestamp` is read as Spate's data model says: epoch milliseconds, or an RFC 3339 string
-- with an offset (for Flink, see crash-detector.sql).
CREATE TABLE logs (
  `timestamp` TIMESTAMP_LTZ(3) NOT NULL,
  severity STRING NOT NULL,
  source_ip STRING NOT NULL,
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

CREATE TABLE counts (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  source_ip STRING NOT NULL,
  `count` BIGINT
) WITH (
  ${sink_options}
);

INSERT INTO counts
SELECT window_start, window_end, source_ip, COUNT(*) AS `count`
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(`timestamp`), INTERVAL '${window_s}' SECOND))
WHERE LOWER(content) LIKE '%${keyword_like}%' AND UPPER(severity) IN (${severities_in})
GROUP BY window_start, window_end, source_ip
HAVING COUNT(*) > ${threshold};
