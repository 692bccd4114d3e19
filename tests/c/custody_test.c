/*
 * Key custody through the C ABI: a signer whose private key stays in "another service" (here
 * OpenSSL's libcrypto, standing in for a KMS) reached through lm_signer_from_callback, and
 * encrypted PKCS#8 keys through lm_signer_from_encrypted_pem.
 *
 * Usage: custody_test KEY.pem ENCRYPTED.pem PASSPHRASE
 * Ends with a line "N passed, N failed" and exits non-zero on any failure.
 */
#include <checkout.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed;
static int failed;

static void check(int condition, const char *what) {
    if (condition) {
        passed++;
        printf("ok - %s\n", what);
    } else {
        failed++;
        printf("not ok - %s (last message: %s)\n", what, lm_last_error_message());
    }
}

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    unsigned char *data = malloc(65536);
    *len = fread(data, 1, 65536, file);
    fclose(file);
    return data;
}

/* What the "service" does: the mode the test selects for its next calls. */
enum mode { SIGN_CORRECTLY, SIGN_WITH_MAX_SALT, FAIL };

struct service {
    EVP_PKEY *key;
    enum mode mode;
    int calls;
};

static const EVP_MD *hash_of(const char *alg) {
    if (strcmp(alg, "PS256") == 0) return EVP_sha256();
    if (strcmp(alg, "PS384") == 0) return EVP_sha384();
    if (strcmp(alg, "PS512") == 0) return EVP_sha512();
    return NULL;
}

/* Signs the digest with RSASSA-PSS, as AWS KMS Sign with MessageType DIGEST does. */
static int32_t sign_digest(void *user_data, const char *alg, const uint8_t *digest,
                           size_t digest_len, uint8_t *signature, size_t signature_capacity,
                           size_t *signature_len) {
    struct service *service = user_data;
    service->calls++;
    if (service->mode == FAIL) return 7;

    const EVP_MD *md = hash_of(alg);
    if (md == NULL || (size_t)EVP_MD_get_size(md) != digest_len) return 1;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(service->key, NULL);
    int salt = service->mode == SIGN_CORRECTLY ? RSA_PSS_SALTLEN_DIGEST : RSA_PSS_SALTLEN_MAX;
    size_t len = signature_capacity;
    int ok = ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx, md) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, salt) == 1 &&
             EVP_PKEY_sign(ctx, signature, &len, digest, digest_len) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!ok) return 2;
    *signature_len = len;
    return 0;
}

static void test_callback_signer(const char *key_path) {
    FILE *file = fopen(key_path, "r");
    struct service service = {PEM_read_PrivateKey(file, NULL, NULL, NULL), SIGN_CORRECTLY, 0};
    fclose(file);
    check(service.key != NULL, "openssl reads the issuer key");

    /* The public key, as KMS GetPublicKey returns it: SubjectPublicKeyInfo DER. */
    unsigned char *spki = NULL;
    int spki_len = i2d_PUBKEY(service.key, &spki);
    check(spki_len > 0, "openssl writes the SPKI DER");

    lm_signer *signer = NULL;
    lm_status status = lm_signer_from_callback(spki, (size_t)spki_len, "PS384", sign_digest,
                                               &service, &signer);
    check(status == LM_STATUS_OK && signer != NULL, "a callback signer is created");
    check(service.calls == 1, "creation made one test signature");

    lm_buffer token = {0};
    const char payload[] = "{\"hello\":\"kms\"}";
    status = lm_sign(signer, (const uint8_t *)payload, strlen(payload), &token);
    check(status == LM_STATUS_OK, "the callback signer signs");

    lm_verifier *verifier = NULL;
    status = lm_verifier_from_pem(spki, (size_t)spki_len, &verifier);
    check(status == LM_STATUS_OK, "a verifier loads the DER public key as it comes");
    lm_buffer verified = {0};
    status = lm_verify(verifier, token.data, token.len, "{\"profile\":\"jws\"}", &verified);
    check(status == LM_STATUS_OK && verified.len == strlen(payload) &&
              memcmp(verified.data, payload, verified.len) == 0,
          "the token verifies and returns the payload");

    service.mode = SIGN_WITH_MAX_SALT;
    lm_buffer refused = {0};
    status = lm_sign(signer, (const uint8_t *)payload, strlen(payload), &refused);
    check(status == LM_STATUS_SIGNER && refused.data == NULL,
          "a signature with the maximum salt is refused with LM_STATUS_SIGNER");
    check(strstr(lm_last_error_message(), "does not verify as PS384 with a 48-byte salt") != NULL,
          "the message names the algorithm and salt length");

    service.mode = FAIL;
    status = lm_sign(signer, (const uint8_t *)payload, strlen(payload), &refused);
    check(status == LM_STATUS_SIGNER, "a failing callback gives LM_STATUS_SIGNER");
    check(strstr(lm_last_error_message(), "returned 7") != NULL, "the message has the return value");

    lm_signer *second = NULL;
    status = lm_signer_from_callback(spki, (size_t)spki_len, NULL, sign_digest, &service, &second);
    check(status == LM_STATUS_SIGNER && second == NULL,
          "creation fails when the test signature fails");
    status = lm_signer_from_callback(spki, (size_t)spki_len, NULL, NULL, &service, &second);
    check(status == LM_STATUS_INVALID_ARGUMENT, "a NULL callback is an invalid argument");
    status = lm_signer_from_callback(spki, (size_t)spki_len, "RS256", sign_digest, &service, &second);
    check(status == LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD, "RS256 is not supported");

    lm_buffer_free(&token);
    lm_buffer_free(&verified);
    lm_verifier_free(verifier);
    lm_signer_free(signer);
    OPENSSL_free(spki);
    EVP_PKEY_free(service.key);
}

static void test_encrypted_pem(const char *path, const char *passphrase) {
    size_t len = 0;
    unsigned char *pem = read_file(path, &len);

    lm_signer *signer = NULL;
    lm_status status = lm_signer_from_encrypted_pem(pem, len, (const uint8_t *)passphrase,
                                                    strlen(passphrase), "PS512", &signer);
    check(status == LM_STATUS_OK && signer != NULL, "an openssl-encrypted key loads");
    lm_signer_free(signer);

    signer = NULL;
    status = lm_signer_from_encrypted_pem(pem, len, (const uint8_t *)"wrong", 5, NULL, &signer);
    check(status == LM_STATUS_KEY_INVALID && signer == NULL, "a wrong passphrase is KEY_INVALID");
    status = lm_signer_from_encrypted_pem(pem, len, NULL, 0, NULL, &signer);
    check(status == LM_STATUS_INVALID_ARGUMENT, "an empty passphrase is an invalid argument");
    status = lm_signer_from_encrypted_pem(pem, len, NULL, 4, NULL, &signer);
    check(status == LM_STATUS_INVALID_ARGUMENT, "(NULL, 4) passphrase is an invalid argument");
    status = lm_signer_from_pem(pem, len, NULL, &signer);
    check(status == LM_STATUS_KEY_INVALID, "the plain loader asks for the passphrase");
    free(pem);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s KEY.pem ENCRYPTED.pem PASSPHRASE\n", argv[0]);
        return 2;
    }
    test_callback_signer(argv[1]);
    test_encrypted_pem(argv[2], argv[3]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
