SELECT ts3(tumble_start("timestamp", 10000)) AS window_start,
       ts3(tumble_start("timestamp", 10000) + 10000) AS window_end, service,
       count(*) AS cnt, sum(latency_ms) AS sum_lat
FROM logs GROUP BY tumble_start("timestamp", 10000), service
