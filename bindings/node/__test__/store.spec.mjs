// Store: every operation, sync and async, options and close().

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, beforeEach, describe, test } from 'node:test'

import { Signer, Store, Verifier } from '../index.js'
import {
  borrowRequest,
  consumed,
  licenseRequest,
  provisionalRequest,
  rejectsCode,
  throwsCode,
  throwsTypeError,
} from './helpers.mjs'

const signer = Signer.generate()
const otherSigner = Signer.generate()
const verifier = Verifier.fromPem(signer.publicKeyPem())
const directory = mkdtempSync(join(tmpdir(), 'libcheckout-node-'))

after(() => rmSync(directory, { recursive: true, force: true }))

describe('Store', () => {
  let store
  let arn

  beforeEach(() => {
    store = new Store(':memory:')
    arn = store.createLicense(licenseRequest(signer)).LicenseArn
  })

  test('createLicense returns the ARN', async () => {
    const response = store.createLicense(licenseRequest(signer))
    assert.deepEqual(Object.keys(response).sort(), ['LicenseArn', 'Status', 'Version'])
    assert.equal(response.Status, 'AVAILABLE')
    assert.equal(response.Version, '1')
    assert.match(response.LicenseArn, /^arn:aws:license-manager::000000000000:license:l-[0-9a-f]{32}$/)

    const asyncResponse = await store.createLicenseAsync(JSON.stringify(licenseRequest(signer)))
    assert.equal(asyncResponse.Status, 'AVAILABLE')
    assert.notEqual(asyncResponse.LicenseArn, response.LicenseArn)
  })

  test('getLicense returns the license', async () => {
    const license = store.getLicense({ LicenseArn: arn }).License
    assert.equal(license.LicenseArn, arn)
    assert.equal(license.Issuer.SignKey, signer.kid)
    assert.equal(license.Entitlements[0].MaxCount, 10)

    const asyncLicense = (await store.getLicenseAsync({ LicenseArn: arn })).License
    assert.deepEqual(asyncLicense, license)
  })

  test('checkout borrows and signs a token', async () => {
    const response = store.checkout(signer, borrowRequest(arn, 3))
    assert.equal(response.LicenseArn, arn)
    assert.deepEqual(response.EntitlementsAllowed, [{ Name: 'EntitlementCount', Unit: 'Count', Value: '3' }])
    const verified = verifier.verify(response.SignedToken, { nodeId: '100.20.15.10' })
    assert.equal(verified.header.alg, 'PS384')
    assert.equal(verified.claims.licenseConsumptionToken, response.LicenseConsumptionToken)

    const asyncResponse = await store.checkoutAsync(signer, borrowRequest(arn, 2))
    assert.equal(verifier.verify(asyncResponse.SignedToken).claims.entitlementsAllowed[0].value, '2')
    assert.equal(consumed(store, arn), '5')
  })

  test('provisional checkout takes both entitlements', () => {
    const response = store.checkout(signer, provisionalRequest(2))
    assert.equal(response.CheckoutType, 'PROVISIONAL')
    assert.deepEqual(response.EntitlementsAllowed, [
      { Name: 'EntitlementCount', Unit: 'Count', Value: '2' },
      { Name: 'EnterpriseTier', Unit: 'None', Value: 'Enterprise' },
    ])
  })

  test('getLicenseUsage counts consumption', async () => {
    store.checkout(signer, borrowRequest(arn, 4))
    const usage = (await store.getLicenseUsageAsync({ LicenseArn: arn })).LicenseUsage.EntitlementUsages
    const count = usage.find((entry) => entry.Name === 'EntitlementCount')
    assert.equal(count.ConsumedValue, '4')
    assert.equal(count.MaxCount, '10')
  })

  test('checkIn returns the quantity', async () => {
    const first = store.checkout(signer, borrowRequest(arn, 4)).LicenseConsumptionToken
    const second = store.checkout(signer, borrowRequest(arn, 1)).LicenseConsumptionToken

    assert.deepEqual(store.checkIn({ LicenseConsumptionToken: first }), {})
    assert.deepEqual(await store.checkInAsync({ LicenseConsumptionToken: second }), {})
    assert.equal(consumed(store, arn), '0')
    throwsCode(() => store.checkIn({ LicenseConsumptionToken: first }), 'LM_STATUS_NOT_FOUND', 400)
    await rejectsCode(store.checkInAsync({ LicenseConsumptionToken: first }), 'LM_STATUS_NOT_FOUND', 400)
  })

  test('listLicenseConsumptions filters by state', async () => {
    const active = store.checkout(signer, borrowRequest(arn)).LicenseConsumptionToken
    const returned = store.checkout(signer, borrowRequest(arn)).LicenseConsumptionToken
    store.checkIn({ LicenseConsumptionToken: returned })

    const listed = store.listLicenseConsumptions({ LicenseArn: arn }).LicenseConsumptions
    const states = Object.fromEntries(listed.map((entry) => [entry.LicenseConsumptionToken, entry.State]))
    assert.deepEqual(states, { [active]: 'ACTIVE', [returned]: 'CHECKED_IN' })

    const onlyActive = await store.listLicenseConsumptionsAsync({ LicenseArn: arn, State: 'ACTIVE' })
    assert.deepEqual(
      onlyActive.LicenseConsumptions.map((entry) => entry.LicenseConsumptionToken),
      [active],
    )
  })

  test('extendLicenseConsumption signs a fresh token', async () => {
    const checkout = store.checkout(signer, borrowRequest(arn))
    const request = { LicenseConsumptionToken: checkout.LicenseConsumptionToken }

    const extended = store.extendLicenseConsumption(signer, request)
    assert.equal(extended.LicenseConsumptionToken, checkout.LicenseConsumptionToken)
    assert.equal(verifier.verify(extended.SignedToken).claims.licenseConsumptionToken, checkout.LicenseConsumptionToken)

    const dryRun = await store.extendLicenseConsumptionAsync(signer, { ...request, DryRun: true })
    assert.equal(dryRun.SignedToken, undefined)
    const again = await store.extendLicenseConsumptionAsync(signer, request)
    assert.equal(typeof again.SignedToken, 'string')
  })

  test('checkout refusal carries reasons', async () => {
    store.checkout(signer, borrowRequest(arn, 10))

    const error = throwsCode(() => store.checkout(signer, borrowRequest(arn)), 'LM_STATUS_NO_ENTITLEMENTS_ALLOWED', 401)
    assert.match(error.message, /^NoEntitlementsAllowedException: /)
    assert.deepEqual(error.reasons.map((reason) => reason.name), ['EntitlementCount'])
    assert.equal(typeof error.reasons[0].reason, 'string')

    const rejected = await rejectsCode(
      store.checkoutAsync(signer, borrowRequest(arn)),
      'LM_STATUS_NO_ENTITLEMENTS_ALLOWED',
      401,
    )
    assert.deepEqual(rejected.reasons.map((reason) => reason.name), ['EntitlementCount'])
  })

  test('checkout with another signer is rejected', () => {
    const error = throwsCode(() => store.checkout(otherSigner, borrowRequest(arn)), 'LM_STATUS_KEY_INVALID', 200)
    assert.ok(error.message.includes(otherSigner.kid))
  })

  test('close makes later calls fail', async () => {
    assert.equal(store.closed, false)
    store.close()
    store.close()
    assert.equal(store.closed, true)
    throwsCode(() => store.getLicense({ LicenseArn: arn }), 'LM_STATUS_INVALID_ARGUMENT', 100)
    throwsCode(() => store.checkoutAsync(signer, borrowRequest(arn)), 'LM_STATUS_INVALID_ARGUMENT', 100)
    throwsCode(() => store.accountId, 'LM_STATUS_INVALID_ARGUMENT', 100)
  })

  test('wrong argument types throw TypeError', () => {
    throwsTypeError(() => new Store(5), /location must be a string, not number/)
    throwsTypeError(() => new Store(':memory:', 'FULL'), /store options must be an object/)
    throwsTypeError(() => new Store(':memory:', { accountId: 123456789012 }), /accountId must be a string/)
    throwsTypeError(() => store.checkout({ kid: signer.kid }, borrowRequest(arn)), /signer must be a Signer, not object/)
    throwsTypeError(() => store.checkoutAsync(null, borrowRequest(arn)), /signer must be a Signer, not null/)
    throwsTypeError(() => store.getLicense(7), /request must be an object/)
    throwsTypeError(() => store.checkInAsync(undefined), /not undefined/)
  })
})

describe('Store options', () => {
  test('openAsync opens a file store with options', async () => {
    const path = join(directory, 'licenses.db')
    const opened = await Store.openAsync(path, { accountId: '123456789012', synchronous: 'FULL' })
    const arn = opened.createLicense(licenseRequest(signer)).LicenseArn
    assert.match(arn, /^arn:aws:license-manager::123456789012:license:/)
    assert.equal(opened.accountId, '123456789012')
    opened.close()

    const reopened = new Store(path)
    assert.equal(reopened.getLicense({ LicenseArn: arn }).License.LicenseArn, arn)
    reopened.close()
  })

  test('bad options and locations are rejected', async () => {
    throwsCode(() => new Store(':memory:', { synchronous: 'OFF' }), 'LM_STATUS_INVALID_ARGUMENT', 100)
    throwsCode(() => new Store(':memory:', { accountID: '123456789012' }), 'LM_STATUS_INVALID_ARGUMENT', 100)
    throwsCode(() => new Store(':memory:', { accountId: '12' }), 'LM_STATUS_INVALID_ARGUMENT', 100)
    throwsCode(() => new Store(''), 'LM_STATUS_INVALID_ARGUMENT', 100)
    throwsCode(() => new Store(join(directory, 'missing', 'licenses.db')), 'LM_STATUS_STORE', 500)
    await rejectsCode(Store.openAsync(join(directory, 'missing', 'x.db')), 'LM_STATUS_STORE', 500)
  })
})
