# packaging.cmake - what `cmake --install` and the .deb hold: the program,
# its systemd units, an /etc configuration, the example configuration and
# localacme(1); and CPack's Debian package (`cmake --build build --target
# package`). Included from the top-level CMakeLists.txt.
# SPDX-License-Identifier: MIT
#
# Paths as the package lays them out (prefix /usr): the units name
# /usr/bin/localacme and /etc/localacme/localacme.conf.
include(GNUInstallDirs)

set(LOCALACME_PKG_DIR ${CMAKE_CURRENT_LIST_DIR})
set(LOCALACME_SYSTEMD_DIR ${PROJECT_SOURCE_DIR}/contrib/systemd)

# The program itself is installed by src/CMakeLists.txt (bin/localacme).

# systemd: the system unit, the user unit, the system user (sysusers.d(5)).
install(FILES ${LOCALACME_SYSTEMD_DIR}/system/localacme.service
  DESTINATION lib/systemd/system)
install(FILES ${LOCALACME_SYSTEMD_DIR}/user/localacme.service
  DESTINATION lib/systemd/user)
install(FILES ${LOCALACME_SYSTEMD_DIR}/system/localacme.sysusers
  DESTINATION lib/sysusers.d RENAME localacme.conf)

# /etc/localacme/localacme.conf for the package and prefix /usr (the
# units read it there), <prefix>/etc/localacme for any other prefix: so
# `cmake --install build --prefix DIR` writes nothing outside DIR. Decided
# at install time, as CPack installs with its own prefix (/usr); file(INSTALL)
# puts $DESTDIR in front.
install(CODE "set(LOCALACME_CONF_SRC \"${LOCALACME_PKG_DIR}/localacme.conf\")")
install(CODE [[
  if(CMAKE_INSTALL_PREFIX MATCHES "^/usr/?$")
    set(LOCALACME_ETC /etc/localacme)
  else()
    set(LOCALACME_ETC "${CMAKE_INSTALL_PREFIX}/etc/localacme")
  endif()
  file(INSTALL DESTINATION "${LOCALACME_ETC}" TYPE FILE FILES "${LOCALACME_CONF_SRC}")
]])
install(FILES
  ${PROJECT_SOURCE_DIR}/contrib/localacme.conf.example
  ${LOCALACME_SYSTEMD_DIR}/system/root-passphrase.conf
  ${LOCALACME_SYSTEMD_DIR}/system/low-port.conf
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES ${LOCALACME_PKG_DIR}/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})

# localacme(1) from the --help texts (help2man); without help2man, no page;
# not in a sanitizer build (its leak report at exit would fail help2man).
find_program(HELP2MAN help2man)
if(HELP2MAN AND NOT LOCALACME_SANITIZE)
  set(LOCALACME_MANPAGE ${PROJECT_BINARY_DIR}/localacme.1.gz)
  add_custom_command(OUTPUT ${LOCALACME_MANPAGE}
    COMMAND ${CMAKE_COMMAND} -E env LC_ALL=C.UTF-8
      sh ${LOCALACME_PKG_DIR}/manpage.sh $<TARGET_FILE:localacme>
      ${LOCALACME_PKG_DIR}/localacme.h2m ${LOCALACME_MANPAGE}
    DEPENDS localacme ${LOCALACME_PKG_DIR}/manpage.sh ${LOCALACME_PKG_DIR}/localacme.h2m
    COMMENT "localacme(1) from the --help texts (help2man)"
    VERBATIM)
  add_custom_target(manpage ALL DEPENDS ${LOCALACME_MANPAGE})
  install(FILES ${LOCALACME_MANPAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "no localacme(1): help2man not found (contrib/setup.sh --test installs it) or a sanitizer build")
endif()

# The Debian package: localacme_<version>_<arch>.deb in the build directory.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME localacme)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "localacme maintainers <localacme@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "local certificate authority that speaks ACME v2 (RFC 8555)")
set(CPACK_PACKAGE_DESCRIPTION
  "localacme issues certificates for development and test machines: an ACME
server (localacme serve) for certbot, acme.sh, Caddy and other clients, and
commands that issue certificates directly and install the root in trust
stores. Includes a hardened systemd system unit and a user unit.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Run-time libraries found by dpkg-shlibdeps from the binary itself.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libnss3-tools, default-jre-headless")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${LOCALACME_PKG_DIR}/debian/postinst
  ${LOCALACME_PKG_DIR}/debian/prerm
  ${LOCALACME_PKG_DIR}/debian/postrm
  ${LOCALACME_PKG_DIR}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
