-- A stateless INSERT: filter and projection, no GROUP BY; every matching record is a row.
-- @min-rows: 300
-- @malformed: at-most
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
  ts BIGINT,
  user_id STRING,
  service STRING,
  latency_ms INT,
  bytes DOUBLE,
  ok BOOLEAN,
  status INT,
  content STRING
) WITH ('connector' = 'filesystem', 'path' = 'out.jsonl', 'format' = 'json');
INSERT INTO out_rows
SELECT `timestamp` AS ts, user_id, service, latency_ms, `bytes`, ok, http.status AS status, content
FROM logs
WHERE LOWER(content) LIKE '%crash%' AND http.status IS NOT NULL;
