SELECT ts3(tumble_start("timestamp", 10000)) AS window_start,
       ts3(tumble_start("timestamp", 10000) + 10000) AS window_end, user_id, count(*) AS cnt,
       max(latency_ms) - min(latency_ms) AS spread
FROM logs GROUP BY tumble_start("timestamp", 10000), user_id
HAVING (sum(latency_ms) // count(*) > 350 AND count(*) >= 3) OR max(latency_ms) - min(latency_ms) > 2500
