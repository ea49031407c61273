# Third-party packages, all from Debian 12 (scripts/deps installs them).
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED COMPONENTS Crypto)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(spdlog 1.10 REQUIRED)
find_package(libssh 0.10 REQUIRED CONFIG)
find_package(GTest REQUIRED)

if(NOT TARGET libssh::ssh)
  add_library(libssh::ssh INTERFACE IMPORTED)
  target_link_libraries(libssh::ssh INTERFACE ssh)
endif()
