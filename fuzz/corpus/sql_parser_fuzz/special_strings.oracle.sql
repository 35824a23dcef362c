SELECT user_id, count(*) AS cnt, length(user_id) AS ulen
FROM logs WHERE user_id NOT LIKE 'user%' GROUP BY user_id
