// A local OpenID provider for authgate's end-to-end Bearer test: panva's
// oidc-provider on 127.0.0.1, client_credentials with resource indicators so
// that access tokens are JWTs (typ at+jwt) for the requested audience.
// Prints "READY <issuer>" on stdout once listening; exits when stdin closes.
import http from 'node:http';
import crypto from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const resources = (process.env.RESOURCES || 'https://api.example.test,https://other.example.test').split(',');

function jwk(type, opts, alg) {
  const { privateKey } = crypto.generateKeyPairSync(type, opts);
  return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: `${alg.toLowerCase()}-${crypto.randomBytes(4).toString('hex')}` };
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'svc',
      client_secret: 'svc-secret-for-tests-only',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      scope: 'orders:read orders:write',
    }],
    scopes: ['openid', 'offline_access', 'orders:read', 'orders:write'],
    jwks: { keys: [jwk('ec', { namedCurve: 'P-256' }, 'ES256'), jwk('rsa', { modulusLength: 2048 }, 'RS256')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // On by default in v9; stated for the DPoP end-to-end test: a token
      // request with a DPoP proof gets a token bound to its key (cnf.jkt).
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => {
          if (!resources.includes(resource)) throw new errors.InvalidTarget();
          return {
            scope: 'orders:read orders:write',
            audience: resource,
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`READY ${issuer}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
