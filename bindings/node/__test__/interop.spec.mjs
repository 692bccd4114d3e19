// Interoperability with node:crypto and the npm jose package, in both directions.

import assert from 'node:assert/strict'
import { constants, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto'
import { describe, test } from 'node:test'

import { CompactSign, compactVerify, importJWK, importSPKI, calculateJwkThumbprint } from 'jose'

import { Signer, Store, Verifier } from '../index.js'
import { borrowRequest, checkoutClaims, licenseRequest, nowSeconds, throwsCode } from './helpers.mjs'

const HASHES = { PS256: ['sha256', 32], PS384: ['sha384', 48], PS512: ['sha512', 64] }

const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 })
const foreignPem = foreign.publicKey.export({ type: 'spki', format: 'pem' })
const signer = Signer.generate()

function pss(algorithm) {
  const [hash, saltLength] = HASHES[algorithm]
  return { hash, options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength } }
}

describe('node:crypto', () => {
  for (const algorithm of Object.keys(HASHES)) {
    test(`crypto ${algorithm} signature verifies here`, () => {
      const header = Buffer.from(JSON.stringify({ alg: algorithm })).toString('base64url')
      const payload = Buffer.from('signed by node:crypto').toString('base64url')
      const { hash, options } = pss(algorithm)
      const signature = sign(hash, Buffer.from(`${header}.${payload}`), { key: foreign.privateKey, ...options })

      const verified = Verifier.fromPem(foreignPem).verify(`${header}.${payload}.${signature.toString('base64url')}`, {
        profile: 'jws',
      })

      assert.equal(verified.payload.toString('utf8'), 'signed by node:crypto')
    })

    test(`our ${algorithm} signature verifies in crypto`, () => {
      const token = signer.sign('raw', algorithm)
      const [header, payload, signature] = token.split('.')
      const { hash, options } = pss(algorithm)
      const key = { key: createPublicKey(signer.publicKeyPem()), ...options }

      assert.equal(verify(hash, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url')), true)
      assert.equal(verify(hash, Buffer.from(`${header}.${payload}x`), key, Buffer.from(signature, 'base64url')), false)
    })
  }

  test('crypto maximum salt is rejected', () => {
    const header = Buffer.from('{"alg":"PS256"}').toString('base64url')
    const payload = Buffer.from('wrong salt').toString('base64url')
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), {
      key: foreign.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN,
    })

    throwsCode(
      () => Verifier.fromPem(foreignPem).verify(`${header}.${payload}.${signature.toString('base64url')}`, { profile: 'jws' }),
      'LM_STATUS_SIGNATURE_INVALID',
      301,
    )
  })
})

describe('jose', () => {
  for (const algorithm of Object.keys(HASHES)) {
    test(`jose ${algorithm} token verifies here`, async () => {
      const now = nowSeconds()
      const claims = checkoutClaims(now, now + 3600)
      const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
        .setProtectedHeader({ alg: algorithm, kid: 'vendor-1', typ: 'JWT' })
        .sign(foreign.privateKey)

      const jwk = { ...foreign.publicKey.export({ format: 'jwk' }), kid: 'vendor-1' }
      const verified = await Verifier.fromJwks({ keys: [jwk] }).verifyAsync(token, { nodeId: '100.20.15.10' })

      assert.deepEqual(verified.header, { alg: algorithm, kid: 'vendor-1', typ: 'JWT' })
      assert.deepEqual(verified.claims, claims)
    })

    test(`our ${algorithm} token verifies in jose`, async () => {
      const token = await signer.signAsync('document bytes', algorithm)
      const key = await importJWK(signer.publicJwk(), algorithm)

      const { payload, protectedHeader } = await compactVerify(token, key, { algorithms: [algorithm] })

      assert.equal(new TextDecoder().decode(payload), 'document bytes')
      assert.deepEqual(protectedHeader, { alg: algorithm, kid: signer.kid })
    })
  }

  test('jose thumbprint equals our kid', async () => {
    assert.equal(await calculateJwkThumbprint(signer.publicJwk(), 'sha256'), signer.kid)
  })

  test('checkout token verifies in jose', async () => {
    const store = new Store(':memory:')
    const arn = store.createLicense(licenseRequest(signer)).LicenseArn
    const response = await store.checkoutAsync(signer, borrowRequest(arn))
    const key = await importSPKI(signer.publicKeyPem(), 'PS384')

    const { payload, protectedHeader } = await compactVerify(response.SignedToken, key)
    const claims = JSON.parse(new TextDecoder().decode(payload))

    assert.equal(protectedHeader.alg, 'PS384')
    assert.equal(claims.licenseArn, arn)
    assert.equal(claims.exp - claims.iat, 4320 * 60)
  })
})
