# Packaging: install rules for what is not a program, man pages, and the .deb (CPack).
# Programs install themselves (logship_add_program). scripts/package builds and checks the
# .deb; docs/PACKAGING.md says what goes where. Destinations are relative to the prefix,
# which is /usr in the package.
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(LOGSHIP_DOC_DIR share/doc/logship)
set(LOGSHIP_PACKAGE_MAINTAINER "logship maintainers <maintainers@users.noreply.h-seed-3e2478c4.example>"
    CACHE STRING "Maintainer of the .deb (its Maintainer field and changelog)")

# logship_install_tree(SOURCE_DIR DESTINATION [GLOB pattern...]): every file under
# SOURCE_DIR (default pattern: all, recursively) to DESTINATION, keeping sub-directories;
# files executable in the source tree stay executable, the rest are 0644. The glob is
# redone at every build, so files added later are packaged without re-running cmake.
function(logship_install_tree source destination)
  cmake_parse_arguments(T "" "" "GLOB" ${ARGN})
  if(NOT T_GLOB)
    set(T_GLOB "*")
  endif()
  set(patterns)
  foreach(pattern IN LISTS T_GLOB)
    list(APPEND patterns "${PROJECT_SOURCE_DIR}/${source}/${pattern}")
  endforeach()
  file(GLOB_RECURSE files CONFIGURE_DEPENDS LIST_DIRECTORIES false
       RELATIVE "${PROJECT_SOURCE_DIR}/${source}" ${patterns})
  foreach(file IN LISTS files)
    get_filename_component(subdir "${file}" DIRECTORY)
    execute_process(COMMAND test -x "${PROJECT_SOURCE_DIR}/${source}/${file}"
                    RESULT_VARIABLE not_executable)
    if(not_executable)
      install(FILES "${source}/${file}" DESTINATION "${destination}/${subdir}")
    else()
      install(PROGRAMS "${source}/${file}" DESTINATION "${destination}/${subdir}")
    endif()
  endforeach()
endfunction()

# The deployment kit. Named files are OPTIONAL here so that the package builds while the
# kit is incomplete; `scripts/package --check` fails when one is missing from the package.
install(FILES scripts/systemd/logship-push.service scripts/systemd/logship-pull@.service
              scripts/systemd/logship-verify-follow.service
        DESTINATION lib/systemd/user OPTIONAL)
logship_install_tree(scripts/feeds share/logship/feeds)
logship_install_tree(scripts/vault share/logship/vault)
logship_install_tree(scripts/examples ${LOGSHIP_DOC_DIR}/examples)
install(FILES scripts/cron/logship.crontab DESTINATION ${LOGSHIP_DOC_DIR}/examples OPTIONAL)

# Documentation. Debian wants a changelog.Debian.gz in a non-native package: one entry for
# this build (the project's history is its git log).
install(FILES README.md docs/copyright DESTINATION ${LOGSHIP_DOC_DIR})
string(TIMESTAMP changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
set(changelog "${PROJECT_BINARY_DIR}/changelog.Debian")
file(CONFIGURE OUTPUT "${changelog}" @ONLY CONTENT "logship (@PROJECT_VERSION@-1) stable; urgency=medium

  * Built with CPack from the logship source tree; its history is the git log.

 -- @LOGSHIP_PACKAGE_MAINTAINER@  @changelog_date@
")
add_custom_command(OUTPUT "${changelog}.gz" COMMAND gzip -9nc "${changelog}" > "${changelog}.gz"
                   DEPENDS "${changelog}" COMMENT "Compressing changelog.Debian")
add_custom_target(logship-changelog ALL DEPENDS "${changelog}.gz")
install(FILES "${changelog}.gz" DESTINATION ${LOGSHIP_DOC_DIR})
# docs/examples/ (Vector, Fluent Bit) lands in examples/ beside scripts/examples/.
logship_install_tree(docs ${LOGSHIP_DOC_DIR} GLOB *.md vectors/* examples/*)

# Man pages: docs/man/PROGRAM.1.in for every program, the version filled in, gzipped.
# The test man.PROGRAM fails when an option of PROGRAM --help is missing from its page
# (or the page documents an option the program does not have), or the page is missing.
get_property(logship_programs GLOBAL PROPERTY LOGSHIP_PROGRAMS)
set(man_pages)
foreach(program IN LISTS logship_programs)
  set(page_in "${PROJECT_SOURCE_DIR}/docs/man/${program}.1.in")
  set(page "${PROJECT_BINARY_DIR}/man/${program}.1")
  if(EXISTS "${page_in}")
    configure_file("${page_in}" "${page}" @ONLY)
    add_custom_command(OUTPUT "${page}.gz"
      COMMAND gzip -9nc "${page}" > "${page}.gz"
      DEPENDS "${page}" "${page_in}"
      COMMENT "Compressing man page ${program}.1")
    list(APPEND man_pages "${page}.gz")
  else()
    message(WARNING "docs/man/${program}.1.in is missing: ${program} has no man page "
                    "(the test man.${program} fails until it is written)")
  endif()
  add_test(NAME man.${program}
           COMMAND "${PROJECT_SOURCE_DIR}/docs/man/check-page" "$<TARGET_FILE:${program}>" "${page}")
  set_tests_properties(man.${program} PROPERTIES LABELS pkg TIMEOUT 60)
endforeach()
add_custom_target(logship-man ALL DEPENDS ${man_pages})
# The programs, one a line, for scripts/package --check.
list(JOIN logship_programs "\n" programs_lines)
file(CONFIGURE OUTPUT "${PROJECT_BINARY_DIR}/logship-programs" CONTENT "${programs_lines}\n")
install(FILES ${man_pages} DESTINATION share/man/man1)
# What the package holds that is built: the programs and their pages. `install` and
# `cpack` do not build everything first (the tests and benchmarks are not installed):
# build this target before them, as scripts/package does.
add_custom_target(logship-package-inputs DEPENDS ${logship_programs} logship-man logship-changelog)
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# The .deb.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME logship)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CONTACT "${LOGSHIP_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${LOGSHIP_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Depends: the shared libraries the programs link, computed by dpkg-shlibdeps (the programs
# speak SSH through libssh). openssh-client is recommended: ssh-keyscan fills known_hosts,
# and logship-vault-setup runs ssh-keygen (a vault has it anyway, with openssh-server).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "openssh-client, rsyslog | system-log-daemon")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "auditd, openssh-server, openssh-sftp-server, logrotate")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "ship security logs off a host over SSH, tamper-evident")
set(logship_summary_logship-push "ships a FIFO or stdin through a durable spool (on the host)")
set(logship_summary_logship-pull "follows remote files over read-only SFTP (on the vault)")
set(logship_summary_logship-verify "checks vault files and extracts their payload once")
set(logship_summary_logship-keys "mints restricted SSH keys and lints authorized_keys")
set(logship_program_lines)
foreach(program IN LISTS logship_programs)
  string(APPEND logship_program_lines " ${program}: ${logship_summary_${program}}\n")
endforeach()
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "logship copies security logs (syslog, auditd) off a host as they are written,
to an unprivileged vault account on another machine reachable over SSH, so that
what was recorded before a break-in survives it. Batches are hash-chained and
sealed with a forward-secure MAC: deletion, alteration, gaps and silences in
the vault copy are detectable.
.
${logship_program_lines}.
Installing the package starts nothing and creates no account: the agents run as
unprivileged users who set them up (systemd user units and cron examples are
included; see /usr/share/doc/logship/PACKAGING.md).")
include(CPack)
