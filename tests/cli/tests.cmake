# SPDX-License-Identifier: BSD-3-Clause
# tests/cli: `dicomqc compare` on samples/dicom (exit codes, exact usage
# errors, the ideal values of a file against itself, lossless against
# lossy); with the shared corpus also a 3x3 image.  test_cli.sh is
# registered in tests/integration.cmake.
add_test(NAME cli_compare
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_compare.sh $<TARGET_FILE:dicomqc>
          ${PROJECT_SOURCE_DIR} ${DICOMQC_SHARED_DIR})
set_tests_properties(cli_compare PROPERTIES SKIP_RETURN_CODE 77)
# The held-out images of ../shared/data/holdout: decode and judge each
# (skips without the folder).
add_test(NAME holdout_smoke
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_holdout.sh $<TARGET_FILE:dicomqc>
          $<TARGET_FILE:jsoncheck> ${DICOMQC_SHARED_DIR})
set_tests_properties(holdout_smoke PROPERTIES SKIP_RETURN_CODE 77)
# `dicomqc report` on a fixed database: every number against SQL, the
# HTML escaped and self-contained, rendered by headless Chromium (the
# screenshot stays in tests/artifacts/report.png of the build tree).
add_test(NAME cli_report
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_report.sh $<TARGET_FILE:dicomqc>
          ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/tests/artifacts)
set_tests_properties(cli_report PROPERTIES SKIP_RETURN_CODE 77)
# A deflated dataset that would inflate past the size limit is refused
# before DCMTK inflates it (a 98 kB file, 96 MiB inflated).
add_test(NAME deflate_bomb
  COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_deflate_bomb.py
          $<TARGET_FILE:dicomqc>)
