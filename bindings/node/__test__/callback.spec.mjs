// Signer.fromCallback: a private key held outside the process, signing digests on request.
//
// node:crypto has no call that signs a precomputed digest with RSASSA-PSS (crypto.sign always
// hashes its input), so the test service below encodes the digest with EMSA-PSS (RFC 8017,
// section 9.1.1) using node:crypto hashes and applies the raw RSA private-key operation with
// crypto.privateEncrypt and RSA_NO_PADDING. Its signatures are checked with crypto.verify
// as well as by libcheckout.

import assert from 'node:assert/strict'
import {
  constants,
  createHash,
  generateKeyPairSync,
  pbkdf2,
  privateEncrypt,
  randomBytes,
  verify,
} from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, test } from 'node:test'

import { Signer, Store, Verifier } from '../index.js'
import {
  borrowRequest,
  consumed,
  licenseRequest,
  rejectsCode,
  throwsCode,
  throwsTypeError,
} from './helpers.mjs'

const HASHES = { PS256: ['sha256', 32], PS384: ['sha384', 48], PS512: ['sha512', 64] }
const SIGNER = ['LM_STATUS_SIGNER', 501]
// More concurrent signings than the 4 threads of libuv's default pool, so work that waits
// for a Promise on a pool thread would leave none for the Promise's own pool work.
const CONCURRENT = 8

function mgf1(hash, seed, length) {
  const blocks = []
  for (let counter = 0; blocks.length * seed.length < length; counter += 1) {
    const suffix = Buffer.alloc(4)
    suffix.writeUInt32BE(counter)
    blocks.push(createHash(hash).update(seed).update(suffix).digest())
  }
  return Buffer.concat(blocks).subarray(0, length)
}

// EMSA-PSS-ENCODE of a digest for a key of `modulusBits`, then the RSA private-key operation.
function pssSignDigest(privateKey, alg, digest, saltLength = HASHES[alg][1]) {
  const [hash, hashLength] = HASHES[alg]
  const modulusBits = privateKey.asymmetricKeyDetails.modulusLength
  const encodedBits = modulusBits - 1
  const encodedLength = Math.ceil(encodedBits / 8)
  const salt = randomBytes(saltLength)

  const h = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest()
  const db = Buffer.concat([
    Buffer.alloc(encodedLength - saltLength - hashLength - 2),
    Buffer.from([0x01]),
    salt,
  ])
  const mask = mgf1(hash, h, encodedLength - hashLength - 1)
  for (let index = 0; index < db.length; index += 1) {
    db[index] ^= mask[index]
  }
  db[0] &= 0xff >> (8 * encodedLength - encodedBits)
  const encoded = Buffer.concat([db, h, Buffer.from([0xbc])])

  // A 2048-bit modulus gives a 256-byte encoding, as RSA_NO_PADDING requires.
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, encoded)
}

function signingInput(token) {
  return Buffer.from(token.slice(0, token.lastIndexOf('.')))
}

function signatureOf(token) {
  return Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url')
}

describe('Signer.fromCallback', () => {
  let privateKey
  let publicKey
  let publicPem
  let directory

  before(() => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 })
    privateKey = pair.privateKey
    publicKey = pair.publicKey
    publicPem = publicKey.export({ type: 'spki', format: 'pem' })
    directory = mkdtempSync(join(tmpdir(), 'libcheckout-callback-'))
  })

  after(() => {
    rmSync(directory, { recursive: true, force: true })
  })

  const service = () => (alg, digest) => pssSignDigest(privateKey, alg, digest)

  test('creation makes one test signature', () => {
    const calls = []
    const signer = Signer.fromCallback(publicPem, 'PS384', (alg, digest) => {
      calls.push([alg, digest])
      return pssSignDigest(privateKey, alg, digest)
    })

    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' })
    assert.equal(signer.kid, Signer.fromPem(pem).kid)
    assert.equal(signer.algorithm, 'PS384')
    assert.equal(calls.length, 1)
    assert.equal(calls[0][0], 'PS384')
    assert.ok(Buffer.isBuffer(calls[0][1]))
    assert.equal(calls[0][1].length, 48)
  })

  test('callback receives digest of signing input', () => {
    const calls = []
    const signer = Signer.fromCallback(publicPem, null, (alg, digest) => {
      calls.push([alg, Buffer.from(digest)])
      return pssSignDigest(privateKey, alg, digest)
    })
    assert.equal(signer.algorithm, 'PS256')

    const token = signer.sign({ sub: 'node-1' }, 'PS512')

    const input = signingInput(token)
    assert.deepEqual(calls.at(-1), ['PS512', createHash('sha512').update(input).digest()])
    const padding = { key: publicPem, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 }
    assert.equal(verify('sha512', input, padding, signatureOf(token)), true)
    const verified = Verifier.fromPem(publicPem).verify(token, { profile: 'jws' })
    assert.deepEqual(JSON.parse(verified.payload), { sub: 'node-1' })
  })

  test('public key DER accepted', () => {
    // AWS KMS GetPublicKey returns DER SubjectPublicKeyInfo.
    const spkiDer = publicKey.export({ type: 'spki', format: 'der' })

    const signer = Signer.fromCallback(spkiDer, 'PS384', service())

    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' })
    assert.equal(signer.kid, Signer.fromPem(pem).kid)
  })

  test('checkout through store', () => {
    const signer = Signer.fromCallback(publicPem, 'PS384', service())
    const store = new Store(join(directory, 'sync.db'))
    try {
      const arn = store.createLicense(licenseRequest(signer)).LicenseArn

      const response = store.checkout(signer, borrowRequest(arn))

      const claims = Verifier.fromPem(publicPem).verify(response.SignedToken).claims
      assert.equal(claims.licenseArn, arn)
      assert.equal(consumed(store, arn), '1')
    } finally {
      store.close()
    }
  })

  test('async methods await a Promise', async () => {
    // Each signature waits for a pbkdf2 run, which itself needs a libuv pool thread.
    const slowService = async (alg, digest) => {
      await promisify(pbkdf2)('password', 'salt', 1000, 32, 'sha256')
      return pssSignDigest(privateKey, alg, digest)
    }
    const signer = await Signer.fromCallbackAsync(publicPem, 'PS384', slowService)
    const verifier = Verifier.fromPem(publicPem)
    const store = new Store(join(directory, 'async.db'))
    try {
      const arn = store.createLicense(licenseRequest(signer)).LicenseArn

      const responses = await Promise.all(
        Array.from({ length: CONCURRENT }, (_, index) =>
          store.checkoutAsync(signer, borrowRequest(arn, 1, `node-${index}`)),
        ),
      )

      responses.forEach((response, index) => {
        const claims = verifier.verify(response.SignedToken, { nodeId: `node-${index}` }).claims
        assert.equal(claims.nodeId, `node-${index}`)
      })
      assert.equal(consumed(store, arn), String(CONCURRENT))
      const token = await signer.signAsync('payload')
      assert.deepEqual(verifier.verify(token, { profile: 'jws' }).payload, Buffer.from('payload'))
    } finally {
      store.close()
    }
  })

  test('sync methods reject a Promise', async () => {
    const signer = await Signer.fromCallbackAsync(publicPem, 'PS384', async (alg, digest) =>
      pssSignDigest(privateKey, alg, digest),
    )

    const error = throwsCode(() => signer.sign('payload'), ...SIGNER)

    assert.equal(
      error.message,
      'the signing callback failed: it returned a Promise, which only the ...Async methods accept ' +
        '(fromCallbackAsync, signAsync, checkoutAsync, extendLicenseConsumptionAsync); call one ' +
        'of those, or return a Buffer',
    )
    throwsCode(() => Signer.fromCallback(publicPem, 'PS384', async () => Buffer.alloc(256)), ...SIGNER)
  })

  test('thrown error becomes LM_STATUS_SIGNER', () => {
    const error = throwsCode(
      () =>
        Signer.fromCallback(publicPem, 'PS384', () => {
          throw new RangeError('KMS request throttled')
        }),
      ...SIGNER,
    )

    assert.equal(error.message, 'the signing callback failed: RangeError: KMS request throttled')
  })

  test('rejected Promise becomes LM_STATUS_SIGNER', async () => {
    const error = await rejectsCode(
      Signer.fromCallbackAsync(publicPem, 'PS384', async () => {
        throw new Error('KMS endpoint unreachable')
      }),
      ...SIGNER,
    )

    assert.equal(error.message, 'the signing callback failed: Error: KMS endpoint unreachable')
  })

  test('thrown string becomes LM_STATUS_SIGNER', async () => {
    const thrown = () => {
      throw 'no credentials'
    }
    const sync = throwsCode(() => Signer.fromCallback(publicPem, 'PS256', thrown), ...SIGNER)
    const rejected = await rejectsCode(
      Signer.fromCallbackAsync(publicPem, 'PS256', () => Promise.reject(42)),
      ...SIGNER,
    )

    assert.equal(sync.message, 'the signing callback failed: no credentials')
    assert.equal(rejected.message, 'the signing callback failed: it threw a number')
  })

  test('non-Buffer return becomes LM_STATUS_SIGNER', async () => {
    const sync = throwsCode(() => Signer.fromCallback(publicPem, 'PS256', () => 'signature'), ...SIGNER)
    const resolved = await rejectsCode(
      Signer.fromCallbackAsync(publicPem, 'PS256', async () => [1, 2, 3]),
      ...SIGNER,
    )

    assert.equal(sync.message, 'the signing callback failed: it returned string where a Buffer was expected')
    assert.equal(resolved.message, 'the signing callback failed: it returned array where a Buffer was expected')
  })

  test('maximum salt length becomes LM_STATUS_SIGNER', () => {
    // A 2048-bit key with SHA-384 allows a 206-byte salt; tokens need one of 48 bytes.
    const wrongSalt = (alg, digest) => pssSignDigest(privateKey, alg, digest, 206)

    const error = throwsCode(() => Signer.fromCallback(publicPem, 'PS384', wrongSalt), ...SIGNER)

    assert.match(error.message, /does not verify as PS384 with a 48-byte salt/)
    assert.match(error.message, /\(256 bytes returned, 256 expected\)/)
    assert.match(error.message, /another PSS salt length/)
  })

  test('failure after creation takes nothing', async () => {
    let available = true
    const flaky = async (alg, digest) => {
      if (!available) {
        throw new Error('KMS endpoint unreachable')
      }
      return pssSignDigest(privateKey, alg, digest)
    }
    const signer = await Signer.fromCallbackAsync(publicPem, 'PS384', flaky)
    const store = new Store(join(directory, 'flaky.db'))
    try {
      const arn = store.createLicense(licenseRequest(signer)).LicenseArn
      available = false

      const error = await rejectsCode(store.checkoutAsync(signer, borrowRequest(arn)), ...SIGNER)

      assert.equal(error.message, 'the signing callback failed: Error: KMS endpoint unreachable')
      assert.equal(consumed(store, arn), '0')
    } finally {
      store.close()
    }
  })

  test('private key export rejected', () => {
    const signer = Signer.fromCallback(publicPem, 'PS256', service())

    throwsCode(() => signer.privateKeyPem(), 'LM_STATUS_KEY_INVALID', 200)
  })

  test('non-function callback rejected', () => {
    throwsTypeError(
      () => Signer.fromCallback(publicPem, 'PS256', Buffer.alloc(256)),
      /^callback must be a function \(alg, digest\) => Buffer \| Promise<Buffer>, not typed array$/,
    )
  })
})
