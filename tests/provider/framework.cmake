# Tests of the resource machinery (provider/framework.cmake: tpd_framework). Included from
# tests/provider/CMakeLists.txt.
if(TARGET tpd_framework)
  tpd_add_unit_test(provider_framework_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/framework_test.cc
    LIBS tpd_framework)
  tpd_add_unit_test(provider_protocol_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/protocol_test.cc
    LIBS tpd_framework)
endif()
