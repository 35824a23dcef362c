WITH f AS (SELECT * FROM logs WHERE latency_ms > 900 AND http.status >= 400),
s AS (
  SELECT *, CASE WHEN "timestamp" - lag("timestamp") OVER w > 2000 THEN 1 ELSE 0 END AS new_session
  FROM f WINDOW w AS (PARTITION BY service ORDER BY "timestamp")),
g AS (
  SELECT *, sum(new_session) OVER (PARTITION BY service ORDER BY "timestamp"
                                   ROWS UNBOUNDED PRECEDING) AS sid FROM s)
SELECT ts3(min("timestamp")) AS window_start, ts3(max("timestamp") + 2000) AS window_end,
       service, count(*) AS cnt, count(DISTINCT user_id) AS users
FROM g GROUP BY service, sid
