// Command dynax runs the dynax DynamoDB-compatible storage node, its
// caching proxy and the benchmark. See `dynax --help`.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands []command

func init() {
	commands = []command{
		{"serve", "run the all-in-one node: caching proxy on 127.0.0.1:8000, storage node in process (also on 127.0.0.1:8001)", runServe},
		{"store", "run the storage node alone", runStore},
		{"proxy", "run the caching proxy in front of a backend (dynax store, DynamoDB, DynamoDB Local, dynalite)", runProxy},
		{"cluster", "show a cache cluster's members (dynax cluster status --etcd URL)", runCluster},
		{"etcd", "run a standalone single-node etcd for a cache cluster of dynax proxies", runEtcd},
		{"bench", "measure DynamoDB endpoints (latency, throughput)", runBench},
		{"top", "show an endpoint's /metrics table by table, refreshing (requests, capacity, throttles, latency, cache hit ratio)", runTop},
		{"version", "print the version", runVersion},
	}
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// defaultGCPercent is the garbage collector's target when GOGC is unset. The
// servers allocate short-lived request garbage at high rates over a small
// live heap; collecting at 4× growth instead of 2× measurably raises
// throughput on two cores (docs/performance.md). GOGC in the environment
// wins.
const defaultGCPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "dynax: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `dynax: a DynamoDB-compatible storage node and DAX-style caching proxy.

Usage:
  dynax <command> [flags]

Commands:`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, `
Every flag can also be set with an environment variable DYNAX_<FLAG>, the
flag name in upper case with dashes as underscores (e.g. DYNAX_DATA_DIR);
a flag on the command line wins over the environment.

Run 'dynax <command> --help' for the flags of a command.`)
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stdout, "dynax", version)
	return 0
}
