# SPDX-License-Identifier: BSD-3-Clause
#
# Integration tests driven by ctest: the decoder against independent
# decoders (tests/pixels), and the dicomqc program (tests/cli).  Tests that
# need the shared corpus skip (exit 77) when it is absent.

set(DICOMQC_SHARED_DIR "${PROJECT_SOURCE_DIR}/../shared" CACHE PATH
    "The project's shared/ folder (real DICOM corpus)")

add_test(NAME pixels_samples
  COMMAND pixcheck ${CMAKE_CURRENT_SOURCE_DIR}/pixels/reference_samples.tsv
          samples=${PROJECT_SOURCE_DIR}/samples/dicom)
add_test(NAME pixels_shared_corpus
  COMMAND pixcheck ${CMAKE_CURRENT_SOURCE_DIR}/pixels/reference_shared.tsv
          shared=${DICOMQC_SHARED_DIR}/data/dicom)
add_test(NAME cli
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_cli.sh
          $<TARGET_FILE:dicomqc> $<TARGET_FILE:jsoncheck>
          ${PROJECT_SOURCE_DIR} ${DICOMQC_SHARED_DIR})
set_tests_properties(pixels_samples pixels_shared_corpus cli
  PROPERTIES SKIP_RETURN_CODE 77)
add_test(NAME checksrc
  COMMAND sh ${PROJECT_SOURCE_DIR}/scripts/checksrc.sh ${PROJECT_SOURCE_DIR})

# Further integration tests, one cmake file per area (tests/<area>/*.cmake).
file(GLOB DICOMQC_AREA_TESTS CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_SOURCE_DIR}/*/tests.cmake)
foreach(f ${DICOMQC_AREA_TESTS})
  include(${f})
endforeach()
add_test(NAME pixels_extra
  COMMAND pixcheck ${CMAKE_CURRENT_SOURCE_DIR}/pixels/reference_extra.tsv
          extra=${CMAKE_CURRENT_SOURCE_DIR}/pixels/extra)
