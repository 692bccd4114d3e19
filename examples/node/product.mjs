// Verifies a checkout token offline with the issuer's public key alone.
//
// Usage: node product.mjs DIR, where DIR contains public.pem and token.jwt from issuer.mjs.
// Exits with status 1 and the reason when the token does not grant a seat on this node.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { Verifier } from 'libcheckout'

const THIS_NODE = '100.20.15.10'

async function main(directory) {
  const verifier = Verifier.fromPem(readFileSync(join(directory, 'public.pem')))
  const token = readFileSync(join(directory, 'token.jwt'), 'ascii').trim()

  let verified
  try {
    verified = await verifier.verifyAsync(token, {
      nodeId: THIS_NODE,
      requireEntitlements: [{ name: 'EntitlementCount', value: 1 }],
    })
  } catch (error) {
    if (typeof error.code !== 'string' || !error.code.startsWith('LM_STATUS_')) {
      throw error
    }
    console.error(`license check failed (${error.code}): ${error.message}`)
    return 1
  }

  for (const entitlement of verified.claims.entitlementsAllowed) {
    console.log(`${entitlement.name} = ${entitlement.value} ${entitlement.unit}`)
  }
  console.log(`valid until ${verified.claims.expiration}`)
  return 0
}

if (process.argv.length !== 3) {
  console.error('usage: node product.mjs DIR')
  process.exit(2)
}
process.exitCode = await main(process.argv[2])
