-- Late records: a one-partition topic read in batches of 3000 offsets; right after the first
-- batch come records 30 s behind it, whose windows the first batch's watermark (its largest
-- event time minus 5 s) has closed: they are dropped and counted as late, never in the rows.
-- @dataset: late
-- @submit: --max-offsets-per-trigger 3000
-- @late-sim: max_offsets=3000,delay_ms=5000,window_ms=10000
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
  sum_lat BIGINT
) WITH ('connector' = 'filesystem', 'path' = 'out.jsonl', 'format' = 'json');
INSERT INTO out_rows
SELECT window_start, window_end, service, COUNT(*) AS cnt, SUM(latency_ms) AS sum_lat
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(rt), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, service;
