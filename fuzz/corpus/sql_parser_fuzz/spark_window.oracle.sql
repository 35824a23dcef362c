SELECT ts3(tumble_start("timestamp", 10000)) AS window_start,
       ts3(tumble_start("timestamp", 10000) + 10000) AS window_end, user_id, count(*) AS cnt
FROM logs WHERE upper(severity) = 'HIGH'
GROUP BY tumble_start("timestamp", 10000), user_id
