# SPDX-License-Identifier: BSD-3-Clause
# tests/node: `dicomqc serve` end to end on 127.0.0.1 with DCMTK's
# echoscu/storescu and tests/scp/rawscu.py (skips, exit 77, when DCMTK's
# tools or sqlite3 are missing).
add_test(NAME node
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_node.sh $<TARGET_FILE:dicomqc>
          ${PROJECT_SOURCE_DIR})
set_tests_properties(node PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
