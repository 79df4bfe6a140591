//go:build js && wasm

// Command satchel-wasm is the decryptor inside record.html, built with GOOS=js
// GOARCH=wasm by the Makefile. It opens a bundle with the same code as the
// satchel command (cardkey.Parse, seal.Open, bundle.Unpack), so the browser
// and the command line agree on what a good key and a good record are.
//
// The page runs a fresh copy for each unlock attempt. On start it hands the
// page an object with three functions, then waits until told to quit:
//
//	checkKey(typed) -> {ok: true} or {error}
//	open(message, typed, practiceKey|null) -> {files: [{name, data}],
//	    fingerprint, signedAt, pinned} or {error}
//	quit()
//
// A record opens only with a good signature (provenance.Check, the same
// check `satchel open` makes): by practiceKey when the page carries one,
// else by the key inside the bundle, whose fingerprint the page shows for
// the reader to compare with the key card.
//
// Errors are short codes the page turns into plain English: "length",
// "typo", "chars", "wrong-key", "damaged", "truncated", "bad-signature",
// "unsigned", "not-record", "internal". Nothing here logs, so no key or
// record text reaches the browser console.
package main

import (
	"errors"
	"syscall/js"
	"time"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/provenance"
	"github.com/satchel-records/satchel/generator/seal"
)

func main() {
	quit := make(chan struct{})
	funcs := []js.Func{
		js.FuncOf(safe(checkKey)),
		js.FuncOf(safe(open)),
		js.FuncOf(func(js.Value, []js.Value) any {
			select {
			case <-quit:
			default:
				close(quit)
			}
			return nil
		}),
	}
	api := js.Global().Get("Object").New()
	api.Set("checkKey", funcs[0])
	api.Set("open", funcs[1])
	api.Set("quit", funcs[2])
	ready := js.Global().Get("satchelDecryptorReady")
	if ready.Type() == js.TypeFunction {
		ready.Invoke(api)
		<-quit
	}
	for _, f := range funcs {
		f.Release()
	}
}

// safe turns a panic into the "internal" error, so a bug shows the page's
// message and never a Go stack trace (which could hold record data) in the
// console.
func safe(f func([]js.Value) any) func(js.Value, []js.Value) any {
	return func(_ js.Value, args []js.Value) (res any) {
		defer func() {
			if recover() != nil {
				res = failure("internal")
			}
		}()
		return f(args)
	}
}

func failure(code string) any {
	return map[string]any{"error": code}
}

// keyError maps cardkey.Parse's errors to the page's codes.
func keyError(err error) string {
	switch {
	case errors.Is(err, cardkey.ErrCheck):
		return "typo"
	case errors.Is(err, cardkey.ErrLength):
		return "length"
	default:
		return "chars"
	}
}

// checkKey(typed) catches a mistyped key with the card's check character
// before any decryption is tried.
func checkKey(args []js.Value) any {
	if len(args) < 1 || args[0].Type() != js.TypeString {
		return failure("internal")
	}
	if _, err := cardkey.Parse(args[0].String()); err != nil {
		return failure(keyError(err))
	}
	return map[string]any{"ok": true}
}

// open(message, typed, practiceKey) decrypts, checks and unpacks the
// record; see provenance.Check.
func open(args []js.Value) any {
	if len(args) < 3 || args[1].Type() != js.TypeString {
		return failure("internal")
	}
	secret, err := cardkey.Parse(args[1].String())
	if err != nil {
		return failure(keyError(err))
	}
	pass := secret.Passphrase()
	defer clear(pass)
	msg := goBytes(args[0])

	var pinned openpgp.EntityList
	if args[2].Truthy() {
		if pinned, err = provenance.ReadKeys(goBytes(args[2])); err != nil {
			return failure("damaged")
		}
	}
	res, err := provenance.Check(msg, pass, pinned)
	if err != nil {
		return failure(openError(err))
	}
	defer func() {
		for _, f := range res.Files {
			clear(f.Data)
		}
	}()
	list := make([]any, 0, len(res.Files))
	for _, f := range res.Files {
		list = append(list, map[string]any{"name": f.Name, "data": jsBytes(f.Data)})
	}
	out := map[string]any{
		"files":       list,
		"fingerprint": res.Fingerprint,
		"pinned":      res.Pinned,
	}
	if !res.SignedAt.IsZero() {
		out["signedAt"] = res.SignedAt.UTC().Format(time.RFC3339)
	}
	return out
}

// openError maps seal's errors to the page's codes; ErrTruncated is also
// ErrDamaged, so it is tested first.
func openError(err error) string {
	switch {
	case errors.Is(err, seal.ErrWrongKey):
		return "wrong-key"
	case errors.Is(err, seal.ErrTruncated):
		return "truncated"
	case errors.Is(err, seal.ErrDamaged):
		return "damaged"
	case errors.Is(err, seal.ErrBadSignature):
		return "bad-signature"
	case errors.Is(err, seal.ErrUnsigned):
		return "unsigned"
	case errors.Is(err, bundle.ErrNotBundle):
		return "not-record"
	default:
		return "internal"
	}
}

func goBytes(v js.Value) []byte {
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b
}

func jsBytes(b []byte) js.Value {
	v := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(v, b)
	return v
}
