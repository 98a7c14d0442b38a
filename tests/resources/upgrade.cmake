# database_upgrade unit tests (no server): facts mapping, plan cache, Plan/Validate/Import paths.
# Included from tests/resources/CMakeLists.txt.
tpd_add_unit_test(resources_database_upgrade_test SOURCES database_upgrade_test.cc LIBS tpd_resources)
