// Issues a license, borrows one seat for a node and writes the token and public key.
//
// Usage: node issuer.mjs OUTPUT_DIR
// Writes OUTPUT_DIR/public.pem (ship it inside the product) and OUTPUT_DIR/token.jwt (send it
// to the customer's machine). The store and the private key live only in this process.

import { randomUUID } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { Signer, Store } from 'libcheckout'

const SAMPLE_LICENSE = new URL('../licenses/enterprise.json', import.meta.url)

async function main(outputDir) {
  const signer = await Signer.generateAsync(2048)
  const store = new Store(':memory:')

  // The license names the key that signs its checkouts by the key's thumbprint.
  const license = JSON.parse(readFileSync(SAMPLE_LICENSE, 'utf8'))
  license.Issuer.SignKey = signer.kid
  const { LicenseArn } = await store.createLicenseAsync(license)

  const borrowed = await store.checkoutAsync(signer, {
    LicenseArn,
    Entitlements: [{ Name: 'EntitlementCount', Value: '1', Unit: 'Count' }],
    DigitalSignatureMethod: 'JWT_PS384',
    NodeId: '100.20.15.10',
    ClientToken: `borrow-${randomUUID()}`,
  })
  store.close()

  mkdirSync(outputDir, { recursive: true })
  writeFileSync(join(outputDir, 'public.pem'), signer.publicKeyPem(), 'ascii')
  writeFileSync(join(outputDir, 'token.jwt'), borrowed.SignedToken, 'ascii')
  console.log(`borrowed until ${borrowed.Expiration}; wrote ${join(outputDir, 'token.jwt')}`)
}

if (process.argv.length !== 3) {
  console.error('usage: node issuer.mjs OUTPUT_DIR')
  process.exit(2)
}
await main(process.argv[2])
