// A local OpenID provider for the end-to-end test of authgate's MCP
// example: panva's oidc-provider on 127.0.0.1, client_credentials with
// resource indicators (RFC 8707) so that access tokens are JWTs (typ
// at+jwt) for the resource. The MCP SDK's client-credentials handler
// sends no resource parameter, so DEFAULT_RESOURCE names the resource a
// token is for when the client names none.
//
// Clients: "svc" may get every scope of SCOPES; "reader" only the first.
// Prints "READY <issuer>" on stdout once listening; exits when stdin closes.
import http from 'node:http';
import crypto from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const resources = (process.env.RESOURCES || 'https://mcp.example.test/mcp').split(',');
const scopes = (process.env.SCOPES || 'mcp:tools mcp:admin').split(' ');
const defaultResource = process.env.DEFAULT_RESOURCE || undefined;

function jwk(type, opts, alg) {
  const { privateKey } = crypto.generateKeyPairSync(type, opts);
  return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: `${alg.toLowerCase()}-${crypto.randomBytes(4).toString('hex')}` };
}

const client = (id, scope) => ({
  client_id: id,
  client_secret: `${id}-secret-for-tests-only`,
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  id_token_signed_response_alg: 'ES256',
  scope,
});

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [client('svc', scopes.join(' ')), client('reader', scopes[0])],
    scopes: ['openid', ...scopes],
    jwks: { keys: [jwk('ec', { namedCurve: 'P-256' }, 'ES256')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => defaultResource,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => {
          if (!resources.includes(resource)) throw new errors.InvalidTarget();
          return {
            scope: scopes.join(' '),
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
