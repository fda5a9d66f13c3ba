// Package cluster makes dynax cache nodes one coherent cache: membership in
// etcd, key ownership, and the authenticated peer protocol the nodes use to
// forward reads and invalidations to each other. It knows nothing of the
// proxy: the proxy implements PeerHandler and asks Membership who owns a
// key. See docs/cluster.md.
//
// # Membership
//
// Every node registers the key <Prefix>/<Cluster>/members/<ID> with a lease
// (Options.LeaseTTL, kept alive) whose value advertises its peer address,
// and watches <Prefix>/<Cluster>/members/. The live members are the view.
// A node whose keep-alives have not been acknowledged for most of a lease
// TTL, or that does not find itself in its view, is detached: it owns
// nothing and the proxy bypasses the cache until it is registered again.
//
// # Ownership: rendezvous hashing
//
// The owner of an item is the live member with the highest score
// mix(hash(item key) ^ hash(member id)) — rendezvous, or highest random
// weight (HRW), hashing of the canonical item key over the view. It was
// chosen over a consistent-hash ring because
//
//   - remapping is minimal: when a member joins it takes about 1/n of the
//     keys, each from the member that owned it, and nothing else moves;
//     when a member leaves only its own keys move, spread over the others;
//   - it needs no ring, no virtual nodes and no balancing parameter: the
//     share of each member is 1/n in expectation with small variance;
//   - it is a pure function of the key and the member ids, so every node
//     with the same view computes the same owner without coordination.
//
// Its cost, one hash mix per member per lookup, is negligible for cache
// clusters of a few to a few dozen nodes.
//
// # Ownership epochs
//
// With HRW a node loses keys only when another member joins, or when it
// was itself detached (its lease lapsed). Either way Membership advances
// the node's ownership epoch and calls Options.OnOwnershipLoss before the
// new view is used, and the proxy drops every cached item: an entry can
// never survive an ownership that was lost and later regained without an
// invalidation in between. Keys a node gains are unsettled for
// Options.SettleWindow after the view change (Route reports Settled
// false): other nodes may still route writes by the previous view, so the
// proxy serves such keys from the backend without caching them until the
// view has spread.
package cluster
