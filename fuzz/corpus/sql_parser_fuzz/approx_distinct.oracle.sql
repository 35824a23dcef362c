SELECT ts3(tumble_start("timestamp", 10000)) AS window_start,
       ts3(tumble_start("timestamp", 10000) + 10000) AS window_end, service,
       count(DISTINCT user_id) AS approx_users, count(DISTINCT user_id) AS exact_users,
       count(DISTINCT "timestamp") AS approx_ts
FROM logs GROUP BY tumble_start("timestamp", 10000), service
