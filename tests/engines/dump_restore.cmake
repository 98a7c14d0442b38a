# Tests of engines/postgres dump_restore, backup, schema_copy, sequences and verify against real
# PostgreSQL servers (13 -> 17). Included from tests/engines/CMakeLists.txt.
tpd_add_unit_test(engines_dump_restore_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/dump_restore_test.cc
  LIBS tpd_testsupport tpd_engines
  LABELS pg)
tpd_add_unit_test(engines_verify_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/verify_test.cc
  LIBS tpd_testsupport tpd_engines
  LABELS pg)
