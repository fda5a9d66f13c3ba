package cluster

import (
	"context"
	"fmt"
	"sort"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// MemberStatus is one member as `dynax cluster status` shows it.
type MemberStatus struct {
	Member
	// Share is the member's estimated share of the key space.
	Share float64
	// Healthy: its peer server answered the health check.
	Healthy bool
	// Err says why not.
	Err string
}

// Status lists the members of cluster registered in etcd, with their share
// of the key space and the answer to a health check of each.
func Status(ctx context.Context, endpoints []string, prefix, cluster string, timeout time.Duration) ([]MemberStatus, error) {
	if len(endpoints) == 0 {
		return nil, ErrNoEtcd
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: timeout, Logger: zap.NewNop()})
	if err != nil {
		return nil, fmt.Errorf("cluster: etcd client: %w", err)
	}
	defer cli.Close()
	p := MembersPrefix(prefix, cluster)
	gctx, cancel := context.WithTimeout(ctx, timeout)
	resp, err := cli.Get(gctx, p, clientv3.WithPrefix())
	cancel()
	if err != nil {
		return nil, fmt.Errorf("cluster: read members: %w", err)
	}
	var members []Member
	for _, kv := range resp.Kvs {
		if m, ok := decodeMember(kv.Key, kv.Value, p); ok {
			members = append(members, m)
		}
	}
	sort.Slice(members, func(i, j int) bool { return members[i].ID < members[j].ID })
	shares := Shares(members, 10000)
	out := make([]MemberStatus, len(members))
	for i, m := range members {
		out[i] = MemberStatus{Member: m, Share: shares[m.ID]}
		id, err := Health(ctx, m.Peer, timeout)
		switch {
		case err != nil:
			out[i].Err = err.Error()
		case id != m.ID:
			out[i].Err = fmt.Sprintf("peer address answers as member %q", id)
		default:
			out[i].Healthy = true
		}
	}
	return out, nil
}
