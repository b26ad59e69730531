// Starts kinesalite (Kinesis) and dynalite (DynamoDB) in memory on free
// loopback ports and prints the AWS_ENDPOINT_URL_* lines to use them.
// Runs until it gets SIGTERM/SIGINT or its stdin closes.
'use strict'
const kinesalite = require('kinesalite')
const dynalite = require('dynalite')

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server.address().port))
  })
}

async function main() {
  // Short create/update delays keep tests fast; kinesalite still goes
  // through CREATING/UPDATING states, so waiters are exercised.
  const k = kinesalite({ createStreamMs: 50, deleteStreamMs: 50, updateStreamMs: 50, shardLimit: 1000 })
  const d = dynalite({ createTableMs: 50, deleteTableMs: 50, updateTableMs: 50 })
  const kp = await listen(k)
  const dp = await listen(d)
  process.stdout.write(`AWS_ENDPOINT_URL_KINESIS=http://127.0.0.1:${kp}\n`)
  process.stdout.write(`AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:${dp}\n`)
  process.stdout.write('READY\n')
  const stop = () => { k.close(); d.close(); process.exit(0) }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.stdin.on('end', stop)
  process.stdin.resume()
}

main().catch((err) => { console.error('emulators:', err); process.exit(1) })
