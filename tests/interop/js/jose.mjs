// VC-JWT interop with panva's `jose` (tests/interop/test_jose.py). JSON request on stdin:
//   {"verify": [{"token", "publicJwk", "currentDate", "typ"?, "issuer"?, "subject"?}],
//    "sign":   [{"credential", "privateJwk", "kid", "claims": {iss, jti, sub?, nbf, exp?}}]}
// answers {"verified": [{"ok", "header"?, "payload"?, "code"?}], "signed": ["<compact JWS>"]}.
// No network: keys arrive as JWKs, nothing is resolved.
import {SignJWT, importJWK, jwtVerify} from 'jose';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function verifyOne({token, publicJwk, currentDate, typ, issuer, subject}) {
  const key = await importJWK(publicJwk, 'EdDSA');
  try {
    const {payload, protectedHeader} = await jwtVerify(token, key, {
      algorithms: ['EdDSA'],
      currentDate: new Date(currentDate),
      ...(typ ? {typ} : {}),
      ...(issuer ? {issuer} : {}),
      ...(subject ? {subject} : {})
    });
    return {ok: true, header: protectedHeader, payload};
  } catch(error) {
    return {ok: false, code: error.code ?? String(error)};
  }
}

async function signOne({credential, privateJwk, kid, claims}) {
  const key = await importJWK(privateJwk, 'EdDSA');
  let jwt = new SignJWT(credential)
    .setProtectedHeader({alg: 'EdDSA', kid, typ: 'JWT'})
    .setIssuer(claims.iss)
    .setJti(claims.jti)
    .setNotBefore(claims.nbf);
  if(claims.sub !== undefined) {
    jwt = jwt.setSubject(claims.sub);
  }
  if(claims.exp !== undefined) {
    jwt = jwt.setExpirationTime(claims.exp);
  }
  return jwt.sign(key);
}

const request = await readStdin();
const verified = [];
for(const item of request.verify ?? []) {
  verified.push(await verifyOne(item));
}
const signed = [];
for(const item of request.sign ?? []) {
  signed.push(await signOne(item));
}
process.stdout.write(JSON.stringify({verified, signed}));
