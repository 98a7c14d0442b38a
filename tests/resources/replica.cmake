# Unit tests of the database_replica resource (resources/database_replica.{h,cc}) without a server:
# planning rules, replica ids, import IDs. Included from tests/resources/CMakeLists.txt.
tpd_add_unit_test(resources_database_replica_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/database_replica_test.cc
                  LIBS tpd_resources)
