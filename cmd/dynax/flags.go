package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// newFlagSet returns a FlagSet whose usage lists every flag with its default.
func newFlagSet(name, summary string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: dynax %s [flags]\n\n%s\n\nFlags (each also settable as DYNAX_<FLAG>):\n", name, summary)
		printDefaults(fs, out)
	}
	return fs
}

// printDefaults is flag.PrintDefaults that states every default, zero
// values included (flag omits those), unless the text already says it.
func printDefaults(fs *flag.FlagSet, out io.Writer) {
	fs.VisitAll(func(f *flag.Flag) {
		typ, usage := flag.UnquoteUsage(f)
		line := "  -" + f.Name
		if typ != "" {
			line += " " + typ
		}
		def := f.DefValue
		switch {
		case strings.Contains(usage, "(default"), strings.Contains(usage, "default "):
			def = ""
		case def == "" || typ == "string":
			def = strconv.Quote(def)
		}
		usage = strings.ReplaceAll(usage, "\n", "\n    \t")
		if def != "" {
			usage += " (default " + def + ")"
		}
		fmt.Fprintf(out, "%s\n    \t%s\n", line, usage)
	})
}

// parseFlags applies DYNAX_* environment variables to flags not given on
// the command line, after parsing args.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		env := "DYNAX_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %w", env, v, e)
			}
		}
	})
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return err
}
