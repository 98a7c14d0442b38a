-- Non-template databases, with their size in bytes (NULL when the role lacks CONNECT on it, since
-- pg_database_size would fail).
SELECT d.datname                                                           AS datname,
       d.datallowconn                                                      AS allow_connections,
       CASE WHEN has_database_privilege(d.oid, 'CONNECT')
            THEN pg_database_size(d.oid) END                               AS size_bytes
FROM pg_database d
WHERE NOT d.datistemplate
ORDER BY d.datname;
