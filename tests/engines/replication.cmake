# Tests of engines/postgres/replication against real PostgreSQL 13 (source, wal_level = logical) and
# 17 (target) servers. Included from tests/engines/CMakeLists.txt.
tpd_add_unit_test(replication_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/replication_test.cc
  LIBS tpd_testsupport tpd_engines Threads::Threads
  LABELS pg)
