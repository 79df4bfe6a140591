// Opening the encrypted part of Satchel's profile: SKESK v4 passphrase
// packets with simple, salted or iterated+salted S2K, and a SEIPD v1 packet
// (AES in OpenPGP's CFB mode without resynchronisation, which is plain CFB
// with a zero IV over the random prefix and the data) ending in an MDC.

import { cfb } from "@noble/ciphers/aes.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { sha224, sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { Failure } from "./failure.js";

// Hashes by OpenPGP id (RFC 4880 section 9.4).
export const hashes = { 2: sha1, 8: sha256, 9: sha384, 10: sha512, 11: sha224 };

// Key sizes of the ciphers go-crypto reads (3DES and CAST5 are read but
// never opened here: Satchel and the readers it promises use AES).
const keySizes = { 2: 24, 3: 16, 7: 16, 8: 24, 9: 32 };
const isAES = (c) => c === 7 || c === 8 || c === 9;
const zeroIV = new Uint8Array(16);

// parseSKESK reads a SKESK packet body as go-crypto does, or returns null
// when go-crypto would refuse it.
function parseSKESK(b) {
  if (b.length < 2 || b[0] !== 4) return null; // v5/v6 are outside the profile
  const cipher = b[1];
  if (!keySizes[cipher]) return null;
  let off = 2;
  const mode = b[off++];
  if (mode === undefined) return null;
  const hash = b[off++];
  if (hash === undefined) return null;
  let salt = null;
  let count = 0;
  if (mode === 1 || mode === 3) {
    if (off + 8 > b.length) return null;
    salt = b.subarray(off, off + 8);
    off += 8;
    if (mode === 3) {
      if (off >= b.length) return null;
      const c = b[off++];
      count = (16 + (c & 15)) << ((c >> 4) + 6);
    }
  } else if (mode !== 0) {
    return null;
  }
  const esk = b.subarray(off);
  if (esk.length >= 64) return null;
  return { cipher, mode, hash, salt, count, esk };
}

// s2k derives a key of size bytes from the passphrase (RFC 4880 3.7.1).
function s2k(p, passphrase, size) {
  const H = hashes[p.hash];
  const out = new Uint8Array(size);
  for (let done = 0, zeros = 0; done < size; zeros++) {
    const h = H.create();
    if (zeros) h.update(new Uint8Array(zeros));
    if (p.mode === 0) {
      h.update(passphrase);
    } else {
      const sp = new Uint8Array(p.salt.length + passphrase.length);
      sp.set(p.salt);
      sp.set(passphrase, p.salt.length);
      const total = p.mode === 3 ? Math.max(p.count, sp.length) : sp.length;
      // Hash total bytes of salt||passphrase repeated, in large pieces.
      const reps = Math.max(1, Math.floor(65536 / sp.length));
      const piece = new Uint8Array(sp.length * reps);
      for (let i = 0; i < reps; i++) piece.set(sp, i * sp.length);
      let left = total;
      while (left > 0) {
        const n = Math.min(left, piece.length);
        h.update(n === piece.length ? piece : piece.subarray(0, n));
        left -= n;
      }
      piece.fill(0);
      sp.fill(0);
    }
    const d = h.digest();
    const n = Math.min(d.length, size - done);
    out.set(d.subarray(0, n), done);
    done += n;
  }
  return out;
}

// sessionKey returns {cipher, key} from a SKESK packet body and the
// passphrase, or null where go-crypto's Decrypt fails.
function sessionKey(body, passphrase) {
  const p = parseSKESK(body);
  if (!p || !hashes[p.hash] || !isAES(p.cipher)) return null;
  const kek = s2k(p, passphrase, keySizes[p.cipher]);
  if (p.esk.length === 0) return { cipher: p.cipher, key: kek };
  const plain = cfb(kek, zeroIV).decrypt(p.esk);
  kek.fill(0);
  const cipher = plain[0];
  const key = plain.slice(1);
  plain.fill(0);
  if (!keySizes[cipher] || key.length !== keySizes[cipher]) return null;
  return { cipher, key };
}

// tryOpen tries one passphrase packet on the encrypted data: null when it
// does not open (seal's mayOpen is false: the session key is not valid or
// fails the quick check), else the decrypted content between the random
// prefix and the MDC. It throws "damaged" when the quick check passes but
// the data does not decrypt to a valid MDC.
export function tryOpen(skesk, data, passphrase) {
  const sk = sessionKey(skesk.body, passphrase);
  if (!sk) return null;
  try {
    // SEIPD v2, AEAD, or a cipher other than AES: outside Satchel's
    // profile. Go goes on to decrypt and fails; so does this.
    if (data.tag !== tagSEIPDValue || data.first.length < 1 || data.first[0] !== 1 || !isAES(sk.cipher)) {
      throw new Failure("damaged");
    }
    const c = data.first.subarray(1);
    if (c.length < 18) return null;
    const head = cfb(sk.key, zeroIV).decrypt(c.slice(0, 18));
    if (head[14] !== head[16] || head[15] !== head[17]) return null;
    const ct = data.body.subarray(1);
    const plain = cfb(sk.key, zeroIV).decrypt(ct);
    // prefix (18) || content || 0xD3 0x14 || SHA-1 of all before it.
    if (plain.length < 18 + 22) throw new Failure("damaged");
    const end = plain.length - 20;
    const mdc = sha1(plain.subarray(0, end));
    let diff = plain[end - 2] ^ 0xd3 | plain[end - 1] ^ 0x14;
    for (let i = 0; i < 20; i++) diff |= mdc[i] ^ plain[end + i];
    if (diff !== 0) {
      plain.fill(0);
      throw new Failure("damaged");
    }
    return plain.subarray(18, end - 2);
  } finally {
    sk.key.fill(0);
  }
}

const tagSEIPDValue = 18;
