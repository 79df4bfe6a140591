// ASCII armor, read the way Go's seal package reads it (go-crypto's armor
// decoder): the checksum line ends the body and is not checked (a damaged
// body fails the MDC anyway), lines are trimmed, a line over 96 characters
// is corrupt, and the base64 must be well formed.

import { Failure } from "./failure.js";

// The armor lines are built, not written out: record.html must hold the
// message's BEGIN line once, in the message itself, because readers of the
// page (satchel open, gpg) take the first one they find.
const dashes = "-".repeat(5);
const begin = dashes + "BEGIN ";
const beginMessage = begin + "PGP MESSAGE" + dashes;
const endMessage = dashes + "END PGP MESSAGE" + dashes;
const latin1 = new TextDecoder("latin1");

// dearmorMessage returns the binary message in msg, or msg itself when it
// is not armored (as seal.dearmor does).
export function dearmorMessage(msg) {
  const text = latin1.decode(msg);
  const trimmed = text.replace(/^[ \t\r\n]+/, "");
  if (!trimmed.startsWith(beginMessage)) return msg;
  if (!trimmed.includes(endMessage)) throw new Failure("truncated");
  const block = decode(trimmed);
  if (!block || block.type !== "PGP MESSAGE") throw new Failure("damaged");
  return block.body;
}

// decode reads the first armored block of text: {type, body}, or null when
// it is malformed.
export function decode(text) {
  const lines = text.split("\n").map((l) => l.replace(/\r$/, ""));
  let i = 0;
  for (;;) {
    // Leading garbage, then a BEGIN line.
    let type = null;
    for (; i < lines.length; i++) {
      const l = lines[i].trim();
      if (l.length > begin.length + 5 && l.startsWith(begin)) {
        type = l.slice(begin.length, l.length - 5);
        i++;
        break;
      }
    }
    if (type === null) return null;
    // Headers up to a blank line; a line without ':' means this was not a
    // block after all: look for the next.
    let restart = false;
    for (;; i++) {
      if (i >= lines.length) return null;
      const l = lines[i].trim();
      if (l === "") {
        i++;
        break;
      }
      if (!l.includes(":")) {
        restart = true;
        break;
      }
    }
    if (restart) continue;
    let b64 = "";
    for (; i < lines.length; i++) {
      const l = lines[i].trim();
      if (l.startsWith(dashes + "END ")) break;
      if (l.length === 5 && l[0] === "=") break;
      if (l.length > 96) return null;
      b64 += l;
    }
    const body = base64(b64);
    return body ? { type, body } : null;
  }
}

const b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const b64val = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) b64val[b64chars.charCodeAt(i)] = i;

// base64 decodes standard, padded base64, or returns null.
function base64(s) {
  if (s.length % 4 !== 0) return null;
  let pad = 0;
  if (s.endsWith("==")) pad = 2;
  else if (s.endsWith("=")) pad = 1;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  const full = s.length - (pad ? 4 : 0);
  let o = 0;
  let bad = 0;
  const v = (i) => {
    const c = s.charCodeAt(i);
    const x = c < 256 ? b64val[c] : -1;
    bad |= x;
    return x;
  };
  for (let i = 0; i < full; i += 4) {
    const n = (v(i) << 18) | (v(i + 1) << 12) | (v(i + 2) << 6) | v(i + 3);
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 255;
    out[o++] = n & 255;
  }
  if (pad) {
    const n = (v(full) << 18) | (v(full + 1) << 12) | (pad === 1 ? v(full + 2) << 6 : 0);
    out[o++] = n >>> 16;
    if (pad === 1) out[o++] = (n >>> 8) & 255;
  }
  return bad < 0 ? null : out;
}
