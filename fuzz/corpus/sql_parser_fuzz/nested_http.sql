-- The nested http.status and http.method in WHERE and GROUP BY; http missing, null, {} or
-- partial gives NULL fields (a NULL group key is a group).
-- @min-rows: 50
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
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  http_status INT,
  http_method STRING,
  cnt BIGINT,
  max_lat INT
) WITH ('connector' = 'filesystem', 'path' = 'out.jsonl', 'format' = 'json');
INSERT INTO out_rows
SELECT window_start, window_end, http.status AS http_status, http.method AS http_method,
       COUNT(*) AS cnt, MAX(latency_ms) AS max_lat
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(rt), INTERVAL '20' SECOND))
WHERE http.status >= 400 OR http.status IS NULL
GROUP BY window_start, window_end, http.status, http.method;
