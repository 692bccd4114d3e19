// Measures the verification throughput of the libcheckout Node binding against npm jose.
//
// All calls verify the same PS256 token, signed with one 2048-bit key over a checkout-shaped
// payload, at one fixed time:
//
// - libcheckout: `verifier.verify(token, { profile: 'license', now, nodeId })`, which checks the
//   signature and the license claims (issuedAt, expiration, entitlements, node) and returns
//   the parsed claims.
// - jose compactVerify: `compactVerify(token, key, { algorithms: ['PS256'] })`, which checks
//   the signature only and returns the payload bytes.
// - jose jwtVerify: `jwtVerify(token, key, { algorithms, currentDate, clockTolerance: 60,
//   requiredClaims: ['exp', 'iat'] })`, which also parses the payload and checks `exp`, `nbf`
//   and the claim types. It is the closest jose equivalent of the license profile, but it
//   checks no node and no entitlement, and it checks that `iat` is not in the future only
//   when `maxTokenAge` is set, a maximum age that libcheckout does not impose.
//
// Keys are imported once before timing. jose 6 verifies through WebCrypto, which runs each
// verification on the libuv thread pool, so its calls are awaited one at a time and the CPU
// time is that of the whole process (process.cpuUsage counts every thread). The rounds
// alternate the libraries in a rotating order, so a slow phase of a shared machine falls on
// all of them; each round times one batch per library on CPU time and on the wall clock.
//
// Usage: node verify_bench.mjs [--rounds N] [--batch-seconds S] [--write FILE]

import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { isDeepStrictEqual, parseArgs } from 'node:util'

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BINDING = join(REPO_ROOT, 'bindings', 'node')

// The addon and jose both come from bindings/node, where `npm ci` installs the pinned jose.
const bindingRequire = createRequire(join(BINDING, 'package.json'))
const libcheckout = bindingRequire('./index.js')
const jose = await import(pathToFileURL(bindingRequire.resolve('jose')).href)
const JOSE_VERSION = JSON.parse(readFileSync(join(BINDING, 'node_modules', 'jose', 'package.json'), 'utf8')).version

const START_MARKER = '<!-- node-verify:start -->'
const END_MARKER = '<!-- node-verify:end -->'
const SECTION_TITLE = '## Node verify'
const INTRO = `# Benchmarks

The figures on this page are measured, not asserted. Each section names the command that
produced it and the machine it ran on, so it can be reproduced. Figures from another machine
or another run differ, so rerun the command before relying on a number.
`
const TARGET = 3.0
const NODE_ID = '100.20.15.10'
const LEEWAY_SECONDS = 60

// Formats Unix seconds as the checkout time grammar writes them (UTC, no zone suffix).
function formatTime(unixSeconds) {
  return new Date(unixSeconds * 1000).toISOString().slice(0, 19)
}

// Builds the payload an issuer writes for a borrow checkout, valid for one hour from `now`.
function checkoutClaims(now) {
  const issuedAt = now - 60
  const expiration = now + 3600
  return {
    entitlementsAllowed: [
      { name: 'EntitlementCount', unit: 'Count', value: '1' },
      { name: 'EnterpriseTier', unit: 'None', value: 'Enterprise' },
    ],
    expiration: formatTime(expiration),
    issuedAt: formatTime(issuedAt),
    licenseArn: 'arn:aws:license-manager::000000000000:license:l-00000000000000000000000000000001',
    licenseConsumptionToken: '0123456789abcdef0123456789abcdef',
    nodeId: NODE_ID,
    checkoutMetadata: { Mac: 'ABCDEFGHI' },
    iat: issuedAt,
    exp: expiration,
  }
}

// Builds one zero-argument call per library, each returning the claims it verified (jose's
// through a promise), for a verification time of `now` (Unix seconds).
async function buildCalls(token, publicPem, now) {
  const verifier = libcheckout.Verifier.fromPem(publicPem)
  const key = await jose.importSPKI(publicPem, 'PS256')
  const libcheckoutOptions = { profile: 'license', now, nodeId: NODE_ID }
  const compactOptions = { algorithms: ['PS256'] }
  const jwtOptions = {
    algorithms: ['PS256'],
    currentDate: new Date(now * 1000),
    clockTolerance: LEEWAY_SECONDS,
    requiredClaims: ['exp', 'iat'],
  }
  const decoder = new TextDecoder()

  return {
    libcheckout: () => verifier.verify(token, libcheckoutOptions).claims,
    'jose compactVerify': async () => {
      const { payload } = await jose.compactVerify(token, key, compactOptions)
      return JSON.parse(decoder.decode(payload))
    },
    'jose jwtVerify': async () => (await jose.jwtVerify(token, key, jwtOptions)).payload,
  }
}

// Stops the run unless every call returns the signed claims, and unless libcheckout and
// jwtVerify both reject the token once it has expired, which shows their claim checks run.
async function checkCalls(calls, token, publicPem, claims) {
  for (const [name, call] of Object.entries(calls)) {
    if (!isDeepStrictEqual(await call(), claims)) {
      throw new Error(`${name} returned other claims than were signed; nothing was measured`)
    }
  }

  const afterExpiry = claims.exp + LEEWAY_SECONDS + 1
  const expired = await buildCalls(token, publicPem, afterExpiry)
  for (const name of ['libcheckout', 'jose jwtVerify']) {
    let rejected = false
    try {
      await expired[name]()
    } catch {
      rejected = true
    }
    if (!rejected) {
      throw new Error(`${name} accepted the token after its expiration; nothing was measured`)
    }
  }
}

// Runs `count` calls one after another and returns the calls per second of process CPU time
// and of wall-clock time.
async function timeBatch(call, count) {
  // A synchronous call runs in a plain loop, as a product would call it, so that the
  // promise machinery of an await is charged only to the calls that need it.
  const isAsync = call.constructor.name === 'AsyncFunction'
  const cpuStart = process.cpuUsage()
  const wallStart = process.hrtime.bigint()
  if (isAsync) {
    for (let i = 0; i < count; i++) {
      await call()
    }
  } else {
    for (let i = 0; i < count; i++) {
      call()
    }
  }
  const wallSeconds = Number(process.hrtime.bigint() - wallStart) / 1e9
  const cpu = process.cpuUsage(cpuStart)
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  return { cpuRate: count / cpuSeconds, wallRate: count / wallSeconds }
}

// Runs the rounds, each with one batch per library in a rotating order, and returns the
// per-round rates of each library.
async function measure(calls, rounds, batchSeconds) {
  // One warm-up batch per library, which also sizes its batches to about batchSeconds.
  const counts = {}
  for (const [name, call] of Object.entries(calls)) {
    const { wallRate } = await timeBatch(call, 200)
    counts[name] = Math.max(50, Math.floor(wallRate * batchSeconds))
  }

  const names = Object.keys(calls)
  const results = names.map((name) => ({ name, count: counts[name], cpuRates: [], wallRates: [] }))
  for (let round = 0; round < rounds; round++) {
    const shift = round % names.length
    for (const index of [...names.keys()].map((i) => (i + shift) % names.length)) {
      const { cpuRate, wallRate } = await timeBatch(calls[names[index]], counts[names[index]])
      results[index].cpuRates.push(cpuRate)
      results[index].wallRates.push(wallRate)
    }
  }
  return results
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

// Returns the interquartile range relative to the median, with the quartiles computed as
// Python's statistics.quantiles computes them by default (the "exclusive" method), so the
// figure compares with the Python section's.
function spread(values) {
  if (values.length < 2) {
    return 0
  }
  const sorted = [...values].sort((a, b) => a - b)
  const m = sorted.length + 1
  const quartile = (i) => {
    const j = Math.min(Math.max(Math.floor((i * m) / 4), 1), sorted.length - 1)
    const delta = i * m - j * 4
    return (sorted[j - 1] * (4 - delta) + sorted[j] * delta) / 4
  }
  return (quartile(3) - quartile(1)) / median(values)
}

function machine() {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : ''
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)
  return {
    System: execFileSync('uname', ['-srm'], { encoding: 'utf8' }).trim(),
    'CPUs (nproc)': execFileSync('nproc', { encoding: 'utf8' }).trim(),
    'CPU model': model ? model[1].trim() : 'unknown',
    Node: `${process.version} (OpenSSL ${process.versions.openssl}, which jose's WebCrypto uses)`,
    Packages: `libcheckout ${libcheckout.version()}, jose ${JOSE_VERSION}`,
  }
}

const rate = (value) => Math.round(value).toLocaleString('en-US')
const percent = (value) => `${(value * 100).toFixed(1)}%`

function renderSection(results, command, rounds, batchSeconds, payloadBytes) {
  const ours = results[0]
  const lines = [
    START_MARKER,
    SECTION_TITLE,
    '',
    `Measured on ${new Date().toISOString().slice(0, 10)} with:`,
    '',
    '```sh',
    command,
    '```',
    '',
    'The script, `benches/node/verify_bench.mjs`, verifies one PS256 token (2048-bit key, a',
    `checkout payload of ${payloadBytes} bytes) at a fixed time, with keys imported before timing:`,
    '',
    "- libcheckout: `verifier.verify(token, { profile: 'license', now, nodeId })`, the signature",
    '  and the license claims (issuedAt, expiration, entitlements, node).',
    "- jose compactVerify: `compactVerify(token, key, { algorithms: ['PS256'] })` and",
    '  `JSON.parse` of the payload, the signature only.',
    '- jose jwtVerify: `jwtVerify` with `currentDate`, `clockTolerance: 60` and',
    "  `requiredClaims: ['exp', 'iat']`, the signature, `exp`, `nbf` and the claim types.",
    '',
    'jwtVerify is the closer equivalent of the license profile, because it parses and checks',
    'the claims too. It still checks no node and no entitlement, and it checks that `iat` is',
    'not in the future only together with a `maxTokenAge`, which libcheckout does not impose.',
    "compactVerify is jose's signature check alone, which does less work than libcheckout.",
    `Both rows are held to the same target of ${TARGET.toFixed(1)}x.`,
    '',
    "jose 6 verifies through Node's WebCrypto, which hands each verification to the libuv",
    'thread pool, so its calls are awaited one at a time and its wall clock includes that',
    'hand-off. The CPU time is `process.cpuUsage()`, which counts every thread of the process',
    `and which other processes on shared cores barely change. The rounds alternate the three`,
    `calls in a rotating order: ${rounds} rounds, each with one batch of about ${batchSeconds} s per call.`,
    'The spread is the interquartile range of the CPU-time rounds relative to their median,',
    'and the per-round range gives the lowest and highest CPU-time ratio within one round.',
    'The result column judges the ratio of CPU-time medians, because on a loaded machine the',
    'wall clock also depends on how the scheduler shares the cores with other processes.',
    '',
  ]
  for (const [key, value] of Object.entries(machine())) {
    lines.push(`- ${key}: ${value}`)
  }
  lines.push(
    '',
    'Verifications per second:',
    '',
    '| call | median (CPU time) | slowest round | fastest round | spread | median (wall clock) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  )
  for (const result of results) {
    lines.push(
      `| ${result.name} | ${rate(median(result.cpuRates))} | ${rate(Math.min(...result.cpuRates))} | ` +
        `${rate(Math.max(...result.cpuRates))} | ${percent(spread(result.cpuRates))} | ${rate(median(result.wallRates))} |`,
    )
  }
  lines.push(
    '',
    '| libcheckout vs | ratio of CPU-time medians | per-round range | ratio of wall-clock medians | target | result |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
  )
  for (const result of results.slice(1)) {
    const ratio = median(ours.cpuRates) / median(result.cpuRates)
    const wallRatio = median(ours.wallRates) / median(result.wallRates)
    const perRound = ours.cpuRates.map((mine, i) => mine / result.cpuRates[i])
    const range = `${Math.min(...perRound).toFixed(2)}x to ${Math.max(...perRound).toFixed(2)}x`
    const outcome = ratio >= TARGET ? 'met' : 'missed'
    lines.push(
      `| ${result.name} | ${ratio.toFixed(2)}x | ${range} | ${wallRatio.toFixed(2)}x | >= ${TARGET.toFixed(1)}x | ${outcome} |`,
    )
  }
  lines.push(END_MARKER)
  return lines.join('\n') + '\n'
}

// Replaces the text between the section's markers in `path`, or appends the section when
// the file has neither marker, keeping every other section as it is.
function writeSection(path, section) {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : INTRO
  const start = text.indexOf(START_MARKER)
  const end = text.indexOf(END_MARKER)
  let updated
  if (start >= 0 && end > start) {
    updated = text.slice(0, start) + section + text.slice(end + END_MARKER.length).replace(/^\n/, '')
  } else if (start < 0 && end < 0 && !text.includes(`\n${SECTION_TITLE}\n`)) {
    updated = text.replace(/\n*$/, '\n\n') + section
  } else {
    throw new Error(
      `${path} has an incomplete Node verify section (a "${SECTION_TITLE}" heading or one of ` +
        `${START_MARKER} and ${END_MARKER} without the other); fix the markers by hand and rerun`,
    )
  }
  writeFileSync(path, updated, 'utf8')
}

async function main() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '61' },
      'batch-seconds': { type: 'string', default: '0.15' },
      write: { type: 'string' },
    },
  })
  const rounds = Number(values.rounds)
  const batchSeconds = Number(values['batch-seconds'])
  if (!Number.isInteger(rounds) || rounds < 1 || !(batchSeconds > 0)) {
    throw new Error(
      `--rounds must be a positive integer and --batch-seconds a positive number of seconds, ` +
        `got ${values.rounds} and ${values['batch-seconds']}`,
    )
  }

  const signer = libcheckout.Signer.generate(2048, 'PS256')
  const now = Math.floor(Date.now() / 1000)
  const claims = checkoutClaims(now)
  const token = signer.sign(claims)
  const publicPem = signer.publicKeyPem()
  const calls = await buildCalls(token, publicPem, now)
  await checkCalls(calls, token, publicPem, claims)

  const results = await measure(calls, rounds, batchSeconds)

  // run.sh passes the command a reader should type; a direct run records its own arguments.
  const command = process.env.BENCH_COMMAND || ['node', ...process.argv.slice(1)].join(' ')
  const payloadBytes = libcheckout.Verifier.fromPem(publicPem).verify(token, { now, nodeId: NODE_ID }).payload.length
  const section = renderSection(results, command, rounds, batchSeconds, payloadBytes)
  process.stdout.write(section)
  if (values.write) {
    writeSection(values.write, section)
    console.log(`Wrote the section to ${values.write}`)
  }
}

await main()
