SELECT "timestamp" AS ts, user_id, service, latency_ms, bytes, ok, http.status AS status, content
FROM logs WHERE lower(content) LIKE '%crash%' AND http.status IS NOT NULL
