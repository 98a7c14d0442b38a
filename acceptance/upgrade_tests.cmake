# database_upgrade acceptance tests (issue 4): the provider binary driven through Terraform's walks
# against real PostgreSQL 13/15/17 servers. Included from acceptance/CMakeLists.txt after
# tpd_add_acceptance_test is defined (and only when TPD_TESTS is on). ctest label: acceptance.
# Each scenario is its own ctest test (Catch2 discovery); filter with -R "database_upgrade".
if(TARGET tpd_testsupport OR EXISTS ${CMAKE_SOURCE_DIR}/tests/support/pg_server.h)
  tpd_add_acceptance_test(acc_database_upgrade_test SOURCES database_upgrade_pg_test.cc acc_util.cc
                          LIBS tpd_testsupport tpd_resources)
else()
  message(STATUS "acc_database_upgrade_test needs tpd_testsupport (tests/support)")
endif()
