// Public vectors from the repository's tests/vectors: RFC 7520 section 4.2 and the
// Wycheproof RSA-PSS keys.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

import { Signer, Verifier } from '../index.js'
import { VECTORS, throwsCode } from './helpers.mjs'

// The Wycheproof files and the JWS algorithm of their hash. Their messages are signed as they
// are, not as JWS signing inputs, so only their keys can go through a Verifier.
const WYCHEPROOF_FILES = {
  'rsa_pss_2048_sha256_mgf1_0_test.json': 'PS256',
  'rsa_pss_2048_sha256_mgf1_32_test.json': 'PS256',
  'rsa_pss_2048_sha384_mgf1_48_test.json': 'PS384',
  'rsa_pss_4096_sha512_mgf1_64_test.json': 'PS512',
}

function load(relative) {
  return JSON.parse(readFileSync(join(VECTORS, relative), 'utf8'))
}

function publicMembers(jwk) {
  const { kty, kid, use, n, e } = jwk
  return { kty, kid, use, n, e }
}

test('RFC 7520 compact JWS verifies', async () => {
  const example = load('rfc7520/4_2.rsa-pss_signature.json')
  const verifier = Verifier.fromJwks({ keys: [publicMembers(example.input.key)] })

  const verified = verifier.verify(example.output.compact, { profile: 'jws' })
  const verifiedAsync = await verifier.verifyAsync(example.output.compact, { profile: 'jws' })

  assert.equal(verified.payload.toString('utf8'), example.input.payload)
  assert.deepEqual(verified.header, { alg: 'PS384', kid: 'bilbo.baggins@hobbiton.example' })
  assert.equal(verified.claims, null)
  assert.deepEqual(verifiedAsync.payload, verified.payload)
})

test('RFC 7520 token is no license token', () => {
  const example = load('rfc7520/4_2.rsa-pss_signature.json')
  const verifier = Verifier.fromJwks(publicMembers(example.input.key))

  throwsCode(() => verifier.verify(example.output.compact), 'LM_STATUS_TOKEN_MALFORMED', 300)
  throwsCode(
    () => verifier.verify(example.output.compact, { profile: 'jws', algorithms: ['PS256'] }),
    'LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD',
    201,
  )
})

for (const [fileName, algorithm] of Object.entries(WYCHEPROOF_FILES)) {
  test(`Wycheproof key loads: ${fileName}`, () => {
    const group = load(`wycheproof/${fileName}`).testGroups[0]
    const forms = {
      PEM: group.publicKeyPem,
      'SPKI DER': Buffer.from(group.publicKeyDer, 'hex'),
      'PKCS#1 DER': new Uint8Array(Buffer.from(group.publicKeyAsn, 'hex')),
    }
    // A token from another key fails on its signature, which shows the key loaded and was used.
    const foreignToken = Signer.generate().sign('document', algorithm)

    for (const [form, key] of Object.entries(forms)) {
      const error = throwsCode(
        () => Verifier.fromPem(key).verify(foreignToken, { profile: 'jws' }),
        'LM_STATUS_SIGNATURE_INVALID',
        301,
      )
      assert.ok(error, form)
    }

    // The file with a salt of 0 has no JWK form: a JWK's "alg" implies a salt of the hash length.
    if (group.publicKeyJwk !== undefined) {
      assert.equal(group.publicKeyJwk.alg, algorithm)
      throwsCode(
        () => Verifier.fromJwks({ keys: [group.publicKeyJwk] }).verify(foreignToken, { profile: 'jws' }),
        'LM_STATUS_SIGNATURE_INVALID',
        301,
      )
    }
  })
}
