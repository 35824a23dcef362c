SELECT ts3(tumble_start("timestamp", 10000)) AS window_start,
       ts3(tumble_start("timestamp", 10000) + 10000) AS window_end,
       user_id, count(*) AS crash_count
FROM logs
WHERE lower(content) LIKE '%crash%' AND upper(severity) IN ('HIGH', 'CRITICAL')
GROUP BY tumble_start("timestamp", 10000), user_id
HAVING count(*) > 2
