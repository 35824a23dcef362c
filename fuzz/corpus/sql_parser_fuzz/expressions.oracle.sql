SELECT "timestamp" AS ts, user_id,
       CASE WHEN upper(severity) IN ('HIGH', 'CRITICAL') THEN 'hot'
            WHEN severity IS NULL THEN 'none' ELSE 'cold' END AS sev_class,
       coalesce(service, 'unknown') AS svc,
       coalesce(http.status, 0) AS status_or_zero,
       CAST(latency_ms AS VARCHAR) AS lat_str,
       CAST(trunc(bytes) AS BIGINT) AS bytes_int,
       TRY_CAST(substring(user_id, 6) AS INTEGER) AS user_num,
       service || ':' || severity AS tag,
       user_id || '@' || coalesce(http.method, '-') AS tag2,
       length(user_id) AS ulen,
       substring(content, 1, 5) AS prefix,
       content LIKE '%rash%' AS has_rash,
       content ILIKE '%CRASH%' AS has_crash_ci,
       regexp_matches(content, '^[A-Z][a-z]+ [a-z]') AS re,
       latency_ms // 100 AS lat_bucket,
       http.status IN (404, NULL) AS in_null
FROM logs
WHERE latency_ms BETWEEN 100 AND 400 AND service IN ('api', 'web', 'Café-svc')
  AND user_id NOT LIKE 'user\_1%' ESCAPE '\'
