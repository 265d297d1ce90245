// An independent DPoP client for authgate's end-to-end DPoP test: panva's
// jose (installed with oidc-provider) makes the keys, thumbprints and
// proofs, so that authgate's checks meet proofs it did not make itself.
// Reads one JSON command per line on stdin:
//   {"key":"main","htm":"GET","htu":"http://...","token":"<access token>","nonce":"...","iatOffset":-600}
// (token, when given, becomes the ath claim) and answers one line
// {"proof":"...","jkt":"..."}. Exits when stdin closes.
import crypto from 'node:crypto';
import readline from 'node:readline';
import { generateKeyPair, exportJWK, calculateJwkThumbprint, SignJWT } from 'jose';

const keys = {};
async function key(name) {
  if (!keys[name]) {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    keys[name] = { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
  }
  return keys[name];
}

for await (const line of readline.createInterface({ input: process.stdin })) {
  const c = JSON.parse(line);
  const k = await key(c.key || 'main');
  const claims = { htm: c.htm, htu: c.htu };
  if (c.token) claims.ath = crypto.createHash('sha256').update(c.token).digest('base64url');
  if (c.nonce) claims.nonce = c.nonce;
  const proof = await new SignJWT(claims)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: k.jwk })
    .setJti(crypto.randomUUID())
    .setIssuedAt(Math.floor(Date.now() / 1000) + (c.iatOffset || 0))
    .sign(k.privateKey);
  process.stdout.write(JSON.stringify({ proof, jkt: k.jkt }) + '\n');
}
