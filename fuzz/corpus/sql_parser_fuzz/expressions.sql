-- Scalar expressions in a stateless query: IN, BETWEEN, LIKE, ILIKE, CASE, COALESCE, CAST
-- (invalid input is NULL), CONCAT and || (NULL if any argument is), SUBSTRING and CHAR_LENGTH
-- (in characters), REGEXP_LIKE (RE2, partial match), integer division.
-- @min-rows: 1000
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
  sev_class STRING,
  svc STRING,
  status_or_zero INT,
  lat_str STRING,
  bytes_int BIGINT,
  user_num INT,
  tag STRING,
  tag2 STRING,
  ulen INT,
  prefix STRING,
  has_rash BOOLEAN,
  has_crash_ci BOOLEAN,
  re BOOLEAN,
  lat_bucket INT,
  in_null BOOLEAN
) WITH ('connector' = 'filesystem', 'path' = 'out.jsonl', 'format' = 'json');
INSERT INTO out_rows
SELECT `timestamp` AS ts, user_id,
       CASE WHEN UPPER(severity) IN ('HIGH', 'CRITICAL') THEN 'hot'
            WHEN severity IS NULL THEN 'none' ELSE 'cold' END AS sev_class,
       COALESCE(service, 'unknown') AS svc,
       COALESCE(http.status, 0) AS status_or_zero,
       CAST(latency_ms AS STRING) AS lat_str,
       CAST(`bytes` AS BIGINT) AS bytes_int,
       CAST(SUBSTRING(user_id, 6) AS INT) AS user_num,
       CONCAT(service, ':', severity) AS tag,
       user_id || '@' || COALESCE(http.method, '-') AS tag2,
       CHAR_LENGTH(user_id) AS ulen,
       SUBSTRING(content, 1, 5) AS prefix,
       content LIKE '%rash%' AS has_rash,
       content ILIKE '%CRASH%' AS has_crash_ci,
       REGEXP_LIKE(content, '^[A-Z][a-z]+ [a-z]') AS re,
       latency_ms / 100 AS lat_bucket,
       http.status IN (404, NULL) AS in_null
FROM logs
WHERE latency_ms BETWEEN 100 AND 400 AND service IN ('api', 'web', 'Café-svc')
  AND user_id NOT LIKE 'user\_1%' ESCAPE '\';
