/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dicom.h - the C interface of dicomqc's DICOM module.
 *
 * dicom/ is the only C++ in the tree: DCMTK (reading, JPEG, JPEG-LS, RLE,
 * deflate) and OpenJPEG (JPEG 2000 and HTJ2K, which DCMTK 3.6.7 cannot
 * decode) hidden behind this plain C header.  No C++ type, exception or
 * DCMTK header crosses it.  A file is opened into an opaque dicom_file,
 * then read as metadata (struct qc_meta), as the stored sample values the
 * codec produced (struct dicom_pixels, used to prove the decoder against
 * independent decoders) or as a struct qc_image ready for qc/.
 *
 * Everything read from a file is untrusted: sizes are bounded by struct
 * dicom_limits before anything is allocated, and every failure is a
 * status code plus a message that names the file; nothing aborts.
 *
 * Thread safety: distinct dicom_file handles may be used from different
 * threads at once; one handle must not be.
 */
#ifndef DICOMQC_DICOM_H
#define DICOMQC_DICOM_H

#include <stddef.h>
#include <stdint.h>

#include "qc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes of dicom/ functions.  0 is success. */
typedef enum dicom_status {
  DICOM_OK = 0,              /* Success */
  DICOM_ERR_IO = 1,          /* The file cannot be opened or read */
  DICOM_ERR_FORMAT = 2,      /* Not DICOM, or malformed/truncated */
  DICOM_ERR_NOPIXELS = 3,    /* A valid DICOM object without an image */
  DICOM_ERR_UNSUPPORTED = 4, /* A valid image in a form not handled */
  DICOM_ERR_TOOLARGE = 5,    /* Image exceeds the configured limits */
  DICOM_ERR_CODEC = 6,       /* The compressed pixel data does not decode */
  DICOM_ERR_NOMEM = 7,       /* Memory allocation failed */
  DICOM_MISUSE = 8           /* Library used incorrectly (NULL handle) */
} dicom_status;

/* Returns a static English description of a dicom_status.  Never NULL. */
const char *dicom_strstatus(int rc);

/* Limits applied before any pixel buffer is allocated. */
struct dicom_limits {
  uint32_t maxRows;    /* Largest accepted Rows, default 30000 */
  uint32_t maxColumns; /* Largest accepted Columns, default 30000 */
  uint64_t maxBytes;   /* Largest decoded image, all frames, as 32-bit
                          samples: Rows*Columns*Samples*Frames*4 bytes;
                          default 2 GiB */
};

/* Fills *pLimits with the defaults above.  Cannot fail. */
void dicom_limits_default(struct dicom_limits *pLimits);

typedef struct dicom_file dicom_file;

/* Opens and parses the DICOM file zPath: a Part 10 file, or a bare dataset
 * without preamble and meta header (implicit or explicit VR little endian
 * are tried).  pLimits may be NULL for the defaults; it is copied.  Large
 * pixel data is read lazily, when first needed.
 *
 * Like sqlite3_open(), *ppFile is set to a handle even on failure (unless
 * memory ran out, then NULL), so dicom_errmsg() can say why; close it with
 * dicom_close() either way.  Returns DICOM_OK, DICOM_ERR_IO,
 * DICOM_ERR_FORMAT or DICOM_ERR_NOMEM. */
int dicom_open(const char *zPath, const struct dicom_limits *pLimits,
               dicom_file **ppFile);

/* Closes the file and frees everything it owns.  NULL is a no-op. */
void dicom_close(dicom_file *pFile);

/* The message of the last failure on pFile, naming the file ("" if none).
 * Owned by the handle; valid until the next call on it or dicom_close().
 * Returns a static message for a NULL handle. */
const char *dicom_errmsg(const dicom_file *pFile);

/* Fills *pMeta from the header.  Cannot fail for an open file (absent
 * attributes are empty); returns DICOM_MISUSE for NULL arguments. */
int dicom_meta_read(dicom_file *pFile, struct qc_meta *pMeta);

/* Stored sample values as the codec produced them: one int32 per sample,
 * all frames, frame-major, row-major, samples of a pixel consecutive
 * (planar configuration 1 is interleaved here, YBR_FULL_422 native data
 * upsampled to one Y Cb Cr triple per pixel).  Each value is the raw
 * sample masked to Bits Stored and sign-extended when Pixel Representation
 * is 1.  No modality LUT, no MONOCHROME1 inversion, no colour conversion:
 * this is the form compared against independent decoders
 * (tests/pixels/README.md). */
struct dicom_pixels {
  int32_t nWidth;        /* Columns */
  int32_t nHeight;       /* Rows */
  int32_t nSamples;      /* Samples per pixel: 1 or 3 */
  int32_t nFrames;       /* Frames, >= 1 */
  int32_t bitsAllocated; /* 1, 8, 16 or 32 */
  int32_t bitsStored;    /* 1..bitsAllocated */
  int32_t isSigned;      /* Pixel Representation */
  char zPhotometric[33]; /* Photometric interpretation of the values here:
                            after a codec's colour transform (a lossy JPEG
                            in YBR decodes to RGB; JPEG 2000 with MCT to
                            RGB), otherwise the file's */
  int32_t *aValue;       /* nFrames*nHeight*nWidth*nSamples values, owned
                            by this struct */
};

/* Decodes all frames into a new struct dicom_pixels.  On success
 * *ppPix is set; free it with dicom_pixels_free().  Fails with
 * DICOM_ERR_NOPIXELS, DICOM_ERR_UNSUPPORTED, DICOM_ERR_TOOLARGE,
 * DICOM_ERR_FORMAT (e.g. truncated pixel data), DICOM_ERR_CODEC or
 * DICOM_ERR_NOMEM, with the reason in dicom_errmsg(). */
int dicom_pixels_read(dicom_file *pFile, struct dicom_pixels **ppPix);

/* Frees a struct dicom_pixels.  NULL is a no-op. */
void dicom_pixels_free(struct dicom_pixels *pPix);

/* Decodes all frames into a new struct qc_image (see qc.h): the modality
 * LUT applied (Modality LUT Sequence, else Rescale Slope/Intercept),
 * MONOCHROME1 inverted to MONOCHROME2, YBR_FULL/YBR_FULL_422 converted to
 * RGB (PS3.3 C.7.6.3.1.2), PALETTE COLOR looked up to 8-bit RGB, pixel
 * spacing and the first VOI window copied.  On success *ppImg is set;
 * free it with qc_image_free().  Fails as dicom_pixels_read() does. */
int dicom_image_read(dicom_file *pFile, struct qc_image **ppImg);

/* Both of the above from a single decode: fills *ppPix and/or *ppImg
 * (either may be NULL).  Saves decoding twice when a caller needs both. */
int dicom_decode(dicom_file *pFile, struct dicom_pixels **ppPix,
                 struct qc_image **ppImg);

#ifdef __cplusplus
}
#endif
#endif /* DICOMQC_DICOM_H */
