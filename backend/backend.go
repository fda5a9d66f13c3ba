// Package backend is the contract between the caching proxy and what
// answers for it: one DynamoDB API call and its answer. It holds no
// implementation, so the proxy (package proxy: HTTP endpoints) and the
// in-process storage node (package storebackend) implement or use it
// without importing each other.
package backend

import (
	"context"

	"github.com/dynax/dynax/auth"
)

// Call is one DynamoDB API call sent to a backend.
type Call struct {
	// Prefix and Operation make up X-Amz-Target (wire.PrefixDynamoDB, "GetItem").
	Prefix, Operation string
	// Body is the JSON request body.
	Body []byte
	// Region and AccessKey are the caller's credential scope (ARNs name the
	// caller's region); empty for calls the proxy makes on its own.
	Region, AccessKey string
	// RequestID is the caller's x-amzn-RequestId, for logs.
	RequestID string
	// Principal is the authenticated caller of a request passed through
	// on its behalf (nil for the proxy's own calls, and with --auth off).
	// An in-process storage node authorizes it again; remote backends
	// never see it (the proxy signs as itself).
	Principal *auth.Principal
	// SourceIP is the caller's address, with Principal.
	SourceIP string
}

// Backend answers DynamoDB API calls: the in-process storage node, a remote
// dynax store, real DynamoDB or any DynamoDB-compatible endpoint.
type Backend interface {
	// Do sends one call and returns the backend's HTTP status and body (an
	// error answer is a status ≥ 400 with DynamoDB's error body, not an
	// error). A non-nil error means there was no answer — a transport
	// failure or a timeout — so the outcome of a write is unknown. The
	// returned body belongs to the caller.
	Do(ctx context.Context, c *Call) (status int, body []byte, err error)
	// Known reports whether prefix.op may be served (false: the proxy
	// answers UnknownOperationException itself, as the backend would).
	Known(prefix, op string) bool
}
