-- Instance-wide facts, one row. PostgreSQL 9.6 (WAL functions are still named "xlog").
-- Same columns as instance.sql.
SELECT current_setting('server_version')                                   AS server_version,
       current_setting('server_version_num')::int                          AS server_version_num,
       current_setting('wal_level')                                        AS wal_level,
       current_setting('max_replication_slots')::int                       AS max_replication_slots,
       (SELECT count(*) FROM pg_replication_slots)                         AS used_replication_slots,
       current_setting('max_wal_senders')::int                             AS max_wal_senders,
       current_setting('port')::int                                        AS port,
       current_database()                                                  AS current_database,
       current_user                                                        AS current_user,
       r.rolsuper                                                          AS is_superuser,
       r.rolreplication                                                    AS has_replication,
       pg_is_in_recovery()                                                 AS in_recovery,
       pg_database_size(current_database())                                AS database_size_bytes,
       (SELECT setting FROM pg_settings WHERE name = 'data_directory')     AS data_directory,
       CASE WHEN pg_is_in_recovery() THEN NULL
            ELSE pg_current_xlog_location()::text END                      AS current_wal_lsn
FROM pg_roles r
WHERE r.rolname = current_user;
