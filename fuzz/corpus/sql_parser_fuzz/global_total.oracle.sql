SELECT count(*) AS cnt, count(http.status) AS cnt_http, count(DISTINCT user_id) AS users,
       min("timestamp") AS min_ts, max("timestamp") AS max_ts, avg_int(latency_ms) AS avg_lat,
       sum(bytes) AS sum_bytes
FROM logs
