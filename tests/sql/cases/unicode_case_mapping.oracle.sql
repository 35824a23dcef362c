SELECT upper(service) AS svc_upper, lower(service) AS svc_lower, count(*) AS cnt
FROM logs GROUP BY upper(service), lower(service)
