package bench

import (
	"math/rand/v2"
	"strings"
)

// NewSpread returns a client that sends each call to one of nodes, chosen
// at random per call: one workload across the nodes of a cache cluster.
// Its Endpoint is the nodes' endpoints joined with "+", its Name their
// labels joined so; Nodes returns them (their metrics are scraped one by
// one).
func NewSpread(nodes []*Client) *Client {
	eps := make([]string, len(nodes))
	names := make([]string, len(nodes))
	for i, n := range nodes {
		eps[i], names[i] = n.endpoint, n.Label()
	}
	c := &Client{endpoint: strings.Join(eps, "+"), nodes: nodes, Name: strings.Join(names, "+")}
	if len(nodes) > 0 {
		c.hc, c.host, c.Signer = nodes[0].hc, nodes[0].host, nodes[0].Signer
	}
	return c
}

// Nodes returns the nodes of a spread client (nil for a plain one).
func (c *Client) Nodes() []*Client { return c.nodes }

// pick returns the client a call goes to.
func (c *Client) pick() *Client {
	if len(c.nodes) == 0 {
		return c
	}
	return c.nodes[rand.IntN(len(c.nodes))]
}
