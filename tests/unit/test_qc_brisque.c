/* SPDX-License-Identifier: BSD-3-Clause
 *
 * test_qc_brisque.c - unit tests of qc/brisque.c, BRISQUE with OpenCV's
 * model and with the LIVE release's libsvm model.
 *
 * Focus: (1) the published reference values: OpenCV's own test values
 * for its model (opencv_contrib modules/quality/test/test_brisque.cpp:
 * rock_1.bmp 31.866388, RubberWhale1.png 9.754480, tolerance 0.002) and
 * the official LIVE MATLAB values on five TID2013 images (IQA-PyTorch
 * ResultsCalibra/results_official.csv, tolerance 1%), read from
 * ../shared/data/iqa-reference and skipped, saying so, when it is absent;
 * (2) generated 1/f textures committed in tests/reference/data, against
 * cv2.quality's own features and scores (OpenCV kind) and a numpy
 * transcription of the LIVE MATLAB code (LIVE kind), from
 * tests/reference/make_nr_reference.py, so both kinds are tested from a
 * plain clone; (3) model files: loading, mixing kinds, malformed files.
 *
 * Known deviation, pinned here: LIVE BRISQUE on TID2013 I08 is 4.4% above
 * MATLAB's 5.35827 (the other four are within 0.9%).  I08 has flat 7x7
 * windows, where the MSCN coefficients are rounding residues (|x| ~
 * 1e-14) whose signs set the positive and negative counts of the
 * paired-product AGGD fits.  MATLAB's filter2 filters with the two factors
 * of an SVD of the window (MKL's bits), which no code here can reproduce:
 * reference LAPACK / OpenBLAS factors give I08 -2.3% and I06/I19 +-10%;
 * numpy's scipy.ndimage gives -3.0%; exact zeros give +10% (README, "How
 * the metrics are proven").
 */
#include "test_util.h" /* First: C headers, then cmocka */

#include "qc_int.h"

#include "test_images.h"

/* Reference values of tests/reference/make_nr_reference.py. */
#define NR_TSV "nr_reference.tsv"

/* ---- Model fixtures --------------------------------------------------- */

/* Loads models/<zModel> + models/<zRange> of the kind. */
static qc_brisque_model *load_model(const char *zModel, const char *zRange,
                                    enum qc_brisque_kind kind)
{
  char zM[4096], zR[4096], zErr[512] = "";
  qc_brisque_model *p = NULL;
  int rc;

  snprintf(zM, sizeof(zM), "%s/models/%s", DICOMQC_SOURCE_DIR, zModel);
  snprintf(zR, sizeof(zR), "%s/models/%s", DICOMQC_SOURCE_DIR, zRange);
  rc = qc_brisque_model_load(zM, zR, kind, &p, zErr, sizeof(zErr));
  if(rc != QC_OK) {
    fail_msg("load %s: %s", zModel, zErr);
  }
  return p;
}

static qc_brisque_model *load_opencv(void)
{
  return load_model(QC_MODEL_BRISQUE_OPENCV, QC_MODEL_BRISQUE_OPENCV_RANGE,
                    QC_BRISQUE_OPENCV);
}

static qc_brisque_model *load_live(void)
{
  return load_model(QC_MODEL_BRISQUE_LIVE, QC_MODEL_BRISQUE_LIVE_RANGE,
                    QC_BRISQUE_LIVE);
}

/* ---- Published values -------------------------------------------------- */

/* OpenCV's model on its own test images, as opencv_contrib's
 * test_brisque.cpp (rock_1.bmp read IMREAD_GRAYSCALE, RubberWhale1.png
 * read in colour then COLOR_BGR2GRAY), tolerance 0.002 as there.
 * Measured: rock_1 31.866151 (-2.4e-4), RubberWhale1 9.755387 (+9.1e-4);
 * OpenCV 4.6's cv2 itself gives 31.867186 and 9.754159 today (float32
 * arithmetic; its score moved by 8e-4 since the value was published). */
static void test_qc_brisque_opencv_published_values_within_0_002(void **state)
{
  static const struct {
    const char *zFile;
    double expect;
  } aCase[] = {
      {"opencv_extra_testdata/rock_1.bmp", 31.866388320922852},
      {"opencv_extra_testdata/RubberWhale1.png", 9.7544803619384766},
  };
  qc_brisque_model *pModel;
  size_t i;

  (void)state;
  pModel = load_opencv();
  for(i = 0; i < 2; i++) {
    struct qc_plane plane;
    double score = NAN;
    if(!tu_shared_grey(aCase[i].zFile, tu_grey_opencv, &plane)) {
      qc_brisque_model_free(pModel);
      skip();
    }
    assert_int_equal(qc_brisque_score(pModel, &plane, &score), QC_OK);
    print_message("%s: %.6f, published %.6f, difference %+.2e\n",
                  aCase[i].zFile, score, aCase[i].expect,
                  score - aCase[i].expect);
    assert_close(score, aCase[i].expect, 0.002);
    free((float *)plane.a);
  }
  qc_brisque_model_free(pModel);
}

/* The LIVE model on five TID2013 images (MATLAB rgb2gray) against the
 * official MATLAB values, within 1% (I04's value is -0.1076: 1% of it),
 * except I08: 5%, the known deviation of the file head (measured +4.40%;
 * I03 +0.003%, I04 -0.0003%, I06 -0.31%, I19 -0.83%). */
static void test_qc_brisque_live_tid2013_within_1_percent(void **state)
{
  static const struct {
    const char *zName;
    double expect;
    double rtol;
  } aCase[] = {
      {"I03", 94.6421, 0.01},  {"I04", -0.107618, 0.01},
      {"I06", 0.992889, 0.01}, {"I08", 5.35827, 0.05},
      {"I19", 72.2617, 0.01},
  };
  qc_brisque_model *pModel;
  size_t i;

  (void)state;
  pModel = load_live();
  for(i = 0; i < sizeof(aCase) / sizeof(aCase[0]); i++) {
    char zRel[256];
    struct qc_plane plane;
    double score = NAN;
    snprintf(zRel, sizeof(zRel), "tid2013_calibration/dist_dir/%s.bmp",
             aCase[i].zName);
    if(!tu_shared_grey(zRel, tu_grey_matlab, &plane)) {
      qc_brisque_model_free(pModel);
      skip();
    }
    assert_int_equal(qc_brisque_score(pModel, &plane, &score), QC_OK);
    print_message("TID2013 %s: %.6f, MATLAB %.6f, %+.3f%%\n", aCase[i].zName,
                  score, aCase[i].expect,
                  100.0 * (score - aCase[i].expect) / fabs(aCase[i].expect));
    assert_close_rel(score, aCase[i].expect, aCase[i].rtol);
    free((float *)plane.a);
  }
  qc_brisque_model_free(pModel);
}

/* ---- Generated planes ------------------------------------------------- */

static const char *const azGen[] = {"btex_160x120", "bblur_160x120",
                                    "bnoise_160x120"};

/* The features of kind on the generated plane zName against its rows
 * "brisque_<kind>_feat<k>" in nr_reference.tsv: each within
 * rtol |ref| + atol, except that with shapeTol > 0 the shape parameters
 * (alpha of the GGD fit, feature 0 of each 18-feature scale, and of the
 * four AGGD pair fits, 2, 6, 10, 14) are within shapeTol. */
static void check_features(const char *zName, enum qc_brisque_kind kind,
                           double rtol, double atol, double shapeTol)
{
  struct qc_plane plane;
  double aFeat[QC_BRISQUE_NFEAT];
  int k;

  tu_nr_plane(zName, &plane);
  assert_int_equal(qc_brisque_features(&plane, kind, aFeat), QC_OK);
  free((float *)plane.a);
  for(k = 0; k < QC_BRISQUE_NFEAT; k++) {
    char zMetric[64];
    double ref;
    int isShape = k % 18 == 0 || (k % 18 >= 2 && (k % 18 - 2) % 4 == 0);
    snprintf(zMetric, sizeof(zMetric), "brisque_%s_feat%d",
             kind == QC_BRISQUE_OPENCV ? "opencv" : "live", k);
    ref = tu_tsv(NR_TSV, zName, zMetric);
    assert_close(aFeat[k], ref,
                 isShape && shapeTol > 0.0 ? shapeTol
                                           : rtol * fabs(ref) + atol);
  }
}

/* Scores of pModel on the three generated planes azGen, into aScore. */
static void gen_scores(const qc_brisque_model *pModel, double *aScore)
{
  size_t i;

  for(i = 0; i < 3; i++) {
    struct qc_plane plane;
    tu_nr_plane(azGen[i], &plane);
    assert_int_equal(qc_brisque_score(pModel, &plane, &aScore[i]), QC_OK);
    free((float *)plane.a);
  }
}

/* The scores of pModel on the generated planes against their rows zRow
 * in nr_reference.tsv, within tol. */
static void check_scores(const qc_brisque_model *pModel, const char *zRow,
                         double tol)
{
  double aScore[3];
  size_t i;

  gen_scores(pModel, aScore);
  for(i = 0; i < 3; i++) {
    assert_close(aScore[i], tu_tsv(NR_TSV, azGen[i], zRow), tol);
  }
}

/* OpenCV features against cv2.quality.QualityBRISQUE_computeFeatures.
 * cv2 works in float32 and this code in double: the variances and means
 * agree to 2e-4 relative (+ 1e-6; measured 1.2e-4), and a shape, picked
 * from a table in steps of 0.001, may land one step away: 0.0011
 * (measured: all shapes equal). */
static void test_qc_brisque_opencv_features_match_cv2(void **state)
{
  size_t i;

  (void)state;
  for(i = 0; i < 3; i++) {
    check_features(azGen[i], QC_BRISQUE_OPENCV, 2e-4, 1e-6, 0.0011);
  }
}

/* OpenCV scores against the unclamped SVR on cv2's features (equal to
 * cv2.quality's score where that is inside 0..100, checked by the
 * script).  Tolerance 0.002, OpenCV's own: the feature differences
 * above, through the SVR (measured: -6.2e-4, -3.7e-4, -3.7e-5). */
static void test_qc_brisque_opencv_scores_match_cv2(void **state)
{
  qc_brisque_model *pModel = load_opencv();

  (void)state;
  check_scores(pModel, "brisque_opencv", 0.002);
  qc_brisque_model_free(pModel);
}

/* LIVE features and scores against the numpy transcription of
 * brisque_feature.m + svm-scale + svm-predict (text roundings included).
 * Both sum in double, but the C code stores its MSCN and resized planes
 * as float: features 1e-6 relative (+1e-9; measured 1.9e-7), shapes
 * equal; scores 1e-5 absolute (measured 2e-10). */
static void test_qc_brisque_live_matches_numpy_transcription(void **state)
{
  qc_brisque_model *pModel = load_live();
  size_t i;

  (void)state;
  for(i = 0; i < 3; i++) {
    check_features(azGen[i], QC_BRISQUE_LIVE, 1e-6, 1e-9, 0.0);
  }
  check_scores(pModel, "brisque_live", 1e-5);
  qc_brisque_model_free(pModel);
}

/* Both models rank the generated texture better (lower) than its blurred
 * and its noisy versions, as the references do (script values). */
static void test_qc_brisque_clean_scores_better_than_degraded(void **state)
{
  qc_brisque_model *apModel[2];
  int m;

  (void)state;
  apModel[0] = load_opencv();
  apModel[1] = load_live();
  for(m = 0; m < 2; m++) {
    double aScore[3];
    gen_scores(apModel[m], aScore);
    assert_true(aScore[0] < aScore[1] && aScore[0] < aScore[2]);
    qc_brisque_model_free(apModel[m]);
  }
}

/* ---- Model files and edges -------------------------------------------- */

/* A model with the other kind's range file, a missing file, truncated
 * and malformed files: QC_ERR_RANGE with a message naming the file;
 * bad arguments: QC_ERR_MISUSE.  *ppModel stays untouched. */
static void test_qc_brisque_model_load_bad_files_return_RANGE(void **state)
{
  static const char zBad[] = "test_qc_brisque_bad.model"; /* Build tree */
  char zM[4096], zR[4096], zLm[4096], zErr[512];
  qc_brisque_model *p = (qc_brisque_model *)&zErr; /* Must stay as is */
  qc_brisque_model *pOrig = p;
  const struct {
    const char *zModel;        /* Model file */
    const char *zRange;        /* Range file */
    enum qc_brisque_kind kind; /* Kind asked for */
    const char *zText;         /* Written to zBad first, or NULL */
    const char *zWant;         /* In the message, or NULL */
  } aCase[] = {
      {zM, zR, QC_BRISQUE_OPENCV, NULL, QC_MODEL_BRISQUE_LIVE_RANGE},
      {zLm, zM, QC_BRISQUE_LIVE, NULL, NULL},
      {zM, zR, QC_BRISQUE_LIVE, NULL, NULL},
      {"no/such/model", zR, QC_BRISQUE_LIVE, NULL, "no/such/model"},
      {zBad, zR, QC_BRISQUE_LIVE,
       "svm_type epsilon_svr\nkernel_type rbf\ngamma 0.05\n"
       "total_sv 2\nrho 1\nSV\n1 1:0.5 2:0.25\n",
       "support vector 2 of 2"},
      {zBad, zR, QC_BRISQUE_LIVE,
       "svm_type epsilon_svr\nkernel_type rbf\ngamma 0.05\n"
       "total_sv 1\nrho 1\nSV\n1 1:0.5 37:0.25\n",
       NULL},
      {zLm, zBad, QC_BRISQUE_LIVE, "x\n-1 1\n1 0 1\n",
       "no range for feature 2"},
  };
  size_t i;

  (void)state;
  snprintf(zM, sizeof(zM), "%s/models/" QC_MODEL_BRISQUE_OPENCV,
           DICOMQC_SOURCE_DIR);
  snprintf(zR, sizeof(zR), "%s/models/" QC_MODEL_BRISQUE_LIVE_RANGE,
           DICOMQC_SOURCE_DIR);
  snprintf(zLm, sizeof(zLm), "%s/models/" QC_MODEL_BRISQUE_LIVE,
           DICOMQC_SOURCE_DIR);
  zErr[0] = '\0';
  for(i = 0; i < sizeof(aCase) / sizeof(aCase[0]); i++) {
    if(aCase[i].zText != NULL) {
      tu_write_file(zBad, aCase[i].zText);
    }
    assert_int_equal(qc_brisque_model_load(aCase[i].zModel, aCase[i].zRange,
                                           aCase[i].kind, &p, zErr,
                                           sizeof(zErr)),
                     QC_ERR_RANGE);
    if(aCase[i].zWant != NULL) {
      assert_non_null(strstr(zErr, aCase[i].zWant));
    }
  }
  remove(zBad);
  assert_int_equal(
      qc_brisque_model_load(NULL, zR, QC_BRISQUE_LIVE, &p, NULL, 0),
      QC_ERR_MISUSE);
  assert_int_equal(
      qc_brisque_model_load(zM, zR, (enum qc_brisque_kind)7, &p, NULL, 0),
      QC_ERR_MISUSE);
  assert_ptr_equal(p, pOrig);
  qc_brisque_model_free(NULL);
}

/* A constant plane has no positive or negative MSCN coefficient: NaN
 * features, so QC_ERR_RANGE, score untouched.  Too small or NULL planes
 * and a NULL model: RANGE and MISUSE. */
static void test_qc_brisque_score_constant_and_bad_planes(void **state)
{
  qc_brisque_model *pModel = load_live();
  float a[32 * 24];
  struct qc_plane plane = {a, 32, 24}, tiny = {a, 1, 5};
  double score = -7.0, aFeat[QC_BRISQUE_NFEAT];
  size_t i;

  (void)state;
  for(i = 0; i < 32 * 24; i++) {
    a[i] = 90.0f;
  }
  assert_int_equal(qc_brisque_score(pModel, &plane, &score), QC_ERR_RANGE);
  assert_true(score == -7.0);
  assert_int_equal(qc_brisque_features(&tiny, QC_BRISQUE_OPENCV, aFeat),
                   QC_ERR_RANGE);
  assert_int_equal(qc_brisque_score(NULL, &plane, &score), QC_ERR_MISUSE);
  assert_int_equal(qc_brisque_score(pModel, NULL, &score), QC_ERR_MISUSE);
  assert_int_equal(qc_brisque_score(pModel, &plane, NULL), QC_ERR_MISUSE);
  qc_brisque_model_free(pModel);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_qc_brisque_opencv_published_values_within_0_002),
      cmocka_unit_test(test_qc_brisque_live_tid2013_within_1_percent),
      cmocka_unit_test(test_qc_brisque_opencv_features_match_cv2),
      cmocka_unit_test(test_qc_brisque_opencv_scores_match_cv2),
      cmocka_unit_test(test_qc_brisque_live_matches_numpy_transcription),
      cmocka_unit_test(test_qc_brisque_clean_scores_better_than_degraded),
      cmocka_unit_test(test_qc_brisque_model_load_bad_files_return_RANGE),
      cmocka_unit_test(test_qc_brisque_score_constant_and_bad_planes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
