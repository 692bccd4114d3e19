/*
 * Tests of the C ABI in include/checkout.h against the real library.
 *
 * Usage: abi_test [path/to/enterprise.json]
 * The default license path is relative to the repository root, where tests/c/run.sh runs it.
 * Prints one line per check, then "N passed, N failed"; exits 1 when any check failed.
 */
#define _POSIX_C_SOURCE 200809L

#include <checkout.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BYTES(text) (const uint8_t *)(text), strlen(text)

#define NODE_ID "100.20.15.10"
#define ACCOUNT_ID "123456789012"
#define FINGERPRINT "aws:" ACCOUNT_ID ":Example Vendor:issuer-fingerprint"
#define ARN_PREFIX "arn:aws:license-manager::" ACCOUNT_ID ":license:l-"
#define BORROW_TTL_SECONDS (4320L * 60L)
#define PROVISIONAL_TTL_SECONDS (60L * 60L)

#define THREAD_COUNT 8
#define BORROWS_PER_THREAD 2
#define LICENSE_MAX_COUNT 10

typedef lm_status (*store_operation)(lm_store *, const uint8_t *, size_t, lm_buffer *);

static int passed;
static int failed;

/* ---------------------------------------------------------------- checks */

static void report(int ok, const char *what, const char *detail) {
  if (ok) {
    passed++;
    printf("ok - %s\n", what);
  } else {
    failed++;
    printf("FAIL - %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  }
}

static void check(int ok, const char *what) { report(ok, what, NULL); }

static void check_status(lm_status got, lm_status want, const char *what) {
  char detail[1024];

  if (got == want) {
    report(1, what, NULL);
    return;
  }
  snprintf(detail, sizeof detail, "status %u (%s), expected %u (%s); last error: %s", (unsigned)got,
           lm_status_name(got), (unsigned)want, lm_status_name(want), lm_last_error_message());
  report(0, what, detail);
}

static void check_string(const char *got, const char *want, const char *what) {
  char detail[1024];
  int ok = got != NULL && strcmp(got, want) == 0;

  snprintf(detail, sizeof detail, "got \"%.400s\", expected \"%.400s\"", got ? got : "(null)",
           want);
  report(ok, what, ok ? NULL : detail);
}

static void check_contains(const char *haystack, const char *needle, const char *what) {
  char detail[1024];
  int ok = haystack != NULL && strstr(haystack, needle) != NULL;

  snprintf(detail, sizeof detail, "\"%.400s\" does not contain \"%.200s\"",
           haystack ? haystack : "(null)", needle);
  report(ok, what, ok ? NULL : detail);
}

static void check_prefix(const char *text, const char *prefix, const char *what) {
  char detail[1024];
  int ok = text != NULL && strncmp(text, prefix, strlen(prefix)) == 0;

  snprintf(detail, sizeof detail, "\"%.400s\" does not start with \"%.200s\"",
           text ? text : "(null)",
           prefix);
  report(ok, what, ok ? NULL : detail);
}

static void check_long(long got, long want, const char *what) {
  char detail[128];

  snprintf(detail, sizeof detail, "got %ld, expected %ld", got, want);
  report(got == want, what, got == want ? NULL : detail);
}

/* Checks that a buffer returned with LM_STATUS_OK has data, NUL-terminated after len. */
static void check_buffer(const lm_buffer *buffer, const char *what) {
  char detail[256];
  int ok = buffer->data != NULL && buffer->data[buffer->len] == 0 &&
           strlen((const char *)buffer->data) == buffer->len;

  snprintf(detail, sizeof detail, "data %s, len %zu", buffer->data ? "set" : "NULL", buffer->len);
  report(ok, what, ok ? NULL : detail);
}

/* Checks that a failing call left its output buffer zeroed. */
static void check_zeroed(const lm_buffer *buffer, const char *what) {
  char detail[128];
  int ok = buffer->data == NULL && buffer->len == 0;

  snprintf(detail, sizeof detail, "data %p, len %zu", (void *)buffer->data, buffer->len);
  report(ok, what, ok ? NULL : detail);
}

/*
 * Returns an output buffer filled with a recognizable non-NULL value, which catches a failing call
 * that does not zero its output. The library never reads or frees what an output contains.
 */
static uint8_t poison_byte = 0x5a;

static lm_buffer poisoned_buffer(void) {
  lm_buffer buffer;

  buffer.data = &poison_byte;
  buffer.len = 77;
  return buffer;
}

/* Frees a buffer unless it still contains the poison value, which the library did not allocate. */
static void release(lm_buffer *buffer) {
  if (buffer->data != &poison_byte) {
    lm_buffer_free(buffer);
  }
}

/* Aligned storage whose address is the poison value for handle outputs. */
static union {
  void *pointer;
  long long integer;
  double real;
} poison_handle;

/* ---------------------------------------------------------------- text helpers */

static char *format(const char *fmt, ...) {
  va_list args;
  int length;
  char *text;

  va_start(args, fmt);
  length = vsnprintf(NULL, 0, fmt, args);
  va_end(args);
  if (length < 0) {
    abort();
  }

  text = malloc((size_t)length + 1);
  if (text == NULL) {
    abort();
  }
  va_start(args, fmt);
  vsnprintf(text, (size_t)length + 1, fmt, args);
  va_end(args);
  return text;
}

/* Returns a copy of text with the first occurrence of from replaced by to, or NULL without one. */
static char *replace_first(const char *text, const char *from, const char *to) {
  const char *at = strstr(text, from);

  if (at == NULL) {
    return NULL;
  }
  return format("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

static char *read_file(const char *path) {
  FILE *file = fopen(path, "rb");
  char *text;
  long size;

  if (file == NULL) {
    return NULL;
  }
  if (fseek(file, 0, SEEK_END) != 0 || (size = ftell(file)) < 0 || fseek(file, 0, SEEK_SET) != 0) {
    fclose(file);
    return NULL;
  }

  text = malloc((size_t)size + 1);
  if (text == NULL || fread(text, 1, (size_t)size, file) != (size_t)size) {
    free(text);
    fclose(file);
    return NULL;
  }
  text[size] = 0;
  fclose(file);
  return text;
}

/*
 * Returns a copy of the first string value of a member named key, or NULL. Escape sequences are
 * copied as written, because the values read here contain none. A match of key as a string value
 * instead of a member name is skipped.
 */
static char *json_string(const char *json, const char *key) {
  char *quoted = format("\"%s\"", key);
  const char *at = json;
  char *value = NULL;

  while (json != NULL && (at = strstr(at, quoted)) != NULL) {
    const char *cursor = at + strlen(quoted);
    const char *end;

    at = cursor;
    while (*cursor == ' ' || *cursor == '\n' || *cursor == '\r' || *cursor == '\t') {
      cursor++;
    }
    if (*cursor != ':') {
      continue;
    }
    cursor++;
    while (*cursor == ' ' || *cursor == '\n' || *cursor == '\r' || *cursor == '\t') {
      cursor++;
    }
    if (*cursor != '"') {
      continue;
    }

    cursor++;
    for (end = cursor; *end != 0 && *end != '"'; end++) {
      if (*end == '\\' && end[1] != 0) {
        end++;
      }
    }
    value = format("%.*s", (int)(end - cursor), cursor);
    break;
  }

  free(quoted);
  return value;
}

/* Like json_string for a member whose value is a JSON integer; returns -1 when it is absent. */
static long long json_integer(const char *json, const char *key) {
  char *quoted = format("\"%s\"", key);
  const char *at = json;
  long long value = -1;

  while (json != NULL && (at = strstr(at, quoted)) != NULL) {
    const char *cursor = at + strlen(quoted);

    at = cursor;
    while (*cursor == ' ') {
      cursor++;
    }
    if (*cursor != ':') {
      continue;
    }
    cursor++;
    while (*cursor == ' ') {
      cursor++;
    }
    if (*cursor >= '0' && *cursor <= '9') {
      value = strtoll(cursor, NULL, 10);
      break;
    }
  }

  free(quoted);
  return value;
}

static int json_has_member(const char *json, const char *key) {
  char *quoted = format("\"%s\"", key);
  const char *at = json;
  int found = 0;

  while (!found && (at = strstr(at, quoted)) != NULL) {
    const char *cursor = at + strlen(quoted);

    while (*cursor == ' ') {
      cursor++;
    }
    found = *cursor == ':';
    at = at + strlen(quoted);
  }

  free(quoted);
  return found;
}

/* Counts the members named key whose string value is exactly value. */
static int json_count(const char *json, const char *key, const char *value) {
  int count = 0;
  const char *at = json;
  char *quoted_key = format("\"%s\"", key);

  while ((at = strstr(at, quoted_key)) != NULL) {
    char *found = json_string(at, key);

    if (found != NULL && strcmp(found, value) == 0) {
      count++;
    }
    free(found);
    at += strlen(quoted_key);
  }

  free(quoted_key);
  return count;
}

static int is_lower_hex(const char *text, size_t length) {
  size_t i;

  if (text == NULL || strlen(text) != length) {
    return 0;
  }
  for (i = 0; i < length; i++) {
    if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f'))) {
      return 0;
    }
  }
  return 1;
}

static int is_base64url(const char *text, size_t length) {
  size_t i;

  if (text == NULL || strlen(text) != length) {
    return 0;
  }
  for (i = 0; i < length; i++) {
    char c = text[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_')) {
      return 0;
    }
  }
  return 1;
}

/*
 * Decodes base64 or base64url text into a new buffer, skipping line breaks and stopping at "=".
 * The result may contain NUL bytes, so its length is written to out_length.
 */
static uint8_t *decode_base64(const char *text, size_t length, size_t *out_length) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  uint8_t *out = malloc(length + 1);
  size_t written = 0;
  unsigned bits = 0;
  int bit_count = 0;
  size_t i;

  if (out == NULL) {
    abort();
  }
  for (i = 0; i < length && text[i] != '='; i++) {
    const char *position = text[i] == 0 ? NULL : strchr(alphabet, text[i]);
    unsigned sextet;

    if (text[i] == '\n' || text[i] == '\r') {
      continue;
    }
    if (position != NULL) {
      sextet = (unsigned)(position - alphabet);
    } else if (text[i] == '+' || text[i] == '-') {
      sextet = 62;
    } else if (text[i] == '/' || text[i] == '_') {
      sextet = 63;
    } else {
      break;
    }

    bits = ((bits << 6) | sextet) & 0xffffu;
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out[written++] = (uint8_t)((bits >> bit_count) & 0xff);
    }
  }
  out[written] = 0;
  *out_length = written;
  return out;
}

/* Decodes the first segment of a compact JWS (the protected header) into a new string. */
static char *jws_header(const char *token) {
  const char *dot = strchr(token, '.');
  size_t length;

  return (char *)decode_base64(token, dot ? (size_t)(dot - token) : 0, &length);
}

/* Converts the first PEM block of text to DER; returns NULL when text has no PEM block. */
static uint8_t *pem_to_der(const char *pem, size_t *der_length) {
  const char *body = strchr(pem, '\n');
  const char *end = body ? strstr(body, "-----END ") : NULL;

  if (end == NULL) {
    return NULL;
  }
  return decode_base64(body + 1, (size_t)(end - body - 1), der_length);
}

static int count_char(const char *text, char wanted) {
  int count = 0;

  for (; *text != 0; text++) {
    count += *text == wanted;
  }
  return count;
}

/* Converts "YYYY-MM-DDThh:mm:ss" (UTC) to Unix seconds, or returns -1. */
static long long unix_seconds(const char *text) {
  int year, month, day, hour, minute, second;
  long long era_year, era, year_of_era, day_of_year, day_of_era, days;

  if (text == NULL ||
      sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &day, &hour, &minute, &second) != 6) {
    return -1;
  }

  /* Days since 1970-01-01 in the proleptic Gregorian calendar, counting years from March. */
  era_year = month <= 2 ? year - 1 : year;
  era = era_year / 400;
  year_of_era = era_year - era * 400;
  day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  days = era * 146097 + day_of_era - 719468;
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

/* ---------------------------------------------------------------- shared state */

struct fixture {
  lm_buffer private_pem;
  lm_signer *signer;
  char *kid;
  lm_buffer public_pem;
  lm_verifier *verifier;
  lm_verifier *jwks_verifier;
  lm_store *store;
  char directory[64];
  char *database;
  char *license_template;
  char *license_arn;
  char *borrow_token;
  char *consumption_token;
};

static lm_status run_operation(store_operation operation, lm_store *store, const char *request,
                               lm_buffer *out) {
  *out = poisoned_buffer();
  return operation(store, BYTES(request), out);
}

static lm_status run_checkout(lm_store *store, const lm_signer *signer, const char *request,
                              lm_buffer *out) {
  *out = poisoned_buffer();
  return lm_checkout(store, signer, BYTES(request), out);
}

static lm_status run_verify(const lm_verifier *verifier, const char *token, const char *options,
                            lm_buffer *out) {
  *out = poisoned_buffer();
  return lm_verify(verifier, BYTES(token), options, out);
}

/* Builds a CreateLicense request from the sample with a signing key and ClientToken of choice. */
static char *license_request(const struct fixture *fixture, const char *sign_key,
                             const char *client_token) {
  char *signed_request =
      replace_first(fixture->license_template, "REPLACED-BY-THE-SIGNING-KEY-THUMBPRINT", sign_key);
  char *request =
      replace_first(signed_request, "create-example-analytics-enterprise-1", client_token);

  free(signed_request);
  if (request == NULL) {
    fprintf(stderr, "the sample license no longer has the expected SignKey or ClientToken\n");
    abort();
  }
  return request;
}

static char *borrow_request(const char *license_arn, const char *entitlement, const char *unit,
                            const char *method, const char *client_token) {
  return format("{\"LicenseArn\": \"%s\", \"Entitlements\": [{\"Name\": \"%s\", \"Value\": \"1\", "
                "\"Unit\": \"%s\"}], \"DigitalSignatureMethod\": \"%s\", \"NodeId\": \"" NODE_ID
                "\", \"CheckoutMetadata\": [{\"Name\": \"Mac\", \"Value\": \"ABCDEFGHI\"}], "
                "\"ClientToken\": \"%s\"}",
                license_arn, entitlement, unit, method, client_token);
}

static char *usage_of(lm_store *store, const char *license_arn) {
  char *request = format("{\"LicenseArn\": \"%s\"}", license_arn);
  lm_buffer response;
  lm_status status = run_operation(lm_get_license_usage, store, request, &response);
  char *consumed = NULL;

  check_status(status, LM_STATUS_OK, "lm_get_license_usage succeeds");
  if (status == LM_STATUS_OK) {
    check_buffer(&response, "lm_get_license_usage buffer is NUL-terminated after len");
    check_long(json_count((const char *)response.data, "Name", "EntitlementCount"), 1,
               "usage lists EntitlementCount");
    consumed = json_string((const char *)response.data, "ConsumedValue");
    check(json_count((const char *)response.data, "Name", "EnterpriseTier") == 0,
          "usage leaves out the Unit None entitlement");
  }

  release(&response);
  free(request);
  return consumed;
}

static void check_usage(lm_store *store, const char *license_arn, const char *expected,
                        const char *what) {
  char *consumed = usage_of(store, license_arn);

  check_string(consumed, expected, what);
  free(consumed);
}

/* ---------------------------------------------------------------- sections */

static void test_before_any_failure(void) {
  const char *message = lm_last_error_message();

  check(message != NULL, "lm_last_error_message is never NULL");
  check_string(message, "", "lm_last_error_message is empty before any failure");
}

static void test_versions(void) {
  check_long((long)lm_abi_version(), 1, "lm_abi_version() is 1");
  check_long((long)lm_version(), (long)LM_VERSION_NUMBER, "lm_version() is LM_VERSION_NUMBER");
}

static void test_status_names(void) {
  static const struct {
    uint32_t constant;
    uint32_t value;
    const char *name;
  } statuses[] = {
      {LM_STATUS_OK, 0, "LM_STATUS_OK"},
      {LM_STATUS_INVALID_ARGUMENT, 100, "LM_STATUS_INVALID_ARGUMENT"},
      {LM_STATUS_VALIDATION, 101, "LM_STATUS_VALIDATION"},
      {LM_STATUS_KEY_INVALID, 200, "LM_STATUS_KEY_INVALID"},
      {LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD, 201, "LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD"},
      {LM_STATUS_TOKEN_MALFORMED, 300, "LM_STATUS_TOKEN_MALFORMED"},
      {LM_STATUS_SIGNATURE_INVALID, 301, "LM_STATUS_SIGNATURE_INVALID"},
      {LM_STATUS_TOKEN_EXPIRED, 302, "LM_STATUS_TOKEN_EXPIRED"},
      {LM_STATUS_TOKEN_NOT_YET_VALID, 303, "LM_STATUS_TOKEN_NOT_YET_VALID"},
      {LM_STATUS_NODE_MISMATCH, 304, "LM_STATUS_NODE_MISMATCH"},
      {LM_STATUS_ENTITLEMENT_MISSING, 305, "LM_STATUS_ENTITLEMENT_MISSING"},
      {LM_STATUS_NOT_FOUND, 400, "LM_STATUS_NOT_FOUND"},
      {LM_STATUS_NO_ENTITLEMENTS_ALLOWED, 401, "LM_STATUS_NO_ENTITLEMENTS_ALLOWED"},
      {LM_STATUS_ENTITLEMENT_NOT_ALLOWED, 402, "LM_STATUS_ENTITLEMENT_NOT_ALLOWED"},
      {LM_STATUS_CONFLICT, 403, "LM_STATUS_CONFLICT"},
      {LM_STATUS_STORE, 500, "LM_STATUS_STORE"},
      {LM_STATUS_SIGNER, 501, "LM_STATUS_SIGNER"},
      {LM_STATUS_INTERNAL, 900, "LM_STATUS_INTERNAL"},
  };
  static const uint32_t unknown[] = {1, 99, 102, 306, 999, 12345, 0xffffffffu};
  size_t i;

  for (i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
    char *what = format("%s has the value %u", statuses[i].name, (unsigned)statuses[i].value);
    check_long((long)statuses[i].constant, (long)statuses[i].value, what);
    free(what);

    what = format("lm_status_name(%u) is %s", (unsigned)statuses[i].value, statuses[i].name);
    check_string(lm_status_name(statuses[i].value), statuses[i].name, what);
    free(what);
  }

  for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    char *what = format("lm_status_name(%u) is LM_STATUS_UNKNOWN", (unsigned)unknown[i]);
    check_string(lm_status_name(unknown[i]), "LM_STATUS_UNKNOWN", what);
    free(what);
  }
}

static void test_generate_key(struct fixture *fixture) {
  lm_buffer key = poisoned_buffer();
  lm_status status;

  status = lm_generate_key(1024, &key);
  check_status(status, LM_STATUS_INVALID_ARGUMENT, "lm_generate_key(1024) is rejected");
  check_zeroed(&key, "lm_generate_key(1024) zeroes its output");
  check_contains(lm_last_error_message(), "1024", "lm_generate_key(1024) message names 1024");
  check(strcmp(lm_last_error_message(), "") != 0, "lm_last_error_message is set after a failure");

  status = lm_generate_key(2048, NULL);
  check_status(status, LM_STATUS_INVALID_ARGUMENT, "lm_generate_key(2048, NULL) is rejected");

  fixture->private_pem = poisoned_buffer();
  status = lm_generate_key(2048, &fixture->private_pem);
  check_status(status, LM_STATUS_OK, "lm_generate_key(2048) succeeds after a failure");
  if (status != LM_STATUS_OK) {
    fprintf(stderr, "cannot go on without a key\n");
    exit(1);
  }
  check_buffer(&fixture->private_pem, "generated key is NUL-terminated after len");
  check_prefix((const char *)fixture->private_pem.data, "-----BEGIN PRIVATE KEY-----\n",
               "generated key is PKCS#8 PEM");
  check_contains((const char *)fixture->private_pem.data, "-----END PRIVATE KEY-----",
                 "generated key PEM has its end line");
}

static void test_signer(struct fixture *fixture) {
  lm_signer *signer = (lm_signer *)&poison_handle;
  lm_buffer jwk = poisoned_buffer();
  lm_buffer again = poisoned_buffer();
  lm_status status;
  char *text;

  status = lm_signer_from_pem(BYTES("not a key"), NULL, &signer);
  check_status(status, LM_STATUS_KEY_INVALID, "lm_signer_from_pem rejects text that is no key");
  check(signer == NULL, "lm_signer_from_pem clears its output on failure");

  signer = (lm_signer *)&poison_handle;
  status = lm_signer_from_pem(fixture->private_pem.data, fixture->private_pem.len, "RS256",
                              &signer);
  check_status(status, LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD, "lm_signer_from_pem rejects RS256");
  check(signer == NULL, "lm_signer_from_pem clears its output after RS256");
  check_contains(lm_last_error_message(), "RS256", "RS256 message names the algorithm");

  signer = NULL;
  status = lm_signer_from_pem(fixture->private_pem.data, fixture->private_pem.len, "PS512",
                              &signer);
  check_status(status, LM_STATUS_OK, "lm_signer_from_pem accepts PS512");
  check(signer != NULL, "lm_signer_from_pem sets its output");
  lm_signer_free(signer);

  fixture->signer = NULL;
  status = lm_signer_from_pem(fixture->private_pem.data, fixture->private_pem.len, NULL,
                              &fixture->signer);
  check_status(status, LM_STATUS_OK, "lm_signer_from_pem with the default algorithm");
  if (status != LM_STATUS_OK) {
    fprintf(stderr, "cannot go on without a signer\n");
    exit(1);
  }

  status = lm_signer_public_jwk(fixture->signer, &jwk);
  check_status(status, LM_STATUS_OK, "lm_signer_public_jwk succeeds");
  check_buffer(&jwk, "public JWK is NUL-terminated after len");
  text = (char *)jwk.data;
  fixture->kid = json_string(text, "kid");
  check(is_base64url(fixture->kid, 43), "JWK kid is a 43-character base64url thumbprint");
  {
    char *kty = json_string(text, "kty");
    char *use = json_string(text, "use");
    char *exponent = json_string(text, "e");
    char *modulus = json_string(text, "n");

    check_string(kty, "RSA", "JWK kty is RSA");
    check_string(use, "sig", "JWK use is sig");
    check_string(exponent, "AQAB", "JWK e is 65537");
    check(modulus != NULL && strlen(modulus) == 342, "JWK n encodes 256 bytes");
    free(kty);
    free(use);
    free(exponent);
    free(modulus);
  }
  check(!json_has_member(text, "alg"), "JWK has no alg member");

  status = lm_signer_public_jwk(fixture->signer, &again);
  check_status(status, LM_STATUS_OK, "lm_signer_public_jwk succeeds twice");
  check(again.len == jwk.len && memcmp(again.data, jwk.data, jwk.len) == 0,
        "lm_signer_public_jwk is deterministic");
  release(&again);
  release(&jwk);

  fixture->public_pem = poisoned_buffer();
  status = lm_signer_public_key_pem(fixture->signer, &fixture->public_pem);
  check_status(status, LM_STATUS_OK, "lm_signer_public_key_pem succeeds");
  check_buffer(&fixture->public_pem, "public key PEM is NUL-terminated after len");
  check_prefix((const char *)fixture->public_pem.data, "-----BEGIN PUBLIC KEY-----\n",
               "public key PEM is SubjectPublicKeyInfo");

  signer = (lm_signer *)&poison_handle;
  status = lm_signer_from_pem(fixture->public_pem.data, fixture->public_pem.len, NULL, &signer);
  check_status(status, LM_STATUS_KEY_INVALID, "lm_signer_from_pem rejects a public key");
  check(signer == NULL, "lm_signer_from_pem clears its output after a public key");
}

static void test_verifiers(struct fixture *fixture) {
  lm_verifier *verifier = (lm_verifier *)&poison_handle;
  lm_buffer jwk = poisoned_buffer();
  lm_status status;
  char *jwks;

  status = lm_verifier_from_pem(fixture->private_pem.data, fixture->private_pem.len, &verifier);
  check_status(status, LM_STATUS_KEY_INVALID, "lm_verifier_from_pem rejects a private key");
  check(verifier == NULL, "lm_verifier_from_pem clears its output on failure");
  check_contains(lm_last_error_message(), "public", "private key message asks for the public key");

  fixture->verifier = NULL;
  status = lm_verifier_from_pem(fixture->public_pem.data, fixture->public_pem.len,
                                &fixture->verifier);
  check_status(status, LM_STATUS_OK, "lm_verifier_from_pem succeeds after a failure");
  if (status != LM_STATUS_OK) {
    fprintf(stderr, "cannot go on without a verifier\n");
    exit(1);
  }

  status = lm_signer_public_jwk(fixture->signer, &jwk);
  check_status(status, LM_STATUS_OK, "lm_signer_public_jwk for a JWKS");
  jwks = format("{\"keys\": [%s]}", (const char *)jwk.data);

  fixture->jwks_verifier = NULL;
  status = lm_verifier_from_jwks(BYTES(jwks), &fixture->jwks_verifier);
  check_status(status, LM_STATUS_OK, "lm_verifier_from_jwks accepts a key set");

  verifier = NULL;
  status = lm_verifier_from_jwks(jwk.data, jwk.len, &verifier);
  check_status(status, LM_STATUS_OK, "lm_verifier_from_jwks accepts a single JWK");
  lm_verifier_free(verifier);

  verifier = (lm_verifier *)&poison_handle;
  status = lm_verifier_from_jwks(BYTES("{\"keys\": []}"), &verifier);
  check_status(status, LM_STATUS_KEY_INVALID, "lm_verifier_from_jwks rejects an empty set");
  check(verifier == NULL, "lm_verifier_from_jwks clears its output on failure");

  verifier = (lm_verifier *)&poison_handle;
  status = lm_verifier_from_jwks(BYTES("{\"keys\": ["), &verifier);
  check_status(status, LM_STATUS_INVALID_ARGUMENT, "lm_verifier_from_jwks rejects broken JSON");
  check(verifier == NULL, "lm_verifier_from_jwks clears its output after broken JSON");

  free(jwks);
  release(&jwk);
}

/* DER keys contain NUL bytes, so they also check that lengths, not NULs, end a document. */
static void test_der_keys(struct fixture *fixture) {
  size_t public_length = 0;
  size_t private_length = 0;
  uint8_t *public_der = pem_to_der((const char *)fixture->public_pem.data, &public_length);
  uint8_t *private_der = pem_to_der((const char *)fixture->private_pem.data, &private_length);
  lm_verifier *verifier = NULL;
  lm_signer *signer = NULL;
  lm_buffer jwk = poisoned_buffer();
  lm_status status;

  check(public_der != NULL && public_der[0] == 0x30 && memchr(public_der, 0, public_length) != NULL,
        "public key DER starts with 0x30 and contains a NUL byte");
  status = lm_verifier_from_pem(public_der, public_length, &verifier);
  check_status(status, LM_STATUS_OK, "lm_verifier_from_pem accepts SubjectPublicKeyInfo DER");
  lm_verifier_free(verifier);

  verifier = (lm_verifier *)&poison_handle;
  status = lm_verifier_from_pem(public_der, public_length - 1, &verifier);
  check_status(status, LM_STATUS_KEY_INVALID, "lm_verifier_from_pem rejects truncated DER");
  check(verifier == NULL, "truncated DER clears the verifier output");

  status = lm_signer_from_pem(private_der, private_length, "PS384", &signer);
  check_status(status, LM_STATUS_OK, "lm_signer_from_pem accepts PKCS#8 DER");
  status = lm_signer_public_jwk(signer, &jwk);
  check_status(status, LM_STATUS_OK, "lm_signer_public_jwk of the DER signer");
  if (status == LM_STATUS_OK) {
    char *kid = json_string((const char *)jwk.data, "kid");

    check_string(kid, fixture->kid, "the DER signer has the PEM signer's kid");
    free(kid);
  }

  release(&jwk);
  lm_signer_free(signer);
  free(public_der);
  free(private_der);
}

/* Short text parameters are NUL-terminated UTF-8; other bytes are an invalid argument. */
static void test_non_utf8_text(struct fixture *fixture) {
  lm_signer *signer = (lm_signer *)&poison_handle;
  lm_store *store = (lm_store *)&poison_handle;
  lm_buffer payload = poisoned_buffer();
  lm_status status;

  status = lm_signer_from_pem(fixture->private_pem.data, fixture->private_pem.len, "PS\xff",
                              &signer);
  check_status(status, LM_STATUS_INVALID_ARGUMENT, "lm_signer_from_pem rejects a non-UTF-8 alg");
  check(signer == NULL, "a non-UTF-8 alg clears the signer output");

  status = lm_store_open("licenses-\xff.db", &store);
  check_status(status, LM_STATUS_INVALID_ARGUMENT, "lm_store_open rejects a non-UTF-8 location");
  check(store == NULL, "a non-UTF-8 location clears the store output");

  status = lm_verify(fixture->verifier, BYTES(fixture->borrow_token), "{\"nodeId\": \"\xff\"}",
                     &payload);
  check_status(status, LM_STATUS_INVALID_ARGUMENT, "lm_verify rejects non-UTF-8 options");
  check_zeroed(&payload, "non-UTF-8 options zero the payload output");
  check_contains(lm_last_error_message(), "UTF-8", "non-UTF-8 options message says UTF-8");
}

static void test_stores(struct fixture *fixture) {
  lm_store *store = (lm_store *)&poison_handle;
  char *location;
  lm_status status;

  status = lm_store_open(":memory:", &store);
  check_status(status, LM_STATUS_OK, "lm_store_open(\":memory:\") succeeds");
  lm_store_close(store);

  store = (lm_store *)&poison_handle;
  status = lm_store_open("/nonexistent-libcheckout-folder/licenses.db", &store);
  check_status(status, LM_STATUS_STORE, "lm_store_open in a missing folder fails");
  check(store == NULL, "lm_store_open clears its output on failure");

  store = (lm_store *)&poison_handle;
  status = lm_store_open_with_options(":memory:", "{\"acountId\": \"" ACCOUNT_ID "\"}", &store);
  check_status(status, LM_STATUS_INVALID_ARGUMENT, "store options reject an unknown member");
  check(store == NULL, "lm_store_open_with_options clears its output on failure");
  check_contains(lm_last_error_message(), "acountId", "store option message names the member");

  store = (lm_store *)&poison_handle;
  status = lm_store_open_with_options(":memory:", "{", &store);
  check_status(status, LM_STATUS_INVALID_ARGUMENT, "store options reject broken JSON");
  check(store == NULL, "lm_store_open_with_options clears its output after broken JSON");

  strcpy(fixture->directory, "/tmp/libcheckout-abi-XXXXXX");
  if (mkdtemp(fixture->directory) == NULL) {
    perror("mkdtemp");
    exit(1);
  }
  fixture->database = format("%s/licenses.db", fixture->directory);
  location = fixture->database;

  fixture->store = NULL;
  status = lm_store_open_with_options(
      location, "{\"accountId\": \"" ACCOUNT_ID "\", \"synchronous\": \"FULL\"}", &fixture->store);
  check_status(status, LM_STATUS_OK, "lm_store_open_with_options on a new file succeeds");
  if (status != LM_STATUS_OK) {
    fprintf(stderr, "cannot go on without a store\n");
    exit(1);
  }
}

static void test_create_license(struct fixture *fixture) {
  lm_buffer response;
  lm_buffer replay;
  lm_status status;
  char *request;
  char *changed;
  char *text;

  request = license_request(fixture, "REPLACED-BY-THE-SIGNING-KEY-THUMBPRINT", "create-bad-key");
  status = run_operation(lm_create_license, fixture->store, request, &response);
  check_status(status, LM_STATUS_VALIDATION,
               "lm_create_license rejects a SignKey that is no thumbprint");
  check_zeroed(&response, "lm_create_license zeroes its output on failure");
  check_prefix(lm_last_error_message(), "ValidationException",
               "SignKey message starts with the AWS name");
  check_contains(lm_last_error_message(), "SignKey", "SignKey message names the member");
  free(request);

  status = run_operation(lm_create_license, fixture->store, "{}", &response);
  check_status(status, LM_STATUS_VALIDATION, "lm_create_license rejects {}");
  check_zeroed(&response, "lm_create_license zeroes its output after {}");

  status = run_operation(lm_create_license, fixture->store, "{\"LicenseName\": \"\xff\"}",
                         &response);
  check_status(status, LM_STATUS_INVALID_ARGUMENT, "lm_create_license rejects invalid UTF-8");
  check_contains(lm_last_error_message(), "UTF-8", "invalid UTF-8 message says UTF-8");

  request = license_request(fixture, fixture->kid, "create-1");
  status = run_operation(lm_create_license, fixture->store, request, &response);
  check_status(status, LM_STATUS_OK, "lm_create_license succeeds after failures");
  if (status != LM_STATUS_OK) {
    fprintf(stderr, "cannot go on without a license\n");
    exit(1);
  }
  check_buffer(&response, "lm_create_license buffer is NUL-terminated after len");
  text = (char *)response.data;
  fixture->license_arn = json_string(text, "LicenseArn");
  check_prefix(fixture->license_arn, ARN_PREFIX, "LicenseArn names the store's account");
  check(fixture->license_arn != NULL && strlen(fixture->license_arn) == strlen(ARN_PREFIX) + 32 &&
            is_lower_hex(fixture->license_arn + strlen(ARN_PREFIX), 32),
        "LicenseArn ends with l- and 32 hex digits");
  {
    char *license_status = json_string(text, "Status");
    char *version = json_string(text, "Version");

    check_string(license_status, "AVAILABLE", "created license is AVAILABLE");
    check_string(version, "1", "created license has Version 1");
    free(license_status);
    free(version);
  }

  status = run_operation(lm_create_license, fixture->store, request, &replay);
  check_status(status, LM_STATUS_OK, "lm_create_license replay succeeds");
  check(replay.len == response.len && memcmp(replay.data, response.data, response.len) == 0,
        "lm_create_license replay returns the same bytes");
  release(&replay);

  changed = replace_first(request, "Example Analytics Enterprise", "Another Name");
  status = run_operation(lm_create_license, fixture->store, changed, &replay);
  check_status(status, LM_STATUS_CONFLICT, "ClientToken reused with another request is a conflict");
  check_zeroed(&replay, "conflicting create zeroes its output");
  free(changed);

  release(&response);
  free(request);
}

static void test_get_license(struct fixture *fixture) {
  char *request = format("{\"LicenseArn\": \"%s\"}", fixture->license_arn);
  char *unknown_arn = format("%s00000000000000000000000000000000", ARN_PREFIX);
  char *unknown = format("{\"LicenseArn\": \"%s\"}", unknown_arn);
  lm_buffer response;
  lm_status status;

  status = run_operation(lm_get_license, fixture->store, unknown, &response);
  check_status(status, LM_STATUS_NOT_FOUND, "lm_get_license of an unknown ARN");
  check_zeroed(&response, "lm_get_license zeroes its output on failure");
  check_contains(lm_last_error_message(), unknown_arn, "not-found message names the ARN");

  status = run_operation(lm_get_license, fixture->store, request, &response);
  check_status(status, LM_STATUS_OK, "lm_get_license succeeds after a failure");
  if (status == LM_STATUS_OK) {
    const char *text = (const char *)response.data;
    char *arn = json_string(text, "LicenseArn");
    char *license_status = json_string(text, "Status");
    char *sign_key = json_string(text, "SignKey");
    char *fingerprint = json_string(text, "KeyFingerprint");
    char *sku = json_string(text, "ProductSKU");

    check_buffer(&response, "lm_get_license buffer is NUL-terminated after len");
    check(json_has_member(text, "License"), "GetLicense response wraps a License");
    check_string(arn, fixture->license_arn, "GetLicense returns the ARN");
    check_string(license_status, "AVAILABLE", "GetLicense Status is AVAILABLE");
    check_string(sign_key, fixture->kid, "GetLicense SignKey is the signer's kid");
    check_string(fingerprint, FINGERPRINT, "KeyFingerprint is derived from account and issuer");
    check_string(sku, "EXAMPLE-ANALYTICS-ENT", "GetLicense returns the ProductSKU");
    check_long((long)json_integer(text, "MaxCount"), LICENSE_MAX_COUNT,
               "MaxCount is the number 10");
    check(strstr(text, "null") == NULL, "GetLicense response contains no null");
    free(arn);
    free(license_status);
    free(sign_key);
    free(fingerprint);
    free(sku);
  }

  release(&response);
  free(request);
  free(unknown);
  free(unknown_arn);
}

static void test_borrow(struct fixture *fixture) {
  lm_buffer response;
  lm_buffer replay;
  lm_status status;
  char *request;
  const char *text;

  request = borrow_request(fixture->license_arn, "NoSuchEntitlement", "Count", "JWT_PS384",
                           "borrow-x");
  status = run_checkout(fixture->store, fixture->signer, request, &response);
  check_status(status, LM_STATUS_ENTITLEMENT_NOT_ALLOWED, "borrow of an unknown entitlement");
  check_zeroed(&response, "lm_checkout zeroes its output on failure");
  check_prefix(lm_last_error_message(), "EntitlementNotAllowedException",
               "unknown entitlement message starts with the AWS name");
  check_contains(lm_last_error_message(), "NoSuchEntitlement", "message names the entitlement");
  free(request);

  request = borrow_request(fixture->license_arn, "EntitlementCount", "Seconds", "JWT_PS384",
                           "borrow-x");
  status = run_checkout(fixture->store, fixture->signer, request, &response);
  check_status(status, LM_STATUS_ENTITLEMENT_NOT_ALLOWED, "borrow with a unit mismatch");
  free(request);

  request = borrow_request(fixture->license_arn, "EntitlementCount", "Count", "JWT_RS256",
                           "borrow-x");
  status = run_checkout(fixture->store, fixture->signer, request, &response);
  check_status(status, LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD,
               "borrow with DigitalSignatureMethod JWT_RS256");
  check_prefix(lm_last_error_message(), "UnsupportedDigitalSignatureMethodException",
               "JWT_RS256 message starts with the AWS name");
  check_contains(lm_last_error_message(), "JWT_RS256", "JWT_RS256 message names the method");
  free(request);

  request = borrow_request(ARN_PREFIX "11111111111111111111111111111111", "EntitlementCount",
                           "Count", "JWT_PS384", "borrow-x");
  status = run_checkout(fixture->store, fixture->signer, request, &response);
  check_status(status, LM_STATUS_NOT_FOUND, "borrow from an unknown license");
  free(request);

  request = borrow_request(fixture->license_arn, "EntitlementCount", "Count", "JWT_PS384",
                           "borrow-1");
  status = run_checkout(fixture->store, fixture->signer, request, &response);
  check_status(status, LM_STATUS_OK, "borrow checkout with JWT_PS384 succeeds after failures");
  if (status != LM_STATUS_OK) {
    fprintf(stderr, "cannot go on without a checkout\n");
    exit(1);
  }
  check_buffer(&response, "lm_checkout buffer is NUL-terminated after len");
  text = (const char *)response.data;
  fixture->borrow_token = json_string(text, "SignedToken");
  fixture->consumption_token = json_string(text, "LicenseConsumptionToken");
  {
    char *arn = json_string(text, "LicenseArn");
    char *node = json_string(text, "NodeId");
    char *mac = json_string(text, "Mac");
    char *issued_at = json_string(text, "IssuedAt");
    char *expiration = json_string(text, "Expiration");
    long long issued = unix_seconds(issued_at);
    long long now = (long long)time(NULL);

    check_string(arn, fixture->license_arn, "borrow response names the license");
    check_string(node, NODE_ID, "borrow response NodeId");
    check_long(json_count(text, "Name", "EntitlementCount"), 1, "borrow response entitlement name");
    check_long(json_count(text, "Value", "1"), 1, "borrow response entitlement value");
    check(!json_has_member(text, "CheckoutType"), "borrow response has no CheckoutType");
    check(json_has_member(text, "CheckoutMetadata"), "borrow response has CheckoutMetadata");
    check(is_lower_hex(fixture->consumption_token, 32),
          "consumption token is 32 lowercase hex digits");
    check(issued >= now - 120 && issued <= now + 120, "borrow IssuedAt is now");
    check_long((long)(unix_seconds(expiration) - issued), BORROW_TTL_SECONDS,
               "borrow Expiration is IssuedAt plus 4320 minutes");
    check(mac == NULL, "CheckoutMetadata is not flattened in the response");
    free(arn);
    free(node);
    free(mac);
    free(issued_at);
    free(expiration);
  }
  check(fixture->borrow_token != NULL && count_char(fixture->borrow_token, '.') == 2,
        "SignedToken has three segments");
  if (fixture->borrow_token != NULL) {
    char *header = jws_header(fixture->borrow_token);
    char *alg = json_string(header, "alg");
    char *typ = json_string(header, "typ");
    char *kid = json_string(header, "kid");

    check_string(alg, "PS384", "JWT_PS384 overrides the signer's PS256 default");
    check_string(typ, "JWT", "checkout header typ is JWT");
    check_string(kid, fixture->kid, "checkout header kid is the signer's thumbprint");
    free(header);
    free(alg);
    free(typ);
    free(kid);
  }

  status = run_checkout(fixture->store, fixture->signer, request, &replay);
  check_status(status, LM_STATUS_OK, "borrow replay succeeds");
  check(replay.len == response.len && memcmp(replay.data, response.data, response.len) == 0,
        "borrow replay returns the same bytes");
  release(&replay);

  release(&response);
  free(request);
  check_usage(fixture->store, fixture->license_arn, "1", "usage shows ConsumedValue 1");
}

static void test_wrong_signer(struct fixture *fixture) {
  lm_buffer other_key = poisoned_buffer();
  lm_signer *other = NULL;
  lm_buffer response;
  lm_status status;
  char *request;

  status = lm_generate_key(2048, &other_key);
  check_status(status, LM_STATUS_OK, "a second key for the signer mismatch");
  status = lm_signer_from_pem(other_key.data, other_key.len, "PS384", &other);
  check_status(status, LM_STATUS_OK, "a PS384 signer from the second key");

  request = borrow_request(fixture->license_arn, "EntitlementCount", "Count", "JWT_PS384",
                           "borrow-other");
  status = run_checkout(fixture->store, other, request, &response);
  check_status(status, LM_STATUS_KEY_INVALID, "checkout with a signer other than SignKey");
  check_zeroed(&response, "signer mismatch zeroes the output");
  check_contains(lm_last_error_message(), fixture->kid, "signer mismatch message names SignKey");
  check_usage(fixture->store, fixture->license_arn, "1", "a refused checkout consumes nothing");

  free(request);
  lm_signer_free(other);
  release(&other_key);
}

static void test_verify(struct fixture *fixture) {
  static const char options[] =
      "{\"nodeId\":\"" NODE_ID "\",\"requireEntitlements\":[{\"name\":\"EntitlementCount\","
      "\"value\":\"1\"}]}";
  const char *token = fixture->borrow_token;
  lm_buffer payload;
  lm_status status;
  char *tampered;
  char *with_newline;
  char *option;
  long long expiration = -1;

  status = run_verify(fixture->verifier, token, options, &payload);
  check_status(status, LM_STATUS_OK, "lm_verify of the borrow token with node and entitlement");
  check_buffer(&payload, "lm_verify payload is NUL-terminated after len");
  if (status == LM_STATUS_OK) {
    const char *text = (const char *)payload.data;
    char *node = json_string(text, "nodeId");
    char *consumption = json_string(text, "licenseConsumptionToken");
    char *arn = json_string(text, "licenseArn");
    char *mac = json_string(text, "Mac");
    char *expires = json_string(text, "expiration");

    check_string(node, NODE_ID, "payload nodeId");
    check_string(consumption, fixture->consumption_token, "payload licenseConsumptionToken");
    check_string(arn, fixture->license_arn, "payload licenseArn");
    check_string(mac, "ABCDEFGHI", "payload checkoutMetadata is flattened");
    expiration = unix_seconds(expires);
    check_long((long)(json_integer(text, "exp") - json_integer(text, "iat")), BORROW_TTL_SECONDS,
               "payload exp minus iat is the borrow TTL");
    check_long((long)json_integer(text, "exp"), (long)expiration, "payload exp equals expiration");
    free(node);
    free(consumption);
    free(arn);
    free(mac);
    free(expires);
  }
  release(&payload);

  status = run_verify(fixture->jwks_verifier, token, options, &payload);
  check_status(status, LM_STATUS_OK, "lm_verify with the JWKS verifier");
  release(&payload);

  status = run_verify(fixture->verifier, token, NULL, &payload);
  check_status(status, LM_STATUS_OK, "lm_verify with NULL options");
  release(&payload);

  /* A signature byte flipped in the middle keeps the base64url canonical. */
  tampered = format("%s", token);
  {
    size_t middle = strlen(tampered) - 40;
    tampered[middle] = tampered[middle] == 'A' ? 'B' : 'A';
  }
  status = run_verify(fixture->verifier, tampered, options, &payload);
  check_status(status, LM_STATUS_SIGNATURE_INVALID, "a tampered signature is rejected");
  check_zeroed(&payload, "lm_verify zeroes its output on failure");
  free(tampered);

  tampered = format("%s", token);
  {
    char *payload_start = strchr(tampered, '.') + 1;
    payload_start[5] = payload_start[5] == 'A' ? 'B' : 'A';
  }
  status = run_verify(fixture->verifier, tampered, options, &payload);
  check_status(status, LM_STATUS_SIGNATURE_INVALID, "a tampered payload is rejected");
  free(tampered);

  status = run_verify(fixture->verifier, token, options, &payload);
  check_status(status, LM_STATUS_OK, "lm_verify succeeds after a failure on the same verifier");
  release(&payload);

  with_newline = format("%s\n", token);
  status = run_verify(fixture->verifier, with_newline, NULL, &payload);
  check_status(status, LM_STATUS_TOKEN_MALFORMED, "a token with a trailing newline is malformed");
  free(with_newline);

  status = run_verify(fixture->verifier, "\xff.\xfe.\xfd", NULL, &payload);
  check_status(status, LM_STATUS_TOKEN_MALFORMED, "a token of non-UTF-8 bytes is malformed");

  status = run_verify(fixture->verifier, token, "{\"now\": 4102444800}", &payload);
  check_status(status, LM_STATUS_TOKEN_EXPIRED, "now in 2100 gives TOKEN_EXPIRED");
  check_zeroed(&payload, "expired token zeroes the output");

  status = run_verify(fixture->verifier, token, "{\"now\": \"2100-01-01T00:00:00Z\"}", &payload);
  check_status(status, LM_STATUS_TOKEN_EXPIRED, "now as a time string in 2100 gives TOKEN_EXPIRED");

  option = format("{\"now\": %lld}", expiration + 59);
  status = run_verify(fixture->verifier, token, option, &payload);
  check_status(status, LM_STATUS_OK, "59 s past expiration is inside the default leeway");
  release(&payload);
  free(option);

  option = format("{\"now\": %lld}", expiration + 61);
  status = run_verify(fixture->verifier, token, option, &payload);
  check_status(status, LM_STATUS_TOKEN_EXPIRED,
               "61 s past expiration is outside the default leeway");
  free(option);

  option = format("{\"now\": %lld, \"leewaySeconds\": 0}", expiration);
  status = run_verify(fixture->verifier, token, option, &payload);
  check_status(status, LM_STATUS_TOKEN_EXPIRED, "at expiration with no leeway the token expired");
  free(option);

  status = run_verify(fixture->verifier, token, "{\"now\": 0}", &payload);
  check_status(status, LM_STATUS_TOKEN_NOT_YET_VALID, "now in 1970 gives TOKEN_NOT_YET_VALID");

  status = run_verify(fixture->verifier, token, "{\"nodeId\": \"100.20.15.11\"}", &payload);
  check_status(status, LM_STATUS_NODE_MISMATCH, "a wrong nodeId gives NODE_MISMATCH");
  check_zeroed(&payload, "node mismatch zeroes the output");

  status = run_verify(fixture->verifier, token,
                      "{\"requireEntitlements\": [{\"name\": \"EnterpriseTier\", \"value\": "
                      "\"Enterprise\"}]}",
                      &payload);
  check_status(status, LM_STATUS_ENTITLEMENT_MISSING,
               "a missing entitlement gives ENTITLEMENT_MISSING");
  check_contains(lm_last_error_message(), "EnterpriseTier", "missing entitlement message names it");

  status = run_verify(fixture->verifier, token,
                      "{\"requireEntitlements\": [{\"name\": \"EntitlementCount\", "
                      "\"value\": \"2\"}]}",
                      &payload);
  check_status(status, LM_STATUS_ENTITLEMENT_MISSING,
               "a too small entitlement gives ENTITLEMENT_MISSING");

  status = run_verify(fixture->verifier, token, "{\"algorithms\": [\"PS256\"]}", &payload);
  check_status(status, LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD,
               "PS384 token against a PS256 allow-list");
  check_contains(lm_last_error_message(), "PS384", "disallowed algorithm message names PS384");

  status = run_verify(fixture->verifier, token, "{\"nodeID\": \"" NODE_ID "\"}", &payload);
  check_status(status, LM_STATUS_INVALID_ARGUMENT, "an unknown verify option is rejected");
  check_contains(lm_last_error_message(), "nodeID", "unknown option message names the option");

  status = run_verify(fixture->verifier, token, "{\"now\": 253402300800}", &payload);
  check_status(status, LM_STATUS_INVALID_ARGUMENT, "now past year 9999 is rejected");

  status = run_verify(fixture->verifier, token, "{\"leewaySeconds\": 86401}", &payload);
  check_status(status, LM_STATUS_INVALID_ARGUMENT, "leewaySeconds over a day is rejected");

  status = run_verify(fixture->verifier, token, "", &payload);
  check_status(status, LM_STATUS_INVALID_ARGUMENT, "empty options text is rejected");

  option = format("{\"maxTokenBytes\": %zu}", strlen(token) - 1);
  status = run_verify(fixture->verifier, token, option, &payload);
  check_status(status, LM_STATUS_TOKEN_MALFORMED, "a token over maxTokenBytes is malformed");
  free(option);

  option = format("{\"maxTokenBytes\": %zu}", strlen(token));
  status = run_verify(fixture->verifier, token, option, &payload);
  check_status(status, LM_STATUS_OK, "a token of exactly maxTokenBytes verifies");
  release(&payload);
  free(option);

  check_status(run_verify(fixture->verifier, token, options, &payload), LM_STATUS_OK,
               "lm_verify succeeds after many failures");
  release(&payload);
}

static void test_check_in_and_list(struct fixture *fixture) {
  char *request = format("{\"LicenseConsumptionToken\": \"%s\"}", fixture->consumption_token);
  char *list = format("{\"LicenseArn\": \"%s\"}", fixture->license_arn);
  lm_buffer response;
  lm_status status;

  status = run_operation(lm_list_license_consumptions, fixture->store, list, &response);
  check_status(status, LM_STATUS_OK, "lm_list_license_consumptions succeeds");
  check_buffer(&response, "list buffer is NUL-terminated after len");
  check_long(json_count((const char *)response.data, "State", "ACTIVE"), 1,
             "one ACTIVE consumption before check-in");
  release(&response);

  status = run_operation(lm_check_in, fixture->store, request, &response);
  check_status(status, LM_STATUS_OK, "lm_check_in of the borrow succeeds");
  check_buffer(&response, "lm_check_in buffer is NUL-terminated after len");
  check_string((const char *)response.data, "{}", "CheckInLicense returns {}");
  release(&response);

  check_usage(fixture->store, fixture->license_arn, "0",
              "usage shows ConsumedValue 0 after check-in");

  status = run_operation(lm_check_in, fixture->store, request, &response);
  check_status(status, LM_STATUS_NOT_FOUND, "a second check-in of the same token");
  check_zeroed(&response, "lm_check_in zeroes its output on failure");

  status = run_operation(lm_list_license_consumptions, fixture->store, list, &response);
  check_status(status, LM_STATUS_OK, "lm_list_license_consumptions succeeds after a failure");
  if (status == LM_STATUS_OK) {
    const char *text = (const char *)response.data;
    char *token = json_string(text, "LicenseConsumptionToken");
    char *state = json_string(text, "State");

    check(json_has_member(text, "LicenseConsumptions"), "list response has LicenseConsumptions");
    check_string(token, fixture->consumption_token, "list names the consumption token");
    check_string(state, "CHECKED_IN", "listed consumption is CHECKED_IN");
    free(token);
    free(state);
  }
  release(&response);

  free(list);
  list = format("{\"LicenseArn\": \"%s\", \"State\": \"ACTIVE\"}", fixture->license_arn);
  status = run_operation(lm_list_license_consumptions, fixture->store, list, &response);
  check_status(status, LM_STATUS_OK, "list filtered by State ACTIVE");
  check(!json_has_member((const char *)response.data, "LicenseConsumptionToken"),
        "no ACTIVE consumption after check-in");
  release(&response);

  free(list);
  free(request);
}

static void test_extend(struct fixture *fixture) {
  char *borrow = borrow_request(fixture->license_arn, "EntitlementCount", "Count", "JWT_PS384",
                                "borrow-2");
  lm_buffer first;
  lm_buffer extended;
  lm_buffer payload;
  lm_status status;
  char *request;
  char *token = NULL;
  char *signed_token = NULL;

  request = format("{\"LicenseConsumptionToken\": \"%s\"}", fixture->consumption_token);
  extended = poisoned_buffer();
  status = lm_extend_license_consumption(fixture->store, fixture->signer, BYTES(request),
                                         &extended);
  check_status(status, LM_STATUS_NOT_FOUND, "extend of a checked-in consumption");
  check_zeroed(&extended, "extend zeroes its output on failure");
  free(request);

  status = run_checkout(fixture->store, fixture->signer, borrow, &first);
  check_status(status, LM_STATUS_OK, "a second borrow succeeds");
  token = json_string((const char *)first.data, "LicenseConsumptionToken");
  signed_token = json_string((const char *)first.data, "SignedToken");

  request = format("{\"LicenseConsumptionToken\": \"%s\"}", token ? token : "");
  extended = poisoned_buffer();
  status = lm_extend_license_consumption(fixture->store, fixture->signer, BYTES(request),
                                         &extended);
  check_status(status, LM_STATUS_OK, "lm_extend_license_consumption succeeds after a failure");
  check_buffer(&extended, "extend buffer is NUL-terminated after len");
  if (status == LM_STATUS_OK) {
    const char *text = (const char *)extended.data;
    char *kept = json_string(text, "LicenseConsumptionToken");
    char *renewed = json_string(text, "SignedToken");
    char *issued_at = json_string(text, "IssuedAt");
    char *expiration = json_string(text, "Expiration");

    check_string(kept, token, "extend keeps the consumption token");
    check(renewed != NULL && signed_token != NULL && strcmp(renewed, signed_token) != 0,
          "extend returns a new SignedToken");
    check_long((long)(unix_seconds(expiration) - unix_seconds(issued_at)), BORROW_TTL_SECONDS,
               "extended Expiration is IssuedAt plus the borrow TTL");
    if (renewed != NULL) {
      char *header = jws_header(renewed);
      char *alg = json_string(header, "alg");

      check_string(alg, "PS384", "extended token keeps PS384");
      status = run_verify(fixture->verifier, renewed, "{\"nodeId\": \"" NODE_ID "\"}", &payload);
      check_status(status, LM_STATUS_OK, "extended token verifies with the node");
      release(&payload);
      free(header);
      free(alg);
    }
    free(kept);
    free(renewed);
    free(issued_at);
    free(expiration);
  }
  release(&extended);
  release(&first);

  check_usage(fixture->store, fixture->license_arn, "1", "extend consumes nothing more");

  status = run_operation(lm_check_in, fixture->store, request, &extended);
  check_status(status, LM_STATUS_OK, "the extended borrow checks in");
  release(&extended);
  check_usage(fixture->store, fixture->license_arn, "0", "usage is 0 again");

  free(request);
  free(borrow);
  free(token);
  free(signed_token);
}

static void test_provisional_and_perpetual(struct fixture *fixture) {
  static const char provisional[] =
      "{\"ProductSKU\": \"EXAMPLE-ANALYTICS-ENT\", \"CheckoutType\": \"PROVISIONAL\", "
      "\"KeyFingerprint\": \"" FINGERPRINT "\", "
      "\"Entitlements\": [{\"Name\": \"EntitlementCount\", "
      "\"Value\": \"2\", \"Unit\": \"Count\"}, "
      "{\"Name\": \"EnterpriseTier\", \"Unit\": \"None\"}], "
      "\"NodeId\": \"" NODE_ID "\", \"ClientToken\": \"provisional-1\"}";
  static const char perpetual[] =
      "{\"ProductSKU\": \"EXAMPLE-ANALYTICS-ENT\", \"CheckoutType\": \"PERPETUAL\", "
      "\"KeyFingerprint\": \"" FINGERPRINT "\", "
      "\"Entitlements\": [{\"Name\": \"EntitlementCount\", "
      "\"Value\": \"1\", \"Unit\": \"Count\"}], \"ClientToken\": \"perpetual-1\"}";
  static const char too_many[] =
      "{\"ProductSKU\": \"EXAMPLE-ANALYTICS-ENT\", \"CheckoutType\": \"PROVISIONAL\", "
      "\"KeyFingerprint\": \"" FINGERPRINT "\", "
      "\"Entitlements\": [{\"Name\": \"EntitlementCount\", "
      "\"Value\": \"11\", \"Unit\": \"Count\"}], \"ClientToken\": \"provisional-too-many\"}";
  static const char count_only[] =
      "{\"ProductSKU\": \"EXAMPLE-ANALYTICS-ENT\", \"CheckoutType\": \"PROVISIONAL\", "
      "\"KeyFingerprint\": \"" FINGERPRINT "\", "
      "\"Entitlements\": [{\"Name\": \"EntitlementCount\", "
      "\"Value\": \"1\", \"Unit\": \"Count\"}], \"ClientToken\": \"provisional-2\"}";
  lm_buffer response;
  lm_buffer payload;
  lm_status status;
  char *consumption = NULL;
  char *signed_token = NULL;
  char *request;

  status = run_checkout(fixture->store, fixture->signer, too_many, &response);
  check_status(status, LM_STATUS_NO_ENTITLEMENTS_ALLOWED, "provisional checkout beyond MaxCount");
  check_prefix(lm_last_error_message(), "NoEntitlementsAllowedException",
               "exhaustion message starts with the AWS name");
  check_contains(lm_last_error_message(), "EntitlementCount",
                 "exhaustion message names the entitlement");

  status = run_checkout(fixture->store, fixture->signer, provisional, &response);
  check_status(status, LM_STATUS_OK, "provisional checkout succeeds after a failure");
  if (status == LM_STATUS_OK) {
    const char *text = (const char *)response.data;
    char *type = json_string(text, "CheckoutType");
    char *issued_at = json_string(text, "IssuedAt");
    char *expiration = json_string(text, "Expiration");

    check_string(type, "PROVISIONAL", "provisional response CheckoutType");
    check_long(json_count(text, "Name", "EnterpriseTier"), 1, "provisional grants the tier");
    check_long((long)(unix_seconds(expiration) - unix_seconds(issued_at)), PROVISIONAL_TTL_SECONDS,
               "provisional Expiration is IssuedAt plus 60 minutes");
    consumption = json_string(text, "LicenseConsumptionToken");
    signed_token = json_string(text, "SignedToken");
    free(type);
    free(issued_at);
    free(expiration);
  }
  release(&response);
  check_usage(fixture->store, fixture->license_arn, "2", "provisional checkout consumes 2");

  if (signed_token != NULL) {
    char *header = jws_header(signed_token);
    char *alg = json_string(header, "alg");

    check_string(alg, "PS256", "provisional token uses the signer's PS256 default");
    status = run_verify(fixture->verifier, signed_token,
                        "{\"algorithms\": [\"PS256\"], \"requireEntitlements\": [{\"name\": "
                        "\"EnterpriseTier\", \"value\": \"Enterprise\"}, {\"name\": "
                        "\"EntitlementCount\", \"value\": \"2\"}]}",
                        &payload);
    check_status(status, LM_STATUS_OK, "provisional token carries the tier and 2 counts");
    release(&payload);

    status = run_verify(fixture->verifier, signed_token,
                        "{\"requireEntitlements\": [{\"name\": \"EnterpriseTier\", \"value\": "
                        "\"enterprise\"}]}",
                        &payload);
    check_status(status, LM_STATUS_ENTITLEMENT_MISSING, "a tier value is compared byte for byte");
    free(header);
    free(alg);
  }

  /* EnterpriseTier has no AllowCheckIn, so a consumption that contains it cannot be checked in. */
  request = format("{\"LicenseConsumptionToken\": \"%s\"}", consumption ? consumption : "");
  status = run_operation(lm_check_in, fixture->store, request, &response);
  check_status(status, LM_STATUS_CONFLICT, "check-in with an entitlement without AllowCheckIn");
  check_zeroed(&response, "refused provisional check-in zeroes its output");
  check_prefix(lm_last_error_message(), "ConflictException",
               "refused check-in message starts with the AWS name");
  check_contains(lm_last_error_message(), "EnterpriseTier",
                 "refused check-in names EnterpriseTier");
  check_usage(fixture->store, fixture->license_arn, "2", "a refused check-in returns nothing");

  response = poisoned_buffer();
  status = lm_extend_license_consumption(fixture->store, fixture->signer, BYTES(request),
                                         &response);
  check_status(status, LM_STATUS_OK, "provisional extend succeeds");
  if (status == LM_STATUS_OK) {
    char *kept = json_string((const char *)response.data, "LicenseConsumptionToken");
    char *issued_at = json_string((const char *)response.data, "IssuedAt");
    char *expiration = json_string((const char *)response.data, "Expiration");

    check_string(kept, consumption, "provisional extend keeps the consumption token");
    check_long((long)(unix_seconds(expiration) - unix_seconds(issued_at)), PROVISIONAL_TTL_SECONDS,
               "extended provisional Expiration is IssuedAt plus 60 minutes");
    free(kept);
    free(issued_at);
    free(expiration);
  }
  release(&response);
  free(request);
  free(consumption);
  free(signed_token);

  status = run_checkout(fixture->store, fixture->signer, count_only, &response);
  check_status(status, LM_STATUS_OK, "provisional checkout of counts only");
  consumption = json_string((const char *)response.data, "LicenseConsumptionToken");
  release(&response);
  check_usage(fixture->store, fixture->license_arn, "3",
              "the second provisional checkout consumes 1");

  request = format("{\"LicenseConsumptionToken\": \"%s\"}", consumption ? consumption : "");
  status = run_operation(lm_check_in, fixture->store, request, &response);
  check_status(status, LM_STATUS_OK, "check-in of counts only succeeds");
  release(&response);
  check_usage(fixture->store, fixture->license_arn, "2", "the check-in returns 1");
  free(request);
  free(consumption);

  status = run_checkout(fixture->store, fixture->signer, perpetual, &response);
  check_status(status, LM_STATUS_OK, "perpetual checkout succeeds");
  consumption = json_string((const char *)response.data, "LicenseConsumptionToken");
  release(&response);

  request = format("{\"LicenseConsumptionToken\": \"%s\"}", consumption ? consumption : "");
  status = run_operation(lm_check_in, fixture->store, request, &response);
  check_status(status, LM_STATUS_CONFLICT, "perpetual check-in is refused");
  check_zeroed(&response, "refused check-in zeroes its output");

  response = poisoned_buffer();
  status = lm_extend_license_consumption(fixture->store, fixture->signer, BYTES(request),
                                         &response);
  check_status(status, LM_STATUS_VALIDATION, "perpetual extend is a validation error");
  check_zeroed(&response, "perpetual extend zeroes its output");
  check_usage(fixture->store, fixture->license_arn, "3", "perpetual checkout stays consumed");

  free(request);
  free(consumption);
}

static void test_sign(struct fixture *fixture) {
  static const char profile_jws[] = "{\"profile\": \"jws\"}";
  lm_buffer token = poisoned_buffer();
  lm_buffer payload;
  lm_status status;

  status = lm_sign(fixture->signer, BYTES("hello"), &token);
  check_status(status, LM_STATUS_OK, "lm_sign of a text payload");
  check_buffer(&token, "lm_sign buffer is NUL-terminated after len");
  if (status == LM_STATUS_OK) {
    const char *text = (const char *)token.data;
    char *header = jws_header(text);
    char *alg = json_string(header, "alg");
    char *kid = json_string(header, "kid");

    check_string(alg, "PS256", "lm_sign uses the signer's default PS256");
    check_string(kid, fixture->kid, "lm_sign header kid");
    check(!json_has_member(header, "typ"), "a payload that is no JSON object gets no typ");
    check_prefix(strchr(text, '.'), ".aGVsbG8.", "the payload segment is base64url of hello");

    status = run_verify(fixture->verifier, text, profile_jws, &payload);
    check_status(status, LM_STATUS_OK, "lm_verify with the jws profile");
    check_string((const char *)payload.data, "hello", "the jws profile returns the signed bytes");
    release(&payload);

    status = run_verify(fixture->verifier, text, NULL, &payload);
    check_status(status, LM_STATUS_TOKEN_MALFORMED,
                 "a non-checkout payload fails the license profile");
    free(header);
    free(alg);
    free(kid);
  }
  release(&token);

  token = poisoned_buffer();
  status = lm_sign(fixture->signer, BYTES("{\"a\":1}"), &token);
  check_status(status, LM_STATUS_OK, "lm_sign of a JSON object");
  if (status == LM_STATUS_OK) {
    char *header = jws_header((const char *)token.data);
    char *typ = json_string(header, "typ");

    check_string(typ, "JWT", "a JSON object payload gets typ JWT");
    free(header);
    free(typ);
  }
  release(&token);

  token = poisoned_buffer();
  status = lm_sign(fixture->signer, NULL, 0, &token);
  check_status(status, LM_STATUS_OK, "lm_sign of an empty payload (NULL, 0)");
  check_buffer(&token, "empty-payload token is NUL-terminated after len");
  if (status == LM_STATUS_OK) {
    check(strstr((const char *)token.data, "..") != NULL, "empty payload segment is empty");
    status = run_verify(fixture->verifier, (const char *)token.data, profile_jws, &payload);
    check_status(status, LM_STATUS_OK, "an empty payload verifies with the jws profile");
    check(payload.data != NULL && payload.len == 0 && payload.data[0] == 0,
          "an empty payload comes back as an empty NUL-terminated buffer");
    release(&payload);
  }
  release(&token);
}

/* Passes NULL for each pointer argument in turn and checks status 100 and cleared outputs. */
static void test_null_arguments(struct fixture *fixture) {
  static const struct {
    const char *name;
    store_operation operation;
  } operations[] = {
      {"lm_create_license", lm_create_license},
      {"lm_get_license", lm_get_license},
      {"lm_get_license_usage", lm_get_license_usage},
      {"lm_list_license_consumptions", lm_list_license_consumptions},
      {"lm_check_in", lm_check_in},
  };
  const uint8_t *text = (const uint8_t *)"{}";
  const char *token = fixture->borrow_token;
  lm_signer *signer;
  lm_verifier *verifier;
  lm_store *store;
  lm_buffer out;
  size_t i;

  out = poisoned_buffer();
  check_status(lm_sign(NULL, text, 2, &out), LM_STATUS_INVALID_ARGUMENT,
               "lm_sign with a NULL signer");
  check_zeroed(&out, "lm_sign(NULL signer) zeroes out");
  out = poisoned_buffer();
  check_status(lm_sign(fixture->signer, NULL, 2, &out), LM_STATUS_INVALID_ARGUMENT,
               "lm_sign with (NULL, 2)");
  check_zeroed(&out, "lm_sign(NULL, 2) zeroes out");
  check_status(lm_sign(fixture->signer, text, 2, NULL), LM_STATUS_INVALID_ARGUMENT,
               "lm_sign with a NULL output");

  out = poisoned_buffer();
  check_status(lm_verify(NULL, BYTES(token), NULL, &out), LM_STATUS_INVALID_ARGUMENT,
               "lm_verify with a NULL verifier");
  check_zeroed(&out, "lm_verify(NULL verifier) zeroes out");
  out = poisoned_buffer();
  check_status(lm_verify(fixture->verifier, NULL, 5, NULL, &out), LM_STATUS_INVALID_ARGUMENT,
               "lm_verify with (NULL, 5)");
  check_zeroed(&out, "lm_verify(NULL, 5) zeroes out");
  check_status(lm_verify(fixture->verifier, BYTES(token), NULL, NULL), LM_STATUS_INVALID_ARGUMENT,
               "lm_verify with a NULL output");
  out = poisoned_buffer();
  check_status(lm_verify(fixture->verifier, NULL, 0, NULL, &out), LM_STATUS_TOKEN_MALFORMED,
               "lm_verify of an empty token (NULL, 0)");
  check_zeroed(&out, "lm_verify(NULL, 0) zeroes out");

  out = poisoned_buffer();
  check_status(lm_checkout(NULL, fixture->signer, text, 2, &out), LM_STATUS_INVALID_ARGUMENT,
               "lm_checkout with a NULL store");
  check_zeroed(&out, "lm_checkout(NULL store) zeroes out");
  out = poisoned_buffer();
  check_status(lm_checkout(fixture->store, NULL, text, 2, &out), LM_STATUS_INVALID_ARGUMENT,
               "lm_checkout with a NULL signer");
  check_zeroed(&out, "lm_checkout(NULL signer) zeroes out");
  out = poisoned_buffer();
  check_status(lm_checkout(fixture->store, fixture->signer, NULL, 2, &out),
               LM_STATUS_INVALID_ARGUMENT, "lm_checkout with (NULL, 2)");
  check_zeroed(&out, "lm_checkout(NULL, 2) zeroes out");
  check_status(lm_checkout(fixture->store, fixture->signer, text, 2, NULL),
               LM_STATUS_INVALID_ARGUMENT, "lm_checkout with a NULL output");
  out = poisoned_buffer();
  check_status(lm_checkout(fixture->store, fixture->signer, NULL, 0, &out),
               LM_STATUS_INVALID_ARGUMENT, "lm_checkout of an empty request (NULL, 0)");
  check_zeroed(&out, "lm_checkout(NULL, 0) zeroes out");

  out = poisoned_buffer();
  check_status(lm_extend_license_consumption(NULL, fixture->signer, text, 2, &out),
               LM_STATUS_INVALID_ARGUMENT, "lm_extend_license_consumption with a NULL store");
  check_zeroed(&out, "lm_extend_license_consumption(NULL store) zeroes out");
  out = poisoned_buffer();
  check_status(lm_extend_license_consumption(fixture->store, NULL, text, 2, &out),
               LM_STATUS_INVALID_ARGUMENT, "lm_extend_license_consumption with a NULL signer");
  check_zeroed(&out, "lm_extend_license_consumption(NULL signer) zeroes out");
  out = poisoned_buffer();
  check_status(lm_extend_license_consumption(fixture->store, fixture->signer, NULL, 2, &out),
               LM_STATUS_INVALID_ARGUMENT, "lm_extend_license_consumption with (NULL, 2)");
  check_zeroed(&out, "lm_extend_license_consumption(NULL, 2) zeroes out");
  check_status(lm_extend_license_consumption(fixture->store, fixture->signer, text, 2, NULL),
               LM_STATUS_INVALID_ARGUMENT, "lm_extend_license_consumption with a NULL output");
  out = poisoned_buffer();
  check_status(lm_extend_license_consumption(fixture->store, fixture->signer, NULL, 0, &out),
               LM_STATUS_INVALID_ARGUMENT,
               "lm_extend_license_consumption of an empty request (NULL, 0)");
  check_zeroed(&out, "lm_extend_license_consumption(NULL, 0) zeroes out");

  for (i = 0; i < sizeof operations / sizeof operations[0]; i++) {
    char *what;

    out = poisoned_buffer();
    what = format("%s with a NULL store", operations[i].name);
    check_status(operations[i].operation(NULL, text, 2, &out), LM_STATUS_INVALID_ARGUMENT, what);
    check_zeroed(&out, what);
    free(what);

    out = poisoned_buffer();
    what = format("%s with (NULL, 2)", operations[i].name);
    check_status(operations[i].operation(fixture->store, NULL, 2, &out), LM_STATUS_INVALID_ARGUMENT,
                 what);
    check_zeroed(&out, what);
    free(what);

    what = format("%s with a NULL output", operations[i].name);
    check_status(operations[i].operation(fixture->store, text, 2, NULL), LM_STATUS_INVALID_ARGUMENT,
                 what);
    free(what);

    out = poisoned_buffer();
    what = format("%s of an empty request (NULL, 0)", operations[i].name);
    check_status(operations[i].operation(fixture->store, NULL, 0, &out), LM_STATUS_INVALID_ARGUMENT,
                 what);
    check_zeroed(&out, what);
    free(what);

    out = poisoned_buffer();
    what = format("%s of text that is not JSON", operations[i].name);
    check_status(operations[i].operation(fixture->store, BYTES("{\"LicenseArn\":"), &out),
                 LM_STATUS_INVALID_ARGUMENT, what);
    check_zeroed(&out, what);
    free(what);
  }

  signer = (lm_signer *)&poison_handle;
  check_status(lm_signer_from_pem(NULL, 5, NULL, &signer), LM_STATUS_INVALID_ARGUMENT,
               "lm_signer_from_pem with (NULL, 5)");
  check(signer == NULL, "lm_signer_from_pem(NULL, 5) clears out");
  check_status(lm_signer_from_pem(fixture->private_pem.data, fixture->private_pem.len, NULL, NULL),
               LM_STATUS_INVALID_ARGUMENT, "lm_signer_from_pem with a NULL output");
  signer = (lm_signer *)&poison_handle;
  check_status(lm_signer_from_pem(NULL, 0, NULL, &signer), LM_STATUS_KEY_INVALID,
               "lm_signer_from_pem of an empty key (NULL, 0)");
  check(signer == NULL, "lm_signer_from_pem(NULL, 0) clears out");

  verifier = (lm_verifier *)&poison_handle;
  check_status(lm_verifier_from_pem(NULL, 5, &verifier), LM_STATUS_INVALID_ARGUMENT,
               "lm_verifier_from_pem with (NULL, 5)");
  check(verifier == NULL, "lm_verifier_from_pem(NULL, 5) clears out");
  check_status(lm_verifier_from_pem(fixture->public_pem.data, fixture->public_pem.len, NULL),
               LM_STATUS_INVALID_ARGUMENT, "lm_verifier_from_pem with a NULL output");
  verifier = (lm_verifier *)&poison_handle;
  check_status(lm_verifier_from_pem(NULL, 0, &verifier), LM_STATUS_KEY_INVALID,
               "lm_verifier_from_pem of an empty key (NULL, 0)");
  check(verifier == NULL, "lm_verifier_from_pem(NULL, 0) clears out");

  verifier = (lm_verifier *)&poison_handle;
  check_status(lm_verifier_from_jwks(NULL, 5, &verifier), LM_STATUS_INVALID_ARGUMENT,
               "lm_verifier_from_jwks with (NULL, 5)");
  check(verifier == NULL, "lm_verifier_from_jwks(NULL, 5) clears out");
  check_status(lm_verifier_from_jwks(BYTES("{\"keys\": []}"), NULL), LM_STATUS_INVALID_ARGUMENT,
               "lm_verifier_from_jwks with a NULL output");
  verifier = (lm_verifier *)&poison_handle;
  check_status(lm_verifier_from_jwks(NULL, 0, &verifier), LM_STATUS_INVALID_ARGUMENT,
               "lm_verifier_from_jwks of an empty document (NULL, 0)");
  check(verifier == NULL, "lm_verifier_from_jwks(NULL, 0) clears out");

  store = (lm_store *)&poison_handle;
  check_status(lm_store_open(NULL, &store), LM_STATUS_INVALID_ARGUMENT,
               "lm_store_open with a NULL location");
  check(store == NULL, "lm_store_open(NULL location) clears out");
  check_status(lm_store_open(":memory:", NULL), LM_STATUS_INVALID_ARGUMENT,
               "lm_store_open with a NULL output");
  store = (lm_store *)&poison_handle;
  check_status(lm_store_open_with_options(NULL, "{}", &store), LM_STATUS_INVALID_ARGUMENT,
               "lm_store_open_with_options with a NULL location");
  check(store == NULL, "lm_store_open_with_options(NULL location) clears out");
  check_status(lm_store_open_with_options(":memory:", "{}", NULL), LM_STATUS_INVALID_ARGUMENT,
               "lm_store_open_with_options with a NULL output");
  store = NULL;
  check_status(lm_store_open_with_options(":memory:", NULL, &store), LM_STATUS_OK,
               "lm_store_open_with_options with NULL options uses the defaults");
  lm_store_close(store);

  check_status(lm_generate_key(2048, NULL), LM_STATUS_INVALID_ARGUMENT,
               "lm_generate_key with a NULL output");
  out = poisoned_buffer();
  check_status(lm_signer_public_jwk(NULL, &out), LM_STATUS_INVALID_ARGUMENT,
               "lm_signer_public_jwk with a NULL signer");
  check_zeroed(&out, "lm_signer_public_jwk(NULL signer) zeroes out");
  check_status(lm_signer_public_jwk(fixture->signer, NULL), LM_STATUS_INVALID_ARGUMENT,
               "lm_signer_public_jwk with a NULL output");
  out = poisoned_buffer();
  check_status(lm_signer_public_key_pem(NULL, &out), LM_STATUS_INVALID_ARGUMENT,
               "lm_signer_public_key_pem with a NULL signer");
  check_zeroed(&out, "lm_signer_public_key_pem(NULL signer) zeroes out");
  check_status(lm_signer_public_key_pem(fixture->signer, NULL), LM_STATUS_INVALID_ARGUMENT,
               "lm_signer_public_key_pem with a NULL output");

  /* The free functions accept NULL; reaching the next line is the check. */
  lm_buffer_free(NULL);
  lm_signer_free(NULL);
  lm_verifier_free(NULL);
  lm_store_close(NULL);
  check(1, "lm_buffer_free, lm_signer_free, lm_verifier_free and lm_store_close accept NULL");

  {
    char *request = format("{\"LicenseArn\": \"%s\"}", fixture->license_arn);

    check_status(run_operation(lm_get_license_usage, fixture->store, request, &out), LM_STATUS_OK,
                 "the store still answers after NULL arguments");
    release(&out);
    free(request);
  }
}

static void test_error_message_rules(struct fixture *fixture) {
  lm_buffer out;
  lm_status status;
  char *before;

  status = run_verify(fixture->verifier, fixture->borrow_token, "{\"bogusOption\": 1}", &out);
  check_status(status, LM_STATUS_INVALID_ARGUMENT, "a bogus option fails");
  before = format("%s", lm_last_error_message());
  check_contains(before, "bogusOption", "the message names bogusOption");

  status = run_verify(fixture->verifier, fixture->borrow_token, NULL, &out);
  check_status(status, LM_STATUS_OK, "a successful call after the failure");
  release(&out);
  check_string(lm_last_error_message(), before, "a successful call keeps the last message");

  status = run_verify(fixture->verifier, fixture->borrow_token, "{\"nodeId\": \"other-node\"}",
                      &out);
  check_status(status, LM_STATUS_NODE_MISMATCH, "the next failure replaces the message");
  check(strcmp(lm_last_error_message(), before) != 0, "the message changed with the new failure");
  check(strstr(lm_last_error_message(), fixture->borrow_token) == NULL,
        "the message does not contain the token");
  free(before);
}

static void test_buffer_free_twice(struct fixture *fixture) {
  lm_buffer token = poisoned_buffer();

  check_status(lm_sign(fixture->signer, BYTES("twice"), &token), LM_STATUS_OK,
               "lm_sign for free twice");
  lm_buffer_free(&token);
  check_zeroed(&token, "lm_buffer_free zeroes the buffer");
  lm_buffer_free(&token);
  check_zeroed(&token, "lm_buffer_free of a freed buffer is harmless");
}

/* ---------------------------------------------------------------- threads */

struct worker {
  pthread_t thread;
  int index;
  struct fixture *fixture;
  const char *license_arn;
  pthread_barrier_t *start;
  int initial_message_empty;
  int verified;
  int verify_failures;
  int granted;
  int exhausted;
  int exhausted_message_ok;
  int unexpected;
  char consumption_tokens[BORROWS_PER_THREAD][33];
};

static void *work(void *argument) {
  static const char options[] =
      "{\"nodeId\":\"" NODE_ID "\",\"requireEntitlements\":[{\"name\":\"EntitlementCount\","
      "\"value\":\"1\"}]}";
  struct worker *worker = argument;
  struct fixture *fixture = worker->fixture;
  int round;

  worker->initial_message_empty = strcmp(lm_last_error_message(), "") == 0;
  pthread_barrier_wait(worker->start);

  for (round = 0; round < BORROWS_PER_THREAD; round++) {
    char client_token[64];
    char *request;
    lm_buffer response = poisoned_buffer();
    lm_buffer payload = poisoned_buffer();
    lm_status status;

    status = lm_verify(fixture->verifier, BYTES(fixture->borrow_token), options, &payload);
    if (status == LM_STATUS_OK) {
      worker->verified++;
    } else {
      worker->verify_failures++;
    }
    release(&payload);

    snprintf(client_token, sizeof client_token, "thread-%d-%d", worker->index, round);
    request = borrow_request(worker->license_arn, "EntitlementCount", "Count", "JWT_PS384",
                             client_token);
    status = lm_checkout(fixture->store, fixture->signer, BYTES(request), &response);
    free(request);

    if (status == LM_STATUS_OK) {
      char *signed_token = json_string((const char *)response.data, "SignedToken");
      char *consumption = json_string((const char *)response.data, "LicenseConsumptionToken");

      worker->granted++;
      if (consumption != NULL && strlen(consumption) == 32) {
        memcpy(worker->consumption_tokens[round], consumption, 33);
      }
      payload = poisoned_buffer();
      if (signed_token != NULL &&
          lm_verify(fixture->verifier, BYTES(signed_token), options, &payload) == LM_STATUS_OK) {
        worker->verified++;
      } else {
        worker->verify_failures++;
      }
      release(&payload);
      free(signed_token);
      free(consumption);
    } else if (status == LM_STATUS_NO_ENTITLEMENTS_ALLOWED) {
      worker->exhausted++;
      worker->exhausted_message_ok +=
          strncmp(lm_last_error_message(), "NoEntitlementsAllowedException", 30) == 0;
    } else {
      worker->unexpected++;
      fprintf(stderr, "thread %d: checkout status %u (%s): %s\n", worker->index, (unsigned)status,
              lm_status_name(status), lm_last_error_message());
    }
    release(&response);
  }
  return NULL;
}

static void test_threads(struct fixture *fixture) {
  struct worker workers[THREAD_COUNT];
  pthread_barrier_t start;
  lm_buffer response;
  char *request;
  char *license_arn;
  int verified = 0, verify_failures = 0, granted = 0, exhausted = 0, exhausted_messages = 0;
  int unexpected = 0, initial_empty = 0, distinct = 1;
  char *main_message = format("%s", lm_last_error_message());
  int i, j;

  request = license_request(fixture, fixture->kid, "create-threads");
  check_status(run_operation(lm_create_license, fixture->store, request, &response), LM_STATUS_OK,
               "a second license for the threads");
  license_arn = json_string((const char *)response.data, "LicenseArn");
  release(&response);
  free(request);
  if (license_arn == NULL) {
    free(main_message);
    return;
  }

  pthread_barrier_init(&start, NULL, THREAD_COUNT);
  for (i = 0; i < THREAD_COUNT; i++) {
    memset(&workers[i], 0, sizeof workers[i]);
    workers[i].index = i;
    workers[i].fixture = fixture;
    workers[i].license_arn = license_arn;
    workers[i].start = &start;
    if (pthread_create(&workers[i].thread, NULL, work, &workers[i]) != 0) {
      fprintf(stderr, "pthread_create failed\n");
      exit(1);
    }
  }
  for (i = 0; i < THREAD_COUNT; i++) {
    pthread_join(workers[i].thread, NULL);
  }
  pthread_barrier_destroy(&start);

  for (i = 0; i < THREAD_COUNT; i++) {
    initial_empty += workers[i].initial_message_empty;
    verified += workers[i].verified;
    verify_failures += workers[i].verify_failures;
    granted += workers[i].granted;
    exhausted += workers[i].exhausted;
    exhausted_messages += workers[i].exhausted_message_ok;
    unexpected += workers[i].unexpected;
  }

  /* Every granted consumption token is unique across all threads. */
  for (i = 0; i < THREAD_COUNT * BORROWS_PER_THREAD; i++) {
    const char *a = workers[i / BORROWS_PER_THREAD].consumption_tokens[i % BORROWS_PER_THREAD];
    for (j = i + 1; a[0] != 0 && j < THREAD_COUNT * BORROWS_PER_THREAD; j++) {
      const char *b = workers[j / BORROWS_PER_THREAD].consumption_tokens[j % BORROWS_PER_THREAD];
      distinct &= strcmp(a, b) != 0;
    }
  }

  check_long(initial_empty, THREAD_COUNT, "each new thread starts with an empty error message");
  check_long(granted, LICENSE_MAX_COUNT, "threads were granted exactly MaxCount borrows");
  check_long(exhausted, THREAD_COUNT * BORROWS_PER_THREAD - LICENSE_MAX_COUNT,
             "the other concurrent borrows were NO_ENTITLEMENTS_ALLOWED");
  check_long(exhausted_messages, exhausted, "each thread read its own exhaustion message");
  check_long(unexpected, 0, "no concurrent checkout returned another status");
  check_long(verified, THREAD_COUNT * BORROWS_PER_THREAD + LICENSE_MAX_COUNT,
             "every concurrent verification succeeded");
  check_long(verify_failures, 0, "no concurrent verification failed");
  check(distinct, "concurrent consumption tokens are distinct");
  check_usage(fixture->store, license_arn, "10", "usage after the threads is MaxCount");
  check_string(lm_last_error_message(), main_message,
               "the threads' failures leave the main thread's message alone");
  free(main_message);

  request = format("{\"LicenseArn\": \"%s\", \"State\": \"ACTIVE\"}", license_arn);
  check_status(run_operation(lm_list_license_consumptions, fixture->store, request, &response),
               LM_STATUS_OK, "list the threads' consumptions");
  check_long(json_count((const char *)response.data, "State", "ACTIVE"), LICENSE_MAX_COUNT,
             "the list shows MaxCount ACTIVE consumptions");
  release(&response);
  free(request);
  free(license_arn);
}

/* ---------------------------------------------------------------- main */

static void remove_store_files(struct fixture *fixture) {
  static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
  size_t i;

  for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
    char *path = format("%s%s", fixture->database, suffixes[i]);
    unlink(path);
    free(path);
  }
  rmdir(fixture->directory);
}

int main(int argc, char **argv) {
  const char *license_path = argc > 1 ? argv[1] : "examples/licenses/enterprise.json";
  struct fixture fixture;

  memset(&fixture, 0, sizeof fixture);
  setvbuf(stdout, NULL, _IOLBF, 0);

  /* Must run first: no call on this thread may have failed yet. */
  test_before_any_failure();

  fixture.license_template = read_file(license_path);
  if (fixture.license_template == NULL) {
    fprintf(stderr, "cannot read %s\n", license_path);
    return 2;
  }

  test_versions();
  test_status_names();
  test_generate_key(&fixture);
  test_signer(&fixture);
  test_verifiers(&fixture);
  test_der_keys(&fixture);
  test_stores(&fixture);
  test_create_license(&fixture);
  test_get_license(&fixture);
  test_borrow(&fixture);
  test_wrong_signer(&fixture);
  test_verify(&fixture);
  test_check_in_and_list(&fixture);
  test_extend(&fixture);
  test_provisional_and_perpetual(&fixture);
  test_sign(&fixture);
  test_non_utf8_text(&fixture);
  test_null_arguments(&fixture);
  test_error_message_rules(&fixture);
  test_buffer_free_twice(&fixture);
  test_threads(&fixture);

  lm_store_close(fixture.store);
  lm_verifier_free(fixture.jwks_verifier);
  lm_verifier_free(fixture.verifier);
  lm_signer_free(fixture.signer);
  release(&fixture.public_pem);
  release(&fixture.private_pem);
  remove_store_files(&fixture);
  free(fixture.database);
  free(fixture.license_template);
  free(fixture.kid);
  free(fixture.license_arn);
  free(fixture.borrow_token);
  free(fixture.consumption_token);

  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
