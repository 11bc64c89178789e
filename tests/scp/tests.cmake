# SPDX-License-Identifier: BSD-3-Clause
# tests/scp: dicom/'s DICOM listener through tests/tools/scpd, driven by
# DCMTK's echoscu/storescu and rawscu.py on 127.0.0.1 (skips, exit 77,
# when DCMTK's tools are missing).
add_test(NAME scp
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_scp.sh $<TARGET_FILE:scpd>
          ${PROJECT_SOURCE_DIR}/samples/dicom)
set_tests_properties(scp PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
