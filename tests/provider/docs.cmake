# Unit tests of the `docs` sub-command (provider/cli_docs.{h,cc}): rendering of a fake schema into
# registry Markdown, templates, page layout, and the command against the registered provider.
# Included from tests/provider/CMakeLists.txt (needs tpd_cli, defined by provider/cli.cmake).
if(TARGET tpd_cli AND EXISTS ${CMAKE_SOURCE_DIR}/provider/cli_docs.cc)
  tpd_add_unit_test(provider_cli_docs_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_docs_test.cc LIBS tpd_cli)
endif()
