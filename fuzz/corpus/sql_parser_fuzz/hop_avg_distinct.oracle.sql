SELECT ts3(tumble_start("timestamp", 5000) - j * 5000) AS window_start,
       ts3(tumble_start("timestamp", 5000) - j * 5000 + 10000) AS window_end, service,
       count(*) AS cnt, avg_int(latency_ms) AS avg_lat, avg(bytes) AS avg_bytes,
       count(DISTINCT user_id) AS users, count(DISTINCT http.method) AS methods
FROM logs, range(0, 2) AS r(j)
GROUP BY tumble_start("timestamp", 5000) - j * 5000, service
