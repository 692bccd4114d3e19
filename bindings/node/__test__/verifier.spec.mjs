// Verifier: loading keys and verifying tokens with every option, sync and async.

import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'

import { Signer, Verifier } from '../index.js'
import { checkoutClaims, nowSeconds, rejectsCode, throwsCode, throwsTypeError } from './helpers.mjs'

describe('Verifier', () => {
  let signer
  let verifier
  let token
  let claims

  before(() => {
    signer = Signer.generate()
    verifier = Verifier.fromPem(signer.publicKeyPem())
    const now = nowSeconds()
    claims = checkoutClaims(now - 60, now + 3600)
    token = signer.sign(claims, 'PS384')
  })

  test('verify returns header, payload and claims', () => {
    const verified = verifier.verify(token, { nodeId: '100.20.15.10' })
    assert.deepEqual(verified.header, { alg: 'PS384', typ: 'JWT', kid: signer.kid })
    assert.ok(Buffer.isBuffer(verified.payload))
    assert.deepEqual(JSON.parse(verified.payload.toString('utf8')), claims)
    assert.deepEqual(verified.claims, claims)
  })

  test('verify accepts the token as bytes', () => {
    const verified = verifier.verify(Buffer.from(token))
    assert.equal(verified.claims.licenseConsumptionToken, '0123456789abcdef0123456789abcdef')
  })

  test('verifyAsync resolves like verify', async () => {
    const verified = await verifier.verifyAsync(token, { profile: 'license', leewaySeconds: 0 })
    assert.deepEqual(verified.claims, claims)
    const raw = await verifier.verifyAsync(token, { profile: 'jws' })
    assert.equal(raw.claims, null)
  })

  test('fromJwks selects the key by kid', async () => {
    const jwks = { keys: [Signer.generate().publicJwk(), signer.publicJwk()] }
    const fromObject = Verifier.fromJwks(jwks)
    const fromText = Verifier.fromJwks(JSON.stringify(jwks))
    const fromAsync = await Verifier.fromJwksAsync(Buffer.from(JSON.stringify(signer.publicJwk())))

    assert.equal(fromObject.verify(token).claims.nodeId, '100.20.15.10')
    assert.equal(fromText.verify(token).claims.nodeId, '100.20.15.10')
    assert.equal(fromAsync.verify(token).claims.nodeId, '100.20.15.10')
  })

  test('fromPemAsync loads a public key', async () => {
    const loaded = await Verifier.fromPemAsync(signer.publicKeyPem())
    assert.equal(loaded.verify(token).header.kid, signer.kid)
  })

  test('fromPem rejects a private key', async () => {
    throwsCode(() => Verifier.fromPem(signer.privateKeyPem()), 'LM_STATUS_KEY_INVALID', 200)
    await rejectsCode(Verifier.fromPemAsync('junk'), 'LM_STATUS_KEY_INVALID', 200)
    throwsCode(() => Verifier.fromJwks('{"keys": ['), 'LM_STATUS_INVALID_ARGUMENT', 100)
    await rejectsCode(Verifier.fromJwksAsync({ keys: [{ kty: 'EC' }] }), 'LM_STATUS_KEY_INVALID', 200)
  })

  test('now accepts a Date, seconds or a string', () => {
    const expired = signer.sign(checkoutClaims(1_000_000_000, 1_000_003_600))
    const inside = 1_000_001_800

    assert.equal(verifier.verify(expired, { now: new Date(inside * 1000) }).claims.iat, 1_000_000_000)
    assert.equal(verifier.verify(expired, { now: inside + 0.9 }).claims.exp, 1_000_003_600)
    assert.equal(verifier.verify(expired, { now: '2001-09-09T02:16:40Z' }).claims.iat, 1_000_000_000)
    assert.equal(verifier.verify(expired, { now: '2001-09-09T04:16:40+02:00' }).claims.iat, 1_000_000_000)
    throwsCode(() => verifier.verify(expired), 'LM_STATUS_TOKEN_EXPIRED', 302)
    throwsCode(() => verifier.verify(expired, { now: 999_999_000 }), 'LM_STATUS_TOKEN_NOT_YET_VALID', 303)
  })

  test('leewaySeconds widens the validity window', () => {
    const expired = signer.sign(checkoutClaims(1_000_000_000, 1_000_003_600))
    const justAfter = 1_000_003_600 + 30

    throwsCode(() => verifier.verify(expired, { now: justAfter, leewaySeconds: 0 }), 'LM_STATUS_TOKEN_EXPIRED', 302)
    assert.equal(verifier.verify(expired, { now: justAfter }).claims.exp, 1_000_003_600)
    assert.equal(verifier.verify(expired, { now: justAfter, leewaySeconds: 31 }).claims.exp, 1_000_003_600)
  })

  test('nodeId must match the token', async () => {
    throwsCode(() => verifier.verify(token, { nodeId: 'other-node' }), 'LM_STATUS_NODE_MISMATCH', 304)
    await rejectsCode(verifier.verifyAsync(token, { nodeId: 'other-node' }), 'LM_STATUS_NODE_MISMATCH', 304)
  })

  test('algorithms limits the accepted algorithms', () => {
    throwsCode(() => verifier.verify(token, { algorithms: ['PS256'] }), 'LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD', 201)
    assert.equal(verifier.verify(token, { algorithms: ['PS384'] }).header.alg, 'PS384')
    throwsCode(() => verifier.verify(token, { algorithms: [] }), 'LM_STATUS_INVALID_ARGUMENT', 100)
    throwsCode(() => verifier.verify(token, { algorithms: ['RS256'] }), 'LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD', 201)
  })

  test('requireEntitlements compares quantities', () => {
    const granted = verifier.verify(token, {
      requireEntitlements: [
        { name: 'EntitlementCount', value: 2 },
        { name: 'EntitlementCount', value: '1' },
        { name: 'EnterpriseTier', value: 'Enterprise' },
        { name: 'EnterpriseTier' },
      ],
    })
    assert.equal(granted.claims.entitlementsAllowed.length, 2)

    throwsCode(
      () => verifier.verify(token, { requireEntitlements: [{ name: 'EntitlementCount', value: 3 }] }),
      'LM_STATUS_ENTITLEMENT_MISSING',
      305,
    )
    throwsCode(
      () => verifier.verify(token, { requireEntitlements: [{ name: 'Seats' }] }),
      'LM_STATUS_ENTITLEMENT_MISSING',
      305,
    )
    throwsCode(
      () => verifier.verify(token, { requireEntitlements: [{ name: 'Seats', value: 1.5 }] }),
      'LM_STATUS_INVALID_ARGUMENT',
      100,
    )
    throwsCode(
      () => verifier.verify(token, { requireEntitlements: [{ name: 'Seats', count: 1 }] }),
      'LM_STATUS_INVALID_ARGUMENT',
      100,
    )
  })

  test('maxTokenBytes caps the token size', () => {
    throwsCode(() => verifier.verify(token, { maxTokenBytes: 100 }), 'LM_STATUS_TOKEN_MALFORMED', 300)
    assert.equal(verifier.verify(token, { maxTokenBytes: token.length }).header.alg, 'PS384')
    throwsCode(() => verifier.verify(token, { maxTokenBytes: 0 }), 'LM_STATUS_INVALID_ARGUMENT', 100)
  })

  test('option limits come from the core', () => {
    const cases = [
      { leewaySeconds: 86401 },
      { leewaySeconds: -1 },
      { leewaySeconds: 1.5 },
      { now: 253_402_300_800 },
      { now: Number.NaN },
      { now: new Date(Number.NaN) },
      { now: 'yesterday' },
      { profile: 'jwt' },
      { nodeID: '100.20.15.10' },
    ]
    for (const options of cases) {
      throwsCode(() => verifier.verify(token, options), 'LM_STATUS_INVALID_ARGUMENT', 100)
    }
    // Undefined members count as absent, as in most JavaScript APIs.
    assert.equal(verifier.verify(token, { nodeId: undefined, now: undefined }).header.alg, 'PS384')
  })

  test('tampered token fails on its signature', async () => {
    const [header, payload, signature] = token.split('.')
    const flipped = signature[5] === 'A' ? 'B' : 'A'
    const tampered = `${header}.${payload}.${signature.slice(0, 5)}${flipped}${signature.slice(6)}`

    throwsCode(() => verifier.verify(tampered), 'LM_STATUS_SIGNATURE_INVALID', 301)
    await rejectsCode(verifier.verifyAsync(tampered), 'LM_STATUS_SIGNATURE_INVALID', 301)
    await rejectsCode(verifier.verifyAsync('a.b'), 'LM_STATUS_TOKEN_MALFORMED', 300)
  })

  test('wrong argument types throw TypeError', () => {
    throwsTypeError(() => verifier.verify(42), /token must be a string or Uint8Array, not number/)
    throwsTypeError(() => verifier.verifyAsync(token, 'jws'), /verify options must be an object, not string/)
    throwsTypeError(() => verifier.verify(token, [1]), /not array/)
    throwsTypeError(() => verifier.verify(token, { profile: 1 }), /profile must be a string/)
    throwsTypeError(() => verifier.verify(token, { now: true }), /now must be a Date, a number or a string, not boolean/)
    throwsTypeError(() => verifier.verify(token, { leewaySeconds: '60' }), /leewaySeconds must be a number/)
    throwsTypeError(() => verifier.verify(token, { nodeId: 7 }), /nodeId must be a string/)
    throwsTypeError(() => verifier.verify(token, { algorithms: 'PS256' }), /algorithms must be an array/)
    throwsTypeError(() => verifier.verify(token, { algorithms: [256] }), /algorithms\[0\] must be a string/)
    throwsTypeError(() => verifier.verify(token, { requireEntitlements: [null] }), /requireEntitlements\[0\]/)
    throwsTypeError(() => verifier.verify(token, { maxTokenBytes: 10n }), /not bigint/)
    throwsTypeError(() => Verifier.fromPem({}), /pem must be a string or Uint8Array, not object/)
    throwsTypeError(() => Verifier.fromJwks(5), /jwks must be an object/)
    throwsTypeError(() => Verifier.fromJwksAsync(undefined), /not undefined/)
  })
})
