// Package storebackend serves the caching proxy from a storage node in the
// same process: a call costs a function call, not an HTTP round trip. It is
// wired in cmd (dynax serve), so that package proxy never imports package
// store and works in front of any DynamoDB endpoint.
package storebackend

import (
	"context"
	"errors"
	"log/slog"

	"github.com/dynax/dynax/backend"
	"github.com/dynax/dynax/ddb"
	"github.com/dynax/dynax/ddb/wire"
	"github.com/dynax/dynax/store"
)

// Backend is a backend.Backend answering from Node.
type Backend struct {
	// Node is the storage node. Required.
	Node *store.Node
	// Logger receives internal errors. Nil: they are not logged.
	Logger *slog.Logger
}

var _ backend.Backend = (*Backend)(nil)

// Known implements backend.Backend.
func (s *Backend) Known(prefix, op string) bool { return s.Node.Known(prefix, op) }

// Do implements backend.Backend. The store's *ddb.Error answers become
// (status, body) exactly as its HTTP server would write them.
func (s *Backend) Do(ctx context.Context, c *backend.Call) (int, []byte, error) {
	region := c.Region
	if region == "" {
		region = wire.DefaultRegion
	}
	req := wire.Request{Prefix: c.Prefix, Operation: c.Operation, Body: c.Body, Region: region,
		AccessKey: c.AccessKey, RequestID: c.RequestID, Principal: c.Principal, SourceIP: c.SourceIP}
	out, err := s.Node.ServeDynamoDB(ctx, &req)
	if err == nil {
		return 200, out, nil
	}
	var pt *wire.Passthrough
	if errors.As(err, &pt) {
		return pt.Status, pt.Body, nil
	}
	de, ok := ddb.AsError(err)
	if !ok {
		if s.Logger != nil {
			s.Logger.Error("internal error", "op", c.Operation, "err", err)
		}
		de = ddb.InternalServerError("Internal server error")
	}
	return de.Status, wire.ErrorBody(de), nil
}
