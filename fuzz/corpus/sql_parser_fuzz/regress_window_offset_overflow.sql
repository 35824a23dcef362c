CREATE TABLE logs (`timestamp` BIGINT, user_id STRING, rt AS TO_TIMESTAMP_LTZ(`timestamp`, 3),
  WATERMARK FOR rt AS rt - INTERVAL '5' SECOND)
WITH ('connector' = 'kafka', 'topic' = 'logs', 'properties.bootstrap.servers' = 'k:9092', 'format' = 'json');
SELECT window_start, user_id, COUNT(*) AS n
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(rt), INTERVAL '9000000000000000' SECOND, INTERVAL '8000000000000000' SECOND))
GROUP BY window_start, window_end, user_id;
