package main

import (
	"log/slog"
	"path/filepath"

	"github.com/valyala/fasthttp"

	"github.com/dynax/dynax/autoscaling"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

// openAutoScaling starts Application Auto Scaling for the node's tables:
// its state in <data-dir>/autoscaling, consumed and provisioned figures
// from the node, changes through the node's UpdateTable.
func openAutoScaling(f *storeFlags, node *store.Node, log *slog.Logger) (*autoscaling.Service, error) {
	return autoscaling.Open(autoscaling.Options{
		Dir:      filepath.Join(f.dataDir, "autoscaling"),
		Usage:    func() []autoscaling.Usage { return nodeUsage(node) },
		DynamoDB: node,
		Period:   f.autoscalingPeriod,
		Account:  f.account,
		Region:   f.global.region,
		Logger:   log,
	})
}

// nodeUsage converts the node's capacity figures for the scaler.
func nodeUsage(node *store.Node) []autoscaling.Usage {
	st := node.CapacityStats()
	out := make([]autoscaling.Usage, len(st))
	for i, c := range st {
		out[i] = autoscaling.Usage{Table: c.Table, Index: c.Index, OnDemand: c.OnDemand,
			ProvisionedRead: c.ProvisionedRead, ProvisionedWrite: c.ProvisionedWrite,
			ConsumedRead: c.ConsumedRead, ConsumedWrite: c.ConsumedWrite}
	}
	return out
}

// withAutoScaling serves Application Auto Scaling's calls (target prefix
// AnyScaleFrontendService) on the listener of h. Under --auth sigv4 their
// signatures are verified for the signing name the SDKs and the CLI use,
// "application-autoscaling".
func withAutoScaling(svc *autoscaling.Service, node *store.Node, log *slog.Logger, h fasthttp.RequestHandler) fasthttp.RequestHandler {
	if svc == nil {
		return h
	}
	as := wire.NewServer(svc, log)
	if v := node.Verifier(); v != nil {
		as.Verifier = v.ForService("application-autoscaling")
	}
	return as.ForPrefix(wire.PrefixAutoScaling, h)
}

// withScaler is withAutoScaling as a mount of storeServer.
func withScaler(svc *autoscaling.Service, node *store.Node, log *slog.Logger) func(fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(h fasthttp.RequestHandler) fasthttp.RequestHandler { return withAutoScaling(svc, node, log, h) }
}
