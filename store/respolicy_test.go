package store

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func policyDoc(action string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":["` + action + `"],"Resource":"*"}]}`
}

// TestResourcePolicies covers PutResourcePolicy, GetResourcePolicy and
// DeleteResourcePolicy with the AWS SDK: revisions, ExpectedRevisionId
// (NO_POLICY and mismatches), idempotent puts, the stream slot, the size
// limit, unknown tables and PolicyNotFoundException, with DynamoDB's texts.
func TestResourcePolicies(t *testing.T) {
	ts := newTestServer(t)
	c, ctx := ts.Client, context.Background()
	out, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("rpt"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeKeysOnly},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := *out.TableDescription.TableArn
	streamArn := *out.TableDescription.LatestStreamArn

	_, err = c.GetResourcePolicy(ctx, &dynamodb.GetResourcePolicyInput{ResourceArn: &arn})
	wantErr(t, err, "PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: "+arn)

	put := func(doc string, expected *string) (string, error) {
		o, err := c.PutResourcePolicy(ctx, &dynamodb.PutResourcePolicyInput{ResourceArn: &arn, Policy: &doc, ExpectedRevisionId: expected})
		if err != nil {
			return "", err
		}
		return *o.RevisionId, nil
	}
	r1, err := put(policyDoc("dynamodb:*"), aws.String("NO_POLICY"))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := put(policyDoc("dynamodb:*"), nil); err != nil || r != r1 {
		t.Fatalf("the same policy again: %q %v, want revision %q", r, err, r1)
	}
	_, err = put(policyDoc("dynamodb:GetItem"), aws.String("NO_POLICY"))
	wantErr(t, err, "PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: Requested policy update expecting none to be present for table rpt, but a policy exists with revision id "+r1+".")
	r2, err := put(policyDoc("dynamodb:GetItem"), &r1)
	if err != nil || r2 <= r1 {
		t.Fatalf("update at the current revision: %q %v (previous %q)", r2, err, r1)
	}
	_, err = put(policyDoc("dynamodb:PutItem"), &r1)
	wantErr(t, err, "PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id "+r1+", but the policy associated to target table rpt has revision id "+r2+".")
	g, err := c.GetResourcePolicy(ctx, &dynamodb.GetResourcePolicyInput{ResourceArn: &arn})
	if err != nil || *g.RevisionId != r2 || !strings.Contains(*g.Policy, "dynamodb:GetItem") {
		t.Fatalf("get: %+v %v", g, err)
	}

	// The stream is a slot of its own.
	if _, err := c.PutResourcePolicy(ctx, &dynamodb.PutResourcePolicyInput{ResourceArn: &streamArn, Policy: aws.String(policyDoc("dynamodb:GetRecords"))}); err != nil {
		t.Fatal(err)
	}
	if g, err := c.GetResourcePolicy(ctx, &dynamodb.GetResourcePolicyInput{ResourceArn: &arn}); err != nil || *g.RevisionId != r2 {
		t.Fatalf("the table's policy after the stream's: %+v %v", g, err)
	}

	// Limits and unknown resources.
	_, err = put(`{"Version":"2012-10-17","Statement":[]}`+strings.Repeat(" ", 20480), nil)
	wantErr(t, err, "ValidationException", "One or more parameter values were invalid: Maximum policy size of 20480 bytes exceeded")
	_, err = c.GetResourcePolicy(ctx, &dynamodb.GetResourcePolicyInput{ResourceArn: aws.String(arn + "unknown")})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: Table: rptunknown not found")

	// Delete: a wrong revision, then the right one; again without one is a no-op.
	_, err = c.DeleteResourcePolicy(ctx, &dynamodb.DeleteResourcePolicyInput{ResourceArn: &arn, ExpectedRevisionId: aws.String("unknown")})
	wantErr(t, err, "PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id unknown, but the policy associated to target table rpt has revision id "+r2+".")
	d, err := c.DeleteResourcePolicy(ctx, &dynamodb.DeleteResourcePolicyInput{ResourceArn: &arn, ExpectedRevisionId: &r2})
	if err != nil || *d.RevisionId != r2 {
		t.Fatalf("delete: %+v %v", d, err)
	}
	if _, err := c.DeleteResourcePolicy(ctx, &dynamodb.DeleteResourcePolicyInput{ResourceArn: &arn}); err != nil {
		t.Fatalf("delete without a policy: %v", err)
	}
	_, err = c.GetResourcePolicy(ctx, &dynamodb.GetResourcePolicyInput{ResourceArn: &arn})
	wantErr(t, err, "PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: "+arn)

	// CreateTable's ResourcePolicy applies at once.
	if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("rpt2"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		ResourcePolicy:       aws.String(policyDoc("dynamodb:Query")),
	}); err != nil {
		t.Fatal(err)
	}
	g, err = c.GetResourcePolicy(ctx, &dynamodb.GetResourcePolicyInput{ResourceArn: aws.String(strings.Replace(arn, "table/rpt", "table/rpt2", 1))})
	if err != nil || !strings.Contains(*g.Policy, "dynamodb:Query") {
		t.Fatalf("CreateTable's policy: %+v %v", g, err)
	}
}
