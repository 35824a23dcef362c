-- The crash detector (jobs/crash-detector.sql with its default flags) in a form that both Spate
-- and Flink SQL run unchanged: `timestamp` read as BIGINT (epoch ms) with the event time computed
-- from it, since Flink's JSON format reads TIMESTAMP_LTZ only from text; a bounded read from the
-- earliest to the latest offsets, so that both read to the end and finish. bench/sql.sh fills in
-- ${topic}, ${bootstrap} and ${out}.
CREATE TABLE logs (
  `timestamp` BIGINT,
  severity STRING,
  user_id STRING,
  content STRING,
  rt AS TO_TIMESTAMP_LTZ(`timestamp`, 3),
  WATERMARK FOR rt AS rt - INTERVAL '10' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${topic}',
  'properties.bootstrap.servers' = '${bootstrap}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'json',
  'json.fail-on-missing-field' = 'true'
);

CREATE TABLE crashes (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  user_id STRING,
  crash_count BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${out}', 'format' = 'json');

INSERT INTO crashes
SELECT window_start, window_end, user_id, COUNT(*) AS crash_count
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(rt), INTERVAL '10' SECOND))
WHERE LOWER(content) LIKE '%crash%' AND UPPER(severity) IN ('HIGH', 'CRITICAL')
GROUP BY window_start, window_end, user_id
HAVING COUNT(*) > 2;
