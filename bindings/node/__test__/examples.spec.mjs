// The examples in examples/node run and agree with each other.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, test } from 'node:test'

import { EXAMPLES } from './helpers.mjs'

const BINDING = join(dirname(fileURLToPath(import.meta.url)), '..')

// The examples import 'libcheckout' as an installed package would be imported, so they run
// from a copy whose node_modules/libcheckout links to this binding.
let root
let output

before(() => {
  root = mkdtempSync(join(tmpdir(), 'libcheckout-examples-'))
  output = join(root, 'output')
  mkdirSync(join(root, 'node'))
  mkdirSync(join(root, 'licenses'))
  mkdirSync(join(root, 'node_modules'))
  symlinkSync(BINDING, join(root, 'node_modules', 'libcheckout'), 'dir')
  copyFileSync(join(EXAMPLES, 'licenses', 'enterprise.json'), join(root, 'licenses', 'enterprise.json'))
  for (const script of ['issuer.mjs', 'product.mjs']) {
    copyFileSync(join(EXAMPLES, 'node', script), join(root, 'node', script))
  }
})

after(() => rmSync(root, { recursive: true, force: true }))

function run(script) {
  return spawnSync(process.execPath, [join(root, 'node', script), output], { encoding: 'utf8', timeout: 120_000 })
}

test('issuer then product', () => {
  const issued = run('issuer.mjs')
  assert.equal(issued.status, 0, issued.stderr)
  assert.match(issued.stdout, /^borrowed until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d; wrote /)

  const checked = run('product.mjs')

  assert.equal(checked.status, 0, checked.stderr)
  assert.equal(checked.stdout.split('\n')[0], 'EntitlementCount = 1 Count')
  assert.match(readFileSync(join(output, 'public.pem'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/)
})

test('product rejects a tampered token', () => {
  assert.equal(run('issuer.mjs').status, 0)
  const [header, payload, signature] = readFileSync(join(output, 'token.jwt'), 'utf8').split('.')
  const flipped = signature[10] === 'A' ? 'B' : 'A'
  writeFileSync(join(output, 'token.jwt'), `${header}.${payload}.${signature.slice(0, 10)}${flipped}${signature.slice(11)}`)

  const checked = run('product.mjs')

  assert.equal(checked.status, 1)
  assert.match(checked.stderr, /LM_STATUS_SIGNATURE_INVALID/)
})
