// Signer: loading, generating, exporting keys and signing, sync and async.

import assert from 'node:assert/strict'
import { createPrivateKey } from 'node:crypto'
import { before, describe, test } from 'node:test'

import { Signer, Verifier } from '../index.js'
import { rejectsCode, throwsCode, throwsTypeError } from './helpers.mjs'

const JWS = { profile: 'jws' }

function header(token) {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'))
}

describe('Signer', () => {
  let signer
  let verifier

  before(() => {
    signer = Signer.generate()
    verifier = Verifier.fromPem(signer.publicKeyPem())
  })

  test('generate defaults to 2048 bits and PS256', () => {
    assert.equal(signer.algorithm, 'PS256')
    assert.match(signer.kid, /^[A-Za-z0-9_-]{43}$/)
    const key = createPrivateKey(signer.privateKeyPem())
    assert.equal(key.asymmetricKeyDetails.modulusLength, 2048)
  })

  test('generateAsync takes bits and algorithm', async () => {
    const generated = await Signer.generateAsync(3072, 'PS512')
    assert.ok(generated instanceof Signer)
    assert.equal(generated.algorithm, 'PS512')
    const key = createPrivateKey(generated.privateKeyPem())
    assert.equal(key.asymmetricKeyDetails.modulusLength, 3072)
  })

  test('generate rejects other key sizes', async () => {
    throwsCode(() => Signer.generate(1024), 'LM_STATUS_INVALID_ARGUMENT', 100)
    await rejectsCode(Signer.generateAsync(1024), 'LM_STATUS_INVALID_ARGUMENT', 100)
    throwsCode(() => Signer.generate(2048.5), 'LM_STATUS_INVALID_ARGUMENT', 100)
    throwsCode(() => Signer.generate(2048, 'RS256'), 'LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD', 201)
  })

  test('fromPem reloads the same key', () => {
    const pem = signer.privateKeyPem()
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/)

    const fromText = Signer.fromPem(pem, 'PS384')
    const fromBytes = Signer.fromPem(Buffer.from(pem))
    const der = createPrivateKey(pem).export({ format: 'der', type: 'pkcs1' })
    const fromDer = Signer.fromPem(new Uint8Array(der))

    assert.equal(fromText.kid, signer.kid)
    assert.equal(fromText.algorithm, 'PS384')
    assert.equal(fromBytes.kid, signer.kid)
    assert.equal(fromBytes.algorithm, 'PS256')
    assert.equal(fromDer.kid, signer.kid)
  })

  test('fromPemAsync reloads the same key', async () => {
    const loaded = await Signer.fromPemAsync(signer.privateKeyPem(), 'PS512')
    assert.equal(loaded.kid, signer.kid)
    assert.equal(loaded.algorithm, 'PS512')
  })

  test('fromPem rejects a public key', async () => {
    const error = throwsCode(() => Signer.fromPem(signer.publicKeyPem()), 'LM_STATUS_KEY_INVALID', 200)
    assert.doesNotMatch(error.message, /BEGIN/)
    await rejectsCode(Signer.fromPemAsync('not a key'), 'LM_STATUS_KEY_INVALID', 200)
  })

  test('publicJwk carries the thumbprint', () => {
    const jwk = signer.publicJwk()
    assert.deepEqual(Object.keys(jwk).sort(), ['e', 'kid', 'kty', 'n', 'use'])
    assert.equal(jwk.kid, signer.kid)
    assert.equal(jwk.kty, 'RSA')
    assert.equal(jwk.e, 'AQAB')
    assert.equal(jwk.use, 'sig')
  })

  test('publicKeyPem is an SPKI PEM', () => {
    const pem = signer.publicKeyPem()
    assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n/)
  })

  test('sign serializes an object with typ', () => {
    const token = signer.sign({ seats: 3 })
    assert.deepEqual(header(token), { alg: 'PS256', typ: 'JWT', kid: signer.kid })
    assert.equal(verifier.verify(token, JWS).payload.toString('utf8'), '{"seats":3}')
  })

  test('sign takes bytes and text as they are', () => {
    const fromText = signer.sign('plain text', 'PS384')
    const fromBytes = signer.sign(new Uint8Array([0, 1, 255]))

    assert.deepEqual(header(fromText), { alg: 'PS384', kid: signer.kid })
    assert.equal(verifier.verify(fromText, JWS).payload.toString('utf8'), 'plain text')
    assert.deepEqual([...verifier.verify(fromBytes, JWS).payload], [0, 1, 255])
  })

  test('signAsync returns the token', async () => {
    const token = await signer.signAsync({ seats: 1 }, 'PS512')
    assert.equal(typeof token, 'string')
    assert.equal(header(token).alg, 'PS512')
    assert.equal(verifier.verify(token, JWS).payload.toString('utf8'), '{"seats":1}')
  })

  test('signAsync copies its input before queuing', async () => {
    const payload = Buffer.from('original')
    const pending = signer.signAsync(payload)
    payload.write('changed!')
    const token = await pending
    assert.equal(verifier.verify(token, JWS).payload.toString('utf8'), 'original')
  })

  test('sign rejects unknown algorithms', () => {
    throwsCode(() => signer.sign('x', 'HS256'), 'LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD', 201)
    // Arguments are checked before the task is queued, so an Async method throws for them.
    throwsCode(() => signer.signAsync('x', 'none'), 'LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD', 201)
  })

  test('wrong argument types throw TypeError', () => {
    throwsTypeError(() => Signer.fromPem(42), /pem must be a string or Uint8Array, not number/)
    throwsTypeError(() => Signer.fromPem(new Float32Array(4)), /not typed array/)
    throwsTypeError(() => Signer.fromPemAsync(null), /not null/)
    throwsTypeError(() => Signer.generate('2048'), /bits must be a number, not string/)
    throwsTypeError(() => Signer.generateAsync(2048, 384), /algorithm must be a string/)
    throwsTypeError(() => signer.sign(undefined), /payload must be an object/)
    throwsTypeError(() => signer.sign(12), /not number/)
    throwsTypeError(() => signer.signAsync(() => 1), /not function/)
    assert.throws(() => signer.sign({ big: 1n }), TypeError)
  })
})
