SELECT ts3(tumble_start("timestamp", 10000)) AS window_start,
       ts3(tumble_start("timestamp", 10000) + 10000) AS window_end, service,
       count(*) AS cnt, count(latency_ms) AS cnt_lat, sum(latency_ms) AS sum_lat,
       min(latency_ms) AS min_lat, max(latency_ms) AS max_lat, avg_int(latency_ms) AS avg_lat,
       sum(bytes) AS sum_bytes, avg(bytes) AS avg_bytes, min(bytes) AS min_bytes,
       max(bytes) AS max_bytes, min(user_id) AS min_user, max(user_id) AS max_user
FROM logs
GROUP BY tumble_start("timestamp", 10000), service
