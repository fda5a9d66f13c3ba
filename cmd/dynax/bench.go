package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/dynax/dynax/bench"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runBench(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "fixed-server" {
		return runFixedServer(args[1:], stdout, stderr)
	}
	fs := newFlagSet("bench", `Measures GetItem and PutItem latency and throughput of DynamoDB endpoints with a
lean keep-alive HTTP client (closed loop). Endpoints are measured in interleaved
rounds (A B A B …) to cancel machine drift. 'dynax bench fixed-server' runs a
server that answers every request with a fixed GetItem body: the floor.`, stderr)
	var endpoints listFlag
	fs.Var(&endpoints, "endpoint", "endpoint URL to measure (repeatable; required)")
	ops := fs.String("ops", "get,put", "workloads to measure: "+strings.Join(bench.Ops, ", ")+" (query reads 100 items of one partition; scan reads the whole table page by page; txnN is TransactWriteItems of N Puts)")
	conc := fs.String("concurrency", "1,16", "comma-separated worker counts")
	dur := fs.Duration("duration", 5*time.Second, "duration of each measurement")
	rounds := fs.Int("rounds", 2, "interleaved rounds per endpoint")
	records := fs.Int("records", 10000, "items loaded before measuring")
	table := fs.String("table", "dynax_bench", "table to create and use")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "dynax bench:", err)
		return 2
	}
	if len(endpoints) == 0 {
		fmt.Fprintln(stderr, "dynax bench: at least one --endpoint is required")
		return 2
	}
	var concs []int
	for _, s := range strings.Split(*conc, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || c < 1 {
			fmt.Fprintf(stderr, "dynax bench: bad --concurrency %q\n", *conc)
			return 2
		}
		concs = append(concs, c)
	}
	opList := strings.Split(*ops, ",")
	clients := make([]*bench.Client, len(endpoints))
	for i, ep := range endpoints {
		c, err := bench.NewClient(ep, 256)
		if err != nil {
			fmt.Fprintln(stderr, "dynax bench:", err)
			return 2
		}
		clients[i] = c
		loaded := map[string]bool{}
		for _, op := range opList {
			if op == "get" || op == "put" || op == "scan" {
				if loaded["base"] {
					continue
				}
				loaded["base"] = true
			}
			if err := bench.Setup(c, *table, op, *records); err != nil {
				fmt.Fprintf(stderr, "dynax bench: load %s: %v\n", ep, err)
				return 1
			}
		}
	}
	for _, opName := range opList {
		op, err := bench.NewOp(opName, *table, *records)
		if err != nil {
			fmt.Fprintln(stderr, "dynax bench:", err)
			return 2
		}
		for _, c := range concs {
			for r := 0; r < *rounds; r++ {
				for i, cl := range clients {
					res := bench.Run(fmt.Sprintf("%s c=%d %s", opName, c, endpoints[i]), cl, c, *dur, op)
					fmt.Fprintln(stdout, res.String())
				}
			}
		}
	}
	return 0
}

func runFixedServer(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench fixed-server", "Serves a fixed GetItem body to every request (the floor for HTTP latency).", stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "dynax bench fixed-server:", err)
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "dynax bench fixed-server:", err)
		return 1
	}
	fmt.Fprintf(stderr, "fixed server listening addr=%s\n", ln.Addr())
	if err := bench.ServeFixed(ln); err != nil {
		fmt.Fprintln(stderr, "dynax bench fixed-server:", err)
		return 1
	}
	return 0
}
