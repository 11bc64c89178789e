/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dicom_file.cc - opening DICOM files and reading their header and stored
 * pixel values through DCMTK (and OpenJPEG, via dicom_j2k.cc).
 *
 * The pixel routes, chosen by the transfer syntax UID:
 *   native (implicit/explicit LE, explicit BE, deflated): DCMTK parses,
 *     we unpack the samples (1/8/16/32 bits, planar configuration 0/1,
 *     YBR_FULL_422 upsampling) ourselves;
 *   JPEG, JPEG-LS, RLE: DCMTK's registered decoders via
 *     chooseRepresentation(), as dcmdjpeg/dcmdjpls/dcmdrle do;
 *   JPEG 2000 and HTJ2K: our frame splitting of the encapsulated
 *     fragments, OpenJPEG per frame.
 * Every value is then masked to Bits Stored and sign-extended for Pixel
 * Representation 1 (struct dicom_pixels in dicom.h).
 *
 * Assumes: files are untrusted.  Sizes are checked against struct
 * dicom_limits with 64-bit arithmetic before any pixel buffer exists; the
 * length of native pixel data is checked against what the header needs.
 * Every DCMTK condition and C++ exception becomes a dicom_status plus a
 * message here; nothing C++ leaves this file.
 */
#include "dicom_int.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <sys/stat.h>
#include <zlib.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#define DICOM_MAGIC 0x44434d46u /* "DCMF": set while a handle is open */

struct dicom_file {
  uint32_t magic;             /* DICOM_MAGIC while open */
  std::string zPath;          /* The file's path, for messages */
  std::string zErr;           /* Last error message, "" if none */
  struct dicom_limits limits; /* Size limits for decoding */
  DcmFileFormat ff;           /* The parsed file */
  std::string zXfer;          /* Transfer syntax UID of the pixel data */
};

namespace {

std::once_flag gInitOnce; /* DCMTK codec registration runs once */

/* Registers DCMTK's decoders and quiets its logger.  Thread-safe. */
void initDcmtk()
{
  std::call_once(gInitOnce, [] {
    OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
    /* VR UN elements (CP-246) are re-read with their dictionary VR. */
    dcmEnableUnknownVRConversion.set(OFTrue);
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
}

/* Records "PATH: message" on the handle and returns rc. */
int fail(dicom_file *pFile, int rc, const char *zFmt, ...)
    __attribute__((format(printf, 3, 4)));

int fail(dicom_file *pFile, int rc, const char *zFmt, ...)
{
  char zBuf[512];
  va_list ap;
  va_start(ap, zFmt);
  vsnprintf(zBuf, sizeof(zBuf), zFmt, ap);
  va_end(ap);
  pFile->zErr = pFile->zPath + ": " + zBuf;
  return rc;
}

bool isOpen(const dicom_file *pFile)
{
  return pFile != NULL && pFile->magic == DICOM_MAGIC;
}

/* Copies the first value of a string attribute into z (size nz), "" if
 * absent. */
void getStr(DcmItem *pItem, const DcmTagKey &tag, char *z, size_t nz)
{
  OFString s;
  z[0] = 0;
  if(pItem->findAndGetOFString(tag, s).good())
    snprintf(z, nz, "%s", s.c_str());
}

/* Reads a DS/IS number; returns 1 if present and valid. */
int getNum(DcmItem *pItem, const DcmTagKey &tag, double *pVal,
           unsigned long iPos = 0)
{
  Float64 v = 0;
  OFString s;
  if(pItem->findAndGetOFString(tag, s, iPos).bad() || s.empty())
    return 0;
  if(pItem->findAndGetFloat64(tag, v, iPos).bad())
    return 0;
  *pVal = v;
  return 1;
}

/* True if the transfer syntax is JPEG 2000 or HTJ2K (OpenJPEG route). */
bool isJ2kXfer(const std::string &z)
{
  static const char *const azJ2k[] = {
      "1.2.840.10008.1.2.4.90",  "1.2.840.10008.1.2.4.91",
      "1.2.840.10008.1.2.4.92",  "1.2.840.10008.1.2.4.93",
      "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202",
      "1.2.840.10008.1.2.4.203"};
  for(const char *zUid : azJ2k)
    if(z == zUid)
      return true;
  return false;
}

/* True if the dataset looks like DICOM at all: used to accept a fallback
 * parse of a file without meta header. */
bool looksLikeDicom(DcmDataset *pDs)
{
  return pDs->tagExists(DCM_SOPClassUID) || pDs->tagExists(DCM_PixelData) ||
         pDs->tagExists(DCM_StudyInstanceUID);
}

/* Deflated Explicit VR Little Endian (PS3.5 A.5). */
const char zDeflated[] = "1.2.840.10008.1.2.1.99";

/* A deflated dataset is inflated whole by DCMTK before it is parsed, so
 * a small file could take any amount of memory (a deflate bomb: 1 MB to
 * 1 GB).  For a Part 10 file whose File Meta names the deflated transfer
 * syntax, this inflates the dataset once through a 64 kB buffer, keeping
 * nothing, and refuses it when it would inflate past maxBytes, the
 * decoded-size limit.  Other files, and a meta header it cannot walk
 * (left to DCMTK's own errors), pass.  Returns DICOM_OK or the failure
 * (message set). */
int checkDeflated(dicom_file *pFile)
{
  FILE *f = fopen(pFile->zPath.c_str(), "rb");
  if(f == NULL)
    return DICOM_OK; /* loadFile() reports it */
  unsigned char a[132 + 12];
  bool isDeflated = false;
  long pos = 132;
  /* The meta group: explicit VR little endian elements of group 0002. */
  if(fread(a, 1, 132, f) == 132 && memcmp(a + 128, "DICM", 4) == 0) {
    for(int i = 0; i < 64; i++) {
      unsigned char h[12];
      if(fseek(f, pos, SEEK_SET) != 0 || fread(h, 1, 8, f) != 8 ||
         h[0] != 0x02 || h[1] != 0x00)
        break;
      unsigned elem = h[2] | (unsigned)h[3] << 8;
      bool isLong = (h[4] == 'O' && (h[5] == 'B' || h[5] == 'W')) ||
                    (h[4] == 'U' && (h[5] == 'N' || h[5] == 'T')) ||
                    (h[4] == 'S' && h[5] == 'Q');
      uint32_t n = h[6] | (uint32_t)h[7] << 8;
      long head = 8;
      if(isLong) {
        if(fread(h + 8, 1, 4, f) != 4)
          break;
        n = h[8] | (uint32_t)h[9] << 8 | (uint32_t)h[10] << 16 |
            (uint32_t)h[11] << 24;
        head = 12;
      }
      if(elem == 0x0010 && n < 80) {
        char z[81] = {0};
        if(fread(z, 1, n, f) != n)
          break;
        while(n > 0 && (z[n - 1] == 0 || z[n - 1] == ' '))
          z[--n] = 0;
        isDeflated = strcmp(z, zDeflated) == 0;
      }
      if(n > 0x7fffffff - pos - head)
        break;
      pos += head + (long)n;
    }
  }
  if(!isDeflated || fseek(f, pos, SEEK_SET) != 0) {
    fclose(f);
    return DICOM_OK;
  }
  z_stream zs;
  memset(&zs, 0, sizeof(zs));
  if(inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
    fclose(f);
    return fail(pFile, DICOM_ERR_NOMEM, "cannot start inflating");
  }
  static const size_t nBuf = 65536;
  std::vector<unsigned char> in(nBuf), out(nBuf);
  uint64_t nOut = 0;
  int zrc = Z_OK;
  while(zrc != Z_STREAM_END && nOut <= pFile->limits.maxBytes) {
    zs.avail_in = (uInt)fread(in.data(), 1, nBuf, f);
    zs.next_in = in.data();
    if(zs.avail_in == 0)
      break; /* Truncated: DCMTK says so */
    do {
      zs.avail_out = (uInt)nBuf;
      zs.next_out = out.data();
      zrc = inflate(&zs, Z_NO_FLUSH);
      nOut += nBuf - zs.avail_out;
    } while(zrc == Z_OK && zs.avail_out == 0 &&
            nOut <= pFile->limits.maxBytes);
    if(zrc != Z_OK && zrc != Z_STREAM_END)
      break; /* Corrupt: DCMTK says so */
  }
  inflateEnd(&zs);
  fclose(f);
  if(nOut > pFile->limits.maxBytes)
    return fail(pFile, DICOM_ERR_TOOLARGE,
                "deflated dataset inflates to more than %llu MiB, the "
                "size limit (a deflate bomb?)",
                (unsigned long long)(pFile->limits.maxBytes >> 20));
  return DICOM_OK;
}

/* Parses the file: auto-detect first, then a bare dataset in implicit and
 * explicit VR little endian. */
int loadFile(dicom_file *pFile)
{
  static const E_TransferSyntax aTry[] = {EXS_LittleEndianImplicit,
                                          EXS_LittleEndianExplicit};
  OFCondition cond = pFile->ff.loadFile(pFile->zPath.c_str(), EXS_Unknown,
                                        EGL_noChange, 4096, ERM_autoDetect);
  if(cond.good() && looksLikeDicom(pFile->ff.getDataset()))
    return DICOM_OK;
  for(E_TransferSyntax x : aTry) {
    DcmFileFormat ff;
    if(ff.loadFile(pFile->zPath.c_str(), x, EGL_noChange, 4096, ERM_dataset)
           .good() &&
       looksLikeDicom(ff.getDataset())) {
      pFile->ff = ff;
      return DICOM_OK;
    }
  }
  if(cond.good())
    return fail(pFile, DICOM_ERR_FORMAT,
                "not a DICOM file: no SOP Class UID, Study Instance UID "
                "or Pixel Data found");
  if(cond == EC_StreamNotifyClient)
    return fail(pFile, DICOM_ERR_FORMAT,
                "not a DICOM file, or a truncated one: the data ends inside "
                "an element it declares (DCMTK: %s)",
                cond.text());
  return fail(pFile, DICOM_ERR_FORMAT,
              "not a DICOM file, or malformed or truncated: %s", cond.text());
}

} /* namespace */

extern "C" const char *dicom_strstatus(int rc)
{
  switch(rc) {
  case DICOM_OK:
    return "success";
  case DICOM_ERR_IO:
    return "file cannot be read";
  case DICOM_ERR_FORMAT:
    return "not DICOM, malformed or truncated";
  case DICOM_ERR_NOPIXELS:
    return "no image in the DICOM object";
  case DICOM_ERR_UNSUPPORTED:
    return "image form not supported";
  case DICOM_ERR_TOOLARGE:
    return "image exceeds the size limits";
  case DICOM_ERR_CODEC:
    return "compressed pixel data does not decode";
  case DICOM_ERR_NOMEM:
    return "out of memory";
  case DICOM_MISUSE:
    return "library used incorrectly";
  default:
    return "unknown status";
  }
}

extern "C" void dicom_limits_default(struct dicom_limits *pLimits)
{
  pLimits->maxRows = 30000;
  pLimits->maxColumns = 30000;
  pLimits->maxBytes = (uint64_t)2 << 30;
}

extern "C" int dicom_open(const char *zPath, const struct dicom_limits *pLim,
                          dicom_file **ppFile)
{
  dicom_file *pFile;
  struct stat st;
  if(ppFile == NULL)
    return DICOM_MISUSE;
  *ppFile = NULL;
  if(zPath == NULL)
    return DICOM_MISUSE;
  initDcmtk();
  try {
    pFile = new dicom_file();
  } catch(const std::bad_alloc &) {
    return DICOM_ERR_NOMEM;
  }
  *ppFile = pFile;
  pFile->magic = DICOM_MAGIC;
  pFile->zPath = zPath;
  if(pLim)
    pFile->limits = *pLim;
  else
    dicom_limits_default(&pFile->limits);
  if(stat(zPath, &st) != 0)
    return fail(pFile, DICOM_ERR_IO, "cannot open: %s", strerror(errno));
  if(!S_ISREG(st.st_mode))
    return fail(pFile, DICOM_ERR_IO, "not a regular file");
  try {
    int rc = checkDeflated(pFile);
    if(rc == DICOM_OK)
      rc = loadFile(pFile);
    if(rc)
      return rc;
    OFString s;
    DcmMetaInfo *pMeta = pFile->ff.getMetaInfo();
    if(pMeta && pMeta->findAndGetOFString(DCM_TransferSyntaxUID, s).good() &&
       !s.empty())
      pFile->zXfer = s.c_str();
    else
      pFile->zXfer =
          DcmXfer(pFile->ff.getDataset()->getOriginalXfer()).getXferID();
  } catch(const std::bad_alloc &) {
    return fail(pFile, DICOM_ERR_NOMEM, "out of memory while parsing");
  }
  return DICOM_OK;
}

extern "C" void dicom_close(dicom_file *pFile)
{
  if(pFile == NULL)
    return;
  pFile->magic = 0;
  delete pFile;
}

extern "C" const char *dicom_errmsg(const dicom_file *pFile)
{
  if(pFile == NULL)
    return "no DICOM file handle (out of memory?)";
  return pFile->zErr.c_str();
}

extern "C" int dicom_meta_read(dicom_file *pFile, struct qc_meta *pMeta)
{
  if(!isOpen(pFile) || pMeta == NULL)
    return DICOM_MISUSE;
  DcmDataset *pDs = pFile->ff.getDataset();
  memset(pMeta, 0, sizeof(*pMeta));
  getStr(pDs, DCM_SOPInstanceUID, pMeta->zSopInstanceUid,
         sizeof(pMeta->zSopInstanceUid));
  getStr(pDs, DCM_SOPClassUID, pMeta->zSopClassUid,
         sizeof(pMeta->zSopClassUid));
  getStr(pDs, DCM_StudyInstanceUID, pMeta->zStudyUid,
         sizeof(pMeta->zStudyUid));
  getStr(pDs, DCM_SeriesInstanceUID, pMeta->zSeriesUid,
         sizeof(pMeta->zSeriesUid));
  snprintf(pMeta->zTransferSyntax, sizeof(pMeta->zTransferSyntax), "%s",
           pFile->zXfer.c_str());
  getStr(pDs, DCM_Modality, pMeta->zModality, sizeof(pMeta->zModality));
  getStr(pDs, DCM_BodyPartExamined, pMeta->zBodyPart,
         sizeof(pMeta->zBodyPart));
  getStr(pDs, DCM_StationName, pMeta->zStationName,
         sizeof(pMeta->zStationName));
  getStr(pDs, DCM_OperatorsName, pMeta->zOperatorName,
         sizeof(pMeta->zOperatorName));
  getStr(pDs, DCM_InstitutionName, pMeta->zInstitution,
         sizeof(pMeta->zInstitution));
  getStr(pDs, DCM_AccessionNumber, pMeta->zAccession,
         sizeof(pMeta->zAccession));
  getStr(pDs, DCM_StudyDate, pMeta->zStudyDate, sizeof(pMeta->zStudyDate));
  getStr(pDs, DCM_StudyTime, pMeta->zStudyTime, sizeof(pMeta->zStudyTime));
  getStr(pDs, DCM_PhotometricInterpretation, pMeta->zPhotometric,
         sizeof(pMeta->zPhotometric));
  getStr(pDs, DCM_InPlanePhaseEncodingDirection, pMeta->zPhaseDirection,
         sizeof(pMeta->zPhaseDirection));
  pMeta->hasExposureIndex =
      getNum(pDs, DCM_ExposureIndex, &pMeta->exposureIndex);
  pMeta->hasTargetExposureIndex =
      getNum(pDs, DCM_TargetExposureIndex, &pMeta->targetExposureIndex);
  pMeta->hasDeviationIndex =
      getNum(pDs, DCM_DeviationIndex, &pMeta->deviationIndex);
  return DICOM_OK;
}

/* ---- pixel data -------------------------------------------------- */

namespace {

/* The image attributes that govern unpacking, read and checked. */
struct pixelDesc {
  uint32_t nRows, nCols, nSamples, nFrames;
  uint32_t bitsAllocated, bitsStored, isSigned, planar;
  std::string zPhoto;
};

/* Parses Number of Frames (IS) strictly: digits only, 1..2^31-1. */
int getFrames(dicom_file *pFile, DcmDataset *pDs, uint32_t *pN)
{
  OFString s;
  *pN = 1;
  if(pDs->findAndGetOFString(DCM_NumberOfFrames, s).bad() || s.empty())
    return DICOM_OK;
  uint64_t n = 0;
  size_t i = 0;
  while(i < s.size() && s[i] == ' ')
    i++;
  size_t iStart = i;
  for(; i < s.size() && s[i] >= '0' && s[i] <= '9'; i++) {
    n = n * 10 + (uint64_t)(s[i] - '0');
    if(n > 0x7fffffff)
      break;
  }
  while(i < s.size() && s[i] == ' ')
    i++;
  if(i != s.size() || i == iStart || n == 0 || n > 0x7fffffff)
    return fail(pFile, DICOM_ERR_FORMAT,
                "Number of Frames (0028,0008) is '%s', not a positive "
                "integer",
                s.c_str());
  *pN = (uint32_t)n;
  return DICOM_OK;
}

/* Reads and validates the image pixel module of pDs into *pD. */
int readDesc(dicom_file *pFile, DcmDataset *pDs, pixelDesc *pD)
{
  Uint16 r = 0, c = 0, spp = 1, ba = 0, bs = 0, pr = 0, pc = 0;
  OFString s;
  if(!pDs->tagExists(DCM_PixelData))
    return fail(pFile, DICOM_ERR_NOPIXELS,
                "no Pixel Data (7FE0,0010): not an image");
  if(pDs->findAndGetUint16(DCM_Rows, r).bad() || r == 0 ||
     pDs->findAndGetUint16(DCM_Columns, c).bad() || c == 0)
    return fail(pFile, DICOM_ERR_FORMAT,
                "Rows (0028,0010) or Columns (0028,0011) missing or 0");
  pDs->findAndGetUint16(DCM_SamplesPerPixel, spp);
  if(pDs->findAndGetUint16(DCM_BitsAllocated, ba).bad())
    return fail(pFile, DICOM_ERR_FORMAT,
                "Bits Allocated (0028,0100) "
                "missing");
  if(pDs->findAndGetUint16(DCM_BitsStored, bs).bad())
    bs = ba;
  pDs->findAndGetUint16(DCM_PixelRepresentation, pr);
  pDs->findAndGetUint16(DCM_PlanarConfiguration, pc);
  if(pDs->findAndGetOFString(DCM_PhotometricInterpretation, s).good())
    pD->zPhoto = s.c_str();
  else
    pD->zPhoto = "";
  if(pD->zPhoto.empty()) {
    if(spp != 1)
      return fail(pFile, DICOM_ERR_FORMAT,
                  "Photometric Interpretation "
                  "(0028,0004) missing for %u samples per pixel",
                  spp);
    pD->zPhoto = "MONOCHROME2";
  }
  if(spp != 1 && spp != 3)
    return fail(pFile, DICOM_ERR_UNSUPPORTED,
                "Samples per Pixel is %u; 1 or 3 supported", spp);
  if(ba != 1 && ba != 8 && ba != 16 && ba != 32)
    return fail(pFile, DICOM_ERR_UNSUPPORTED,
                "Bits Allocated is %u; 1, 8, 16 or 32 supported", ba);
  if(bs == 0 || bs > ba)
    return fail(pFile, DICOM_ERR_FORMAT,
                "Bits Stored %u does not fit Bits Allocated %u", bs, ba);
  pD->nRows = r;
  pD->nCols = c;
  pD->nSamples = spp;
  pD->bitsAllocated = ba;
  pD->bitsStored = bs;
  pD->isSigned = pr ? 1 : 0;
  pD->planar = pc ? 1 : 0;
  int rc = getFrames(pFile, pDs, &pD->nFrames);
  if(rc)
    return rc;
  const dicom_limits &L = pFile->limits;
  /* Divided, not multiplied: a frame is < 2^36 bytes, but 2^31-1 frames
   * of it overflow 64 bits, and a product that wrapped to a small value
   * passed this check (tests/fuzz/regress/frames_wrap_deflated.dcm). */
  uint64_t nFrameBytes = (uint64_t)r * c * spp * 4;
  if(r > L.maxRows || c > L.maxColumns ||
     pD->nFrames > L.maxBytes / nFrameBytes)
    return fail(pFile, DICOM_ERR_TOOLARGE,
                "image of %ux%u pixels x %u samples x %u frames needs "
                "%.0f MiB decoded; limits are %ux%u pixels and %llu MiB",
                c, r, spp, pD->nFrames,
                (double)nFrameBytes * pD->nFrames / 1048576.0, L.maxColumns,
                L.maxRows, (unsigned long long)(L.maxBytes >> 20));
  return DICOM_OK;
}

/* Masks v to bitsStored bits and sign-extends it when signed. */
inline int32_t storedValue(uint32_t v, uint32_t bs, uint32_t isSigned)
{
  uint32_t m = bs >= 32 ? 0xffffffffu : ((1u << bs) - 1u);
  v &= m;
  if(isSigned && bs < 32 && (v >> (bs - 1)) & 1u)
    return (int32_t)(int64_t)((int64_t)v - ((int64_t)1 << bs));
  return (int32_t)v;
}

/* Allocates the output struct for pD (values zeroed). */
int newPixels(dicom_file *pFile, const pixelDesc &d, dicom_pixels **ppPix)
{
  size_t n = (size_t)d.nRows * d.nCols * d.nSamples * d.nFrames;
  dicom_pixels *p = (dicom_pixels *)calloc(1, sizeof(*p));
  if(p)
    p->aValue = (int32_t *)malloc(n * sizeof(int32_t));
  if(p == NULL || p->aValue == NULL) {
    free(p);
    return fail(pFile, DICOM_ERR_NOMEM, "out of memory for %zu samples", n);
  }
  p->nWidth = (int32_t)d.nCols;
  p->nHeight = (int32_t)d.nRows;
  p->nSamples = (int32_t)d.nSamples;
  p->nFrames = (int32_t)d.nFrames;
  p->bitsAllocated = (int32_t)d.bitsAllocated;
  p->bitsStored = (int32_t)d.bitsStored;
  p->isSigned = (int32_t)d.isSigned;
  snprintf(p->zPhotometric, sizeof(p->zPhotometric), "%s", d.zPhoto.c_str());
  *ppPix = p;
  return DICOM_OK;
}

/* Reads sample i (0-based over the whole pixel data) as raw bits. */
inline uint32_t rawSample(const uint8_t *pB, size_t i, uint32_t ba)
{
  switch(ba) {
  case 1:
    return (pB[i >> 3] >> (i & 7)) & 1u;
  case 8:
    return pB[i];
  case 16: {
    const uint8_t *q = pB + 2 * i;
    return (uint32_t)(q[1] << 8 | q[0]);
  }
  default: {
    const uint8_t *q = pB + 4 * i;
    return (uint32_t)q[3] << 24 | (uint32_t)q[2] << 16 | (uint32_t)q[1] << 8 |
           q[0];
  }
  }
}

/* Unpacks a little-endian native byte stream into p->aValue: planar
 * configuration 1 is interleaved, YBR_FULL_422 upsampled (PS3.3
 * C.7.6.3.1.2: two pixels share Cb and Cr, stored Y1 Y2 Cb Cr). */
void unpackNative(const pixelDesc &d, const uint8_t *pB, dicom_pixels *p)
{
  const size_t nPix = (size_t)d.nRows * d.nCols;
  const uint32_t spp = d.nSamples;
  const bool is422 = d.zPhoto == "YBR_FULL_422";
  const size_t nFrameIn = is422 ? nPix * 2 : nPix * spp;
  if(!is422 && !d.planar && (d.bitsAllocated == 8 || d.bitsAllocated == 16)) {
    /* The common case, in one tight loop: samples already interleaved. */
    const size_t n = nFrameIn * d.nFrames;
    if(d.bitsAllocated == 8)
      for(size_t i = 0; i < n; i++)
        p->aValue[i] = storedValue(pB[i], d.bitsStored, d.isSigned);
    else
      for(size_t i = 0; i < n; i++)
        p->aValue[i] = storedValue((uint32_t)(pB[2 * i + 1] << 8 | pB[2 * i]),
                                   d.bitsStored, d.isSigned);
    return;
  }
  for(uint32_t f = 0; f < d.nFrames; f++) {
    int32_t *pOut = p->aValue + (size_t)f * nPix * spp;
    size_t iBase = (size_t)f * nFrameIn;
    for(size_t i = 0; i < nPix; i++) {
      for(uint32_t k = 0; k < spp; k++) {
        size_t iIn;
        if(is422) {
          size_t iPair = i / 2;
          iIn = k == 0 ? iPair * 4 + (i & 1) : iPair * 4 + 1 + k;
        } else if(d.planar) {
          iIn = (size_t)k * nPix + i;
        } else {
          iIn = i * spp + k;
        }
        uint32_t v = rawSample(pB, iBase + iIn, d.bitsAllocated);
        pOut[i * spp + k] = storedValue(v, d.bitsStored, d.isSigned);
      }
    }
  }
}

/* Bytes the header says native pixel data needs. */
uint64_t nativeBytes(const pixelDesc &d)
{
  uint64_t nPix = (uint64_t)d.nRows * d.nCols;
  uint64_t nSamples =
      d.zPhoto == "YBR_FULL_422" ? nPix * 2 : nPix * d.nSamples;
  uint64_t nBits = nSamples * d.nFrames * d.bitsAllocated;
  return (nBits + 7) / 8;
}

/* Native and DCMTK-decoded pixel data: the element's value as bytes in
 * little-endian order (DCMTK swaps OW words to host order on load; our
 * targets are little-endian hosts, checked at build time). */
int readNativeElement(dicom_file *pFile, DcmDataset *pDs, const pixelDesc &d,
                      dicom_pixels **ppPix)
{
  DcmElement *pElem = NULL;
  Uint8 *pB = NULL;
  bool bigEndian = false;
  if(pDs->findAndGetElement(DCM_PixelData, pElem).bad() || pElem == NULL)
    return fail(pFile, DICOM_ERR_NOPIXELS, "no Pixel Data (7FE0,0010)");
  if(d.zPhoto == "YBR_FULL_422" && (d.nCols & 1))
    return fail(pFile, DICOM_ERR_FORMAT,
                "YBR_FULL_422 with an odd number of columns (%u)", d.nCols);
  if(d.zPhoto == "YBR_FULL_422" && d.bitsAllocated != 8)
    return fail(pFile, DICOM_ERR_UNSUPPORTED,
                "native YBR_FULL_422 with %u bits allocated", d.bitsAllocated);
  uint64_t nNeed = nativeBytes(d);
  uint64_t nHave = pElem->getLength();
  if(nHave < nNeed)
    return fail(pFile, DICOM_ERR_FORMAT,
                "pixel data holds %llu bytes, Rows x Columns x Samples x "
                "Frames x Bits Allocated needs %llu; file is truncated",
                (unsigned long long)nHave, (unsigned long long)nNeed);
  /* OW values were swapped to host (little-endian) 16-bit words; 8-bit
   * samples in an OW element of a big-endian file get their byte order
   * back with getUint8Array() (DcmPolymorphOBOW), so only 32-bit samples
   * keep a big-endian word order to undo. */
  if(d.bitsAllocated == 32 && pDs->getOriginalXfer() == EXS_BigEndianExplicit)
    bigEndian = true;
  OFCondition cond = pElem->getUint8Array(pB);
  if(cond.bad() || pB == NULL)
    return fail(pFile, DICOM_ERR_FORMAT, "pixel data cannot be read: %s",
                cond.text());
  std::vector<Uint8> aSwapped; /* Big-endian 32-bit data, made LE */
  if(bigEndian) {
    /* Words are host (LE) order, but each 32-bit value had its high word
     * first: swapping the two words of every sample gives LE bytes. */
    size_t nWord = (size_t)(nNeed / 2);
    aSwapped.resize(nWord * 2);
    const Uint16 *pW = (const Uint16 *)pB;
    Uint16 *pOut = (Uint16 *)aSwapped.data();
    for(size_t i = 0; i + 1 < nWord; i += 2) {
      pOut[i] = pW[i + 1];
      pOut[i + 1] = pW[i];
    }
    pB = aSwapped.data();
  }
  int rc = newPixels(pFile, d, ppPix);
  if(rc)
    return rc;
  unpackNative(d, pB, *ppPix);
  return DICOM_OK;
}

/* DCMTK codec route (JPEG, JPEG-LS, RLE): decompress to explicit VR
 * little endian in memory, then read as native. */
int readDcmtkCodec(dicom_file *pFile, DcmDataset *pDs, pixelDesc *pD,
                   dicom_pixels **ppPix)
{
  DcmXfer x(pFile->zXfer.c_str());
  OFCondition cond = pDs->chooseRepresentation(EXS_LittleEndianExplicit, NULL);
  if(cond.bad() || !pDs->canWriteXfer(EXS_LittleEndianExplicit))
    return fail(pFile, DICOM_ERR_CODEC,
                "%s pixel data does not decode "
                "with DCMTK: %s",
                x.getXferName(),
                cond.bad() ? cond.text() : "no decoder for it");
  /* The codec may have changed photometric, planar configuration. */
  OFString s;
  Uint16 pc = 0;
  if(pDs->findAndGetOFString(DCM_PhotometricInterpretation, s).good())
    pD->zPhoto = s.c_str();
  pDs->findAndGetUint16(DCM_PlanarConfiguration, pc);
  pD->planar = pc ? 1 : 0;
  return readNativeElement(pFile, pDs, *pD, ppPix);
}

/* Splits the fragments of an encapsulated pixel sequence into frames:
 * by the basic offset table when it has one entry per frame, one
 * fragment per frame when the counts match, else by the JPEG 2000 start
 * of codestream marker (FF4F FF51) or JP2 signature at a fragment's start.
 * aStart receives the index of the first fragment of each frame (fragment
 * indices count from 1; item 0 is the offset table). */
int splitFrames(dicom_file *pFile, DcmPixelSequence *pSeq, uint32_t nFrames,
                std::vector<unsigned long> *aStart)
{
  unsigned long nItems = pSeq->card();
  unsigned long nFrag = nItems > 0 ? nItems - 1 : 0;
  DcmPixelItem *pItem = NULL;
  if(nFrag == 0)
    return fail(pFile, DICOM_ERR_FORMAT,
                "encapsulated pixel data has no "
                "fragments");
  aStart->clear();
  if(nFrames == 1) {
    aStart->push_back(1);
    return DICOM_OK;
  }
  /* Basic offset table: offsets from the first fragment's item tag.  4 x
   * frames in 64 bits: in 32 it wraps from 2^30 frames on, and a short
   * table was read past its end (tests/fuzz/regress/bot_wrap_j2k.dcm). */
  if(pSeq->getItem(pItem, 0).good() &&
     pItem->getLength() == (uint64_t)4 * nFrames) {
    Uint8 *pBot = NULL;
    if(pItem->getUint8Array(pBot).good() && pBot) {
      std::vector<uint64_t> aPos; /* Offset of each fragment's item tag */
      uint64_t pos = 0;
      for(unsigned long i = 1; i < nItems; i++) {
        DcmPixelItem *pFrag = NULL;
        pSeq->getItem(pFrag, i);
        aPos.push_back(pos);
        pos += 8 + (pFrag ? pFrag->getLength() : 0);
      }
      bool ok = true;
      for(uint32_t f = 0; f < nFrames && ok; f++) {
        const uint8_t *q = pBot + 4 * f;
        uint64_t off = (uint64_t)q[0] | (uint64_t)q[1] << 8 |
                       (uint64_t)q[2] << 16 | (uint64_t)q[3] << 24;
        ok = false;
        for(size_t i = 0; i < aPos.size(); i++)
          if(aPos[i] == off) {
            aStart->push_back(i + 1);
            ok = true;
            break;
          }
        if(ok && f > 0 && (*aStart)[f] <= (*aStart)[f - 1])
          ok = false;
      }
      if(ok)
        return DICOM_OK;
      aStart->clear();
    }
  }
  if(nFrag == nFrames) {
    for(unsigned long i = 1; i <= nFrag; i++)
      aStart->push_back(i);
    return DICOM_OK;
  }
  for(unsigned long i = 1; i < nItems; i++) {
    DcmPixelItem *pFrag = NULL;
    Uint8 *q = NULL;
    if(pSeq->getItem(pFrag, i).bad() || pFrag->getLength() < 12 ||
       pFrag->getUint8Array(q).bad() || q == NULL)
      continue;
    static const uint8_t aJp2[4] = {0, 0, 0, 12};
    if((q[0] == 0xff && q[1] == 0x4f && q[2] == 0xff && q[3] == 0x51) ||
       memcmp(q, aJp2, 4) == 0)
      aStart->push_back(i);
  }
  if(aStart->size() == nFrames && (*aStart)[0] == 1)
    return DICOM_OK;
  return fail(pFile, DICOM_ERR_FORMAT,
              "cannot split %lu fragments into %u "
              "frames: no usable offset table and %zu codestream starts",
              nFrag, nFrames, aStart->size());
}

/* OpenJPEG route for JPEG 2000 and HTJ2K. */
int readJ2k(dicom_file *pFile, DcmDataset *pDs, pixelDesc *pD,
            dicom_pixels **ppPix)
{
  DcmElement *pElem = NULL;
  DcmPixelSequence *pSeq = NULL;
  E_TransferSyntax repType;
  const DcmRepresentationParameter *pRep = NULL;
  std::vector<unsigned long> aStart;
  if(pDs->findAndGetElement(DCM_PixelData, pElem).bad() || pElem == NULL)
    return fail(pFile, DICOM_ERR_NOPIXELS, "no Pixel Data (7FE0,0010)");
  DcmPixelData *pPix = OFstatic_cast(DcmPixelData *, pElem);
  pPix->getOriginalRepresentationKey(repType, pRep);
  if(pPix->getEncapsulatedRepresentation(repType, pRep, pSeq).bad() ||
     pSeq == NULL)
    return fail(pFile, DICOM_ERR_FORMAT,
                "transfer syntax %s needs "
                "encapsulated pixel data, but it is native",
                pFile->zXfer.c_str());
  int rc = splitFrames(pFile, pSeq, pD->nFrames, &aStart);
  if(rc)
    return rc;
  rc = newPixels(pFile, *pD, ppPix);
  if(rc)
    return rc;
  const size_t nFrameVal = (size_t)pD->nRows * pD->nCols * pD->nSamples;
  std::vector<uint8_t> aCode;
  for(uint32_t f = 0; f < pD->nFrames; f++) {
    unsigned long iEnd = f + 1 < pD->nFrames ? aStart[f + 1] : pSeq->card();
    aCode.clear();
    for(unsigned long i = aStart[f]; i < iEnd; i++) {
      DcmPixelItem *pFrag = NULL;
      Uint8 *q = NULL;
      if(pSeq->getItem(pFrag, i).bad() || pFrag->getUint8Array(q).bad())
        return fail(pFile, DICOM_ERR_FORMAT, "fragment %lu cannot be read", i);
      if(q)
        aCode.insert(aCode.end(), q, q + pFrag->getLength());
    }
    dicomJ2kFrame fr;
    std::string zErr;
    int32_t *pOut = (*ppPix)->aValue + (size_t)f * nFrameVal;
    rc = dicomJ2kDecode(aCode.data(), aCode.size(), pOut, nFrameVal, &fr,
                        &zErr);
    if(rc)
      return fail(pFile, rc, "frame %u: %s", f + 1, zErr.c_str());
    if(fr.nWidth != pD->nCols || fr.nHeight != pD->nRows)
      return fail(pFile, DICOM_ERR_FORMAT,
                  "frame %u: JPEG 2000 image is "
                  "%ux%u but the header says %ux%u",
                  f + 1, fr.nWidth, fr.nHeight, pD->nCols, pD->nRows);
    for(size_t i = 0; i < nFrameVal; i++)
      pOut[i] = storedValue((uint32_t)pOut[i], pD->bitsStored, pD->isSigned);
    if(f == 0 && pD->nSamples == 3 && fr.mct)
      snprintf((*ppPix)->zPhotometric, sizeof((*ppPix)->zPhotometric), "RGB");
  }
  return DICOM_OK;
}

} /* namespace */

extern "C" int dicom_pixels_read(dicom_file *pFile, dicom_pixels **ppPix)
{
  if(!isOpen(pFile) || ppPix == NULL)
    return DICOM_MISUSE;
  pixelDesc d;
  dicom_pixels *pPix = NULL;
  int rc;
  DcmDataset *pDs = pFile->ff.getDataset();
  try {
    rc = readDesc(pFile, pDs, &d);
    if(rc)
      return rc;
    DcmXfer x(pFile->zXfer.c_str());
    if(isJ2kXfer(pFile->zXfer))
      rc = readJ2k(pFile, pDs, &d, &pPix);
    else if(x.getXfer() != EXS_Unknown && x.isEncapsulated())
      rc = readDcmtkCodec(pFile, pDs, &d, &pPix);
    else if(x.getXfer() == EXS_Unknown && !pFile->zXfer.empty() &&
            pFile->ff.getMetaInfo()->tagExists(DCM_TransferSyntaxUID))
      rc = fail(pFile, DICOM_ERR_UNSUPPORTED,
                "transfer syntax %s is not "
                "supported",
                pFile->zXfer.c_str());
    else
      rc = readNativeElement(pFile, pDs, d, &pPix);
  } catch(const std::bad_alloc &) {
    rc = fail(pFile, DICOM_ERR_NOMEM, "out of memory while decoding");
  }
  if(rc) {
    dicom_pixels_free(pPix);
    return rc;
  }
  *ppPix = pPix;
  return DICOM_OK;
}

extern "C" void dicom_pixels_free(struct dicom_pixels *pPix)
{
  if(pPix == NULL)
    return;
  free(pPix->aValue);
  free(pPix);
}

/* Gives dicom_image.cc the dataset and the error recorder. */
DcmDataset *dicomDataset(dicom_file *pFile)
{
  return pFile->ff.getDataset();
}

int dicomFail(dicom_file *pFile, int rc, const std::string &zMsg)
{
  return fail(pFile, rc, "%s", zMsg.c_str());
}

bool dicomIsOpen(const dicom_file *pFile)
{
  return isOpen(pFile);
}
