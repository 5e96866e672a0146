# cmake -P script: installs BUILD_DIR into a fresh prefix under WORK_DIR, configures and builds
# EXAMPLE_DIR against it with the build's own generator, compiler and warnings, and runs the
# example. Stops at the first step that fails, naming it and showing its output.
foreach(var BUILD_DIR EXAMPLE_DIR WORK_DIR VERSION GENERATOR MAKE_PROGRAM CXX_COMPILER BUILD_TYPE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install test: -D${var}= is missing")
  endif()
endforeach()

function(run_step name)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE output
                  ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "install test: ${name} failed (${result}):\n${output}")
  endif()
  message(STATUS "${name}: ok")
endfunction()

# Fresh every run, so that nothing left by an earlier install (a removed header) can hide a gap.
set(prefix ${WORK_DIR}/prefix)
set(example_build ${WORK_DIR}/example-build)
file(REMOVE_RECURSE ${WORK_DIR})

run_step("install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

run_step("configure the example" ${CMAKE_COMMAND} -S ${EXAMPLE_DIR} -B ${example_build}
  -G ${GENERATOR} -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
  -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DCMAKE_PREFIX_PATH=${prefix}
  "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Wno-unused-parameter -Werror")

# The package found must be the one just installed, not one elsewhere on the machine.
file(STRINGS ${example_build}/CMakeCache.txt package_dir REGEX "^edgetsdb_DIR:")
string(REGEX REPLACE "^[^=]*=" "" package_dir "${package_dir}")
string(FIND "${package_dir}" "${prefix}/" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "install test: the example found edgetsdb in '${package_dir}', "
          "not under ${prefix}")
endif()

# The version file accepts a request for this very version (find_package's inputs to it).
set(PACKAGE_FIND_VERSION ${VERSION})
string(REGEX MATCH "^([0-9]+)\\.([0-9]+)" major_minor "${VERSION}")
set(PACKAGE_FIND_VERSION_MAJOR ${CMAKE_MATCH_1})
set(PACKAGE_FIND_VERSION_MINOR ${CMAKE_MATCH_2})
include(${package_dir}/edgetsdbConfigVersion.cmake)
if(NOT PACKAGE_VERSION_COMPATIBLE OR NOT PACKAGE_VERSION STREQUAL VERSION)
  message(FATAL_ERROR "install test: the installed version file says ${PACKAGE_VERSION} "
          "(compatible: ${PACKAGE_VERSION_COMPATIBLE}) for a request of ${VERSION}")
endif()

run_step("build the example" ${CMAKE_COMMAND} --build ${example_build})
run_step("run the example" ${example_build}/edgetsdb_example ${WORK_DIR}/data)
