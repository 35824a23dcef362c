-- A non-selective query: every record counts. Sliding (HOP) windows of 10 s every 5 s, per
-- severity: COUNT, and SUM / MIN / MAX / AVG over the content's length and over the millisecond
-- of the event time. Both Spate and Flink SQL run it unchanged; bench/sql.sh fills in ${topic},
-- ${bootstrap} and ${out}.
CREATE TABLE logs (
  `timestamp` BIGINT,
  severity STRING,
  content STRING,
  rt AS TO_TIMESTAMP_LTZ(`timestamp`, 3),
  WATERMARK FOR rt AS rt - INTERVAL '10' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${topic}',
  'properties.bootstrap.servers' = '${bootstrap}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'json'
);

CREATE TABLE severity_stats (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  severity STRING,
  records BIGINT,
  content_chars BIGINT,
  min_chars INT,
  max_chars INT,
  avg_chars INT,
  min_ms BIGINT,
  max_ms BIGINT,
  avg_ms BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${out}', 'format' = 'json');

INSERT INTO severity_stats
SELECT window_start, window_end, severity, COUNT(*) AS records,
       SUM(CHAR_LENGTH(content)) AS content_chars, MIN(CHAR_LENGTH(content)) AS min_chars,
       MAX(CHAR_LENGTH(content)) AS max_chars, AVG(CHAR_LENGTH(content)) AS avg_chars,
       MIN(MOD(`timestamp`, 1000)) AS min_ms, MAX(MOD(`timestamp`, 1000)) AS max_ms,
       AVG(MOD(`timestamp`, 1000)) AS avg_ms
FROM TABLE(HOP(TABLE logs, DESCRIPTOR(rt), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY window_start, window_end, severity;
