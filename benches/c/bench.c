/*
 * Measures the C ABI of libcheckout against OpenSSL's libcrypto in the same process.
 *
 * For PS256, PS384 and PS512 with 2048-, 3072- and 4096-bit keys it times lm_verify (license
 * profile, fixed time and node id) against EVP_DigestVerify of the same signing input, and
 * lm_sign against EVP_DigestSign of the same signing input, both RSASSA-PSS with MGF1 over
 * the same hash and a salt as long as the hash. It also times calls that return before any
 * RSA work, which gives the cost of one round trip through the ABI.
 *
 * Usage: bench [--rounds N] [--batch-ms N] [--bits 2048,3072,4096]
 * Prints a Markdown report on stdout and progress on stderr; benches/c/run.sh builds and runs
 * it. Exits 1 on any unexpected status or OpenSSL failure, 2 on a bad argument.
 */
#define _POSIX_C_SOURCE 200809L

#include <checkout.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROUNDS 101
#define MAX_SIZES 3
#define ALGORITHM_COUNT 3

/* The checkout is valid from NOW - 60 to NOW + 3600 for node NODE_ID. */
#define NOW 1780272000L /* 2026-06-01T00:00:00Z */
#define NODE_ID "100.20.15.10"
#define PAYLOAD                                                                                \
  "{\"entitlementsAllowed\":[{\"name\":\"EntitlementCount\",\"unit\":\"Count\",\"value\":\"1\"}," \
  "{\"name\":\"EnterpriseTier\",\"unit\":\"None\",\"value\":\"Enterprise\"}],"                  \
  "\"expiration\":\"2026-06-01T01:00:00\",\"issuedAt\":\"2026-05-31T23:59:00\","                \
  "\"licenseArn\":\"arn:aws:license-manager::000000000000:license:"                             \
  "l-00000000000000000000000000000001\","                                                       \
  "\"licenseConsumptionToken\":\"0123456789abcdef0123456789abcdef\","                           \
  "\"nodeId\":\"" NODE_ID "\",\"checkoutMetadata\":{\"Mac\":\"ABCDEFGHI\"},"                    \
  "\"iat\":1780271940,\"exp\":1780275600}"
#define VERIFY_OPTIONS "{\"profile\":\"license\",\"now\":1780272000,\"nodeId\":\"" NODE_ID "\"}"
/* Fails JWS compact parsing, because it has no '.' separator. */
#define MALFORMED_TOKEN "malformed-token"

#define BYTES(text) (const uint8_t *)(text), strlen(text)
#define USAGE "usage: bench [--rounds N] [--batch-ms N] [--bits 2048,3072,4096]"

/* ------------------------------------------------------------ failures */

static void fail(const char *message) {
  fprintf(stderr, "bench: %s\n", message);
  exit(1);
}

static void fail_status(lm_status status, const char *call) {
  fprintf(stderr, "bench: %s returned %u (%s): %s\n", call, (unsigned)status,
          lm_status_name(status), lm_last_error_message());
  exit(1);
}

static void check_status(lm_status status, const char *call) {
  if (status != LM_STATUS_OK) {
    fail_status(status, call);
  }
}

static void fail_openssl(const char *call) {
  unsigned long code = ERR_get_error();
  char reason[256] = "no OpenSSL error queued";

  if (code != 0) {
    ERR_error_string_n(code, reason, sizeof reason);
  }
  fprintf(stderr, "bench: OpenSSL %s failed: %s\n", call, reason);
  exit(1);
}

/* ------------------------------------------------------------ clocks and statistics */

static double clock_seconds(clockid_t clock) {
  struct timespec now;

  if (clock_gettime(clock, &now) != 0) {
    fail("clock_gettime failed");
  }
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Returns the median of values[0..count), which it reorders. */
static double median(double *values, int count) {
  qsort(values, (size_t)count, sizeof values[0], compare_doubles);
  if (count % 2 == 1) {
    return values[count / 2];
  }
  return (values[count / 2 - 1] + values[count / 2]) / 2.0;
}

/* ------------------------------------------------------------ base64url (RFC 4648 §5) */

static const char BASE64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int base64url_value(char c) {
  const char *found = c == '\0' ? NULL : strchr(BASE64URL, c);
  return found == NULL ? -1 : (int)(found - BASE64URL);
}

/* Decodes unpadded base64url into a new malloc'd buffer; returns NULL on invalid input. */
static uint8_t *base64url_decode(const char *text, size_t text_len, size_t *out_len) {
  uint8_t *out = malloc(text_len * 3 / 4 + 1);
  uint32_t bits = 0;
  int bit_count = 0;
  size_t written = 0;

  if (out == NULL || text_len % 4 == 1) {
    free(out);
    return NULL;
  }
  for (size_t i = 0; i < text_len; i++) {
    int value = base64url_value(text[i]);
    if (value < 0) {
      free(out);
      return NULL;
    }
    bits = (bits << 6) | (uint32_t)value;
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out[written++] = (uint8_t)(bits >> bit_count);
      bits &= (1u << bit_count) - 1;
    }
  }
  *out_len = written;
  return out;
}

/* Encodes bytes as unpadded base64url into a new NUL-terminated malloc'd string. */
static char *base64url_encode(const uint8_t *bytes, size_t len) {
  char *out = malloc(len * 4 / 3 + 4);
  uint32_t bits = 0;
  int bit_count = 0;
  size_t written = 0;

  if (out == NULL) {
    fail("out of memory");
  }
  for (size_t i = 0; i < len; i++) {
    bits = (bits << 8) | bytes[i];
    bit_count += 8;
    while (bit_count >= 6) {
      bit_count -= 6;
      out[written++] = BASE64URL[(bits >> bit_count) & 63];
    }
  }
  if (bit_count > 0) {
    out[written++] = BASE64URL[(bits << (6 - bit_count)) & 63];
  }
  out[written] = '\0';
  return out;
}

/* ------------------------------------------------------------ one configuration */

struct algorithm_info {
  const char *jws_name;
  const char *digest_name;
};

static const struct algorithm_info ALGORITHMS[ALGORITHM_COUNT] = {
    {"PS256", "SHA256"},
    {"PS384", "SHA384"},
    {"PS512", "SHA512"},
};

/* Everything the timed operations of one algorithm and key size use, prepared untimed. */
struct fixture {
  lm_signer *signer;
  lm_verifier *verifier;
  lm_buffer token;
  /* The token up to its last '.', which is what both libraries sign. */
  const uint8_t *signing_input;
  size_t signing_input_len;
  uint8_t *signature;
  size_t signature_len;
  EVP_PKEY *private_key;
  EVP_PKEY *public_key;
  EVP_MD *digest;
  size_t modulus_len;
  uint8_t *openssl_signature;
};

/* Sets RSASSA-PSS padding, MGF1 over the signature's hash and a salt as long as the hash. */
static void set_pss(EVP_PKEY_CTX *key_context, const EVP_MD *digest) {
  if (EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PSS_PADDING) <= 0) {
    fail_openssl("EVP_PKEY_CTX_set_rsa_padding");
  }
  if (EVP_PKEY_CTX_set_rsa_pss_saltlen(key_context, RSA_PSS_SALTLEN_DIGEST) <= 0) {
    fail_openssl("EVP_PKEY_CTX_set_rsa_pss_saltlen");
  }
  if (EVP_PKEY_CTX_set_rsa_mgf1_md(key_context, digest) <= 0) {
    fail_openssl("EVP_PKEY_CTX_set_rsa_mgf1_md");
  }
}

static EVP_PKEY *read_pem_key(const lm_buffer *pem, int private_key) {
  BIO *bio = BIO_new_mem_buf(pem->data, (int)pem->len);
  EVP_PKEY *key;

  if (bio == NULL) {
    fail_openssl("BIO_new_mem_buf");
  }
  key = private_key ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
                    : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
  if (BIO_free(bio) != 1) {
    fail_openssl("BIO_free");
  }
  if (key == NULL) {
    fail_openssl(private_key ? "PEM_read_bio_PrivateKey" : "PEM_read_bio_PUBKEY");
  }
  return key;
}

/* ------------------------------------------------------------ timed operations */

/* Each operation performs one call and exits on any unexpected result. */
typedef void (*operation)(struct fixture *fixture);

static void run_lm_verify(struct fixture *fixture) {
  lm_buffer payload = {0};
  lm_status status = lm_verify(fixture->verifier, fixture->token.data, fixture->token.len,
                               VERIFY_OPTIONS, &payload);

  if (status != LM_STATUS_OK) {
    fail_status(status, "lm_verify");
  }
  if (payload.len != strlen(PAYLOAD)) {
    fail("lm_verify returned a payload of another length");
  }
  lm_buffer_free(&payload);
}

static void run_openssl_verify(struct fixture *fixture) {
  EVP_MD_CTX *context = EVP_MD_CTX_new();
  EVP_PKEY_CTX *key_context = NULL;

  if (context == NULL) {
    fail_openssl("EVP_MD_CTX_new");
  }
  if (EVP_DigestVerifyInit(context, &key_context, fixture->digest, NULL, fixture->public_key) !=
      1) {
    fail_openssl("EVP_DigestVerifyInit");
  }
  set_pss(key_context, fixture->digest);
  if (EVP_DigestVerify(context, fixture->signature, fixture->signature_len,
                       fixture->signing_input, fixture->signing_input_len) != 1) {
    fail_openssl("EVP_DigestVerify");
  }
  EVP_MD_CTX_free(context);
}

static void run_lm_sign(struct fixture *fixture) {
  lm_buffer token = {0};

  check_status(lm_sign(fixture->signer, BYTES(PAYLOAD), &token), "lm_sign");
  if (token.len != fixture->token.len) {
    fail("lm_sign returned a token of another length");
  }
  lm_buffer_free(&token);
}

static void run_openssl_sign(struct fixture *fixture) {
  EVP_MD_CTX *context = EVP_MD_CTX_new();
  EVP_PKEY_CTX *key_context = NULL;
  size_t signature_len = fixture->modulus_len;

  if (context == NULL) {
    fail_openssl("EVP_MD_CTX_new");
  }
  if (EVP_DigestSignInit(context, &key_context, fixture->digest, NULL, fixture->private_key) !=
      1) {
    fail_openssl("EVP_DigestSignInit");
  }
  set_pss(key_context, fixture->digest);
  if (EVP_DigestSign(context, fixture->openssl_signature, &signature_len, fixture->signing_input,
                     fixture->signing_input_len) != 1) {
    fail_openssl("EVP_DigestSign");
  }
  if (signature_len != fixture->modulus_len) {
    fail("EVP_DigestSign returned a signature shorter than the modulus");
  }
  EVP_MD_CTX_free(context);
}

/* The ABI round trip alone: an export that does no work. */
static volatile uint32_t abi_version_sink;

static void run_lm_abi_version(struct fixture *fixture) {
  (void)fixture;
  abi_version_sink = lm_abi_version();
}

static void expect_malformed(lm_verifier *verifier, const char *options) {
  lm_buffer payload = {0};
  lm_status status = lm_verify(verifier, BYTES(MALFORMED_TOKEN), options, &payload);

  if (status != LM_STATUS_TOKEN_MALFORMED) {
    fail_status(status, "lm_verify of a malformed token (expected LM_STATUS_TOKEN_MALFORMED)");
  }
  if (payload.data != NULL || payload.len != 0) {
    fail("lm_verify left a payload after a failure");
  }
}

static void run_malformed_default_options(struct fixture *fixture) {
  expect_malformed(fixture->verifier, NULL);
}

static void run_malformed_with_options(struct fixture *fixture) {
  expect_malformed(fixture->verifier, VERIFY_OPTIONS);
}

/* ------------------------------------------------------------ measurement */

struct settings {
  int rounds;
  double batch_seconds;
  int bit_sizes[MAX_SIZES];
  int size_count;
};

/* Rates of one operation over the rounds: calls per second by wall clock and by CPU time. */
struct rates {
  long batch;
  double wall[MAX_ROUNDS];
  double cpu[MAX_ROUNDS];
};

/* Runs the operation for about 50 ms, which also warms caches, and sizes a batch from it. */
static long calibrate(operation run, struct fixture *fixture, double batch_seconds) {
  double start = clock_seconds(CLOCK_MONOTONIC);
  double elapsed;
  long calls = 0;

  do {
    run(fixture);
    calls++;
    elapsed = clock_seconds(CLOCK_MONOTONIC) - start;
  } while (elapsed < 0.05 || calls < 3);
  return calls * batch_seconds / elapsed < 1.0 ? 1 : (long)(calls * batch_seconds / elapsed);
}

static void time_batch(operation run, struct fixture *fixture, struct rates *rates, int round) {
  double wall_start = clock_seconds(CLOCK_MONOTONIC);
  double cpu_start = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);

  for (long i = 0; i < rates->batch; i++) {
    run(fixture);
  }
  rates->wall[round] = (double)rates->batch / (clock_seconds(CLOCK_MONOTONIC) - wall_start);
  rates->cpu[round] = (double)rates->batch / (clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start);
}

/* Times operations in alternation: each round runs one batch of each, in a rotating order. */
static void measure(operation *runs, struct rates *rates, int count, struct fixture *fixture,
                    const struct settings *settings) {
  for (int i = 0; i < count; i++) {
    rates[i].batch = calibrate(runs[i], fixture, settings->batch_seconds);
  }
  for (int round = 0; round < settings->rounds; round++) {
    for (int step = 0; step < count; step++) {
      int i = (round + step) % count;
      time_batch(runs[i], fixture, &rates[i], round);
    }
  }
}

/* Median rates of libcheckout and of OpenSSL for one operation, algorithm and key size. */
struct comparison {
  double lm_wall;
  double openssl_wall;
  double lm_cpu;
  double openssl_cpu;
};

static struct comparison compare(operation lm_run, operation openssl_run, struct fixture *fixture,
                                 const struct settings *settings) {
  operation runs[2] = {lm_run, openssl_run};
  struct rates rates[2];
  struct comparison result;

  measure(runs, rates, 2, fixture, settings);
  result.lm_wall = median(rates[0].wall, settings->rounds);
  result.openssl_wall = median(rates[1].wall, settings->rounds);
  result.lm_cpu = median(rates[0].cpu, settings->rounds);
  result.openssl_cpu = median(rates[1].cpu, settings->rounds);
  return result;
}

/* ------------------------------------------------------------ fixtures */

/* Signs with lm_sign, loads both libraries' keys and checks that each accepts the other's
 * signature, so the two timed paths verify and produce the same kind of token. */
static void prepare(struct fixture *fixture, const lm_buffer *private_pem,
                    const struct algorithm_info *algorithm) {
  lm_buffer public_pem = {0};
  lm_buffer payload = {0};
  const char *last_dot;
  char *encoded;
  char *openssl_token;
  size_t token_len;

  memset(fixture, 0, sizeof *fixture);
  check_status(lm_signer_from_pem(private_pem->data, private_pem->len, algorithm->jws_name,
                                  &fixture->signer),
               "lm_signer_from_pem");
  check_status(lm_sign(fixture->signer, BYTES(PAYLOAD), &fixture->token), "lm_sign");
  check_status(lm_signer_public_key_pem(fixture->signer, &public_pem), "lm_signer_public_key_pem");
  check_status(lm_verifier_from_pem(public_pem.data, public_pem.len, &fixture->verifier),
               "lm_verifier_from_pem");

  check_status(lm_verify(fixture->verifier, fixture->token.data, fixture->token.len,
                         VERIFY_OPTIONS, &payload),
               "lm_verify");
  if (payload.len != strlen(PAYLOAD) || memcmp(payload.data, PAYLOAD, payload.len) != 0) {
    fail("lm_verify returned a payload other than the one signed");
  }
  lm_buffer_free(&payload);

  last_dot = strrchr((const char *)fixture->token.data, '.');
  if (last_dot == NULL) {
    fail("lm_sign returned a token without '.'");
  }
  fixture->signing_input = fixture->token.data;
  fixture->signing_input_len = (size_t)(last_dot - (const char *)fixture->token.data);
  fixture->signature = base64url_decode(last_dot + 1, strlen(last_dot + 1), &fixture->signature_len);
  if (fixture->signature == NULL) {
    fail("the token's signature is not base64url");
  }

  fixture->private_key = read_pem_key(private_pem, 1);
  fixture->public_key = read_pem_key(&public_pem, 0);
  lm_buffer_free(&public_pem);
  fixture->digest = EVP_MD_fetch(NULL, algorithm->digest_name, NULL);
  if (fixture->digest == NULL) {
    fail_openssl("EVP_MD_fetch");
  }
  if (EVP_PKEY_get_size(fixture->public_key) <= 0) {
    fail_openssl("EVP_PKEY_get_size");
  }
  fixture->modulus_len = (size_t)EVP_PKEY_get_size(fixture->public_key);
  if (fixture->signature_len != fixture->modulus_len) {
    fail("lm_sign returned a signature shorter than the modulus");
  }
  fixture->openssl_signature = malloc(fixture->modulus_len);
  if (fixture->openssl_signature == NULL) {
    fail("out of memory");
  }

  /* OpenSSL accepts lm_sign's signature, and lm_verify accepts OpenSSL's. */
  run_openssl_verify(fixture);
  run_openssl_sign(fixture);
  encoded = base64url_encode(fixture->openssl_signature, fixture->modulus_len);
  token_len = fixture->signing_input_len + 1 + strlen(encoded);
  openssl_token = malloc(token_len + 1);
  if (openssl_token == NULL) {
    fail("out of memory");
  }
  memcpy(openssl_token, fixture->signing_input, fixture->signing_input_len);
  openssl_token[fixture->signing_input_len] = '.';
  strcpy(openssl_token + fixture->signing_input_len + 1, encoded);
  check_status(lm_verify(fixture->verifier, (const uint8_t *)openssl_token, token_len,
                         VERIFY_OPTIONS, &payload),
               "lm_verify of the token OpenSSL signed");
  lm_buffer_free(&payload);
  free(openssl_token);
  free(encoded);
}

static void release(struct fixture *fixture) {
  lm_signer_free(fixture->signer);
  lm_verifier_free(fixture->verifier);
  lm_buffer_free(&fixture->token);
  free(fixture->signature);
  free(fixture->openssl_signature);
  EVP_PKEY_free(fixture->private_key);
  EVP_PKEY_free(fixture->public_key);
  EVP_MD_free(fixture->digest);
  memset(fixture, 0, sizeof *fixture);
}

/* ------------------------------------------------------------ report */

struct row {
  const char *algorithm;
  int bits;
  struct comparison verify;
  struct comparison sign;
};

static void print_comparison_table(const struct row *rows, int count, int signing) {
  const char *lm_name = signing ? "lm_sign" : "lm_verify";
  const char *openssl_name = signing ? "EVP_DigestSign" : "EVP_DigestVerify";

  printf("| algorithm | bits | %s (wall) | %s (wall) | ratio (wall) | %s (CPU) | %s (CPU) | "
         "ratio (CPU) |\n",
         lm_name, openssl_name, lm_name, openssl_name);
  printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (int i = 0; i < count; i++) {
    const struct comparison *c = signing ? &rows[i].sign : &rows[i].verify;
    printf("| %s | %d | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f |\n", rows[i].algorithm,
           rows[i].bits, c->lm_wall, c->openssl_wall, c->lm_wall / c->openssl_wall, c->lm_cpu,
           c->openssl_cpu, c->lm_cpu / c->openssl_cpu);
  }
}

static void print_report(const struct settings *settings, const struct row *rows, int count,
                         const struct rates *overhead, int overhead_count,
                         const char *const *overhead_names) {
  /* These two lines continue the machine list that benches/c/run.sh writes above them. */
  printf("- OpenSSL (libcrypto as loaded): %s\n- libcheckout: ABI %u, version number %u\n\n",
         OpenSSL_version(OPENSSL_VERSION), lm_abi_version(), lm_version());
  printf("The program, `benches/c/bench.c`, calls libcheckout through `include/checkout.h` and\n"
         "OpenSSL's libcrypto in one process, for each algorithm and key size:\n\n"
         "- verify: `lm_verify` of a checkout token (payload of %zu bytes) with the options\n"
         "  `%s`,\n"
         "  which checks the signature and the license claims and returns a copy of the payload,\n"
         "  against `EVP_DigestVerify` of the same signing input and signature bytes with a key\n"
         "  parsed once. The signature is decoded from base64url before timing, so OpenSSL's\n"
         "  figure contains no base64url or JSON work.\n"
         "- sign: `lm_sign` of the payload, which encodes the header and payload, signs and\n"
         "  encodes the token, against `EVP_DigestSign` of the same signing input.\n\n"
         "Both sides use RSASSA-PSS with MGF1 over the same SHA-2 hash and a salt as long as the\n"
         "hash. Each OpenSSL call creates its `EVP_MD_CTX`, initializes it with a digest fetched\n"
         "once and sets the padding, as a caller does for every new token. libcheckout computes\n"
         "RSA with AWS-LC, so the ratios compare two RSA implementations as well as the work\n"
         "around them. The two calls of a row alternate in a rotating order: %d rounds, each with\n"
         "one batch of about %.0f ms per call, median round shown. Rates are calls per second by\n"
         "`CLOCK_MONOTONIC` (wall) and by `CLOCK_PROCESS_CPUTIME_ID` (CPU); a ratio is\n"
         "libcheckout's median over OpenSSL's, so above 1 means libcheckout is faster. The CPU\n"
         "time counts this process alone, so on a shared machine it varies less than the wall\n"
         "clock, which also counts the time other processes hold the cores.\n\n",
         strlen(PAYLOAD), VERIFY_OPTIONS, settings->rounds, settings->batch_seconds * 1000.0);

  printf("Verification:\n\n");
  print_comparison_table(rows, count, 0);
  printf("\nSigning:\n\n");
  print_comparison_table(rows, count, 1);

  printf("\nCalls that return before any RSA work give the cost of crossing the ABI: the panic\n"
         "guard, the pointer checks and, on failure, storing the message for\n"
         "`lm_last_error_message`. The malformed token is `%s`, which has no `.`\n"
         "separator; every call is checked for `LM_STATUS_TOKEN_MALFORMED`. Median of the same\n"
         "rounds, in nanoseconds per call:\n\n",
         MALFORMED_TOKEN);
  printf("| call | wall (ns) | CPU (ns) |\n| --- | ---: | ---: |\n");
  for (int i = 0; i < overhead_count; i++) {
    double wall[MAX_ROUNDS];
    double cpu[MAX_ROUNDS];

    memcpy(wall, overhead[i].wall, sizeof wall);
    memcpy(cpu, overhead[i].cpu, sizeof cpu);
    printf("| %s | %.1f | %.1f |\n", overhead_names[i], 1e9 / median(wall, settings->rounds),
           1e9 / median(cpu, settings->rounds));
  }
}

/* ------------------------------------------------------------ arguments */

static long parse_number(const char *text, long min, long max, const char *name) {
  char *end;
  long value;

  errno = 0;
  value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < min || value > max) {
    fprintf(stderr, "bench: %s is \"%s\"; use an integer from %ld to %ld\n", name, text, min,
            max);
    exit(2);
  }
  return value;
}

static void parse_bits(const char *text, struct settings *settings) {
  char copy[64];
  char *saveptr = NULL;

  if (strlen(text) >= sizeof copy) {
    fprintf(stderr, "bench: --bits \"%s\" is too long; use e.g. 2048,3072,4096\n", text);
    exit(2);
  }
  strcpy(copy, text);
  settings->size_count = 0;
  for (char *item = strtok_r(copy, ",", &saveptr); item != NULL;
       item = strtok_r(NULL, ",", &saveptr)) {
    long bits = parse_number(item, 1, 1000000, "--bits");
    if (bits != 2048 && bits != 3072 && bits != 4096) {
      fprintf(stderr, "bench: --bits contains %ld; use 2048, 3072 or 4096\n", bits);
      exit(2);
    }
    if (settings->size_count == MAX_SIZES) {
      fprintf(stderr, "bench: --bits lists more than %d sizes\n", MAX_SIZES);
      exit(2);
    }
    settings->bit_sizes[settings->size_count++] = (int)bits;
  }
  if (settings->size_count == 0) {
    fprintf(stderr, "bench: --bits is empty; use e.g. 2048,3072,4096\n");
    exit(2);
  }
}

static void parse_arguments(int argc, char **argv, struct settings *settings) {
  settings->rounds = 11;
  settings->batch_seconds = 0.1;
  settings->bit_sizes[0] = 2048;
  settings->bit_sizes[1] = 3072;
  settings->bit_sizes[2] = 4096;
  settings->size_count = 3;

  for (int i = 1; i < argc; i++) {
    int known = strcmp(argv[i], "--rounds") == 0 || strcmp(argv[i], "--batch-ms") == 0 ||
                strcmp(argv[i], "--bits") == 0;

    if (known && i + 1 >= argc) {
      fprintf(stderr, "bench: %s needs a value\n%s\n", argv[i], USAGE);
      exit(2);
    }
    if (strcmp(argv[i], "--rounds") == 0) {
      settings->rounds = (int)parse_number(argv[++i], 1, MAX_ROUNDS, "--rounds");
    } else if (strcmp(argv[i], "--batch-ms") == 0) {
      settings->batch_seconds = (double)parse_number(argv[++i], 1, 10000, "--batch-ms") / 1000.0;
    } else if (strcmp(argv[i], "--bits") == 0) {
      parse_bits(argv[++i], settings);
    } else {
      fprintf(stderr, "bench: unknown option %s\n%s\n", argv[i], USAGE);
      exit(2);
    }
  }
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv) {
  struct settings settings;
  struct row rows[MAX_SIZES * ALGORITHM_COUNT];
  int row_count = 0;
  struct fixture fixture;
  static const char *const overhead_names[] = {
      "`lm_abi_version()`, an export that does no work",
      "`lm_verify`, malformed token, options NULL",
      "`lm_verify`, malformed token, the options above",
  };
  operation overhead_runs[] = {run_lm_abi_version, run_malformed_default_options,
                               run_malformed_with_options};
  struct rates overhead[3];

  parse_arguments(argc, argv, &settings);
  if (lm_abi_version() != LM_ABI_VERSION) {
    fail("the loaded libcheckout has another ABI version than include/checkout.h");
  }

  for (int s = 0; s < settings.size_count; s++) {
    lm_buffer private_pem = {0};
    int bits = settings.bit_sizes[s];

    fprintf(stderr, "generating a %d-bit key\n", bits);
    check_status(lm_generate_key((uint32_t)bits, &private_pem), "lm_generate_key");
    for (int a = 0; a < ALGORITHM_COUNT; a++) {
      struct row *row = &rows[row_count++];

      row->algorithm = ALGORITHMS[a].jws_name;
      row->bits = bits;
      prepare(&fixture, &private_pem, &ALGORITHMS[a]);
      fprintf(stderr, "%s %d: verify\n", row->algorithm, bits);
      row->verify = compare(run_lm_verify, run_openssl_verify, &fixture, &settings);
      fprintf(stderr, "%s %d: sign\n", row->algorithm, bits);
      row->sign = compare(run_lm_sign, run_openssl_sign, &fixture, &settings);
      release(&fixture);
    }
    /* The PEM contains a private key, so it is cleared before the library frees it. */
    OPENSSL_cleanse(private_pem.data, private_pem.len);
    lm_buffer_free(&private_pem);
  }

  fprintf(stderr, "ABI round trip\n");
  {
    lm_buffer private_pem = {0};

    check_status(lm_generate_key(2048, &private_pem), "lm_generate_key");
    prepare(&fixture, &private_pem, &ALGORITHMS[0]);
    OPENSSL_cleanse(private_pem.data, private_pem.len);
    lm_buffer_free(&private_pem);
    measure(overhead_runs, overhead, 3, &fixture, &settings);
    release(&fixture);
  }

  print_report(&settings, rows, row_count, overhead, 3, overhead_names);
  return 0;
}
