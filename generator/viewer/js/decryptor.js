// The decryptor inside record.html, bundled by esbuild (see build.mjs) into
// one script that sets globalThis.satchelDecryptor. It reads exactly what
// Go's seal package writes and gives the page the verdicts that
// `satchel open` gives (provenance.Check), with no WebCrypto, so it works
// from file:// and from a plain-http, non-secure origin.
//
//	checkKey(typed) -> {ok: true} or {error}
//	open(message, typed, practiceKey|null) -> Promise of {files: [{name,
//	    data}], fingerprint, signedAt, pinned} or {error}
//
// Errors are the page's short codes: "length", "typo", "chars",
// "wrong-key", "damaged", "truncated", "bad-signature", "unsigned",
// "not-record", "internal". Nothing here logs, so no key or record text
// reaches the console.

import { parseKey } from "./cardkey.js";
import { Failure } from "./failure.js";
import { check } from "./message.js";
import { readKeys } from "./signature.js";

function failure(e) {
  return { error: e instanceof Failure ? e.code : "internal" };
}

export function checkKey(typed) {
  try {
    parseKey(typed).fill(0);
    return { ok: true };
  } catch (e) {
    return failure(e);
  }
}

// open decrypts, checks and unpacks the record. now (Unix seconds) is for
// tests; the page leaves it out.
export async function open(message, typed, practiceKey, now) {
  let pass = null;
  try {
    if (!(message instanceof Uint8Array) || typeof typed !== "string") throw new Failure("internal");
    pass = parseKey(typed);
    let pinned = null;
    if (practiceKey) {
      try {
        pinned = readKeys(practiceKey);
      } catch {
        throw new Failure("damaged");
      }
    }
    const t = now === undefined ? Math.floor(Date.now() / 1000) : now;
    const res = await check(message, pass, pinned, t);
    return {
      files: res.files,
      fingerprint: res.fingerprint,
      pinned: res.pinned,
      signedAt: res.signedAt === null ? undefined : new Date(res.signedAt * 1000).toISOString().replace(".000Z", "Z"),
    };
  } catch (e) {
    return failure(e);
  } finally {
    if (pass) pass.fill(0);
  }
}
