/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dicom_j2k.cc - JPEG 2000 and HTJ2K frame decoding through OpenJPEG.
 *
 * DCMTK 3.6.7 has no JPEG 2000 codec, so encapsulated frames of the
 * transfer syntaxes 1.2.840.10008.1.2.4.90/.91 (JPEG 2000) and
 * .201/.202/.203 (HTJ2K, decoded by OpenJPEG >= 2.5) are handed here as
 * one contiguous codestream per frame.  The codestream is read from
 * memory through an opj_stream with our own read/skip/seek callbacks.
 * OpenJPEG applies the inverse colour transform (RCT/ICT) itself when the
 * codestream's COD marker asks for it, so YBR_RCT/YBR_ICT come out RGB.
 *
 * Assumes: the input is untrusted; OpenJPEG validates the codestream and
 * we bound the image size from the header before decoding the tiles.
 */
#include "dicom_int.h"

#include <openjpeg.h>

#include <cstring>

namespace {

/* Reading position in the in-memory codestream. */
struct memSource {
  const uint8_t *p; /* First byte */
  size_t n;         /* Length in bytes */
  size_t i;         /* Next byte to read, 0..n */
};

OPJ_SIZE_T memRead(void *pBuf, OPJ_SIZE_T nBytes, void *pUser)
{
  memSource *s = static_cast<memSource *>(pUser);
  if(s->i >= s->n)
    return (OPJ_SIZE_T)-1;
  size_t nLeft = s->n - s->i;
  size_t nCopy = nBytes < nLeft ? nBytes : nLeft;
  memcpy(pBuf, s->p + s->i, nCopy);
  s->i += nCopy;
  return nCopy;
}

OPJ_OFF_T memSkip(OPJ_OFF_T nBytes, void *pUser)
{
  memSource *s = static_cast<memSource *>(pUser);
  if(nBytes < 0) {
    if((size_t)(-nBytes) > s->i)
      return -1;
    s->i -= (size_t)(-nBytes);
    return nBytes;
  }
  size_t nLeft = s->n - s->i;
  size_t nSkip = (size_t)nBytes < nLeft ? (size_t)nBytes : nLeft;
  s->i += nSkip;
  return (OPJ_OFF_T)nSkip;
}

OPJ_BOOL memSeek(OPJ_OFF_T iPos, void *pUser)
{
  memSource *s = static_cast<memSource *>(pUser);
  if(iPos < 0 || (uint64_t)iPos > s->n)
    return OPJ_FALSE;
  s->i = (size_t)iPos;
  return OPJ_TRUE;
}

/* Keeps OpenJPEG's last error message for our error text. */
void onError(const char *zMsg, void *pUser)
{
  std::string *z = static_cast<std::string *>(pUser);
  *z = zMsg ? zMsg : "";
  while(!z->empty() && (z->back() == '\n' || z->back() == '\r'))
    z->pop_back();
}

void onQuiet(const char *, void *)
{
}

/* True if the bytes start with the JP2 signature box (ISO/IEC 15444-1
 * I.5.1): length 12, type 'jP  ', content 0x0D0A870A. */
bool isJp2(const uint8_t *p, size_t n)
{
  static const uint8_t aSig[12] = {0,   0,   0,    12,   'j',  'P',
                                   ' ', ' ', 0x0d, 0x0a, 0x87, 0x0a};
  return n >= 12 && memcmp(p, aSig, 12) == 0;
}

/* Checks the decoded components and copies them, interleaved, to aOut
 * (nOut samples). */
int copyImage(const opj_image_t *pImg, int32_t *aOut, size_t nOut,
              dicomJ2kFrame *pInfo, std::string *zErr)
{
  if(pImg->numcomps < 1 || pImg->numcomps > 4) {
    *zErr = "JPEG 2000 image has " + std::to_string(pImg->numcomps) +
            " components; 1, 3 or 4 expected";
    return DICOM_ERR_UNSUPPORTED;
  }
  const opj_image_comp_t *c0 = &pImg->comps[0];
  for(uint32_t k = 0; k < pImg->numcomps; k++) {
    const opj_image_comp_t *c = &pImg->comps[k];
    if(c->w != c0->w || c->h != c0->h || c->dx != 1 || c->dy != 1 ||
       c->data == NULL) {
      *zErr = "JPEG 2000 components are subsampled or of unequal size";
      return DICOM_ERR_UNSUPPORTED;
    }
  }
  const size_t nPix = (size_t)c0->w * c0->h;
  const uint32_t nc = pImg->numcomps;
  if(nPix * nc != nOut) {
    *zErr = "JPEG 2000 frame decodes to " + std::to_string(c0->w) + "x" +
            std::to_string(c0->h) + "x" + std::to_string(nc) +
            " samples, the DICOM header needs " + std::to_string(nOut);
    return DICOM_ERR_FORMAT;
  }
  pInfo->nWidth = c0->w;
  pInfo->nHeight = c0->h;
  pInfo->nComps = nc;
  pInfo->prec = c0->prec;
  pInfo->isSigned = c0->sgnd ? 1 : 0;
  if(nc == 1) {
    memcpy(aOut, c0->data, nPix * sizeof(int32_t));
    return DICOM_OK;
  }
  for(uint32_t k = 0; k < nc; k++) {
    const OPJ_INT32 *pSrc = pImg->comps[k].data;
    int32_t *pDst = aOut + k;
    for(size_t i = 0; i < nPix; i++)
      pDst[i * nc] = pSrc[i];
  }
  return DICOM_OK;
}

} /* namespace */

int dicomJ2kDecode(const uint8_t *pData, size_t nData, int32_t *aOut,
                   size_t nOut, dicomJ2kFrame *pInfo, std::string *zErr)
{
  int rc = DICOM_ERR_CODEC;
  memSource src = {pData, nData, 0};
  opj_codec_t *pCodec = NULL;
  opj_stream_t *pStream = NULL;
  opj_image_t *pImg = NULL;
  opj_dparameters_t par;
  std::string zOpj;
  uint64_t nValues;

  if(nData < 2) {
    *zErr = "JPEG 2000 frame is empty";
    return DICOM_ERR_CODEC;
  }
  pCodec = opj_create_decompress(isJp2(pData, nData) ? OPJ_CODEC_JP2
                                                     : OPJ_CODEC_J2K);
  pStream = opj_stream_create(64 * 1024, OPJ_TRUE);
  if(pCodec == NULL || pStream == NULL) {
    *zErr = "out of memory creating the OpenJPEG decoder";
    rc = DICOM_ERR_NOMEM;
    goto j2k_end;
  }
  opj_set_error_handler(pCodec, onError, &zOpj);
  opj_set_warning_handler(pCodec, onQuiet, NULL);
  opj_set_info_handler(pCodec, onQuiet, NULL);
  opj_set_default_decoder_parameters(&par);
  opj_stream_set_user_data(pStream, &src, NULL);
  opj_stream_set_user_data_length(pStream, nData);
  opj_stream_set_read_function(pStream, memRead);
  opj_stream_set_skip_function(pStream, memSkip);
  opj_stream_set_seek_function(pStream, memSeek);
  if(!opj_setup_decoder(pCodec, &par) ||
     !opj_read_header(pStream, pCodec, &pImg) || pImg == NULL) {
    *zErr = "JPEG 2000 header does not decode: " +
            (zOpj.empty() ? std::string("invalid codestream") : zOpj);
    goto j2k_end;
  }
  nValues =
      (uint64_t)(pImg->x1 - pImg->x0) * (pImg->y1 - pImg->y0) * pImg->numcomps;
  if(nValues != nOut) {
    *zErr = "JPEG 2000 frame of " + std::to_string(pImg->x1 - pImg->x0) + "x" +
            std::to_string(pImg->y1 - pImg->y0) + "x" +
            std::to_string(pImg->numcomps) +
            " samples does not match the "
            "DICOM header's " +
            std::to_string(nOut);
    rc = DICOM_ERR_FORMAT;
    goto j2k_end;
  }
  /* Large frames decode on every core (OpenJPEG's tile-component
   * threads); small ones are not worth the thread start-up. */
  if(nValues >= 512 * 512 && opj_has_thread_support())
    opj_codec_set_threads(pCodec, opj_get_num_cpus());
  if(!opj_decode(pCodec, pStream, pImg) ||
     !opj_end_decompress(pCodec, pStream)) {
    *zErr = "JPEG 2000 data does not decode: " +
            (zOpj.empty() ? std::string("invalid codestream") : zOpj);
    goto j2k_end;
  }
  {
    opj_codestream_info_v2_t *pCs = opj_get_cstr_info(pCodec);
    pInfo->mct = pCs && pCs->m_default_tile_info.mct ? 1 : 0;
    opj_destroy_cstr_info(&pCs);
  }
  rc = copyImage(pImg, aOut, nOut, pInfo, zErr);

j2k_end:
  opj_image_destroy(pImg);
  opj_stream_destroy(pStream);
  opj_destroy_codec(pCodec);
  return rc;
}
