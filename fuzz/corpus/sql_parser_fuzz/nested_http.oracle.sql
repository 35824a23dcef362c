SELECT ts3(tumble_start("timestamp", 20000)) AS window_start,
       ts3(tumble_start("timestamp", 20000) + 20000) AS window_end,
       http.status AS http_status, http.method AS http_method, count(*) AS cnt,
       max(latency_ms) AS max_lat
FROM logs
WHERE http.status >= 400 OR http.status IS NULL
GROUP BY tumble_start("timestamp", 20000), http.status, http.method
