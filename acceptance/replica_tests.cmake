# database_replica acceptance tests (issue 5): the provider binary driven through Terraform's walks
# against a real PostgreSQL 13 source (wal_level = logical) and a PostgreSQL 17 target. Included from
# acceptance/CMakeLists.txt after tpd_add_acceptance_test is defined (only when TPD_TESTS is on).
# ctest label: acceptance; each scenario is its own ctest test (filter with -R database_replica).
if(TARGET tpd_testsupport OR EXISTS ${CMAKE_SOURCE_DIR}/tests/support/pg_server.h)
  # stream: scenarios 1, 3, 5 and import; promote: 2 and the DDL check; destroy: 4;
  # example: 6 (examples/replica-then-promote with the terraform/tofu CLI; skips without one).
  foreach(scenario stream promote destroy example)
    tpd_add_acceptance_test(acc_database_replica_${scenario}_test
      SOURCES ${CMAKE_CURRENT_LIST_DIR}/database_replica_${scenario}_test.cc ${CMAKE_CURRENT_LIST_DIR}/acc_util.cc
      LIBS tpd_testsupport)
  endforeach()
  target_compile_definitions(acc_database_replica_example_test PRIVATE TPD_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
else()
  message(STATUS "database_replica acceptance tests need tpd_testsupport (tests/support)")
endif()
