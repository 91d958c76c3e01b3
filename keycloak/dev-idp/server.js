// Keycloak-compatible OpenID provider for development and tests.
//
// Reads the same realm export Keycloak imports (keycloak/realm-klantportal.json),
// serves Keycloak's paths under /realms/<realm>/protocol/openid-connect/ and a
// tiny, unauthenticated, loopback-only subset of Keycloak's admin REST API.
// Built on panva's oidc-provider. See README.md for what differs from Keycloak.

import { createServer, request as httpRequest } from 'node:http';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import {
  mkdirSync, readFileSync, renameSync, writeFileSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import Provider, { interactionPolicy } from 'oidc-provider';

import { loadRealm } from './realm.js';
import initializeKeystore from './node_modules/oidc-provider/lib/helpers/initialize_keystore.js';
import {
  DevAdapter, destroyEntry, listPayloads, revokeGrantEverywhere, switches,
} from './store.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REALM_FILE = resolve(HERE, process.env.REALM_FILE || '../realm-klantportal.json');
const HOST = '127.0.0.1';
const PORT = Number.parseInt(process.env.PORT || '8080', 10);

const realm = loadRealm(REALM_FILE);
const REALM = realm.realm;
const MOUNT = `/realms/${REALM}`;
const ISSUER = process.env.ISSUER || `http://localhost:${PORT}${MOUNT}`;
const OIDC = '/protocol/openid-connect';
// A second listener serving the end-session endpoint on another origin (AWS Cognito's layout).
const END_SESSION_PORT = Number.parseInt(process.env.END_SESSION_PORT || '0', 10);
const END_SESSION_URL = END_SESSION_PORT
  ? `http://localhost:${END_SESSION_PORT}${MOUNT}${OIDC}/logout?origin=second` : undefined;
const stats = { authorization_code: 0, refresh_token: 0 }; // token requests by grant type

const ACCESS_TOKEN_TTL = Number.parseInt(process.env.ACCESS_TOKEN_TTL || '', 10)
  || realm.accessTokenLifespan || 300;
const SSO_IDLE = realm.ssoSessionIdleTimeout || 1800;
const SSO_MAX = realm.ssoSessionMaxLifespan || 36000;
const LOGIN_WITH_EMAIL = realm.loginWithEmailAllowed !== false;
const OUTGOING_TIMEOUT_MS = 10_000;
// Node closes idle keep-alive connections after 5 s; a client that reuses one
// just then gets ECONNRESET. Keycloak keeps them far longer, so do we.
const KEEP_ALIVE_TIMEOUT_MS = 120_000;

function log(...args) {
  process.stdout.write(`${new Date().toISOString()} ${args.join(' ')}\n`);
}

// --- users -------------------------------------------------------------------

const users = new Map(); // id -> user representation (mutable: enabled, names, ...)
for (const u of realm.users || []) {
  const id = u.id || randomUUID();
  users.set(id, {
    ...u,
    id,
    username: String(u.username).toLowerCase(), // Keycloak stores usernames lower-cased
    enabled: u.enabled !== false,
  });
}

function passwordOf(user) {
  const cred = (user.credentials || []).find((c) => c.type === 'password');
  return cred?.value;
}

function findUserForLogin(login) {
  const needle = String(login || '').trim().toLowerCase();
  if (!needle) return undefined;
  for (const user of users.values()) {
    if (user.username === needle) return user;
  }
  if (LOGIN_WITH_EMAIL) {
    for (const user of users.values()) {
      if (user.email && user.email.toLowerCase() === needle) return user;
    }
  }
  return undefined;
}

function representation(user) {
  const { credentials, ...rest } = user; // never expose the password
  return {
    createdTimestamp: 0,
    totp: false,
    disableableCredentialTypes: [],
    requiredActions: [],
    notBefore: 0,
    ...rest,
  };
}

function claimsOf(user) {
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
  return {
    sub: user.id,
    email: user.email,
    email_verified: Boolean(user.emailVerified),
    preferred_username: user.username,
    given_name: user.firstName,
    family_name: user.lastName,
    name: name || undefined,
  };
}

// --- client ------------------------------------------------------------------

function splitUris(value) {
  return String(value || '').split('##').map((s) => s.trim()).filter(Boolean);
}

function toOidcClient(c) {
  const attrs = c.attributes || {};
  const client = {
    client_id: c.clientId,
    client_secret: c.secret,
    client_name: c.name || c.clientId,
    redirect_uris: c.redirectUris || [],
    post_logout_redirect_uris: splitUris(attrs['post.logout.redirect.uris']),
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    require_auth_time: true, // Keycloak always puts auth_time in the ID token
  };
  if (attrs['backchannel.logout.url']) {
    client.backchannel_logout_uri = attrs['backchannel.logout.url'];
    client.backchannel_logout_session_required = attrs['backchannel.logout.session.required'] !== 'false';
  }
  return client;
}

const clients = (realm.clients || [])
  .filter((c) => c.enabled !== false && c.protocol !== 'saml' && c.publicClient === false
    && c.standardFlowEnabled !== false && Array.isArray(c.redirectUris) && c.redirectUris.length)
  .map(toOidcClient);

// Redirect URIs with Keycloak's trailing wildcard ("https://app/*") are not
// supported by oidc-provider's exact matching; fail loudly instead of silently.
for (const c of clients) {
  for (const uri of [...c.redirect_uris, ...c.post_logout_redirect_uris]) {
    if (uri.includes('*')) throw new Error(`wildcard URI not supported by dev-idp: ${uri}`);
  }
}

// --- provider ----------------------------------------------------------------

// RS256 like Keycloak. Generating a 2048-bit RSA key takes seconds on small
// machines, so the key is kept in a git-ignored file and reused across
// restarts (which also keeps relying parties' JWKS caches valid, like
// Keycloak's keys persisted in its database).
function signingKey() {
  const file = resolve(HERE, process.env.SIGNING_KEY_FILE || '.data/signing-key.json');
  try {
    const jwk = JSON.parse(readFileSync(file, 'utf8'));
    if (jwk.kty === 'RSA' && jwk.d && jwk.kid) return jwk;
  } catch {
    // missing or unreadable: generate below
  }
  const jwk = newSigningKey();
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(jwk), { mode: 0o600 });
    renameSync(tmp, file);
  } catch (err) {
    log(`could not store signing key in ${file}: ${err.message}`);
  }
  return jwk;
}

function newSigningKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig',
  };
}

const epoch = () => Math.floor(Date.now() / 1000);

// An SSO session whose user was disabled (or removed) must not count: ask for
// the password again, where the disabled account is refused.
const policy = interactionPolicy.base();
policy.get('login').checks.add(new interactionPolicy.Check(
  'account_unavailable',
  'End-User account is not available',
  (ctx) => (ctx.oidc.session.accountId && !ctx.oidc.account
    ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT),
));

const provider = new Provider(ISSUER, {
  adapter: DevAdapter,
  clients,
  jwks: { keys: [signingKey()] },
  cookies: {
    keys: [randomBytes(32).toString('hex')],
    // Distinct names: cookies are not port-scoped, so on `localhost` the portal
    // and this provider share one cookie jar.
    names: {
      session: 'DEVIDP_SESSION',
      interaction: 'DEVIDP_INTERACTION',
      resume: 'DEVIDP_RESUME',
    },
  },
  routes: {
    authorization: `${OIDC}/auth`,
    token: `${OIDC}/token`,
    jwks: `${OIDC}/certs`,
    userinfo: `${OIDC}/userinfo`,
    end_session: `${OIDC}/logout`,
    revocation: `${OIDC}/revoke`,
    introspection: `${OIDC}/token/introspect`,
    pushed_authorization_request: `${OIDC}/ext/par/request`,
  },
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  pkce: { required: () => true },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  // Keycloak applies its default client scopes (profile, email) whatever the
  // request asks for, so every claim is released with plain `openid`.
  claims: {
    openid: ['sub', 'email', 'email_verified', 'preferred_username', 'given_name', 'family_name', 'name'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'given_name', 'family_name', 'name'],
  },
  // Keycloak puts the user claims in the ID token of the code flow too.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    introspection: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // Never actually shown: the end_session middleware below confirms the
      // logout on the user's behalf, as Keycloak does with id_token_hint.
      logoutSource: async (ctx, form) => {
        ctx.body = `<!DOCTYPE html><html><body>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button></body></html>`;
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page('Signed out', '<div id="kc-page-title">You are logged out</div>');
      },
    },
  },
  // Outgoing back-channel logout calls go to the portal on loopback, which
  // oidc-provider's SSRF guard (its undici dispatcher) would refuse. This is a
  // loopback-only development tool: use the default dispatcher. Its 2.5 s
  // abort is too short for a portal on a busy CI machine; Keycloak waits
  // 10 s (its default socket timeout), so this does too.
  fetch: (url, options) => {
    const { dispatcher, signal, ...rest } = options; // eslint-disable-line no-unused-vars
    return globalThis.fetch(url, { ...rest, signal: AbortSignal.timeout(OUTGOING_TIMEOUT_MS) });
  },
  async findAccount(ctx, sub) {
    const user = users.get(sub);
    if (!user || !user.enabled) return undefined; // refresh -> invalid_grant, SSO -> login form
    return {
      accountId: sub,
      async claims(use) {
        // Claims only at userinfo (OIDC Core §5.4), as some providers do.
        if (use === 'id_token' && switches.claimsAtUserinfoOnly) return { sub: user.id };
        return claimsOf(user);
      },
    };
  },
  // First-party client, no consent screen (Keycloak's consentRequired=false).
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
    if (grant && grant.accountId !== session.accountId) grant = undefined;
    if (!grant) {
      grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    }
    const requested = new Set(['openid', ...(ctx.oidc.requestParamScopes || [])]);
    const missing = [...requested].filter((scope) => !grant.getOIDCScope().split(' ').includes(scope));
    if (missing.length) grant.addOIDCScope(missing.join(' '));
    await grant.save();
    return grant;
  },
  issueRefreshToken: async (ctx, client) => switches.refreshTokens !== 'none'
    && client.grantTypeAllowed('refresh_token'),
  // A fresh refresh token on every refresh (the old one stays valid, see store.js).
  rotateRefreshToken: true,
  interactions: {
    policy,
    url: async (ctx, interaction) => `${MOUNT}/login-actions/authenticate/${interaction.uid}`,
  },
  ttl: {
    AccessToken: () => ACCESS_TOKEN_TTL,
    IdToken: () => ACCESS_TOKEN_TTL,
    AuthorizationCode: () => 60,
    Interaction: () => 1800,
    Grant: () => SSO_MAX,
    Session: (ctx, session) => {
      const loginTs = session.loginTs || epoch();
      return Math.max(1, SSO_MAX - (epoch() - loginTs));
    },
    // Keycloak: refresh tokens live for the SSO idle timeout, capped by the
    // remaining SSO max lifespan.
    RefreshToken: (ctx, token) => {
      const authTime = token.authTime || epoch();
      return Math.max(1, Math.min(SSO_IDLE, SSO_MAX - (epoch() - authTime)));
    },
  },
  clientBasedCORS: (ctx, origin, client) => {
    const rc = realm.clients.find((c) => c.clientId === client.clientId);
    return (rc?.webOrigins || []).includes(origin);
  },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    const rows = Object.entries(out).map(([k, v]) => `<p><strong>${esc(k)}</strong>: ${esc(v)}</p>`).join('');
    ctx.body = page('Error', `<div id="kc-error-message">${rows}</div>`);
  },
});
provider.proxy = false;

provider.on('backchannel.success', (ctx, client, accountId, sid) => {
  log(`backchannel-logout ok client=${client.clientId} sub=${accountId} sid=${sid}`);
});
provider.on('backchannel.error', (ctx, err, client, accountId, sid) => {
  log(`backchannel-logout FAILED client=${client.clientId} sub=${accountId} sid=${sid}: ${err.message}`);
});
provider.on('server_error', (ctx, err) => log(`server_error ${err.stack}`));
for (const event of ['grant.success', 'grant.error']) {
  provider.on(event, (ctx) => {
    const type = ctx.oidc?.params?.grant_type;
    if (type in stats) stats[type] += 1;
  });
}

// Test switches: a slow token endpoint (to make concurrent refreshes overlap), and the
// end-session endpoint on another origin in discovery.
provider.use(async (ctx, next) => {
  if (ctx.path === `${OIDC}/token` && switches.tokenDelayMs > 0) {
    await new Promise((done) => { setTimeout(done, switches.tokenDelayMs); });
  }
  await next();
  if (END_SESSION_URL && ctx.oidc?.route === 'discovery' && ctx.body) {
    ctx.body = { ...ctx.body, end_session_endpoint: END_SESSION_URL };
  }
});

// RP-initiated logout without a confirmation page. oidc-provider insists on a
// confirmation form (xsrf-protected POST to .../logout/confirm); once it has
// prepared that (session state saved), submit it ourselves over loopback with
// the browser's cookies and hand the browser the outcome (redirect + cookies).
provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route !== 'end_session' || ctx.status !== 200) return;
  const secret = ctx.oidc.session?.state?.secret;
  if (!secret) return;

  // Keycloak ends the session named by the id_token_hint's `sid` even when the
  // request carries no SSO cookie (e.g. another browser); do the same.
  const hint = ctx.oidc.entities.IdTokenHint?.payload;
  if (!ctx.oidc.session.accountId && hint?.sid) {
    const sessions = listPayloads('Session').filter((s) => s.accountId === hint.sub
      && Object.values(s.authorizations || {}).some((a) => a.sid === hint.sid));
    await Promise.all(sessions.map(endStoredSession));
  }

  const cookies = new Map();
  for (const part of (ctx.get('cookie') || '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) cookies.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  for (const sc of [].concat(ctx.response.headers['set-cookie'] || [])) {
    const [pair] = sc.split(';');
    const i = pair.indexOf('=');
    if (i > 0) cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
  }
  const body = new URLSearchParams({ xsrf: secret, logout: 'yes' }).toString();
  const res = await new Promise((resolvePromise, reject) => {
    const req = httpRequest({
      host: HOST,
      port: server.address().port,
      method: 'POST',
      path: `${MOUNT}${OIDC}/logout/confirm`,
      headers: {
        host: ctx.host,
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
      },
    }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => resolvePromise({ status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks) }));
      r.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });

  ctx.response.remove('set-cookie');
  if (res.headers['set-cookie']) ctx.set('set-cookie', res.headers['set-cookie']);
  if (res.headers['content-type']) ctx.type = res.headers['content-type'];
  ctx.body = res.body;
  ctx.status = res.status;
  if (res.headers.location) ctx.set('location', res.headers.location);
  else ctx.response.remove('location');
});

// --- HTML --------------------------------------------------------------------

function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  }[c]));
}

function page(title, inner) {
  const realmName = esc(realm.displayName || REALM);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{margin:0;font-family:"Red Hat Text",Helvetica,Arial,sans-serif;background:#f0f0f0;color:#151515}
#kc-header{padding:48px 0 24px;text-align:center;font-size:28px;text-transform:uppercase;letter-spacing:.1em;color:#444}
.card{max-width:420px;margin:0 auto;background:#fff;border-top:4px solid #0066cc;padding:32px 40px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:24px;font-weight:400;text-align:center;margin:0 0 24px}
label{display:block;font-size:14px;margin:16px 0 6px}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:8px;font-size:16px;border:1px solid #8a8d90}
input[aria-invalid=true]{border-color:#c9190b}
#input-error{display:block;color:#c9190b;font-size:14px;margin-top:6px}
#kc-login{margin-top:24px;width:100%;padding:10px;font-size:16px;border:0;background:#0066cc;color:#fff;cursor:pointer}
.dev-note{text-align:center;color:#6a6e73;font-size:12px;margin-top:16px}
</style>
</head>
<body>
<div id="kc-header">${realmName}</div>
<div class="card">${inner}</div>
<p class="dev-note">dev-idp &middot; a Keycloak stand-in for development</p>
</body>
</html>`;
}

function loginPage({ action, username = '', error = false }) {
  const invalid = error ? ' aria-invalid="true"' : '';
  return page('Sign in to Klantportal', `
<h1 id="kc-page-title">Sign in to your account</h1>
<form id="kc-form-login" action="${esc(action)}" method="post">
  <label for="username">Username or email</label>
  <input tabindex="1" id="username" name="username" value="${esc(username)}" type="text" autofocus autocomplete="username"${invalid}>
  ${error ? '<span id="input-error" aria-live="polite">Invalid username or password.</span>' : ''}
  <label for="password">Password</label>
  <input tabindex="2" id="password" name="password" type="password" autocomplete="current-password"${invalid}>
  <button tabindex="3" id="kc-login" name="login" type="submit">Sign In</button>
</form>`);
}

// --- request plumbing --------------------------------------------------------

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw Object.assign(new Error('request entity too large'), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, body, headers = {}) {
  const isJson = body !== undefined && typeof body !== 'string';
  const payload = body === undefined ? '' : (isJson ? JSON.stringify(body) : body);
  res.writeHead(status, {
    'cache-control': 'no-store',
    ...(body !== undefined ? { 'content-type': isJson ? 'application/json' : 'text/html; charset=utf-8' } : {}),
    ...headers,
  });
  res.end(payload);
}

// --- login (interaction) -----------------------------------------------------

async function handleInteraction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, page('Error', '<p>Login session mismatch, please try again.</p>'));
  const action = `${MOUNT}/login-actions/authenticate/${details.uid}`;

  if (details.prompt.name !== 'login') {
    // Should not happen (loadExistingGrant grants everything), but never
    // show a consent screen: grant what was asked and carry on.
    const { Grant } = provider;
    const grant = details.grantId ? await Grant.find(details.grantId)
      : new Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    const missing = details.prompt.details || {};
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  if (req.method === 'GET') {
    return send(res, 200, loginPage({ action, username: details.params.login_hint || '' }));
  }
  if (req.method !== 'POST') return send(res, 405, 'method not allowed');

  const form = new URLSearchParams(await readBody(req));
  const username = form.get('username') || '';
  const user = findUserForLogin(username);
  if (!user || !user.enabled || passwordOf(user) === undefined || form.get('password') !== passwordOf(user)) {
    log(`login failed username=${JSON.stringify(username)}`);
    return send(res, 200, loginPage({ action, username, error: true }));
  }
  log(`login ok username=${user.username} sub=${user.id}`);
  return provider.interactionFinished(req, res, {
    login: { accountId: user.id, amr: ['pwd'], remember: true },
  }, { mergeWithLastSubmission: false });
}

// --- admin (Keycloak admin REST shape, no auth, loopback only) ---------------

/** Ends one stored provider session: back-channel logout per client, grants revoked. */
async function endStoredSession(session) {
  const calls = [];
  for (const [clientId, auth] of Object.entries(session.authorizations || {})) {
    const client = await provider.Client.find(clientId).catch(() => undefined);
    if (client?.backchannelLogoutUri) {
      calls.push(client.backchannelLogout(session.accountId, auth.sid).then(
        () => log(`backchannel-logout ok client=${clientId} sub=${session.accountId} sid=${auth.sid}`),
        (err) => log(`backchannel-logout FAILED client=${clientId} sub=${session.accountId} sid=${auth.sid}: ${err.message}`),
      ));
    }
    if (auth.grantId) revokeGrantEverywhere(auth.grantId);
  }
  destroyEntry('Session', session.id);
  await Promise.all(calls);
}

/** Ends every provider session of `userId`, sending back-channel logout per client. */
async function logoutUser(userId) {
  const sessions = listPayloads('Session').filter((s) => s.accountId === userId);
  await Promise.all(sessions.map(endStoredSession));
  // Grants whose session already ended (tokens may still be around).
  for (const grant of listPayloads('Grant').filter((g) => g.accountId === userId)) {
    revokeGrantEverywhere(grant.id);
  }
  return sessions.length;
}

async function handleDevAdmin(req, res, path) {
  if (path === '/admin/dev/switches' && req.method === 'GET') return send(res, 200, { ...switches, stats });
  if (path === '/admin/dev/switches' && req.method === 'PUT') {
    let body;
    try {
      body = JSON.parse((await readBody(req)) || '{}');
    } catch {
      return send(res, 400, { error: 'invalid JSON' });
    }
    if (['keycloak', 'rotate', 'none'].includes(body.refreshTokens)) switches.refreshTokens = body.refreshTokens;
    if (typeof body.claimsAtUserinfoOnly === 'boolean') switches.claimsAtUserinfoOnly = body.claimsAtUserinfoOnly;
    if (Number.isInteger(body.tokenDelayMs)) switches.tokenDelayMs = body.tokenDelayMs;
    log(`dev switches ${JSON.stringify(switches)}`);
    return send(res, 200, { ...switches, stats });
  }
  if (path === '/admin/dev/rotate-key' && req.method === 'POST') {
    // A new signing key with a new kid; the old one is gone from the key set at once.
    const jwk = newSigningKey();
    initializeKeystore.call(provider, { keys: [jwk] });
    log(`signing key rotated kid=${jwk.kid}`);
    return send(res, 200, { kid: jwk.kid });
  }
  return send(res, 404, { error: 'Not Found' });
}

async function handleAdmin(req, res, path) {
  if (path.startsWith('/admin/dev/')) return handleDevAdmin(req, res, path);
  const m = path.match(/^\/admin\/realms\/([^/]+)\/users(?:\/([^/]+)(\/logout)?)?\/?$/);
  if (!m || m[1] !== REALM) return send(res, 404, { error: 'Not Found' });
  const [, , id, logout] = m;

  if (!id) {
    if (req.method !== 'GET') return send(res, 405, { error: 'Method Not Allowed' });
    const q = new URL(req.url, 'http://x').searchParams;
    const username = q.get('username')?.toLowerCase();
    const email = q.get('email')?.toLowerCase();
    const list = [...users.values()].filter((u) => (!username || u.username === username)
      && (!email || u.email?.toLowerCase() === email));
    return send(res, 200, list.map(representation));
  }

  const user = users.get(id);
  if (!user) return send(res, 404, { error: 'User not found' });

  if (logout) {
    if (req.method !== 'POST') return send(res, 405, { error: 'Method Not Allowed' });
    const n = await logoutUser(id);
    log(`admin logout user=${user.username} sessions=${n}`);
    return send(res, 204);
  }
  if (req.method === 'GET') return send(res, 200, representation(user));
  if (req.method === 'PUT') {
    let body;
    try {
      body = JSON.parse((await readBody(req)) || '{}');
    } catch {
      return send(res, 400, { error: 'invalid JSON' });
    }
    for (const field of ['enabled', 'emailVerified']) {
      if (typeof body[field] === 'boolean') user[field] = body[field];
    }
    for (const field of ['firstName', 'lastName', 'email']) {
      if (typeof body[field] === 'string') user[field] = body[field];
    }
    log(`admin update user=${user.username} enabled=${user.enabled}`);
    return send(res, 204);
  }
  return send(res, 405, { error: 'Method Not Allowed' });
}

// --- client_secret_post on top of client_secret_basic ------------------------
// oidc-provider binds one auth method per client; Keycloak accepts both. Move
// form credentials into an Authorization header before the provider sees them.

const CLIENT_AUTH_PATHS = new Set([`${OIDC}/token`, `${OIDC}/token/introspect`, `${OIDC}/revoke`]);

async function adaptClientSecretPost(req, subPath) {
  if (req.method !== 'POST' || !CLIENT_AUTH_PATHS.has(subPath)) return;
  if (!String(req.headers['content-type'] || '').startsWith('application/x-www-form-urlencoded')) return;
  const params = new URLSearchParams(await readBody(req));
  if (!req.headers.authorization && params.has('client_secret') && params.has('client_id')) {
    const enc = (s) => encodeURIComponent(s);
    const basic = Buffer.from(`${enc(params.get('client_id'))}:${enc(params.get('client_secret'))}`).toString('base64');
    req.headers.authorization = `Basic ${basic}`;
    params.delete('client_secret');
    params.delete('client_id');
  }
  // The stream is consumed; oidc-provider falls back to req.body.
  req.body = params.toString();
  req.headers['content-length'] = String(Buffer.byteLength(req.body));
  delete req.headers['transfer-encoding'];
}

// --- server ------------------------------------------------------------------

const providerCallback = provider.callback();

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const path = url.pathname;

  if (path === '/health/ready' || path === '/health/live' || path === '/health') {
    return send(res, 200, { status: 'UP', checks: [] });
  }
  if (path.startsWith('/admin/')) return handleAdmin(req, res, path);

  const login = path.match(new RegExp(`^${MOUNT}/login-actions/authenticate/([A-Za-z0-9_-]+)$`));
  if (login) return handleInteraction(req, res, login[1]);

  if (path === MOUNT || path.startsWith(`${MOUNT}/`)) {
    const subPath = path.slice(MOUNT.length) || '/';
    await adaptClientSecretPost(req, subPath);
    req.originalUrl = req.url;
    req.url = req.url.slice(MOUNT.length) || '/';
    return providerCallback(req, res);
  }
  return send(res, 404, page('Not found', '<p>Page not found</p>'));
}

const server = createServer((req, res) => {
  const started = Date.now();
  res.on('finish', () => {
    log(`${req.method} ${req.originalUrl || req.url} -> ${res.statusCode} ${Date.now() - started}ms`);
  });
  handle(req, res).catch((err) => {
    log(`error ${req.method} ${req.url}: ${err.stack || err}`);
    if (!res.headersSent) {
      const status = err.status || err.statusCode || 500;
      send(res, status, page('Error', `<p id="kc-error-message">${esc(err.message)}</p>`));
    } else {
      res.end();
    }
  });
});

if (END_SESSION_PORT) {
  const second = createServer((req, res) => handle(req, res).catch((err) => {
    log(`error ${req.method} ${req.url}: ${err.stack || err}`);
    if (!res.headersSent) send(res, 500, page('Error', '<p>error</p>'));
  }));
  second.listen(END_SESSION_PORT, HOST, () => log(`end-session endpoint on ${END_SESSION_URL}`));
}

server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000; // must exceed keepAliveTimeout

server.listen(PORT, HOST, () => {
  log(`dev-idp listening on http://${HOST}:${server.address().port} issuer=${ISSUER} realm-file=${REALM_FILE}`);
  log(`clients: ${clients.map((c) => `${c.client_id} redirect=${c.redirect_uris.join(',')} backchannel=${c.backchannel_logout_uri || '-'}`).join('; ')}`);
  log(`access-token-ttl=${ACCESS_TOKEN_TTL}s sso-idle=${SSO_IDLE}s sso-max=${SSO_MAX}s users=${users.size}`);
});

function shutdown(signal) {
  log(`${signal} received, exiting`);
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
