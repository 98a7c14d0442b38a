# tpd_framework: the resource machinery (provider/framework.h), the tfplugin5/tfplugin6 services over
# it (provider/protocol.h), proto conversions, and the registry of resources and data sources
# (provider/registry.h, NewProviderService from provider/services.h).
# Included from provider/CMakeLists.txt.
set(TPD_FRAMEWORK_DIR ${CMAKE_CURRENT_LIST_DIR})
add_library(tpd_framework STATIC
  ${TPD_FRAMEWORK_DIR}/framework.cc
  ${TPD_FRAMEWORK_DIR}/framework_checks.cc
  ${TPD_FRAMEWORK_DIR}/convert.cc
  ${TPD_FRAMEWORK_DIR}/protocol5.cc
  ${TPD_FRAMEWORK_DIR}/protocol6.cc
  ${TPD_FRAMEWORK_DIR}/registry.cc
  ${TPD_FRAMEWORK_DIR}/services.cc)
target_link_libraries(tpd_framework PUBLIC tpd_proto tpd_schema tpd_log tpd_resources tpd_grpc)
tpd_warnings(tpd_framework)
