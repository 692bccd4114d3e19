// Request builders, store queries and error checks shared by the tests.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const VECTORS = join(REPO_ROOT, 'tests', 'vectors')
export const EXAMPLES = join(REPO_ROOT, 'examples')

const SAMPLE_LICENSE = JSON.parse(readFileSync(join(EXAMPLES, 'licenses', 'enterprise.json'), 'utf8'))

// Builds a CreateLicense request from the sample license, signed for `signer`, with a fresh
// ClientToken.
export function licenseRequest(signer) {
  const request = structuredClone(SAMPLE_LICENSE)
  request.Issuer.SignKey = signer.kid
  request.ClientToken = `create-${randomUUID()}`
  return request
}

// Builds a CheckoutBorrowLicense request with a fresh ClientToken.
export function borrowRequest(arn, count = 1, nodeId = '100.20.15.10') {
  return {
    LicenseArn: arn,
    Entitlements: [{ Name: 'EntitlementCount', Value: String(count), Unit: 'Count' }],
    DigitalSignatureMethod: 'JWT_PS384',
    NodeId: nodeId,
    CheckoutMetadata: [{ Name: 'Mac', Value: 'ABCDEFGHI' }],
    ClientToken: `borrow-${randomUUID()}`,
  }
}

// Builds a PROVISIONAL CheckoutLicense request for the sample license.
export function provisionalRequest(count = 1, nodeId = '100.20.15.10') {
  return {
    ProductSKU: 'EXAMPLE-ANALYTICS-ENT',
    CheckoutType: 'PROVISIONAL',
    KeyFingerprint: 'aws:000000000000:Example Vendor:issuer-fingerprint',
    Entitlements: [
      { Name: 'EntitlementCount', Value: String(count), Unit: 'Count' },
      { Name: 'EnterpriseTier', Unit: 'None' },
    ],
    NodeId: nodeId,
    ClientToken: `provisional-${randomUUID()}`,
  }
}

// Returns the ConsumedValue of EntitlementCount.
export function consumed(store, arn) {
  const usage = store.getLicenseUsage({ LicenseArn: arn }).LicenseUsage.EntitlementUsages
  return usage.find((entry) => entry.Name === 'EntitlementCount').ConsumedValue
}

// Formats Unix seconds as the token time grammar writes them.
export function formatTime(unixSeconds) {
  return new Date(unixSeconds * 1000).toISOString().slice(0, 19)
}

// Builds a checkout payload as the issuer writes it.
export function checkoutClaims(issuedAt, expiration, nodeId = '100.20.15.10', count = '2') {
  return {
    entitlementsAllowed: [
      { name: 'EntitlementCount', unit: 'Count', value: count },
      { name: 'EnterpriseTier', unit: 'None', value: 'Enterprise' },
    ],
    expiration: formatTime(expiration),
    issuedAt: formatTime(issuedAt),
    licenseArn: 'arn:aws:license-manager::000000000000:license:l-00000000000000000000000000000001',
    licenseConsumptionToken: '0123456789abcdef0123456789abcdef',
    nodeId,
    checkoutMetadata: { Mac: 'ABCDEFGHI' },
    iat: issuedAt,
    exp: expiration,
  }
}

export function nowSeconds() {
  return Math.floor(Date.now() / 1000)
}

// Checks that `error` is a core error with this code and status.
export function assertCoreError(error, code, status) {
  assert.ok(error instanceof Error, `expected an Error, got ${error}`)
  assert.equal(error.code, code, error.message)
  assert.equal(error.status, status, error.message)
  assert.ok(Array.isArray(error.reasons))
  return true
}

// Asserts that `call` throws the core error of `code` and `status`, and returns the error.
export function throwsCode(call, code, status) {
  let caught
  assert.throws(call, (error) => {
    caught = error
    return assertCoreError(error, code, status)
  })
  return caught
}

// Asserts that `promise` rejects with the core error of `code` and `status`, and returns it.
export async function rejectsCode(promise, code, status) {
  let caught
  await assert.rejects(promise, (error) => {
    caught = error
    return assertCoreError(error, code, status)
  })
  return caught
}

// Asserts that `call` throws a TypeError with Node's code for a wrong argument type.
export function throwsTypeError(call, pattern) {
  assert.throws(call, (error) => {
    assert.ok(error instanceof TypeError, `expected a TypeError, got ${error}`)
    assert.equal(error.code, 'ERR_INVALID_ARG_TYPE')
    assert.match(error.message, pattern)
    return true
  })
}
