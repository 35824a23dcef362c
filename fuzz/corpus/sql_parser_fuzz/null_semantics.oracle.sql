SELECT severity, count(*) AS cnt,
       sum(CASE WHEN service <> 'api' THEN 1 ELSE 0 END) AS not_api,
       sum(CASE WHEN NOT (latency_ms > 500) THEN 1 ELSE 0 END) AS not_slow,
       sum(CASE WHEN (latency_ms > 500) IS NULL THEN 1 ELSE 0 END) AS slow_unknown,
       sum(CASE WHEN ok IS NOT TRUE THEN 1 ELSE 0 END) AS not_true,
       sum(CASE WHEN http.method IN ('GET', NULL) THEN 1 WHEN NOT (http.method IN ('GET', NULL)) THEN 100 ELSE 0 END) AS get_or_null,
       count(http.status) AS cnt_status, count(ok) AS cnt_ok
FROM logs
WHERE service IS NULL OR service <> 'web'
GROUP BY severity
