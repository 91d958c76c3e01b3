// Loads a Keycloak realm export and resolves `${...}` placeholders the way
// Keycloak's `--import-realm` does (org.keycloak.common.util.StringPropertyReplacer
// with environment variables as the property source):
//
//   ${VAR}            value of VAR; left untouched when VAR is not set
//   ${VAR:default}    value of VAR, else `default`
//   ${A,B}            A, else B (left untouched when neither is set)
//   ${A,B:default}    A, else B, else `default`
//   ${env.VAR}        value of environment variable VAR
//   ${/} and ${:}     file and path separator ("/" and ":")
//
// Nested expressions (`${A:${B}}`) are resolved by re-running on the result.
// Unresolved references such as Keycloak's localisation keys
// (`${role_offline-access}`) stay as they are, exactly like Keycloak.
//
// Only JSON string values are resolved (object keys are not), which is what
// Keycloak's placeholder-replacing JSON parser does as well.

import { readFileSync } from 'node:fs';

export function makeEnvResolver(env = process.env) {
  return (key) => {
    if (Object.prototype.hasOwnProperty.call(env, key)) return env[key];
    if (key.startsWith('env.')) {
      const name = key.slice(4);
      if (Object.prototype.hasOwnProperty.call(env, name)) return env[name];
    }
    return undefined;
  };
}

function resolveCompositeKey(key, resolve) {
  const comma = key.indexOf(',');
  if (comma === -1) return undefined;
  let value;
  if (comma > 0) value = resolve(key.slice(0, comma));
  if (value === undefined && comma < key.length - 1) value = resolve(key.slice(comma + 1));
  return value;
}

export function replaceProperties(string, resolve) {
  if (typeof string !== 'string') return string;
  const NORMAL = 0;
  const SEEN_DOLLAR = 1;
  const IN_BRACKET = 2;
  let buffer = '';
  let properties = false;
  let state = NORMAL;
  let start = 0;
  let open = 0;
  for (let i = 0; i < string.length; i += 1) {
    const c = string[i];
    if (c === '$' && state !== IN_BRACKET) {
      state = SEEN_DOLLAR;
    } else if (c === '{' && state === SEEN_DOLLAR) {
      buffer += string.slice(start, i - 1);
      state = IN_BRACKET;
      start = i - 1;
      open = 1;
    } else if (c === '{' && state === IN_BRACKET) {
      open += 1;
    } else if (state === SEEN_DOLLAR) {
      state = NORMAL;
    } else if (c === '}' && state === IN_BRACKET && open > 1) {
      open -= 1;
    } else if (c === '}' && state === IN_BRACKET) {
      if (start + 2 === i) {
        buffer += '${}';
      } else {
        const key = string.slice(start + 2, i);
        let value;
        if (key === '/') {
          value = '/';
        } else if (key === ':') {
          value = ':';
        } else {
          value = resolve(key);
          if (value === undefined) {
            const colon = key.indexOf(':');
            if (colon > 0) {
              const realKey = key.slice(0, colon);
              value = resolve(realKey);
              if (value === undefined) {
                value = resolveCompositeKey(realKey, resolve);
                if (value === undefined) value = key.slice(colon + 1);
              }
            } else {
              value = resolveCompositeKey(key, resolve);
            }
          }
        }
        if (value !== undefined) {
          properties = true;
          buffer += value;
        } else {
          buffer += `\${${key}}`;
        }
      }
      start = i + 1;
      state = NORMAL;
    }
  }
  if (!properties) return string;
  if (start !== string.length) buffer += string.slice(start);
  if (buffer.includes('${')) return replaceProperties(buffer, resolve);
  return buffer;
}

export function resolvePlaceholders(value, resolve) {
  if (typeof value === 'string') return replaceProperties(value, resolve);
  if (Array.isArray(value)) return value.map((v) => resolvePlaceholders(v, resolve));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolvePlaceholders(v, resolve);
    return out;
  }
  return value;
}

export function loadRealm(file, env = process.env) {
  const raw = JSON.parse(readFileSync(file, 'utf8'));
  return resolvePlaceholders(raw, makeEnvResolver(env));
}
