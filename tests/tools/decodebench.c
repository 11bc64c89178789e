/* SPDX-License-Identifier: BSD-3-Clause
 *
 * decodebench.c - decodes DICOM files with dicom/ and nothing else, for
 * tests/bench/decode (the benchmark against dcmdjpeg, dcmdjpls, dcmdrle
 * and opj_decompress).  Decodes each FILE into a struct qc_image (the
 * full path dicomqc takes: codec, stored values, modality LUT, colour),
 * prints "FILE decoded_bytes" and exits 1 if any file fails.
 */
#include <stdio.h>

#include "dicom.h"

int main(int argc, char **argv)
{
  int nBad = 0;
  for(int i = 1; i < argc; i++) {
    dicom_file *f = NULL;
    struct qc_image *pImg = NULL;
    int rc = dicom_open(argv[i], NULL, &f);
    if(rc == DICOM_OK)
      rc = dicom_image_read(f, &pImg);
    if(rc) {
      fprintf(stderr, "decodebench: %s\n", dicom_errmsg(f));
      nBad++;
    } else {
      printf("%s %zu\n", argv[i],
             qc_image_frame_len(pImg) * (size_t)pImg->nFrames);
    }
    qc_image_free(pImg);
    dicom_close(f);
  }
  return nBad ? 1 : 0;
}
