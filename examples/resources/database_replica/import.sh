# Import an existing replica by "<source_url>|<target_url>|<slot_name>" (URLs without password; the
# slot is the one this provider created, named tpd_r<8 hex digits>, see slot_name). Passwords come
# from the configuration: the first apply after the import only records them (an in-place update).
# Only replicas of all tables can be imported: the import cannot tell a `tables` filter, and
# configuring one replaces the replica.
terraform import database_replica.example 'postgresql://postgres@old-db.example.com:5432/app|postgresql://postgres@new-db.example.com:5432/app|tpd_r1a2b3c4d'
