/* SPDX-License-Identifier: BSD-3-Clause
 *
 * fuzz_feedback.h - coverage feedback from the uninstrumented libraries,
 * for the libFuzzer targets of tests/fuzz.
 *
 * DCMTK, libijg, CharLS and OpenJPEG are the Debian builds: libFuzzer
 * sees none of their branches, so an input that takes DCMTK's parser down
 * a new path looks like nothing new.  What does show is how dicom/ ends:
 * its status and its error message.  fuzzNoteOutcome() hashes the
 * message (without the file name and without digits, so that sizes and
 * offsets do not make endless variants) and sets one of libFuzzer's
 * extra counters for it (section __libfuzzer_extra_counters, which
 * libFuzzer clears before and reads after every input), so that each new
 * kind of refusal, a new DCMTK or codec error text included, keeps the
 * input that caused it in the corpus.
 *
 * Assumes: clang's libFuzzer on Linux (extra counters by section name).
 * Header-only, included by the targets only.
 */
#ifndef DICOMQC_FUZZ_FEEDBACK_H
#define DICOMQC_FUZZ_FEEDBACK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FUZZ_EXTRA_COUNTERS 4096 /* Outcome buckets, a power of 2 */

/* libFuzzer's extra counters: one per outcome bucket. */
__attribute__((used, section("__libfuzzer_extra_counters"))) static uint8_t
    aFuzzExtra[FUZZ_EXTRA_COUNTERS];

/* Marks the outcome (rc, zMsg) of a step iStep of the current input: the
 * FNV-1a hash (http://www.isthe.com/chongo/tech/comp/fnv/) of the step,
 * the status and the message after "zPath: ", digits left out.  zMsg may
 * be NULL. */
static void fuzzNoteOutcome(int iStep, int rc, const char *zMsg,
                            const char *zPath)
{
  uint32_t h = 2166136261u; /* FNV-1a 32 offset basis */
  size_t nPath = strlen(zPath);

  h = (h ^ (uint32_t)iStep) * 16777619u;
  h = (h ^ (uint32_t)rc) * 16777619u;
  if(zMsg != NULL && strncmp(zMsg, zPath, nPath) == 0)
    zMsg += nPath;
  for(; zMsg != NULL && *zMsg != '\0'; zMsg++)
    if(*zMsg < '0' || *zMsg > '9')
      h = (h ^ (uint8_t)*zMsg) * 16777619u;
  aFuzzExtra[h & (FUZZ_EXTRA_COUNTERS - 1)] = 1;
}

#endif /* DICOMQC_FUZZ_FEEDBACK_H */
