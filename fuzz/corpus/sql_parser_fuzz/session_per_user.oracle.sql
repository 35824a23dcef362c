WITH s AS (
  SELECT *, CASE WHEN "timestamp" - lag("timestamp") OVER w > 3000 THEN 1 ELSE 0 END AS new_session
  FROM logs WINDOW w AS (PARTITION BY user_id ORDER BY "timestamp")),
g AS (
  SELECT *, sum(new_session) OVER (PARTITION BY user_id ORDER BY "timestamp"
                                   ROWS UNBOUNDED PRECEDING) AS sid FROM s)
SELECT ts3(min("timestamp")) AS window_start, ts3(max("timestamp") + 3000) AS window_end,
       user_id, count(*) AS cnt, min("timestamp") AS first_ts, max("timestamp") AS last_ts,
       max(latency_ms) AS max_lat
FROM g GROUP BY user_id, sid
