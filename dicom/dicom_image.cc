/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dicom_image.cc - from stored values (struct dicom_pixels) to the
 * struct qc_image that qc/ measures.
 *
 * Grey images go through the modality LUT: the Modality LUT Sequence
 * (0028,3000) when present, else Rescale Slope/Intercept (PS3.3
 * C.11.1.1.2), then MONOCHROME1 is inverted about the middle of the
 * detector's range so that higher is always brighter.  Colour images are
 * turned into RGB: YBR_FULL (and upsampled YBR_FULL_422) with the
 * equations of PS3.3 C.7.6.3.1.2, PALETTE COLOR through the red, green and
 * blue palette LUTs (PS3.3 C.7.6.3.1.5/6) scaled to 0..255.
 *
 * Assumes: the dicom_pixels came from the same file (dicom_file.cc).
 * LUT descriptors are untrusted and bounded by the LUT data present.
 */
#include "dicom_int.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

#include <cmath>
#include <cstring>
#include <new>

/* Defined in dicom_file.cc. */
DcmDataset *dicomDataset(dicom_file *pFile);
int dicomFail(dicom_file *pFile, int rc, const std::string &zMsg);
bool dicomIsOpen(const dicom_file *pFile);

namespace {

/* A lookup table: out = aData[clamp(v - first, 0, n-1)]. */
struct lut {
  int32_t first = 0;         /* First stored value mapped */
  std::vector<double> aData; /* Output values, >= 1 entry */

  double map(int32_t v) const
  {
    int64_t i = (int64_t)v - first;
    if(i < 0)
      i = 0;
    if(i >= (int64_t)aData.size())
      i = (int64_t)aData.size() - 1;
    return aData[(size_t)i];
  }
};

/* Reads a LUT from pItem: descriptor tagDesc (US/SS, 3 values: entries
 * (0 = 65536), first mapped value, bits per entry) and data tagData.
 * 8-bit entries may be packed two to a 16-bit word (PS3.3 C.7.6.3.1.5;
 * low byte first) or one per word.  isPalette scales 16-bit entries to
 * 0..255; a modality LUT keeps its values (modality units, PS3.3
 * C.11.1.1.1).  Returns DICOM_OK, or DICOM_ERR_UNSUPPORTED with zErr set.
 * Tests: tests/unit/test_dicom_image.c */
int readLut(DcmItem *pItem, const DcmTagKey &tagDesc, const DcmTagKey &tagData,
            int isSigned, bool isPalette, lut *pLut, std::string *zErr)
{
  Uint16 aDesc[3];
  for(unsigned long i = 0; i < 3; i++)
    if(pItem->findAndGetUint16(tagDesc, aDesc[i], i).bad()) {
      *zErr = "LUT descriptor " + std::string(DcmTag(tagDesc).getTagName()) +
              " is incomplete";
      return DICOM_ERR_UNSUPPORTED;
    }
  size_t n = aDesc[0] == 0 ? 65536 : aDesc[0];
  pLut->first = isSigned ? (int32_t)(int16_t)aDesc[1] : aDesc[1];
  const Uint16 *pW = NULL;
  const Uint8 *pB = NULL;
  unsigned long nHave = 0;
  DcmElement *pElem = NULL;
  if(pItem->findAndGetElement(tagData, pElem).bad() || pElem == NULL) {
    *zErr = "LUT data " + std::string(DcmTag(tagData).getTagName()) +
            " is missing (segmented palettes are not supported)";
    return DICOM_ERR_UNSUPPORTED;
  }
  pLut->aData.resize(n);
  if(aDesc[2] <= 8 && pElem->getLength() == n && pElem->getVR() == EVR_OB) {
    if(pItem->findAndGetUint8Array(tagData, pB, &nHave).bad() || !pB)
      nHave = 0;
    for(size_t i = 0; i < n && i < nHave; i++)
      pLut->aData[i] = pB[i];
  } else if(aDesc[2] <= 8 && pElem->getLength() == (n + 1) / 2 * 2 &&
            pElem->getLength() < 2 * n) {
    /* Packed: two 8-bit entries per (host-order) word, low byte first. */
    if(pItem->findAndGetUint16Array(tagData, pW, &nHave).bad() || !pW)
      nHave = 0;
    nHave = std::min<unsigned long>(2 * nHave, n);
    for(size_t i = 0; i < nHave; i++)
      pLut->aData[i] = (pW[i / 2] >> (8 * (i & 1))) & 0xff;
  } else {
    if(pItem->findAndGetUint16Array(tagData, pW, &nHave).bad() || !pW)
      nHave = 0;
    for(size_t i = 0; i < n && i < nHave; i++)
      pLut->aData[i] = pW[i];
  }
  if(nHave < n) {
    *zErr = "LUT data " + std::string(DcmTag(tagData).getTagName()) + " has " +
            std::to_string(nHave) + " entries, its descriptor " + "says " +
            std::to_string(n);
    return DICOM_ERR_UNSUPPORTED;
  }
  if(isPalette && aDesc[2] > 8) /* 16-bit palette entries to 0..255 */
    for(double &v : pLut->aData)
      v /= 257.0;
  return DICOM_OK;
}

/* Grey: modality LUT, MONOCHROME1 inversion, window and detector range. */
int toGrey(dicom_file *pFile, DcmDataset *pDs, const dicom_pixels *p,
           qc_image *pImg)
{
  const size_t n = qc_image_frame_len(pImg) * (size_t)p->nFrames;
  const int64_t sMin = p->isSigned ? -((int64_t)1 << (p->bitsStored - 1)) : 0;
  const int64_t sMax = p->isSigned ? ((int64_t)1 << (p->bitsStored - 1)) - 1
                                   : ((int64_t)1 << p->bitsStored) - 1;
  DcmItem *pLutItem = NULL;
  if(pDs->findAndGetSequenceItem(DCM_ModalityLUTSequence, pLutItem, 0)
         .good() &&
     pLutItem) {
    lut L;
    std::string zErr;
    int rc = readLut(pLutItem, DCM_LUTDescriptor, DCM_LUTData, p->isSigned,
                     false, &L, &zErr);
    if(rc)
      return dicomFail(pFile, rc, "Modality LUT Sequence: " + zErr);
    for(size_t i = 0; i < n; i++)
      pImg->aPixel[i] = (float)L.map(p->aValue[i]);
    pImg->detectorMin = pImg->detectorMax = L.aData[0];
    for(double v : L.aData) {
      pImg->detectorMin = std::min(pImg->detectorMin, v);
      pImg->detectorMax = std::max(pImg->detectorMax, v);
    }
  } else {
    double slope = 1.0, icpt = 0.0;
    OFString s;
    if(pDs->findAndGetOFString(DCM_RescaleSlope, s).good() && !s.empty() &&
       (pDs->findAndGetFloat64(DCM_RescaleSlope, slope).bad() ||
        !std::isfinite(slope) || slope == 0.0))
      return dicomFail(pFile, DICOM_ERR_FORMAT,
                       "Rescale Slope (0028,1053)"
                       " '" +
                           std::string(s.c_str()) +
                           "' is not a "
                           "non-zero number");
    if(pDs->findAndGetOFString(DCM_RescaleIntercept, s).good() && !s.empty() &&
       (pDs->findAndGetFloat64(DCM_RescaleIntercept, icpt).bad() ||
        !std::isfinite(icpt)))
      return dicomFail(pFile, DICOM_ERR_FORMAT,
                       "Rescale Intercept "
                       "(0028,1052) '" +
                           std::string(s.c_str()) + "' is not a number");
    for(size_t i = 0; i < n; i++)
      pImg->aPixel[i] = (float)(p->aValue[i] * slope + icpt);
    double a = (double)sMin * slope + icpt, b = (double)sMax * slope + icpt;
    pImg->detectorMin = std::min(a, b);
    pImg->detectorMax = std::max(a, b);
  }
  if(strcmp(p->zPhotometric, "MONOCHROME1") == 0) {
    const double sum = pImg->detectorMin + pImg->detectorMax;
    for(size_t i = 0; i < n; i++)
      pImg->aPixel[i] = (float)(sum - pImg->aPixel[i]);
    if(pImg->hasWindow)
      pImg->windowCenter = sum - pImg->windowCenter;
  }
  return DICOM_OK;
}

/* YBR_FULL to RGB, PS3.3 C.7.6.3.1.2, with the chroma offset generalised
 * to 2^(bits-1) and the result clamped to the sample range. */
void ybrToRgb(const dicom_pixels *p, qc_image *pImg)
{
  const size_t nPix = (size_t)p->nWidth * p->nHeight * p->nFrames;
  const double half = (double)((int64_t)1 << (p->bitsStored - 1));
  const double vMax = (double)(((int64_t)1 << p->bitsStored) - 1);
  for(size_t i = 0; i < nPix; i++) {
    const int32_t *q = p->aValue + 3 * i;
    double y = q[0], cb = q[1] - half, cr = q[2] - half;
    double a[3] = {y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr,
                   y + 1.772 * cb};
    for(int k = 0; k < 3; k++)
      pImg->aPixel[3 * i + k] = (float)(a[k] < 0      ? 0
                                        : a[k] > vMax ? vMax
                                                      : a[k]);
  }
}

/* PALETTE COLOR through the three palette LUTs. */
int paletteToRgb(dicom_file *pFile, DcmDataset *pDs, const dicom_pixels *p,
                 qc_image *pImg)
{
  static const DcmTagKey aDesc[3] = {
      DCM_RedPaletteColorLookupTableDescriptor,
      DCM_GreenPaletteColorLookupTableDescriptor,
      DCM_BluePaletteColorLookupTableDescriptor};
  static const DcmTagKey aData[3] = {DCM_RedPaletteColorLookupTableData,
                                     DCM_GreenPaletteColorLookupTableData,
                                     DCM_BluePaletteColorLookupTableData};
  lut aLut[3];
  for(int k = 0; k < 3; k++) {
    std::string zErr;
    int rc =
        readLut(pDs, aDesc[k], aData[k], p->isSigned, true, &aLut[k], &zErr);
    if(rc)
      return dicomFail(pFile, rc, "PALETTE COLOR: " + zErr);
  }
  const size_t nPix = (size_t)p->nWidth * p->nHeight * p->nFrames;
  for(size_t i = 0; i < nPix; i++)
    for(int k = 0; k < 3; k++)
      pImg->aPixel[3 * i + k] = (float)aLut[k].map(p->aValue[i]);
  pImg->detectorMin = 0;
  pImg->detectorMax = 255;
  return DICOM_OK;
}

/* Colour: to RGB by the photometric interpretation of the values. */
int toColour(dicom_file *pFile, DcmDataset *pDs, const dicom_pixels *p,
             qc_image *pImg)
{
  const std::string zPh = p->zPhotometric;
  pImg->detectorMin = 0;
  pImg->detectorMax = (double)(((int64_t)1 << p->bitsStored) - 1);
  if(p->nSamples == 1)
    return paletteToRgb(pFile, pDs, p, pImg);
  if(zPh == "RGB") {
    const size_t n = qc_image_frame_len(pImg) * (size_t)p->nFrames;
    for(size_t i = 0; i < n; i++)
      pImg->aPixel[i] = (float)p->aValue[i];
    return DICOM_OK;
  }
  if(zPh == "YBR_FULL" || zPh == "YBR_FULL_422" || zPh == "YBR_RCT" ||
     zPh == "YBR_ICT") {
    /* YBR_RCT/ICT reach here only when the codestream had no colour
     * transform, i.e. the values really are Y Cb Cr. */
    ybrToRgb(p, pImg);
    return DICOM_OK;
  }
  return dicomFail(pFile, DICOM_ERR_UNSUPPORTED,
                   "photometric "
                   "interpretation " +
                       zPh + " is not supported");
}

/* Pixel spacing (row, column) from Pixel Spacing, else Imager Pixel
 * Spacing; VOI window from the first Window Center/Width values. */
void readGeometry(DcmDataset *pDs, qc_image *pImg)
{
  Float64 r = 0, c = 0, wc = 0, ww = 0;
  if(pDs->findAndGetFloat64(DCM_PixelSpacing, r, 0).good() &&
     pDs->findAndGetFloat64(DCM_PixelSpacing, c, 1).good()) {
  } else if(pDs->findAndGetFloat64(DCM_ImagerPixelSpacing, r, 0).bad() ||
            pDs->findAndGetFloat64(DCM_ImagerPixelSpacing, c, 1).bad()) {
    r = c = 0;
  }
  pImg->rowSpacing = std::isfinite(r) && r > 0 ? r : 0;
  pImg->colSpacing = std::isfinite(c) && c > 0 ? c : 0;
  if(pDs->findAndGetFloat64(DCM_WindowCenter, wc, 0).good() &&
     pDs->findAndGetFloat64(DCM_WindowWidth, ww, 0).good() &&
     std::isfinite(wc) && std::isfinite(ww) && ww >= 1.0) {
    pImg->hasWindow = 1;
    pImg->windowCenter = wc;
    pImg->windowWidth = ww;
  }
}

/* Builds the qc_image from decoded stored values. */
int toImage(dicom_file *pFile, const dicom_pixels *p, qc_image **ppImg)
{
  DcmDataset *pDs = dicomDataset(pFile);
  const bool isPalette = strcmp(p->zPhotometric, "PALETTE COLOR") == 0;
  const int32_t nCh = (p->nSamples == 3 || isPalette) ? 3 : 1;
  qc_image *pImg = qc_image_new(p->nWidth, p->nHeight, nCh, p->nFrames);
  if(pImg == NULL)
    return dicomFail(pFile, DICOM_ERR_NOMEM,
                     "out of memory for the "
                     "decoded image");
  pImg->bitsStored = p->bitsStored;
  pImg->isSigned = p->isSigned;
  readGeometry(pDs, pImg);
  int rc =
      nCh == 1 ? toGrey(pFile, pDs, p, pImg) : toColour(pFile, pDs, p, pImg);
  if(rc) {
    qc_image_free(pImg);
    return rc;
  }
  *ppImg = pImg;
  return DICOM_OK;
}

} /* namespace */

extern "C" int dicom_decode(dicom_file *pFile, struct dicom_pixels **ppPix,
                            struct qc_image **ppImg)
{
  if(!dicomIsOpen(pFile))
    return DICOM_MISUSE;
  dicom_pixels *pPix = NULL;
  int rc = dicom_pixels_read(pFile, &pPix);
  if(rc)
    return rc;
  if(ppImg) {
    try {
      rc = toImage(pFile, pPix, ppImg);
    } catch(const std::bad_alloc &) {
      rc = dicomFail(pFile, DICOM_ERR_NOMEM, "out of memory");
    }
  }
  if(rc == DICOM_OK && ppPix)
    *ppPix = pPix;
  else
    dicom_pixels_free(pPix);
  return rc;
}

extern "C" int dicom_image_read(dicom_file *pFile, struct qc_image **ppImg)
{
  if(ppImg == NULL)
    return DICOM_MISUSE;
  return dicom_decode(pFile, NULL, ppImg);
}
