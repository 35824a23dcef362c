-- SESSION over a view that filters first (so the sessions are those of the filtered records),
-- partitioned by service, 2 s gap.
-- @min-rows: 20
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
  service STRING,
  cnt BIGINT,
  users BIGINT
) WITH ('connector' = 'filesystem', 'path' = 'out.jsonl', 'format' = 'json');
CREATE VIEW slow AS SELECT * FROM logs WHERE latency_ms > 900 AND http.status >= 400;
INSERT INTO out_rows
SELECT window_start, window_end, service, COUNT(*) AS cnt, COUNT(DISTINCT user_id) AS users
FROM TABLE(SESSION(TABLE slow PARTITION BY service, DESCRIPTOR(rt), INTERVAL '2' SECOND))
GROUP BY window_start, window_end, service;
