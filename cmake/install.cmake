# Installation and packaging: `cmake --install` puts the shared and static
# libraries, onnxbn.h, onnxbn.pc, the CMake package (find_package(onnxbn) ->
# onnxbn::onnxbn, and onnxbn::onnxbn_static), the CLI and its man page, and
# the Python package under the prefix; `cpack -G DEB` makes a Debian package of the same files.
# Every installed file that points at another (the .pc file, the CMake
# package, the CLI's run path) does so relative to itself, so an install tree
# can be moved, or unpacked with `dpkg -x` anywhere, and still works.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(OBN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/onnxbn)

install(TARGETS onnxbn_shared EXPORT onnxbnTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS onnxbn EXPORT onnxbnStaticTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set_target_properties(onnxbn_shared PROPERTIES EXPORT_NAME onnxbn)
set_target_properties(onnxbn PROPERTIES EXPORT_NAME onnxbn_static)
install(EXPORT onnxbnTargets NAMESPACE onnxbn:: DESTINATION ${OBN_CMAKE_DIR})
install(EXPORT onnxbnStaticTargets NAMESPACE onnxbn:: DESTINATION ${OBN_CMAKE_DIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/onnxbnConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/cmake/onnxbnConfig.cmake INSTALL_DESTINATION ${OBN_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/onnxbnConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/onnxbnConfig.cmake ${CMAKE_BINARY_DIR}/cmake/onnxbnConfigVersion.cmake
        DESTINATION ${OBN_CMAKE_DIR})

install(FILES ${CMAKE_SOURCE_DIR}/include/onnxbn.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# pkg-config: the prefix is found from the .pc file's own location. Static
# linking (pkg-config --static) needs the OpenMP runtime the library was
# built with, protobuf-c and libm.
file(RELATIVE_PATH OBN_PC_TO_PREFIX /root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /root)
set(OBN_PC_LIBS_PRIVATE "")
foreach(lib IN LISTS OpenMP_C_LIB_NAMES)
  string(APPEND OBN_PC_LIBS_PRIVATE " -l${lib}")
endforeach()
string(APPEND OBN_PC_LIBS_PRIVATE " -lm")
foreach(lib IN LISTS CMAKE_DL_LIBS)
  string(APPEND OBN_PC_LIBS_PRIVATE " -l${lib}")
endforeach()
string(STRIP "${OBN_PC_LIBS_PRIVATE}" OBN_PC_LIBS_PRIVATE)
configure_file(${CMAKE_SOURCE_DIR}/cmake/onnxbn.pc.in ${CMAKE_BINARY_DIR}/onnxbn.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/onnxbn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The CLI finds the library next to it (<prefix>/bin/../lib).
file(RELATIVE_PATH OBN_BIN_TO_LIB /root/${CMAKE_INSTALL_BINDIR} /root/${CMAKE_INSTALL_LIBDIR})
set_target_properties(onnxbn_cli PROPERTIES INSTALL_RPATH "$ORIGIN/${OBN_BIN_TO_LIB}")
install(TARGETS onnxbn_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_SOURCE_DIR}/docs/onnxbn.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# The Python package (python/onnxbn, pure Python over libonnxbn.so.N):
# _install.py tells it where the library it was installed with is, relative
# to the package folder.
set(OBN_PYTHON_INSTALL_DIR lib/python3/dist-packages CACHE STRING
    "where `cmake --install` puts the Python package onnxbn, relative to the prefix")
file(RELATIVE_PATH OBN_PY_TO_LIB /root/${OBN_PYTHON_INSTALL_DIR}/onnxbn
     /root/${CMAKE_INSTALL_LIBDIR}/libonnxbn.so.${PROJECT_VERSION_MAJOR})
file(WRITE ${CMAKE_BINARY_DIR}/python/_install.py
     "# written by cmake --install: libonnxbn relative to this folder\nLIBRARY = \"${OBN_PY_TO_LIB}\"\n")
install(FILES ${CMAKE_SOURCE_DIR}/python/onnxbn/__init__.py ${CMAKE_SOURCE_DIR}/python/onnxbn/_capi.py
              ${CMAKE_SOURCE_DIR}/python/onnxbn/backend.py ${CMAKE_BINARY_DIR}/python/_install.py
        DESTINATION ${OBN_PYTHON_INSTALL_DIR}/onnxbn)

# Debian package: one binary package with everything above.
set(CPACK_PACKAGE_NAME onnxbn)
set(CPACK_PACKAGE_VENDOR "onnxbn")
set(CPACK_PACKAGE_CONTACT "onnxbn maintainers <onnxbn@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "lean ONNX inference runtime: library, header, CLI")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
# the run-time libraries the shared library and the CLI link (Debian 12 names)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= 2.34), libgomp1, libprotobuf-c1")
# the Python package needs numpy; onnxbn.backend needs onnx
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3-numpy, python3-onnx")
set(CPACK_GENERATOR DEB)
include(CPack)
