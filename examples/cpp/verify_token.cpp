// Verifies a license checkout token offline and prints what it grants, from C++.
//
// Usage: verify_token PUBLIC_KEY_PEM TOKEN_FILE [NODE_ID]
//
// The same program as examples/c/verify_token.c, with the library's handle and buffer owned by
// std::unique_ptr so that every exit path releases them. Exits 0 when the token verifies.
#include <checkout.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace {

struct VerifierDeleter {
  void operator()(lm_verifier *verifier) const { lm_verifier_free(verifier); }
};

// Frees the bytes the library returned, then the heap-allocated struct that pointed to them.
struct BufferDeleter {
  void operator()(lm_buffer *buffer) const {
    lm_buffer_free(buffer);
    delete buffer;
  }
};

using Verifier = std::unique_ptr<lm_verifier, VerifierDeleter>;
using Buffer = std::unique_ptr<lm_buffer, BufferDeleter>;

std::optional<std::string> read_file(const char *path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return std::nullopt;
  }
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

std::string node_options(std::string_view node_id) {
  std::string options = "{\"nodeId\":\"";
  for (unsigned char c : node_id) {
    if (c == '"' || c == '\\') {
      options += '\\';
      options += static_cast<char>(c);
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      options += escaped;
    } else {
      options += static_cast<char>(c);
    }
  }
  return options + "\"}";
}

// A minimal walk over JSON text that the library has already parsed and checked, so it assumes
// well-formed input. Strings are returned as written, escape sequences included.
class JsonCursor {
 public:
  explicit JsonCursor(std::string_view text) : text_(text) {}

  // Returns the text of the value of member `key` in the object at `at`, or an empty view.
  std::string_view member(std::size_t at, std::string_view key) const {
    at = skip_space(at);
    if (at >= text_.size() || text_[at] != '{') {
      return {};
    }
    at = skip_space(at + 1);
    while (at < text_.size() && text_[at] == '"') {
      std::size_t name_end = skip_string(at);
      std::string_view name = text_.substr(at + 1, name_end - at - 2);
      std::size_t value = skip_space(skip_space(name_end) + 1);
      std::size_t value_end = skip_value(value);
      if (name == key) {
        return text_.substr(value, value_end - value);
      }
      at = skip_space(value_end);
      if (at < text_.size() && text_[at] == ',') {
        at = skip_space(at + 1);
      }
    }
    return {};
  }

  std::size_t offset_of(std::string_view inner) const {
    return static_cast<std::size_t>(inner.data() - text_.data());
  }

  std::size_t skip_space(std::size_t at) const {
    while (at < text_.size() && is_one_of(text_[at], " \t\r\n")) {
      at++;
    }
    return at;
  }

  std::size_t skip_string(std::size_t at) const {
    for (at++; at < text_.size() && text_[at] != '"'; at++) {
      if (text_[at] == '\\') {
        at++;
      }
    }
    return at < text_.size() ? at + 1 : at;
  }

  std::size_t skip_value(std::size_t at) const {
    int depth = 0;
    do {
      at = skip_space(at);
      if (at >= text_.size()) {
        break;
      }
      char c = text_[at];
      if (c == '"') {
        at = skip_string(at);
      } else if (c == '{' || c == '[') {
        depth++;
        at++;
      } else if (c == '}' || c == ']') {
        depth--;
        at++;
      } else if (c == ',' || c == ':') {
        at++;
      } else {
        while (at < text_.size() && !is_one_of(text_[at], ",:}] \t\r\n")) {
          at++;
        }
      }
    } while (depth > 0);
    return at;
  }

  std::string_view text() const { return text_; }

 private:
  static bool is_one_of(char c, std::string_view set) {
    return set.find(c) != std::string_view::npos;
  }

  std::string_view text_;
};

std::string_view unquote(std::string_view json_string) {
  if (json_string.size() < 2 || json_string.front() != '"') {
    return {};
  }
  return json_string.substr(1, json_string.size() - 2);
}

void print_entitlements(std::string_view payload) {
  JsonCursor json(payload);
  std::string_view array = json.member(0, "entitlementsAllowed");
  if (array.empty() || array.front() != '[') {
    return;
  }

  std::size_t at = json.skip_space(json.offset_of(array) + 1);
  while (at < payload.size() && payload[at] == '{') {
    std::string_view name = unquote(json.member(at, "name"));
    std::string_view value = unquote(json.member(at, "value"));
    if (name.data() != nullptr && value.data() != nullptr) {
      std::cout << "entitlement " << name << ": " << value << '\n';
    }
    at = json.skip_space(json.skip_value(at));
    if (at < payload.size() && payload[at] == ',') {
      at = json.skip_space(at + 1);
    }
  }
}

int report_failure(const char *what, lm_status status) {
  std::cerr << "verify_token: " << what << ": " << lm_status_name(status) << " (" << status
            << "): " << lm_last_error_message() << '\n';
  return 1;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 3 || argc > 4) {
    std::cerr << "usage: " << argv[0] << " PUBLIC_KEY_PEM TOKEN_FILE [NODE_ID]\n";
    return 1;
  }

  std::optional<std::string> pem = read_file(argv[1]);
  std::optional<std::string> token = read_file(argv[2]);
  if (!pem || !token) {
    std::cerr << "verify_token: cannot read " << (!pem ? argv[1] : argv[2]) << '\n';
    return 1;
  }

  // A token file usually ends with a newline, which is not part of the token.
  token->erase(token->find_last_not_of(" \t\r\n") + 1);

  std::optional<std::string> options;
  if (argc == 4) {
    options = node_options(argv[3]);
  }

  lm_verifier *raw_verifier = nullptr;
  lm_status status = lm_verifier_from_pem(reinterpret_cast<const uint8_t *>(pem->data()),
                                          pem->size(), &raw_verifier);
  Verifier verifier(raw_verifier);
  if (status != LM_STATUS_OK) {
    return report_failure("cannot load the public key", status);
  }

  // NULL options keep the defaults: PS256/PS384/PS512, the current time, 60 s of leeway.
  Buffer payload(new lm_buffer{nullptr, 0});
  status = lm_verify(verifier.get(), reinterpret_cast<const uint8_t *>(token->data()),
                     token->size(), options ? options->c_str() : nullptr, payload.get());
  if (status != LM_STATUS_OK) {
    return report_failure("the token is not valid", status);
  }

  std::string_view text(reinterpret_cast<const char *>(payload->data), payload->len);
  std::cout << "verified token" << (options ? " for node " : "") << (options ? argv[3] : "")
            << '\n';
  std::cout << "payload: " << text << '\n';
  print_entitlements(text);
  return 0;
}
