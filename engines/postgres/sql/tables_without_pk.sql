-- Permanent user tables of the current database without a primary key, with REPLICA IDENTITY
-- (d = default, n = nothing, f = full, i = index). Skips system schemas, temporary and unlogged
-- tables (logical replication ignores them) and tables that belong to an extension.
SELECT n.nspname    AS schema_name,
       c.relname    AS table_name,
       c.relreplident::text AS replica_identity
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
  AND c.relpersistence = 'p'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2;
