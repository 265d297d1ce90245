// scrub-har.mjs replaces the real credential recorded in a HAR with a test
// one, and fails if the real one (or its base64) is still anywhere in it.
//
// Usage: REAL=<token> IN=raw.har OUT=chromium.har node scrub-har.mjs
import fs from 'node:fs';

const real = process.env.REAL;
const b64url = s => Buffer.from(JSON.stringify(s)).toString('base64url');
// The test token: JWT-shaped, expired, with no valid signature, so that it
// is recognisably not a credential. The test swaps it for one it mints.
const test = [
  b64url({ alg: 'ES256', kid: 'har-test', typ: 'at+jwt' }),
  b64url({ iss: 'https://issuer.har.test', sub: 'har-test', aud: 'https://api.har.test', exp: 1767225600 }),
  Buffer.from('signature removed: this is a test token').toString('base64url'),
].join('.');
let har = fs.readFileSync(process.env.IN, 'utf8');
har = har.split(real).join(test);
for (const form of [real, Buffer.from(real).toString('base64'), real.split('.')[2]]) {
  if (har.includes(form)) {
    console.error('the real credential is still in the HAR');
    process.exit(1);
  }
}
fs.writeFileSync(process.env.OUT, har);
console.log('test token:', test);
