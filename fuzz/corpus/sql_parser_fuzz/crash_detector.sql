-- The crash detector as shipped: 10 s tumbling windows, crash records of High/Critical
-- severity per user, rows with more than two.
-- @min-rows: 20
-- @malformed: at-most
CREATE TABLE logs (
  `timestamp` BIGINT, severity STRING, user_id STRING, content STRING,
  rt AS TO_TIMESTAMP_LTZ(`timestamp`, 3),
  WATERMARK FOR rt AS rt - INTERVAL '10' SECOND
) WITH ('connector' = 'kafka', 'topic' = 'logs', 'properties.bootstrap.servers' = '127.0.0.1:19092',
        'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset', 'format' = 'json');
CREATE TABLE crashes (window_start TIMESTAMP(3), window_end TIMESTAMP(3), user_id STRING, crash_count BIGINT)
  WITH ('connector' = 'filesystem', 'path' = 'out.jsonl', 'format' = 'json');
INSERT INTO crashes
SELECT window_start, window_end, user_id, COUNT(*) AS crash_count
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(rt), INTERVAL '10' SECOND))
WHERE LOWER(content) LIKE '%crash%' AND UPPER(severity) IN ('HIGH', 'CRITICAL')
GROUP BY window_start, window_end, user_id
HAVING COUNT(*) > 2;
