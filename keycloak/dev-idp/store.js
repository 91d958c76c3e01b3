// In-memory storage adapter for oidc-provider.
//
// Unlike oidc-provider's bundled MemoryAdapter (an LRU capped at 1000 entries)
// this one never evicts live entries and can enumerate sessions and grants,
// which the Keycloak-style admin endpoints need ("log out all sessions of user X").
//
// Refresh tokens: Keycloak (revokeRefreshToken=false, its default) hands out a
// new refresh token on every refresh while the previous one stays valid until
// it expires. oidc-provider's rotation instead marks the old token consumed and
// treats a second use as token theft, revoking the whole grant. To behave like
// Keycloak, `consume` is a no-op for RefreshToken, unless the `refreshTokens`
// switch is 'rotate' (Keycloak "Revoke Refresh Token", Auth0, Okta): then a
// reused refresh token gets invalid_grant and its family is revoked.

const store = new Map(); // key `${model}:${id}` -> { payload, expiresAt }

// Runtime switches the tests flip (see server.js and README.md).
export const switches = {
  refreshTokens: process.env.DEVIDP_REFRESH_TOKENS || 'keycloak', // keycloak | rotate | none
  claimsAtUserinfoOnly: process.env.DEVIDP_CLAIMS_AT_USERINFO_ONLY === '1',
  tokenDelayMs: Number.parseInt(process.env.DEVIDP_TOKEN_DELAY_MS || '0', 10),
};

function key(model, id) {
  return `${model}:${id}`;
}

function live(entry) {
  if (!entry) return undefined;
  if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) return undefined;
  return entry;
}

function sweep() {
  const now = Date.now();
  for (const [k, entry] of store) {
    if (entry.expiresAt !== undefined && entry.expiresAt <= now) store.delete(k);
  }
}
setInterval(sweep, 60_000).unref();

export class DevAdapter {
  constructor(model) {
    this.model = model;
  }

  async upsert(id, payload, expiresIn) {
    store.set(key(this.model, id), {
      payload: { ...payload },
      expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined,
    });
  }

  async find(id) {
    const entry = live(store.get(key(this.model, id)));
    return entry ? { ...entry.payload } : undefined;
  }

  async findByUserCode(userCode) {
    for (const [k, entry] of store) {
      if (k.startsWith(`${this.model}:`) && live(entry) && entry.payload.userCode === userCode) {
        return { ...entry.payload };
      }
    }
    return undefined;
  }

  async findByUid(uid) {
    for (const [k, entry] of store) {
      if (k.startsWith(`${this.model}:`) && live(entry) && entry.payload.uid === uid) {
        return { ...entry.payload };
      }
    }
    return undefined;
  }

  async consume(id) {
    if (this.model === 'RefreshToken' && switches.refreshTokens !== 'rotate') return; // see the note at the top
    const entry = store.get(key(this.model, id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(key(this.model, id));
  }

  async revokeByGrantId(grantId) {
    for (const [k, entry] of store) {
      if (k.startsWith(`${this.model}:`) && entry.payload.grantId === grantId) store.delete(k);
    }
  }
}

// --- helpers used by the admin endpoints -----------------------------------

export function listPayloads(model) {
  const out = [];
  for (const [k, entry] of store) {
    if (k.startsWith(`${model}:`) && live(entry)) out.push({ id: k.slice(model.length + 1), ...entry.payload });
  }
  return out;
}

export function destroyEntry(model, id) {
  store.delete(key(model, id));
}

/** Removes a grant and every token issued under it (codes, access and refresh tokens). */
export function revokeGrantEverywhere(grantId) {
  for (const [k, entry] of store) {
    if (entry.payload.grantId === grantId || k === key('Grant', grantId)) store.delete(k);
  }
}
