// Uses the declared API as a TypeScript program would; `tsc --noEmit` checks it against
// index.d.ts, so a declaration that drifts from the documented API fails the build.

import {
  Signer,
  StatusCode,
  Store,
  Verifier,
  statusCodes,
  version,
  type StoreOptions,
  type VerifiedToken,
  type VerifyOptions,
} from '../index.js'

async function issueAndVerify(): Promise<string> {
  const signer: Signer = Signer.generate(2048, 'PS256')
  const loaded: Signer = await Signer.fromPemAsync(Buffer.from(signer.privateKeyPem()), 'PS384')
  const kid: string = loaded.kid
  const jwk: Record<string, string> = signer.publicJwk()

  const storeOptions: StoreOptions = { accountId: '123456789012', synchronous: 'FULL' }
  const store: Store = await Store.openAsync(':memory:', storeOptions)
  const created = store.createLicense({ LicenseName: 'x' })
  const arn: string = created.LicenseArn
  const response = await store.checkoutAsync(signer, JSON.stringify({ LicenseArn: arn }))
  store.close()
  const closed: boolean = store.closed

  const options: VerifyOptions = {
    profile: 'license',
    now: new Date(),
    leewaySeconds: 60,
    nodeId: '100.20.15.10',
    algorithms: ['PS384'],
    requireEntitlements: [{ name: 'EntitlementCount', value: 1 }, { name: 'EnterpriseTier' }],
    maxTokenBytes: 65536,
  }
  const verifier: Verifier = Verifier.fromJwks({ keys: [jwk] })
  const verified: VerifiedToken = verifier.verify(response.SignedToken as string, options)
  const payload: Buffer = verified.payload
  const claims: Record<string, unknown> | null = verified.claims
  const later: VerifiedToken = await verifier.verifyAsync(new Uint8Array(payload), { now: 1_800_000_000 })
  const token: string = await signer.signAsync({ claims, later: later.header }, 'PS512')

  const service = (alg: string, digest: Buffer): Buffer => Buffer.concat([Buffer.from(alg), digest])
  const held: Signer = Signer.fromCallback(signer.publicKeyPem(), 'PS384', service)
  const awaited: Signer = await Signer.fromCallbackAsync(Buffer.from(signer.publicKeyPem()), null, async (alg, digest) =>
    service(alg, digest),
  )
  const heldKid: string = held.kid + awaited.kid

  const code: StatusCode = StatusCode.TokenExpired
  const codes: Record<number, StatusCode> = statusCodes()
  return [kid, heldKid, closed, token, code, codes[302], version()].join(' ')
}

void issueAndVerify
