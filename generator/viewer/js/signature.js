// Signatures and public keys, as far as Satchel's practice key needs them:
// v4 keys and signatures, EdDSA legacy (algorithm 22) on Ed25519, checked
// with the rules go-crypto applies when `satchel open` verifies a record.

import { ed25519 } from "@noble/curves/ed25519.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { decode } from "./armor.js";
import { hashes } from "./decrypt.js";
import { readPackets } from "./packets.js";

const algoEdDSA = 22;
const ed25519OID = "2b06010401da470f01";

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const u32 = (b, o) => b[o] * 2 ** 24 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);

// Subpacket types go-crypto knows; an unknown one marked critical makes
// the signature unreadable.
const knownSubpackets = new Set([2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 16, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 37, 38, 39]);

// parseSignature reads a v4 signature packet body, or returns null.
export function parseSignature(b) {
  try {
    if (b[0] !== 4) return null;
    const sig = { type: b[1], algo: b[2], hash: b[3], issuer: null, created: null, sigLife: 0, keyLife: 0, flags: null, primary: false, critical: false };
    const hashedLen = (b[4] << 8) | b[5];
    const hashed = b.subarray(6, 6 + hashedLen);
    if (hashed.length !== hashedLen) return null;
    let off = 6 + hashedLen;
    const unhashedLen = (b[off] << 8) | b[off + 1];
    const unhashed = b.subarray(off + 2, off + 2 + unhashedLen);
    if (unhashed.length !== unhashedLen) return null;
    off += 2 + unhashedLen + 2; // and the two-octet hash tag, unchecked for v4
    if (!subpackets(sig, hashed, true) || !subpackets(sig, unhashed, false)) return null;
    if (sig.created === null) return null;
    // The hash suffix: the signed part of the packet and its length.
    const signedPart = b.subarray(0, 6 + hashedLen);
    sig.suffix = new Uint8Array(signedPart.length + 6);
    sig.suffix.set(signedPart);
    sig.suffix.set([4, 0xff, 0, 0, 0, 0], signedPart.length);
    new DataView(sig.suffix.buffer).setUint32(signedPart.length + 2, signedPart.length);
    if (sig.algo === algoEdDSA) {
      const r = mpi(b, off);
      const s = mpi(b, r.next);
      if (!r.value || !s.value) return null;
      sig.r = r.value;
      sig.s = s.value;
    }
    return sig;
  } catch {
    return null;
  }
}

function mpi(b, off) {
  if (off + 2 > b.length) return {};
  const bits = (b[off] << 8) | b[off + 1];
  const n = (bits + 7) >> 3;
  if (off + 2 + n > b.length) return {};
  return { value: b.subarray(off + 2, off + 2 + n), next: off + 2 + n };
}

function subpackets(sig, b, hashed) {
  for (let off = 0; off < b.length; ) {
    let n = b[off++];
    if (n >= 192 && n < 255) {
      n = ((n - 192) << 8) + b[off++] + 192;
    } else if (n === 255) {
      n = u32(b, off);
      off += 4;
    }
    if (n < 1 || off + n > b.length) return false;
    const type = b[off] & 0x7f;
    const critical = (b[off] & 0x80) !== 0;
    const d = b.subarray(off + 1, off + n);
    off += n;
    if (critical && !knownSubpackets.has(type)) return false;
    if (!hashed && type !== 16 && type !== 33 && type !== 32) continue;
    switch (type) {
      case 2:
        if (d.length !== 4) return false;
        sig.created = u32(d, 0);
        break;
      case 3:
        if (d.length !== 4) return false;
        sig.sigLife = u32(d, 0);
        break;
      case 9:
        if (d.length !== 4) return false;
        sig.keyLife = u32(d, 0);
        break;
      case 16:
        if (d.length !== 8) return false;
        sig.issuer = hex(d);
        break;
      case 20:
        if (critical) sig.critical = true; // no notation is known
        break;
      case 25:
        sig.primary = d[0] !== 0;
        break;
      case 27:
        sig.flags = d.length > 0 ? d[0] : 0;
        break;
      case 33:
        if (d[0] === 4 && d.length === 21 && sig.issuer === null) sig.issuer = hex(d.subarray(13, 21));
        break;
    }
  }
  return true;
}

// verifyEdDSA checks sig over the digest with an Ed25519 public key.
export function verifyEdDSA(pub, digest, sig) {
  if (sig.algo !== algoEdDSA || !sig.r || sig.r.length > 32 || sig.s.length > 32) return false;
  const raw = new Uint8Array(64);
  raw.set(sig.r, 32 - sig.r.length);
  raw.set(sig.s, 64 - sig.s.length);
  try {
    return ed25519.verify(raw, digest, pub, { zip215: false });
  } catch {
    return false;
  }
}

// readKeys reads an armored or binary key ring into entities: {keyId,
// fingerprint, pub, created, selfSig}, selfSig being the verified
// self-signature of the primary identity, or null. It throws when nothing
// can be read.
export function readKeys(bytes) {
  let bin = bytes;
  const text = new TextDecoder("latin1").decode(bytes);
  if (text.trim().startsWith("-".repeat(5) + "BEGIN ")) {
    const block = decode(text);
    if (!block || !/^PGP (PUBLIC|PRIVATE) KEY BLOCK$/.test(block.type)) throw new Error("key");
    bin = block.body;
  }
  const { pkts, error } = readPackets(bin);
  if (error) throw new Error("key");
  const entities = [];
  let e = null;
  let uid = null;
  let inSubkey = false;
  for (const p of pkts) {
    if (p.tag === 6) {
      e = publicKey(p.body);
      if (!e) throw new Error("key");
      entities.push(e);
      uid = null;
      inSubkey = false;
    } else if (!e) {
      throw new Error("key");
    } else if (p.tag === 14) {
      inSubkey = true; // subkeys never sign Satchel records
    } else if (p.tag === 13 && !inSubkey) {
      uid = p.body;
    } else if (p.tag === 2 && uid && !inSubkey) {
      const sig = parseSignature(p.body);
      if (!sig || sig.type < 0x10 || sig.type > 0x13 || sig.issuer !== e.keyId) continue;
      const H = hashes[sig.hash];
      if (!H) continue;
      const h = H.create();
      h.update(e.hashed);
      const ul = new Uint8Array(5);
      ul[0] = 0xb4;
      new DataView(ul.buffer).setUint32(1, uid.length);
      h.update(ul);
      h.update(uid);
      h.update(sig.suffix);
      if (!verifyEdDSA(e.pub, h.digest(), sig)) throw new Error("key");
      // The primary identity: marked primary, then the latest.
      const best = e.selfSig;
      if (!best || (sig.primary && !best.primary) || (sig.primary === best.primary && sig.created > best.created)) e.selfSig = sig;
    }
  }
  if (entities.length === 0 || entities.some((x) => !x.selfSig)) throw new Error("key");
  return entities;
}

function publicKey(b) {
  if (b[0] !== 4 || b.length < 6) return null;
  const created = u32(b, 1);
  if (b[5] !== algoEdDSA) return null;
  const oidLen = b[6];
  if (hex(b.subarray(7, 7 + oidLen)) !== ed25519OID) return null;
  const point = mpi(b, 7 + oidLen);
  if (!point.value || point.value.length !== 33 || point.value[0] !== 0x40) return null;
  const hashed = new Uint8Array(3 + b.length);
  hashed[0] = 0x99;
  hashed[1] = b.length >> 8;
  hashed[2] = b.length & 255;
  hashed.set(b, 3);
  const fp = sha1(hashed);
  return { created, pub: point.value.subarray(1), hashed, fingerprint: hex(fp).toUpperCase(), keyId: hex(fp.subarray(12)), selfSig: null };
}
