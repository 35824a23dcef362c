SELECT ok, count(*) AS cnt, count(DISTINCT user_id) AS users
FROM logs WHERE ok IS NOT TRUE OR latency_ms < 100 GROUP BY ok
