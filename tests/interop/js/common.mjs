// Shared by verify.mjs and sign.mjs: Digital Bazaar's suites and an offline document loader.
//
// The loader serves exactly three kinds of URL and nothing else (never the network):
//   1. the JSON-LD contexts microcred ships (src/microcred/jsonld/contexts/manifest.json), read
//      from the repository and checked against the manifest's SHA-256;
//   2. did:key DIDs and their verification methods, resolved by @digitalbazaar/did-method-key;
//   3. documents the test hands over in its request (signed status list credentials).
import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {driver as didKeyDriverFactory} from '@digitalbazaar/did-method-key';
import * as eddsaJcs2022 from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

const CONTEXTS_DIR = new URL('../../../src/microcred/jsonld/contexts/', import.meta.url);

export function loadBundledContexts() {
  const manifestPath = fileURLToPath(new URL('manifest.json', CONTEXTS_DIR));
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const contexts = new Map();
  for(const {url, file, sha256} of manifest.contexts) {
    const bytes = readFileSync(fileURLToPath(new URL(file, CONTEXTS_DIR)));
    const digest = createHash('sha256').update(bytes).digest('hex');
    if(digest !== sha256) {
      throw new Error(`bundled context ${file} does not match its manifest digest`);
    }
    contexts.set(url, JSON.parse(bytes.toString('utf8')));
  }
  return contexts;
}

export function makeDidKeyDriver() {
  const didKeyDriver = didKeyDriverFactory();
  didKeyDriver.use({
    multibaseMultikeyHeader: 'z6Mk',
    fromMultibase: Ed25519Multikey.from
  });
  return didKeyDriver;
}

export function makeDocumentLoader({documents = {}} = {}) {
  const contexts = loadBundledContexts();
  const didKeyDriver = makeDidKeyDriver();
  const loaded = new Set();
  async function documentLoader(url) {
    loaded.add(url);
    if(contexts.has(url)) {
      return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
    }
    if(url.startsWith('did:key:')) {
      const document = await didKeyDriver.get({url});
      return {contextUrl: null, documentUrl: url, document};
    }
    if(Object.hasOwn(documents, url)) {
      return {contextUrl: null, documentUrl: url, document: documents[url]};
    }
    throw new Error(`offline document loader: ${url} is not bundled, not a did:key ` +
      'and not supplied by the test');
  }
  return {documentLoader, loaded};
}

export function verifySuites() {
  return [
    new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
    new DataIntegrityProof({cryptosuite: eddsaJcs2022.createVerifyCryptosuite()})
  ];
}

export function signSuite({name, signer, date}) {
  if(name === 'eddsa-rdfc-2022') {
    return new DataIntegrityProof({signer, date, cryptosuite: eddsaRdfc2022});
  }
  if(name === 'eddsa-jcs-2022') {
    return new DataIntegrityProof(
      {signer, date, cryptosuite: eddsaJcs2022.createSignCryptosuite()});
  }
  throw new Error(`unknown cryptosuite ${name}`);
}

// Error messages of a result, flattened (errors nest: arrays, `errors`, `cause`).
export function messages(error, out = []) {
  if(!error) {
    return out;
  }
  if(Array.isArray(error)) {
    error.forEach(e => messages(e, out));
    return out;
  }
  if(error.message) {
    out.push(error.message);
  }
  if(Array.isArray(error.errors)) {
    error.errors.forEach(e => messages(e, out));
  }
  if(error.cause) {
    messages(error.cause, out);
  }
  return out;
}

export async function readStdinJson() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export function writeJson(value) {
  process.stdout.write(JSON.stringify(value) + '\n');
}
