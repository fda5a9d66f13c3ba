package auth

import "testing"

type benchSchemas struct{}

func (benchSchemas) PartitionKeys(table, index string) ([]string, bool) { return []string{"pk"}, true }

const benchFactsGet = `{"TableName":"bench","Key":{"pk":{"S":"user#000042"},"sk":{"N":"7"}}}`

// BenchmarkFactsGetItem measures the checks of a GetItem (on the proxy's
// hit path with --auth sigv4).
func BenchmarkFactsGetItem(b *testing.B) {
	sc := Scope{Region: "us-east-1", Account: "000000000000"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Facts("DynamoDB_20120810", "GetItem", []byte(benchFactsGet), sc, benchSchemas{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthorize measures one decision under a five-statement policy
// with a LeadingKeys condition.
func BenchmarkAuthorize(b *testing.B) {
	u, err := ParseUsers([]byte(`{"users":[{"accessKeyId":"A","secretAccessKey":"s","arn":"arn:aws:iam::000000000000:user/bench","policies":[{
 "Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query","dynamodb:BatchGetItem"],"Resource":"arn:aws:dynamodb:*:*:table/bench",
   "Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["user#000042"]}}},
  {"Effect":"Allow","Action":"dynamodb:Describe*","Resource":"*"},
  {"Effect":"Allow","Action":["dynamodb:PutItem","dynamodb:UpdateItem"],"Resource":"arn:aws:dynamodb:*:*:table/bench"},
  {"Effect":"Deny","Action":"dynamodb:DeleteTable","Resource":"*"},
  {"Effect":"Deny","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:*:*:table/secret"}]}]}]}`))
	if err != nil {
		b.Fatal(err)
	}
	p, _, _ := u.Lookup("A")
	g := &Guard{}
	sc := Scope{Region: "us-east-1", Account: "000000000000"}
	checks, err := Facts("DynamoDB_20120810", "GetItem", []byte(benchFactsGet), sc, benchSchemas{})
	if err != nil {
		b.Fatal(err)
	}
	c := &Caller{Principal: p, SourceIP: "127.0.0.1"}
	b.ReportAllocs()
	for b.Loop() {
		if err := g.Authorize(c, checks); err != nil {
			b.Fatal(err)
		}
	}
}
