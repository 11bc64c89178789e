# SPDX-License-Identifier: BSD-3-Clause
# tests/scp: dicom/'s DICOM listener through tests/tools/scpd, driven by
# DCMTK's echoscu/storescu and rawscu.py on 127.0.0.1 (skips, exit 77,
# when DCMTK's tools are missing).
add_test(NAME scp
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_scp.sh $<TARGET_FILE:scpd>
          ${PROJECT_SOURCE_DIR}/samples/dicom)
set_tests_properties(scp PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)

# DICOM TLS on the listener (issue 7 item 5): scpd and `dicomqc serve`
# with throwaway certificates made by the openssl command line, driven by
# echoscu/storescu +tls (skips, exit 77, without openssl or DCMTK's TLS).
add_test(NAME tls
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_tls.sh $<TARGET_FILE:scpd>
          $<TARGET_FILE:dicomqc> ${PROJECT_SOURCE_DIR}/samples/dicom)
set_tests_properties(tls PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
