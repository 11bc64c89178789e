/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dicom_int.h - declarations shared by the C++ files of dicom/ only.
 *
 * Not part of the module's API (that is dicom.h).  C++ is allowed here,
 * but nothing declared here may appear in dicom.h.
 */
#ifndef DICOMQC_DICOM_INT_H
#define DICOMQC_DICOM_INT_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dicom.h"

/* What OpenJPEG reported about one decoded JPEG 2000 (or HTJ2K) frame. */
struct dicomJ2kFrame {
  uint32_t nWidth;  /* Width of component 0, pixels */
  uint32_t nHeight; /* Height of component 0, pixels */
  uint32_t nComps;  /* Number of components */
  uint32_t prec;    /* Precision of component 0, bits */
  int isSigned;     /* Component 0 is signed */
  int mct;          /* 1 if OpenJPEG applied the inverse colour
                              transform (RCT/ICT): samples are RGB */
};

/* Decodes one JPEG 2000 codestream (or JP2 file, recognised by its
 * signature box) of nData bytes at pData into aOut: the component values
 * as OpenJPEG returns them (after its inverse multiple component
 * transform), interleaved per pixel.  The frame must hold exactly nOut
 * samples; that is checked from the codestream header, before decoding.
 * *pInfo describes the frame.  Returns DICOM_OK, or DICOM_ERR_CODEC /
 * DICOM_ERR_FORMAT (size mismatch) / DICOM_ERR_UNSUPPORTED /
 * DICOM_ERR_NOMEM with zErr set to the reason (without the file name).
 * Tests: tests/pixels (against opj_decompress). */
int dicomJ2kDecode(const uint8_t *pData, size_t nData, int32_t *aOut,
                   size_t nOut, dicomJ2kFrame *pInfo, std::string *zErr);

#endif /* DICOMQC_DICOM_INT_H */
