package main

import (
	"io"
	"path/filepath"

	"github.com/satchel-records/satchel/generator/site"
)

func cmdInit(args []string, stderr io.Writer) error {
	fs := newFlags("init", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError{msg: "init takes at most one folder", hint: "satchel init my-practice"}
	}
	dir := "."
	if fs.NArg() == 1 {
		dir = fs.Arg(0)
	}
	path, err := site.Init(dir)
	if err != nil {
		return err
	}
	check := "satchel check"
	if dir != "." {
		check += " -site " + rel(path)
	}
	msg(stderr, "", "made %s, %s/ and %s/ (your own education pages, replacing built-in ones of the same name)",
		rel(path), rel(filepath.Join(dir, "records")), rel(filepath.Join(dir, "education")))
	msg(stderr, "", "next: put your practice's details in %s, export records into %s/, then run %s", rel(path), rel(filepath.Join(dir, "records")), check)
	return nil
}
