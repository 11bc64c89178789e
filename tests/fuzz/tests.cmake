# SPDX-License-Identifier: BSD-3-Clause
#
# tests/fuzz in the normal build (included by tests/integration.cmake, as
# every tests/<area>/tests.cmake; no clang needed): each input that once
# crashed dicomqc, tests/fuzz/regress/*.dcm, goes through
#   dicomqc score --max-mib 8192 FILE
# (a limit a site may raise to, and some of these bugs needed more than
# the default), which must exit 0 or 1, a result or the file named as
# unreadable: never a signal, never a sanitizer report (in build-asan).
# tests/fuzz/regress/README says which bug each file pins down.  The fuzz
# build replays them through fuzz_decode too (CMakeLists.txt here).

# A sanitizer's report: ASan exits 1 by default, so the code is not
# enough.
set(DICOMQC_FUZZ_SANITIZER_RE "ERROR: AddressSanitizer"
    "ERROR: LeakSanitizer" "runtime error:")
file(GLOB DICOMQC_FUZZ_REGRESS CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_LIST_DIR}/regress/*.dcm)
foreach(f ${DICOMQC_FUZZ_REGRESS})
  get_filename_component(name ${f} NAME_WE)
  add_test(NAME fuzz_regress_${name}
    COMMAND sh -c "\"$0\" score --quiet --max-mib 8192 \"$1\" >/dev/null
                   rc=$?; echo \"dicomqc score: exit $rc\"; [ $rc -le 1 ]"
            $<TARGET_FILE:dicomqc> ${f})
  set_tests_properties(fuzz_regress_${name} PROPERTIES
    FAIL_REGULAR_EXPRESSION "${DICOMQC_FUZZ_SANITIZER_RE}")
endforeach()
