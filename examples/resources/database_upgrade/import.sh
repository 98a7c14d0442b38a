# Import an upgrade by the source server's URL, without its password. The imported state records
# the server's current major version as target_version; the next plan fills in the rest.
terraform import database_upgrade.example 'postgresql://postgres@old-db.example.com:5432/app?sslmode=require'
