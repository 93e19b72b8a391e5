// Signs a batch of credentials with Digital Bazaar's stack (@digitalbazaar/vc `issue`).
//
// stdin:  {"seed": "<64 hex chars>", "created": "<dateTime>",
//          "credentials": [{"name": "...", "cryptosuite": "eddsa-rdfc-2022" |
//                           "eddsa-jcs-2022", "credential": {...unsigned...}}, ...]}
// stdout: {"did": "did:key:z6Mk...", "verificationMethod": "did:key:...#z6Mk...",
//          "signed": [{"name": "...", "credential": {...}}, ...]}
//
// The issuer is the did:key of an Ed25519 key generated from the seed by
// @digitalbazaar/ed25519-multikey; its DID document is built by @digitalbazaar/did-method-key.
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as vc from '@digitalbazaar/vc';

import {
  makeDidKeyDriver, makeDocumentLoader, readStdinJson, signSuite, writeJson
} from './common.mjs';

const request = await readStdinJson();
const seed = Uint8Array.from(Buffer.from(request.seed, 'hex'));
if(seed.length !== 32) {
  throw new Error('the seed must be 32 bytes');
}
const {publicKeyMultibase} = await Ed25519Multikey.generate({seed});
const key = await Ed25519Multikey.generate(
  {seed, controller: `did:key:${publicKeyMultibase}`});
// DB's did:key driver must agree that this key is the DID's assertion method
const {didDocument} = await makeDidKeyDriver().fromKeyPair({verificationKeyPair: key});
if(!didDocument.assertionMethod.includes(key.id)) {
  throw new Error(`${key.id} is not an assertion method of ${didDocument.id}`);
}
const {documentLoader} = makeDocumentLoader();

const signed = [];
for(const {name, cryptosuite, credential} of request.credentials) {
  const suite = signSuite({name: cryptosuite, signer: key.signer(), date: request.created});
  const secured = await vc.issue({credential, suite, documentLoader, now: request.created});
  signed.push({name, credential: secured});
}
writeJson({did: didDocument.id, verificationMethod: key.id, signed});
