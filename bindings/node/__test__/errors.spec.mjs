// Error codes: every status of the core has its StatusCode, and each one a real call can
// return is produced here with its code, status and reasons.

import assert from 'node:assert/strict'
import { test } from 'node:test'

import { Signer, StatusCode, Store, Verifier, statusCodes } from '../index.js'
import { borrowRequest, checkoutClaims, licenseRequest, provisionalRequest, throwsCode } from './helpers.mjs'

const EXPECTED = {
  100: 'LM_STATUS_INVALID_ARGUMENT',
  101: 'LM_STATUS_VALIDATION',
  200: 'LM_STATUS_KEY_INVALID',
  201: 'LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD',
  300: 'LM_STATUS_TOKEN_MALFORMED',
  301: 'LM_STATUS_SIGNATURE_INVALID',
  302: 'LM_STATUS_TOKEN_EXPIRED',
  303: 'LM_STATUS_TOKEN_NOT_YET_VALID',
  304: 'LM_STATUS_NODE_MISMATCH',
  305: 'LM_STATUS_ENTITLEMENT_MISSING',
  400: 'LM_STATUS_NOT_FOUND',
  401: 'LM_STATUS_NO_ENTITLEMENTS_ALLOWED',
  402: 'LM_STATUS_ENTITLEMENT_NOT_ALLOWED',
  403: 'LM_STATUS_CONFLICT',
  500: 'LM_STATUS_STORE',
  501: 'LM_STATUS_SIGNER',
  900: 'LM_STATUS_INTERNAL',
}

// No call of this binding can return these: it has no signer callbacks (501), and a panic
// (900) is a bug.
const UNREACHABLE = new Set([501, 900])

const signer = Signer.generate()
const verifier = Verifier.fromPem(signer.publicKeyPem())

function freshStore() {
  const store = new Store(':memory:')
  const arn = store.createLicense(licenseRequest(signer)).LicenseArn
  return { store, arn }
}

// One call per status that returns it.
const TRIGGERS = {
  100: () => verifier.verify('token', { leewaySeconds: 86401 }),
  101: () => {
    const { store, arn } = freshStore()
    store.checkout(signer, { ...borrowRequest(arn), Seats: 1 })
  },
  200: () => Verifier.fromPem('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'),
  201: () => signer.sign('x', 'ES256'),
  300: () => verifier.verify('a.b.c.d'),
  301: () => Verifier.fromPem(Signer.generate().publicKeyPem()).verify(signer.sign('x'), { profile: 'jws' }),
  302: () => verifier.verify(signer.sign(checkoutClaims(1000, 2000))),
  303: () => verifier.verify(signer.sign(checkoutClaims(4_000_000_000, 4_000_003_600)), { now: 3_999_000_000 }),
  304: () => {
    const now = Math.floor(Date.now() / 1000)
    verifier.verify(signer.sign(checkoutClaims(now, now + 60)), { nodeId: 'elsewhere' })
  },
  305: () => {
    const now = Math.floor(Date.now() / 1000)
    verifier.verify(signer.sign(checkoutClaims(now, now + 60)), { requireEntitlements: [{ name: 'Seats' }] })
  },
  400: () => freshStore().store.checkIn({ LicenseConsumptionToken: '0'.repeat(32) }),
  401: () => {
    const { store, arn } = freshStore()
    store.checkout(signer, borrowRequest(arn, 11))
  },
  402: () => {
    const { store, arn } = freshStore()
    const request = borrowRequest(arn)
    request.Entitlements = [{ Name: 'Seats', Value: '1', Unit: 'Count' }]
    store.checkout(signer, request)
  },
  403: () => {
    const { store } = freshStore()
    const request = provisionalRequest(1)
    store.checkout(signer, request)
    store.checkout(signer, { ...request, NodeId: 'another-node' })
  },
  500: () => new Store('/nonexistent-directory/licenses.db'),
}

test('statusCodes matches the expected table', () => {
  assert.deepEqual(statusCodes(), EXPECTED)
})

test('StatusCode lists every core status', () => {
  const missing = Object.entries(statusCodes()).filter(([, code]) => !Object.values(StatusCode).includes(code))
  assert.deepEqual(missing, [])
  assert.equal(Object.values(StatusCode).length, Object.keys(statusCodes()).length)
  assert.equal(StatusCode.SignatureInvalid, 'LM_STATUS_SIGNATURE_INVALID')
})

test('every reachable status has a trigger', () => {
  const untested = Object.keys(statusCodes())
    .map(Number)
    .filter((status) => !(status in TRIGGERS) && !UNREACHABLE.has(status))
  assert.deepEqual(untested, [])
})

for (const [status, trigger] of Object.entries(TRIGGERS)) {
  test(`status ${status} throws ${EXPECTED[status]}`, () => {
    const error = throwsCode(trigger, EXPECTED[status], Number(status))
    assert.ok(error.message.length > 0)
    assert.ok(!error.message.includes('PRIVATE KEY'))
  })
}

test('only refusals carry reasons', () => {
  const refused = throwsCode(TRIGGERS[402], 'LM_STATUS_ENTITLEMENT_NOT_ALLOWED', 402)
  const malformed = throwsCode(TRIGGERS[300], 'LM_STATUS_TOKEN_MALFORMED', 300)
  assert.deepEqual(refused.reasons.map((reason) => reason.name), ['Seats'])
  assert.deepEqual(malformed.reasons, [])
})
