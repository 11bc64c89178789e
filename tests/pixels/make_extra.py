#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""make_extra.py - small DICOM files for decoder paths no sample or shared
file reaches: explicit VR big endian with 32-bit signed samples, grey and
RGB with planar configuration 1 (DCMTK keeps OW big-endian data as host
16-bit words, so the decoder must put each sample's two words back in
order).  Values are seeded random int32; pydicom writes the files.

Usage: /usr/bin/python3 tests/pixels/make_extra.py  (writes tests/pixels/extra/)
then:  /usr/bin/python3 tests/pixels/make_reference.py \
         --root extra=tests/pixels/extra --out tests/pixels/reference_extra.tsv
"""
import os

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRBigEndian

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "extra")
SC = "1.2.840.10008.5.1.4.1.1.7"


def write(name, planar):
    spp = 3 if planar else 1
    fm = FileMetaDataset()
    fm.TransferSyntaxUID = ExplicitVRBigEndian
    fm.MediaStorageSOPClassUID = SC
    fm.MediaStorageSOPInstanceUID = "2.25.%d" % (1000 + planar)
    ds = Dataset()
    ds.file_meta = fm
    ds.is_little_endian, ds.is_implicit_VR = False, False
    ds.SOPClassUID, ds.SOPInstanceUID = SC, fm.MediaStorageSOPInstanceUID
    ds.SamplesPerPixel = spp
    ds.PhotometricInterpretation = "RGB" if planar else "MONOCHROME2"
    if planar:
        ds.PlanarConfiguration = 1
    ds.Rows, ds.Columns = 2, 3
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 32, 32, 31
    ds.PixelRepresentation = 1
    rng = np.random.default_rng(1)
    shape = (2, 3, spp) if planar else (2, 3)
    a = rng.integers(-2**31, 2**31 - 1, size=shape).astype(">i4")
    ds.PixelData = (np.moveaxis(a, -1, 0) if planar else a).tobytes()
    ds["PixelData"].VR = "OW"
    ds.save_as(os.path.join(OUT, name), write_like_original=False)


os.makedirs(OUT, exist_ok=True)
write("be32_signed_grey.dcm", 0)
write("be32_signed_rgb_planar.dcm", 1)
