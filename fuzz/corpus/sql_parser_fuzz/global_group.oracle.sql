SELECT service, severity, count(*) AS cnt, sum(latency_ms) AS sum_lat,
       count(DISTINCT user_id) AS users, max("timestamp") AS last_ts, avg(bytes) AS avg_bytes
FROM logs GROUP BY service, severity
