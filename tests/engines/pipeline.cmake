# Unit tests of engines/pipeline, engines/run_paths and engines/history (no database needed).
# Included from tests/engines/CMakeLists.txt.
tpd_add_unit_test(engines_pipeline_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/pipeline_test.cc
  LIBS tpd_engines tpd_schema tpd_log nlohmann_json::nlohmann_json Threads::Threads)
tpd_add_unit_test(engines_history_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/history_test.cc
  LIBS tpd_engines tpd_schema tpd_log nlohmann_json::nlohmann_json)
