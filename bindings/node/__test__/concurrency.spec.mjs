// Many concurrent verifyAsync and checkoutAsync calls run on the libuv pool while the event
// loop keeps running timers.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

import { Signer, Store, Verifier } from '../index.js'
import { borrowRequest, consumed, licenseRequest } from './helpers.mjs'

const CHECKOUTS = 10
const VERIFICATIONS = 300

test('event loop runs during async calls', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'libcheckout-node-'))
  const signer = await Signer.generateAsync(2048)
  const verifier = Verifier.fromPem(signer.publicKeyPem())
  // A file store with FULL durability, so that each checkout waits for its fsync.
  const store = new Store(join(directory, 'licenses.db'), { synchronous: 'FULL' })
  const arn = store.createLicense(licenseRequest(signer)).LicenseArn
  const token = store.checkout(signer, borrowRequest(arn, 1, 'node-first')).SignedToken
  store.checkIn({ LicenseConsumptionToken: verifier.verify(token).claims.licenseConsumptionToken })

  // Each tick is a turn of the event loop while the pool works. A call that blocked the main
  // thread until every operation ended would leave no tick between queuing and settling.
  let ticks = 0
  const timer = setInterval(() => {
    ticks += 1
  }, 1)

  try {
    const checkouts = Array.from({ length: CHECKOUTS }, (_, index) =>
      store.checkoutAsync(signer, borrowRequest(arn, 1, `node-${index}`)),
    )
    const verifications = Array.from({ length: VERIFICATIONS }, () => verifier.verifyAsync(token))
    // A 4096-bit key generation keeps the pool busy for many event loop turns.
    const slowWork = Signer.generateAsync(4096)
    assert.equal(ticks, 0)

    const [responses, verified] = await Promise.all([Promise.all(checkouts), Promise.all(verifications), slowWork])
    const ticksWhilePending = ticks

    assert.ok(ticksWhilePending > 0, 'no timer tick ran while the async calls were pending')
    assert.equal(verified.length, VERIFICATIONS)
    assert.ok(verified.every((result) => result.claims.nodeId === 'node-first'))
    const nodes = await Promise.all(responses.map((response) => verifier.verifyAsync(response.SignedToken)))
    assert.deepEqual(
      nodes.map((result) => result.claims.nodeId).sort(),
      Array.from({ length: CHECKOUTS }, (_, index) => `node-${index}`).sort(),
    )
    assert.equal(new Set(responses.map((response) => response.LicenseConsumptionToken)).size, CHECKOUTS)
    assert.equal(consumed(store, arn), String(CHECKOUTS))
  } finally {
    clearInterval(timer)
    store.close()
    rmSync(directory, { recursive: true, force: true })
  }
})

test('concurrent checkouts never exceed MaxCount', async () => {
  const signer = Signer.generate()
  const store = new Store(':memory:')
  const arn = store.createLicense(licenseRequest(signer)).LicenseArn

  const outcomes = await Promise.allSettled(
    Array.from({ length: 8 }, () => store.checkoutAsync(signer, borrowRequest(arn, 2))),
  )

  // MaxCount is 10, so exactly five checkouts of 2 fit.
  assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 5)
  const refusals = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => outcome.reason)
  assert.equal(refusals.length, 3)
  for (const error of refusals) {
    assert.equal(error.code, 'LM_STATUS_NO_ENTITLEMENTS_ALLOWED')
    assert.equal(error.reasons[0].name, 'EntitlementCount')
  }
  assert.equal(consumed(store, arn), '10')
})
