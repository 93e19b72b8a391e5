// Verifies a batch of credentials with Digital Bazaar's stack (@digitalbazaar/vc).
//
// stdin:  {"now": "<dateTime>", "documents": {"<url>": <status list credential>, ...},
//          "credentials": [{"name": "...", "credential": {...}}, ...],
//          "presentations": [{"name", "presentation", "challenge", "domain"}, ...]}
// stdout: {"results": [{"name", "verified", "errors": [...],
//                       "proofs": [{"cryptosuite", "verified", "errors"}],
//                       "status": null | {"verified", "errors", "entries": [...]}}],
//          "presentations": [{"name", "verified", "errors", "proofs",
//                             "credentials": [<a result as above>, ...]}],
//          "loaded": [<every URL the loader was asked for>]}
//
// A credential with `credentialStatus` is checked with @digitalbazaar/vc-bitstring-status-list's
// `checkStatus`, which loads the list credential through the same offline loader (from the
// request's `documents`), verifies the list's proof, and reads the bit; the bit's value is
// reported in `status.entries[].status` (the package reports `verified: true` for a set bit:
// it checks the status, it does not judge it).
import * as vc from '@digitalbazaar/vc';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';

import {
  makeDocumentLoader, messages, readStdinJson, verifySuites, writeJson
} from './common.mjs';

const request = await readStdinJson();
const {documentLoader, loaded} = makeDocumentLoader({documents: request.documents});

function proofResults(results) {
  return (results || []).filter(r => r.proof).map(r => ({
    cryptosuite: r.proof.cryptosuite ?? null,
    type: r.proof.type,
    verified: r.verified === true,
    errors: messages(r.error)
  }));
}

function credentialReport(name, result) {
  const statusResult = result.statusResult;
  return {
    name,
    verified: result.verified === true,
    errors: messages(result.error),
    proofs: proofResults(result.results),
    status: statusResult ? {
      verified: statusResult.verified === true,
      errors: messages(statusResult.error),
      entries: (statusResult.results || []).map(r => ({
        purpose: r.credentialStatus.statusPurpose,
        index: r.credentialStatus.statusListIndex,
        list: r.credentialStatus.statusListCredential,
        status: r.status,
        verified: r.verified === true
      }))
    } : null
  };
}

const results = [];
for(const {name, credential} of request.credentials || []) {
  const options = {
    credential,
    suite: verifySuites(),
    documentLoader,
    now: request.now
  };
  if(credential.credentialStatus) {
    options.checkStatus = checkStatus;
  }
  results.push(credentialReport(name, await vc.verifyCredential(options)));
}

// Presentations: the holder's proof canonicalises the whole presentation, including every
// embedded credential *with its proof set* (JSON-LD safe mode); then each credential is
// verified as above. `checkStatus` is given whenever a credential carries a status.
const presentations = [];
for(const {name, presentation, challenge, domain} of request.presentations || []) {
  let result;
  try {
    // `vc.verify` is DB's presentation verifier (it rejects, rather than reports, some errors)
    result = await vc.verify({
      presentation,
      suite: verifySuites(),
      documentLoader,
      challenge,
      domain,
      now: request.now,
      checkStatus
    });
  } catch(error) {
    result = {verified: false, error};
  }
  presentations.push({
    name,
    verified: result.verified === true,
    errors: messages(result.error),
    proofs: proofResults(result.presentationResult?.results),
    credentials: (result.credentialResults || []).map(
      (r, i) => credentialReport(String(i), r))
  });
}
writeJson({results, presentations, loaded: [...loaded].sort()});
