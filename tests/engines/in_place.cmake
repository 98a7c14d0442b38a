# Tests of engines/postgres in_place (pg_upgrade), server_control and pg_config_carry against real
# PostgreSQL servers (Debian 13 -> 15). Included from tests/engines/CMakeLists.txt.
tpd_add_unit_test(engines_in_place_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/in_place_test.cc
  LIBS tpd_testsupport tpd_engines
  LABELS pg)
