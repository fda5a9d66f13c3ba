package proxy

import "testing"

// TestProjectionAgreement sends GetItem and BatchGetItem projections,
// valid and invalid, through the proxy and straight to the store. The
// answers must be the same bytes, and every projection the store accepts
// must be served from the cache the second time: the proxy decides
// validity by the store's own rules (expr.ReadProjection), so it neither
// serves what the store would refuse nor sends to the backend what it
// could have answered.
func TestProjectionAgreement(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.createTable("proj", "sk", "N")
	e.ok("PutItem", `{"TableName":"proj","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"N":"1"},"m":{"M":{"x":{"S":"y"}}},"l":{"L":[{"N":"1"},{"N":"2"}]}}}`)
	const key = `"Key":{"pk":{"S":"a"},"sk":{"N":"1"}}`
	members := []string{
		``,
		`,"ProjectionExpression":"v"`,
		`,"ProjectionExpression":"v, m.x, l[1]"`,
		`,"ProjectionExpression":"#v","ExpressionAttributeNames":{"#v":"v"}`,
		`,"ProjectionExpression":"v","ExpressionAttributeNames":null`,
		`,"ProjectionExpression":null`,
		`,"ProjectionExpression":null,"ExpressionAttributeNames":null`,
		`,"ProjectionExpression":null,"AttributesToGet":["v"]`,
		`,"AttributesToGet":["v","pk"]`,
		`,"AttributesToGet":null`,
		`,"AttributesToGet":["v","v"]`,
		`,"AttributesToGet":[]`,
		`,"AttributesToGet":["v"],"ProjectionExpression":"v"`,
		`,"ExpressionAttributeNames":{"#v":"v"}`,
		`,"ProjectionExpression":"#v","ExpressionAttributeNames":{"#v":"v","#w":"w"}`,
		`,"ProjectionExpression":"#v","ExpressionAttributeNames":{"v":"v"}`,
		`,"ProjectionExpression":"#v"`,
		`,"ProjectionExpression":"v, v"`,
		`,"ProjectionExpression":"m, m.x"`,
		`,"ProjectionExpression":"pk.x"`,
		`,"ProjectionExpression":"sk[0]"`,
		`,"ProjectionExpression":""`,
		`,"ProjectionExpression":"v,"`,
		`,"ProjectionExpression":7`,
		`,"AttributesToGet":"v"`,
	}
	accepted := 0
	for _, m := range members {
		for _, c := range []struct{ op, body string }{
			{"GetItem", `{"TableName":"proj",` + key + m + `}`},
			{"BatchGetItem", `{"RequestItems":{"proj":{"Keys":[{"pk":{"S":"a"},"sk":{"N":"1"}}]` + m + `}}}`},
		} {
			for round := 0; round < 2; round++ {
				s := post(t, e.storeURL, c.op, c.body)
				p := post(t, e.proxyURL, c.op, c.body)
				if p.Status != s.Status || diffAnswers(p.Body, s.Body) != "" {
					t.Fatalf("%s %s round %d:\nproxy %d %s\nstore %d %s", c.op, c.body, round, p.Status, p.Body, s.Status, s.Body)
				}
				if round == 1 && s.Status == 200 {
					accepted++
					if got := p.cache(); got != cacheHit {
						t.Errorf("%s %s: the store accepts it but the second proxy answer was %q, not a cache hit", c.op, c.body, got)
					}
				}
			}
		}
	}
	// Both valid and invalid forms were exercised.
	if accepted < 10 || accepted > 2*len(members)-10 {
		t.Fatalf("%d of %d requests accepted: the cases no longer cover both sides", accepted, 2*len(members))
	}
}
