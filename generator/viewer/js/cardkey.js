// Reading a key card's secret as a person typed it: the same rules as Go's
// cardkey.Parse (any case, spaces and dashes ignored, O for 0, I and L for
// 1, a Crockford mod-37 check symbol). Errors are the page's codes and
// never repeat what was typed.

import { Failure } from "./failure.js";

const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const checkAlphabet = alphabet + "*~$=U";
const dataSymbols = 27;
const skipped = new Set(["-", " ", "\t", "\n", "\r", "\u00a0"]);

// parseKey returns the card's passphrase (its printed form, as bytes) or
// throws a Failure-like {code}.
export function parseKey(typed) {
  const vals = [];
  for (let r of String(typed)) {
    if (skipped.has(r)) continue;
    if (r >= "a" && r <= "z") r = r.toUpperCase();
    if (r === "O") r = "0";
    else if (r === "I" || r === "L") r = "1";
    vals.push(r.length === 1 && r.charCodeAt(0) < 128 ? checkAlphabet.indexOf(r) : -1);
    if (vals.length > dataSymbols + 1) throw new Failure("length");
  }
  if (vals.length !== dataSymbols + 1) throw new Failure("length");
  let check = 0;
  for (const v of vals.slice(0, dataSymbols)) {
    if (v < 0 || v >= 32) throw new Failure("chars");
    check = (check * 32 + v) % 37;
  }
  if (vals[dataSymbols] < 0) throw new Failure("chars");
  if (vals[dataSymbols] !== check) throw new Failure("typo");
  let printed = "";
  for (let i = 0; i <= dataSymbols; i++) {
    if (i > 0 && i % 4 === 0) printed += "-";
    printed += i < dataSymbols ? alphabet[vals[i]] : checkAlphabet[check];
  }
  return new TextEncoder().encode(printed);
}
