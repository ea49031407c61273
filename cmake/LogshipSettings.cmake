# Compiler settings shared by every target: link logship_settings and nothing else.
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

option(LOGSHIP_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(LOGSHIP_FUZZ "Build libFuzzer targets (needs clang)" OFF)

add_library(logship_settings INTERFACE)
target_compile_options(logship_settings INTERFACE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor)
target_compile_definitions(logship_settings INTERFACE LOGSHIP_VERSION="${PROJECT_VERSION}")
# Hardening as Debian builds packages: fortified libc calls (they need optimisation), stack
# protector, full RELRO.
if(NOT LOGSHIP_SANITIZE AND NOT LOGSHIP_FUZZ)
  target_compile_options(logship_settings INTERFACE -fstack-protector-strong
    $<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:-D_FORTIFY_SOURCE=2>)
  target_link_options(logship_settings INTERFACE -Wl,-z,relro,-z,now)
endif()
if(LOGSHIP_SANITIZE)
  target_compile_options(logship_settings INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(logship_settings INTERFACE -fsanitize=address,undefined)
endif()

# logship_add_program(NAME SOURCES... LIBS ...): an installed logship binary.
function(logship_add_program name)
  cmake_parse_arguments(P "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${P_SOURCES})
  target_link_libraries(${name} PRIVATE logship_settings ${P_LIBS})
  install(TARGETS ${name} RUNTIME DESTINATION bin)
  set_property(GLOBAL APPEND PROPERTY LOGSHIP_PROGRAMS ${name})  # for man pages and packaging
endfunction()
