# SPDX-License-Identifier: BSD-3-Clause
#
# make_model_samples.py - two synthetic pictures wrapped as 8-bit Secondary
# Capture DICOM, and OpenCV's BRISQUE score of each original picture, for
# tests/cli/test_models.sh: the check that a picture wrapped as DICOM
# scores through `dicomqc score` exactly as the reference scores the
# picture itself (issue 4 item 7).
#
#   sc_texture_grey8.dcm  256 x 256 MONOCHROME2, 8 bits, no VOI window:
#                         dicomqc must score the samples as they are;
#   sc_texture_rgb8.dcm   256 x 256 RGB, 8 bits: dicomqc must score
#                         OpenCV's grey conversion (COLOR_RGB2GRAY).
#
# The pictures are seeded 1/f textures with a few hard-edged shapes (a
# natural-image-like spectrum, so BRISQUE is in its usual range).  The
# expected values come from cv2.quality.QualityBRISQUE with models/'s
# OpenCV model and range file, on the uint8 arrays (grey) and on
# cv2.cvtColor(rgb, COLOR_RGB2GRAY) (colour), which is what OpenCV's own
# BRISQUE test does with its images.
#
# Run from the repository root (Debian's python3-numpy, python3-pydicom,
# python3-opencv):
#   /usr/bin/python3 tests/cli/make_model_samples.py
# Writes tests/cli/data/sc_texture_*.dcm and tests/cli/data/models.tsv,
# and for `train niqe` 16 clean 192 x 192 textures in
# tests/cli/data/niqe/train and 3 held-back ones with a blurred (Gaussian
# sigma 2) and a noisy (Gaussian noise sigma 12) version of each in
# tests/cli/data/niqe/holdout; deterministic.
import os

import cv2
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(HERE, "data")
MODELS = os.path.join(ROOT, "models")
COMMAND = "/usr/bin/python3 tests/cli/make_model_samples.py"
SC = "1.2.840.10008.5.1.4.1.1.7"
PREFIX = "1.2.826.0.1.3680043.8.498."  # pydicom's UID root


def texture(n, seed):
    """A 1/f texture with shapes, 0..255 uint8."""
    rng = np.random.default_rng(seed)
    f = np.fft.fftfreq(n)
    r = np.sqrt(f[:, None] ** 2 + f[None, :] ** 2)
    r[0, 0] = 1.0
    spec = (rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))) / r
    img = np.real(np.fft.ifft2(spec))
    img = (img - img.mean()) / img.std() * 40.0 + 120.0
    y, x = np.mgrid[0:n, 0:n]
    img[(x - 80) ** 2 + (y - 90) ** 2 < 30 ** 2] += 60.0
    img[150:200, 140:230] -= 50.0
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def wrap(path, pix, rgb, key):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SC
    meta.MediaStorageSOPInstanceUID = generate_uid(PREFIX, [key, "sop"])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SC
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid(PREFIX, [key, "study"])
    ds.SeriesInstanceUID = generate_uid(PREFIX, [key, "series"])
    ds.Modality = "OT"
    ds.ConversionType = "WSD"
    ds.PatientName = "Texture^Test"
    ds.PatientID = "TEXTURE"
    ds.Rows, ds.Columns = pix.shape[0], pix.shape[1]
    ds.SamplesPerPixel = 3 if rgb else 1
    ds.PhotometricInterpretation = "RGB" if rgb else "MONOCHROME2"
    if rgb:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = np.ascontiguousarray(pix).tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(path, write_like_original=False)


def main():
    os.makedirs(OUT, exist_ok=True)
    brisque = cv2.quality.QualityBRISQUE_create(
        os.path.join(MODELS, "brisque_opencv_model_live.yml"),
        os.path.join(MODELS, "brisque_opencv_range_live.yml"))
    grey = texture(256, 20261127)
    rgb = np.stack([texture(256, 20261128), texture(256, 20261129),
                    texture(256, 20261130)], axis=-1)
    wrap(os.path.join(OUT, "sc_texture_grey8.dcm"), grey, False, "grey8")
    wrap(os.path.join(OUT, "sc_texture_rgb8.dcm"), rgb, True, "rgb8")
    # The files must hold exactly these pixels.
    for name, want in (("sc_texture_grey8.dcm", grey),
                       ("sc_texture_rgb8.dcm", rgb)):
        got = pydicom.dcmread(os.path.join(OUT, name)).pixel_array
        assert np.array_equal(got, want), name
    # `train niqe`: clean pictures to fit on, held-back clean pictures,
    # and blurred and noisy versions of the held-back ones.
    for sub in ("train", "holdout"):
        os.makedirs(os.path.join(OUT, "niqe", sub), exist_ok=True)
    for i in range(16):
        wrap(os.path.join(OUT, "niqe", "train", "clean_%02d.dcm" % i),
             texture(192, 4000 + i), False, "niqe-train-%d" % i)
    rng = np.random.default_rng(5000)
    for i in range(3):
        img = texture(192, 4100 + i)
        blur = cv2.GaussianBlur(img.astype(np.float64), (0, 0), 2.0)
        noisy = img + rng.normal(0.0, 12.0, img.shape)
        for kind, pix in (("clean", img), ("blur", blur), ("noise", noisy)):
            pix = np.clip(np.rint(pix), 0, 255).astype(np.uint8)
            wrap(os.path.join(OUT, "niqe", "holdout",
                              "%s_%02d.dcm" % (kind, i)),
                 pix, False, "niqe-holdout-%s-%d" % (kind, i))
    rows = [("sc_texture_grey8.dcm", "brisque_opencv",
             brisque.compute(grey)[0]),
            ("sc_texture_rgb8.dcm", "brisque_opencv",
             brisque.compute(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))[0])]
    with open(os.path.join(OUT, "models.tsv"), "w", encoding="ascii",
              newline="\n") as f:
        f.write("# models.tsv - expected scores of tests/cli/data/*.dcm.  "
                "Do not edit: generated by\n#   %s\n# with OpenCV %s, "
                "numpy %s, pydicom %s.\nfile\tmetric\tvalue\n"
                % (COMMAND, cv2.__version__, np.__version__,
                   pydicom.__version__))
        for r in rows:
            f.write("%s\t%s\t%r\n" % r)


if __name__ == "__main__":
    main()
