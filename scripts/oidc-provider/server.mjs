// A local OpenID Provider configured like GOV.UK One Login, for Townsquare's tests and demo.
//
//   node server.mjs --config provider.json [--port 9010]
//
// It listens on 127.0.0.1 only. Like One Login it requires PKCE (S256) and private_key_jwt
// client authentication (a client may be given a secret instead, as some council IdPs use),
// signs ID tokens with ES256 (RS256 on request), takes a `vtr` (vectors of trust) parameter and
// returns the level reached as `vot`, honours `ui_locales` (en, cy) on its sign-in page, and
// sends back-channel logout tokens when a session ends. For a person whose identity was checked
// (P2) it answers the `claims` parameter's request for One Login's identity credential,
// `https://vocab.account.gov.uk/v1/coreIdentityJWT`, in userinfo: a JWT with the person's name
// and birth date signed (ES256) by a separate identity key, published as One Login publishes
// its own, in a DID document at /.well-known/did.json (issuer <issuer>/identity/). Accounts are fixed demo people, chosen
// on a plain HTML page (no JavaScript), so browser journeys and plain HTTP tests can both drive
// it. Never use it in production: anyone can sign in as anyone.
//
// The config file (JSON):
//   { "issuer": "http://127.0.0.1:9010",            (default: from the port)
//     "clients": [ { "client_id", "redirect_uris", "post_logout_redirect_uris",
//                    "jwks": {"keys": [public JWKs]} | "client_secret",
//                    "backchannel_logout_uri", "id_token_signed_response_alg" } ],
//     "accounts": [ { "sub", "email", "email_verified", "name", "identity": "P2" | null,
//                     "birth_date": "1984-05-12", "groups": [...], "phone_number" } ] }

import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { generateKeyPair, exportJWK, calculateJwkThumbprint, SignJWT } from 'jose';
import Provider, { interactionPolicy } from 'oidc-provider';

const { values: args } = parseArgs({
  options: { config: { type: 'string' }, port: { type: 'string' } },
});
if (!args.config) {
  console.error('usage: node server.mjs --config provider.json [--port N]');
  process.exit(2);
}
const config = JSON.parse(readFileSync(args.config, 'utf8'));
const port = Number(args.port || config.port || 9010);
const issuer = config.issuer || `http://127.0.0.1:${port}`;
const accounts = new Map((config.accounts || []).map((a) => [a.sub, a]));

// Vectors of trust as One Login has them: Cl / Cl.Cm (credential strength), then P0-P2
// (identity confidence). The level a person reaches is the strongest asked-for vector their
// account can meet; a person without a proven identity reaches only Cl.Cm, which the relying
// party must refuse when it asked for P2.
const VECTOR = /^Cl(\.Cm)?(\.P[0-2])?$/;

function vtrOf(raw) {
  if (raw === undefined || raw === '') return ['Cl.Cm'];
  let parsed;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length === 0
      || !parsed.every((v) => typeof v === 'string' && VECTOR.test(v))) return null;
  return parsed;
}

function strength(vector) {
  const identity = /\.P([0-2])$/.exec(vector);
  return (vector.includes('Cm') ? 1 : 0) + (identity ? Number(identity[1]) * 10 : 0);
}

function votFor(account, vtr) {
  const reachable = vtr.filter((v) => !v.includes('.P2') || account.identity === 'P2');
  if (reachable.length === 0) return 'Cl.Cm';
  return reachable.sort((a, b) => strength(b) - strength(a))[0];
}

const ES256 = await generateKeyPair('ES256', { extractable: true });
const RS256 = await generateKeyPair('RS256', { extractable: true });
const signingKeys = [
  { ...(await exportJWK(ES256.privateKey)), alg: 'ES256', use: 'sig', kid: 'demo-es256-1' },
  { ...(await exportJWK(RS256.privateKey)), alg: 'RS256', use: 'sig', kid: 'demo-rs256-1' },
];

// One Login's identity service signs identity credentials with its own key, found through a
// did:web DID document on its host (here the provider's own host).
const CORE_IDENTITY = 'https://vocab.account.gov.uk/v1/coreIdentityJWT';
const identityIssuer = `${issuer}/identity/`;
const did = `did:web:${encodeURIComponent(new URL(issuer).host)}`;
const IDENTITY = await generateKeyPair('ES256', { extractable: true });
const identityPublic = { ...(await exportJWK(IDENTITY.publicKey)), alg: 'ES256' };
const identityKid = `${did}#${await calculateJwkThumbprint(identityPublic)}`;
const didDocument = {
  '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
  id: did,
  assertionMethod: [{
    type: 'JsonWebKey', id: identityKid, controller: did, publicKeyJwk: identityPublic,
  }],
};

async function coreIdentityJWT(account, clientId) {
  const words = account.name.split(' ');
  const nameParts = [
    { type: 'GivenName', value: words.slice(0, -1).join(' ') || account.name },
    ...(words.length > 1 ? [{ type: 'FamilyName', value: words[words.length - 1] }] : []),
  ];
  return new SignJWT({
    vot: 'P2',
    vtm: `${issuer}/trustmark`,
    vc: {
      type: ['VerifiableCredential', 'IdentityCheckCredential'],
      credentialSubject: {
        name: [{ nameParts }],
        birthDate: [{ value: account.birth_date || '1970-01-01' }],
      },
    },
  })
    .setProtectedHeader({ alg: 'ES256', kid: identityKid, typ: 'JWT' })
    .setIssuer(identityIssuer)
    .setSubject(account.sub)
    .setAudience(clientId)
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime('3m')
    .sign(IDENTITY.privateKey);
}

const basePolicy = interactionPolicy.base();
// Asking for a stronger vector of trust than this session reached means signing in again.
basePolicy.get('login').checks.add(new interactionPolicy.Check(
  'vtr_not_met', 'the session has not reached the vector of trust asked for', (ctx) => {
    const { oidc } = ctx;
    if (!oidc.session.accountId || ctx.oidc.result?.login) {
      return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }
    const vtr = vtrOf(oidc.params.vtr) || ['Cl.Cm'];
    const reached = oidc.session.acr || 'Cl';
    return vtr.some((v) => strength(reached) >= strength(v))
      ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
  },
));

const clients = (config.clients || []).map((c) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: c.client_secret ? 'client_secret_post' : 'private_key_jwt',
  id_token_signed_response_alg: 'ES256',
  backchannel_logout_session_required: true,
  ...c,
}));

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: signingKeys },
  cookies: { keys: [config.cookie_key || 'townsquare-demo-provider-cookies-not-secret'] },
  pkce: { methods: ['S256'], required: () => true },
  extraParams: ['vtr'],
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: true },
    claimsParameter: { enabled: true },
    rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
  },
  claims: {
    openid: ['sub', 'vot', 'vtm'],
    email: ['email', 'email_verified'],
    phone: ['phone_number', 'phone_number_verified'],
    profile: ['name'],
    groups: ['groups'],
    // Only through the `claims` parameter, as at One Login.
    [CORE_IDENTITY]: null,
  },
  // The vector of trust reached travels with the access token to userinfo, which decides from
  // it whether to hand over the identity credential.
  async extraTokenClaims(ctx) {
    const code = ctx.oidc.entities.AuthorizationCode;
    return code?.acr ? { vot: code.acr } : undefined;
  },
  scopes: ['openid', 'email', 'phone', 'profile', 'groups', 'offline_access'],
  interactions: {
    policy: basePolicy,
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  // First-party demo clients: what they ask for is granted without a consent page.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.params.scope || 'openid');
    grant.addOIDCClaims(['vot', 'vtm', 'groups', 'email', 'email_verified', 'name', CORE_IDENTITY]);
    await grant.save();
    return grant;
  },
  async findAccount(ctx, sub, token) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims(use, scope, requested) {
        // The vector reached rides on the session's acr (set at sign-in) into the code, then
        // the ID token; One Login names it `vot`.
        const vot = token?.acr || ctx.oidc.session?.acr || 'Cl.Cm';
        return {
          sub,
          vot,
          vtm: `${issuer}/trustmark`,
          email: account.email,
          email_verified: account.email_verified !== false,
          name: account.name,
          groups: account.groups || [],
          ...(account.phone_number
            ? { phone_number: account.phone_number, phone_number_verified: true } : {}),
          // Asked for, about a checked identity, in a session that reached P2.
          ...(use === 'userinfo' && requested && CORE_IDENTITY in requested
            && account.identity === 'P2' && /\.P2$/.test(token?.extra?.vot || '')
            ? { [CORE_IDENTITY]: await coreIdentityJWT(account, token.clientId) } : {}),
        };
      },
    };
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Sign-in error', `<h1>Sign-in error</h1><p>${esc(out.error)}: ${
      esc(out.error_description || '')}</p>`);
  },
  ttl: { Session: 3600, Interaction: 600, AuthorizationCode: 60, IdToken: 300, AccessToken: 300 },
});
// 127.0.0.1 over plain HTTP is the point of a local provider.
provider.proxy = false;

function esc(text) {
  return String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function page(title, body, lang = 'en') {
  return `<!DOCTYPE html><html lang="${lang}"><head><meta charset="utf-8"><title>${esc(title)
  } - Demo One Login</title><meta name="viewport" content="width=device-width"></head><body>
  <main>${body}</main></body></html>`;
}

const WORDS = {
  en: {
    title: 'Sign in to the demo identity provider',
    lead: 'This is a demonstration. Choose who to be:',
    identity: 'identity checked (P2)',
    noIdentity: 'identity not checked',
    continue: 'Continue as',
    cancel: 'Cancel and go back',
  },
  cy: {
    title: "Mewngofnodi i'r darparwr hunaniaeth enghreifftiol",
    lead: 'Arddangosiad yw hwn. Dewiswch pwy i fod:',
    identity: 'hunaniaeth wedi’i gwirio (P2)',
    noIdentity: 'hunaniaeth heb ei gwirio',
    continue: 'Parhau fel',
    cancel: 'Canslo a mynd yn ôl',
  },
};

async function logoutSource(ctx, form) {
  ctx.body = page('Sign out', `<h1>Sign out of the demo identity provider?</h1>${form}
    <button form="op.logoutForm" type="submit" name="logout" value="yes">Yes, sign me out</button>`);
}

async function postLogoutSuccessSource(ctx) {
  ctx.body = page('Signed out', '<h1>You have signed out of the demo identity provider</h1>');
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, params, prompt } = details;
  const lang = String(params.ui_locales || '').split(' ').includes('cy') ? 'cy' : 'en';
  const words = WORDS[lang];
  const vtr = vtrOf(params.vtr);
  if (vtr === null) {
    await provider.interactionFinished(req, res, {
      error: 'invalid_request', error_description: 'vtr is not a list of vectors of trust',
    }, { mergeWithLastSubmission: false });
    return;
  }
  if (req.method === 'POST') {
    const form = await readForm(req);
    const account = accounts.get(form.get('account') || '');
    if (form.get('cancel') || !account) {
      await provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: 'The person did not sign in',
      }, { mergeWithLastSubmission: false });
      return;
    }
    await provider.interactionFinished(req, res, {
      login: { accountId: account.sub, acr: votFor(account, vtr), amr: ['pwd', 'otp'] },
    }, { mergeWithLastSubmission: false });
    return;
  }
  const people = [...accounts.values()].map((a) => `<li><form method="post" action="/interaction/${
    esc(uid)}"><input type="hidden" name="account" value="${esc(a.sub)}"><button type="submit">${
    esc(words.continue)} ${esc(a.name)}</button> <span>${esc(a.email)}, ${
    a.identity === 'P2' ? words.identity : words.noIdentity}${
    a.groups?.length ? `, groups: ${esc(a.groups.join(', '))}` : ''}</span></form></li>`).join('');
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(page(words.title, `<h1>${esc(words.title)}</h1><p>${esc(words.lead)}</p>
    <p>Asked for: <code>${esc(vtr.join(' or '))}</code> (${esc(prompt.name)})</p>
    <ul>${people}</ul><form method="post" action="/interaction/${esc(uid)}">
    <button type="submit" name="cancel" value="1">${esc(words.cancel)}</button></form>`, lang));
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  if (req.url.startsWith('/interaction/')) {
    try {
      await interaction(req, res);
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page('Sign-in error', `<h1>Sign-in error</h1><p>${esc(err.message)}</p>`));
    }
    return;
  }
  if (req.url === '/.well-known/did.json') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(didDocument));
    return;
  }
  if (req.url === '/trustmark') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ idp: issuer, C: ['Cl', 'Cm'], P: ['P0', 'P2'] }));
    return;
  }
  callback(req, res);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`demo OpenID Provider listening at ${issuer}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
