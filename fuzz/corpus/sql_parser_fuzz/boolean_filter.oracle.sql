SELECT ts3(tumble_start("timestamp", 10000)) AS window_start,
       ts3(tumble_start("timestamp", 10000) + 10000) AS window_end, severity,
       count(*) AS cnt, sum(latency_ms) AS sum_lat
FROM logs
WHERE ok AND NOT (severity = 'Low')
GROUP BY tumble_start("timestamp", 10000), severity
