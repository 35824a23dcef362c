-- Event times near INT64_MIN (a BIGINT epoch-ms column holds any int64) in HOP and TUMBLE with
-- an offset: window starts overflowed.
CREATE TABLE logs (`timestamp` BIGINT, user_id STRING, rt AS TO_TIMESTAMP_LTZ(`timestamp`, 3),
  WATERMARK FOR rt AS rt - INTERVAL '5' SECOND)
WITH ('connector' = 'kafka', 'topic' = 'logs', 'properties.bootstrap.servers' = 'k:9092', 'format' = 'json');
SELECT window_start, user_id, COUNT(*) AS n
FROM TABLE(HOP(TABLE logs, DESCRIPTOR(rt), INTERVAL '5' SECOND, INTERVAL '10' SECOND, INTERVAL '3' SECOND))
GROUP BY window_start, window_end, user_id;
