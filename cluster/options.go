package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Sentinel errors.
var (
	// ErrClosed is returned by calls on a closed Membership or peer client.
	ErrClosed = errors.New("cluster: closed")
	// ErrNoEtcd means Options.Endpoints is empty.
	ErrNoEtcd = errors.New("cluster: no etcd endpoints")
	// ErrBadOptions wraps an invalid option.
	ErrBadOptions = errors.New("cluster: bad options")
	// ErrForbidden is a peer's answer to a request without the cluster
	// secret (HTTP 403).
	ErrForbidden = errors.New("cluster: peer refused the cluster secret")
	// ErrUnreachable means a peer did not answer (dial failure, timeout,
	// broken connection).
	ErrUnreachable = errors.New("cluster: peer unreachable")
	// ErrPeerStatus is an unexpected HTTP status from a peer.
	ErrPeerStatus = errors.New("cluster: unexpected peer answer")
)

// Defaults of Options.
const (
	DefaultPrefix       = "/dynax"
	DefaultCluster      = "dynax"
	DefaultLeaseTTL     = 3 * time.Second
	DefaultSettleWindow = time.Second
	DefaultDialTimeout  = 2 * time.Second
)

// Options configures a Membership.
type Options struct {
	// Endpoints are the etcd client URLs. Required.
	Endpoints []string
	// Prefix is the etcd key prefix. Default DefaultPrefix ("/dynax").
	Prefix string
	// Cluster names the cache cluster; nodes with the same Prefix and
	// Cluster form one cache. Default DefaultCluster ("dynax").
	Cluster string
	// ID is this member's id, unique in the cluster. Default: random.
	ID string
	// PeerAddr is the host:port other members reach this node's peer
	// server at. Required.
	PeerAddr string
	// LeaseTTL is the life of the registration lease; a crashed member
	// leaves the view about one LeaseTTL after its last keep-alive.
	// Default DefaultLeaseTTL (3s); at least 1s (etcd's granularity).
	LeaseTTL time.Duration
	// SettleWindow is how long keys a node gains stay unsettled after a
	// view change (served from the backend, not cached). It should exceed
	// the time a view change takes to reach every member. Default
	// DefaultSettleWindow (1s); negative: 0.
	SettleWindow time.Duration
	// DialTimeout bounds connecting to etcd. Default DefaultDialTimeout.
	DialTimeout time.Duration
	// OnOwnershipLoss is called (synchronously, before the new view is
	// used) when this node may have lost keys: a member joined, or this
	// node was detached (detached true: it also stops receiving the
	// others' invalidations). The proxy drops its cached items, and on
	// detach its cached queries. Optional.
	OnOwnershipLoss func(detached bool)
	// OnViewChange is called after each new view is installed. Optional.
	OnViewChange func(View)
	// Logger receives membership events. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock (tests). Default time.Now.
	Now func() time.Time
}

// EnsureDefaults fills in the defaults of unset fields.
func (o *Options) EnsureDefaults() {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	o.Prefix = "/" + strings.Trim(o.Prefix, "/")
	if o.Cluster == "" {
		o.Cluster = DefaultCluster
	}
	if o.ID == "" {
		o.ID = randomID()
	}
	if o.LeaseTTL == 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.SettleWindow == 0 {
		o.SettleWindow = DefaultSettleWindow
	} else if o.SettleWindow < 0 {
		o.SettleWindow = 0
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Validate reports the first invalid option (after EnsureDefaults).
func (o *Options) Validate() error {
	switch {
	case len(o.Endpoints) == 0:
		return ErrNoEtcd
	case o.PeerAddr == "":
		return fmt.Errorf("%w: PeerAddr is required", ErrBadOptions)
	case o.LeaseTTL < time.Second:
		return fmt.Errorf("%w: LeaseTTL %v is below etcd's 1s granularity", ErrBadOptions, o.LeaseTTL)
	case strings.ContainsAny(o.Cluster, "/ \t\n"):
		return fmt.Errorf("%w: cluster name %q must not contain '/' or spaces", ErrBadOptions, o.Cluster)
	case strings.ContainsAny(o.ID, "/ \t\n"):
		return fmt.Errorf("%w: member id %q must not contain '/' or spaces", ErrBadOptions, o.ID)
	}
	return nil
}

// MembersPrefix is the etcd prefix under which the members of cluster
// register.
func MembersPrefix(prefix, cluster string) string {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if cluster == "" {
		cluster = DefaultCluster
	}
	return "/" + strings.Trim(prefix, "/") + "/" + cluster + "/members/"
}
