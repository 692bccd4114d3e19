/*
 * Verifies a license checkout token offline and prints what it grants.
 *
 * Usage: verify_token PUBLIC_KEY_PEM TOKEN_FILE [NODE_ID]
 *
 * PUBLIC_KEY_PEM is the issuer's public key (SubjectPublicKeyInfo or PKCS#1, PEM or DER).
 * TOKEN_FILE holds the SignedToken of a checkout. With NODE_ID the token must be bound to that
 * node. Exits 0 when the token verifies, 1 otherwise.
 */
#include <checkout.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a whole file into a NUL-terminated buffer, or returns NULL with errno set. */
static char *read_file(const char *path, size_t *length) {
  FILE *file = fopen(path, "rb");
  char *data = NULL;
  long size;

  if (file == NULL) {
    return NULL;
  }
  if (fseek(file, 0, SEEK_END) == 0 && (size = ftell(file)) >= 0 && fseek(file, 0, SEEK_SET) == 0) {
    data = malloc((size_t)size + 1);
    if (data != NULL && fread(data, 1, (size_t)size, file) == (size_t)size) {
      data[size] = 0;
      *length = (size_t)size;
    } else {
      free(data);
      data = NULL;
    }
  }
  fclose(file);
  return data;
}

/* Builds the options {"nodeId":"..."} with the node id escaped as a JSON string. */
static char *node_options(const char *node_id) {
  size_t capacity = strlen(node_id) * 6 + 16;
  char *options = malloc(capacity);
  char *out = options;
  const unsigned char *in;

  if (options == NULL) {
    return NULL;
  }
  out += sprintf(out, "{\"nodeId\":\"");
  for (in = (const unsigned char *)node_id; *in != 0; in++) {
    if (*in == '"' || *in == '\\') {
      *out++ = '\\';
      *out++ = (char)*in;
    } else if (*in < 0x20) {
      out += sprintf(out, "\\u%04x", *in);
    } else {
      *out++ = (char)*in;
    }
  }
  strcpy(out, "\"}");
  return options;
}

/*
 * A minimal walk over JSON text that the library has already parsed and checked, so it assumes
 * well-formed input. Strings are returned as written, escape sequences included.
 */
static const char *skip_space(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
    p++;
  }
  return p;
}

static const char *skip_string(const char *p) {
  for (p++; *p != 0 && *p != '"'; p++) {
    if (*p == '\\' && p[1] != 0) {
      p++;
    }
  }
  return *p == '"' ? p + 1 : p;
}

static const char *skip_value(const char *p) {
  int depth = 0;

  do {
    p = skip_space(p);
    if (*p == '"') {
      p = skip_string(p);
    } else if (*p == '{' || *p == '[') {
      depth++;
      p++;
    } else if (*p == '}' || *p == ']') {
      depth--;
      p++;
    } else if (*p == ',' || *p == ':') {
      p++;
    } else {
      while (*p != 0 && strchr(",:}] \t\r\n", *p) == NULL) {
        p++;
      }
    }
  } while (depth > 0 && *p != 0);
  return p;
}

/* Returns the value of the member named key in the object starting at p, or NULL. */
static const char *find_member(const char *p, const char *key) {
  size_t key_length = strlen(key);

  p = skip_space(p);
  if (*p != '{') {
    return NULL;
  }
  p = skip_space(p + 1);
  while (*p == '"') {
    const char *name = p + 1;
    const char *name_end = skip_string(p) - 1;

    p = skip_space(skip_string(p));
    p = skip_space(p + 1); /* the colon */
    if ((size_t)(name_end - name) == key_length && strncmp(name, key, key_length) == 0) {
      return p;
    }
    p = skip_space(skip_value(p));
    if (*p == ',') {
      p = skip_space(p + 1);
    }
  }
  return NULL;
}

/* Prints the name and value of each entry in the payload's entitlementsAllowed array. */
static void print_entitlements(const char *payload) {
  const char *p = find_member(payload, "entitlementsAllowed");

  if (p == NULL || *p != '[') {
    return;
  }
  p = skip_space(p + 1);
  while (*p == '{') {
    const char *name = find_member(p, "name");
    const char *value = find_member(p, "value");

    if (name != NULL && value != NULL && *name == '"' && *value == '"') {
      printf("entitlement %.*s: %.*s\n", (int)(skip_string(name) - name - 2), name + 1,
             (int)(skip_string(value) - value - 2), value + 1);
    }
    p = skip_space(skip_value(p));
    if (*p == ',') {
      p = skip_space(p + 1);
    }
  }
}

static void report_failure(const char *what, lm_status status) {
  fprintf(stderr, "verify_token: %s: %s (%u): %s\n", what, lm_status_name(status), (unsigned)status,
          lm_last_error_message());
}

int main(int argc, char **argv) {
  lm_verifier *verifier = NULL;
  lm_buffer payload = {NULL, 0};
  char *pem = NULL;
  char *token = NULL;
  char *options = NULL;
  size_t pem_length = 0;
  size_t token_length = 0;
  lm_status status;
  int exit_code = 1;

  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: %s PUBLIC_KEY_PEM TOKEN_FILE [NODE_ID]\n", argv[0]);
    return 1;
  }

  pem = read_file(argv[1], &pem_length);
  if (pem == NULL) {
    fprintf(stderr, "verify_token: cannot read %s: %s\n", argv[1], strerror(errno));
    goto done;
  }
  token = read_file(argv[2], &token_length);
  if (token == NULL) {
    fprintf(stderr, "verify_token: cannot read %s: %s\n", argv[2], strerror(errno));
    goto done;
  }

  /* A token file usually ends with a newline, which is not part of the token. */
  while (token_length > 0 && strchr(" \t\r\n", token[token_length - 1]) != NULL) {
    token[--token_length] = 0;
  }

  if (argc == 4) {
    options = node_options(argv[3]);
    if (options == NULL) {
      fprintf(stderr, "verify_token: out of memory\n");
      goto done;
    }
  }

  status = lm_verifier_from_pem((const uint8_t *)pem, pem_length, &verifier);
  if (status != LM_STATUS_OK) {
    report_failure("cannot load the public key", status);
    goto done;
  }

  /* NULL options keep the defaults: PS256/PS384/PS512, the current time, 60 s of leeway. */
  status = lm_verify(verifier, (const uint8_t *)token, token_length, options, &payload);
  if (status != LM_STATUS_OK) {
    report_failure("the token is not valid", status);
    goto done;
  }

  printf("verified token%s%s\n", argc == 4 ? " for node " : "", argc == 4 ? argv[3] : "");
  printf("payload: %s\n", (const char *)payload.data);
  print_entitlements((const char *)payload.data);
  exit_code = 0;

done:
  lm_buffer_free(&payload);
  lm_verifier_free(verifier);
  free(options);
  free(token);
  free(pem);
  return exit_code;
}
