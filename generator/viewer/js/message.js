// Reading a Satchel record message: the decisions of Go's seal.Open,
// seal.Verify and provenance.Check, in the same order, with the same
// verdicts, so the page and `satchel open` agree on every message.

import { dearmorMessage } from "./armor.js";
import { hashes, tryOpen } from "./decrypt.js";
import { Failure } from "./failure.js";
import { readPackets, splitPackets, tagAEAD, tagCompressed, tagLiteral, tagMarker, tagOPS, tagPadding, tagPKESK, tagSEIPD, tagSig, tagSKESK } from "./packets.js";
import { parseSignature, readKeys, verifyEdDSA } from "./signature.js";
import { unpack } from "./zip.js";

// decryptMessage decrypts msg once with the passphrase, trying each
// passphrase packet on its own as seal.Open does: "wrong-key" when none
// opens, "damaged" or "truncated" when the message is not intact. It
// returns the decrypted packets, parsed.
export function decryptMessage(msg, passphrase) {
  const pkts = splitPackets(dearmorMessage(msg));
  const data = pkts[pkts.length - 1];
  if (data.tag !== tagSEIPD && data.tag !== tagAEAD) throw new Failure("damaged");
  let damaged = false;
  for (const p of pkts.slice(0, -1)) {
    if (p.tag === tagPKESK || p.tag === tagMarker || p.tag === tagPadding) continue;
    if (p.tag !== tagSKESK) throw new Failure("damaged");
    let content;
    try {
      content = tryOpen(p, data, passphrase);
    } catch {
      damaged = true;
      continue;
    }
    if (!content) continue;
    try {
      return parseContent(content);
    } catch {
      content.fill(0);
      damaged = true;
    }
  }
  throw new Failure(damaged ? "damaged" : "wrong-key");
}

// parseContent reads the decrypted packets as go-crypto's ReadMessage does:
// one-pass signatures up to the literal data (the last one-pass signature
// names the signer and hash), the literal data, then every signature packet
// after it until the packets end or stop framing.
function parseContent(content) {
  const { pkts, error } = readPackets(content);
  let i = 0;
  let ops = null;
  const opsList = [];
  let signed = false;
  let prevLast = false;
  let opsError = false;
  for (; i < pkts.length && pkts[i].tag !== tagLiteral; i++) {
    const p = pkts[i];
    if (p.tag === tagCompressed) throw new Error("compressed"); // seal never compresses
    if (p.tag !== tagOPS) continue;
    const b = p.body;
    if (b.length !== 13 || b[0] !== 3) throw new Error("ops");
    if (prevLast) throw new Error("nested");
    if (b[12] !== 0) prevLast = true;
    signed = true;
    ops = { type: b[1], hash: b[2], keyId: Array.from(b.subarray(4, 12), (x) => x.toString(16).padStart(2, "0")).join("") };
    opsList.push(ops);
    // Only binary signatures (Satchel's) are checked; go-crypto also reads
    // text ones, which no Satchel bundle is. An error sticks, as in
    // go-crypto, even if a later one-pass signature is good.
    opsError = opsError || !hashes[ops.hash] || ops.type !== 0;
  }
  if (i === pkts.length) throw new Error(error ? "framing" : "no literal data");
  const lit = pkts[i].body;
  if (lit.length < 6 || lit.length < 6 + lit[1]) throw new Error("literal");
  const plaintext = lit.subarray(6 + lit[1]);
  const sigs = [];
  for (const p of pkts.slice(i + 1)) {
    if (p.tag !== tagSig) continue;
    const sig = parseSignature(p.body);
    if (!sig) break; // go-crypto stops reading at a packet it cannot parse
    sigs.push(sig);
  }
  return { plaintext, signed, ops, opsList, opsError, sigs };
}

// verifyAt applies go-crypto's checks as of time t (Unix seconds):
// {verified, signedAt, fingerprint, expired}.
function verifyAt(m, keys, t) {
  const res = { verified: false, signedAt: null, fingerprint: "", expired: false };
  // go-crypto takes the signing key from each one-pass signature whose
  // key it holds (the last such wins), but matches signatures against the
  // last one-pass signature's key id.
  let key = null;
  for (const o of m.opsList) {
    const k = keys.find((e) => e.keyId === o.keyId && e.selfSig.flags !== null && e.selfSig.flags & 2);
    if (k) key = k;
  }
  let matched = null;
  let good = false;
  let h = null;
  if (key && !m.opsError) {
    h = hashes[m.ops.hash].create();
    h.update(m.plaintext);
  }
  const unverified = [];
  for (const sig of m.sigs) {
    if (key && !m.opsError && sig.issuer === m.ops.keyId) {
      // go-crypto writes each signature's suffix into one running hash.
      h.update(sig.suffix);
      good = verifyEdDSA(key.pub, h.clone().digest(), sig);
      res.expired = false;
      if (good) {
        const self = key.selfSig;
        if (sig.critical || self.critical) good = false;
        else if (key.created > t || (self.keyLife && t > key.created + self.keyLife)) {
          good = false;
          res.expired = true;
        } else if ([sig, self].some((s) => s.created > t || (s.sigLife && t > s.created + s.sigLife))) {
          good = false;
          res.expired = true;
        }
      }
      matched = sig;
    } else {
      unverified.push(sig);
    }
  }
  const first = matched || unverified[0];
  if (first) res.signedAt = first.created;
  if (key && matched && good) {
    res.verified = true;
    res.fingerprint = key.fingerprint;
  }
  res.hasKey = Boolean(key);
  return res;
}

// verify is seal.Verify's verdict on decrypted content with keys: throws
// "unsigned" or "bad-signature", else {fingerprint, signedAt}. A
// signature made after the reader's clock counts as of its own time, as in
// seal's openWith.
export function verify(m, keys, now) {
  if (!m.signed) throw new Failure("unsigned");
  let r = verifyAt(m, keys, now);
  if (!r.verified && r.hasKey && !m.opsError && r.expired && r.signedAt !== null && r.signedAt > now) {
    r = verifyAt(m, keys, r.signedAt);
  }
  if (!r.verified) throw new Failure("bad-signature");
  return { fingerprint: r.fingerprint, signedAt: r.signedAt };
}

// check is provenance.Check: decrypt, require a signature, unpack, then
// verify against the pinned keys or else the key inside the bundle.
export async function check(msg, passphrase, pinned, now) {
  const m = decryptMessage(msg, passphrase);
  try {
    if (!m.signed) throw new Failure("unsigned");
    const files = await unpack(m.plaintext);
    try {
      let keys = pinned;
      if (!keys) {
        const k = files.find((f) => f.name === "practice-key.asc");
        if (!k) throw new Failure("bad-signature");
        try {
          keys = readKeys(k.data);
        } catch {
          throw new Failure("bad-signature");
        }
      }
      const v = verify(m, keys, now);
      return { files, fingerprint: v.fingerprint, signedAt: v.signedAt, pinned: Boolean(pinned) };
    } catch (e) {
      for (const f of files) f.data.fill(0);
      throw e;
    }
  } finally {
    m.plaintext.fill(0);
  }
}
