-- Group keys with quotes, backslashes, tabs, accents and emoji survive decoding (escaped or
-- not in the input) and the sink's JSON.
-- @min-rows: 7
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
  user_id STRING,
  cnt BIGINT,
  ulen INT
) WITH ('connector' = 'filesystem', 'path' = 'out.jsonl', 'format' = 'json');
INSERT INTO out_rows
SELECT user_id, COUNT(*) AS cnt, CHAR_LENGTH(user_id) AS ulen
FROM logs
WHERE user_id NOT LIKE 'user%'
GROUP BY user_id;
