package bench

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// NewSDKWorker returns worker w of the workload run through the AWS SDK
// for Go v2 client cl instead of the lean client: the same operations,
// keys, sizes and staleness checks, so the difference between the two is
// the SDK's own cost. The Session a Drive passes is not used.
func (s *Spec) NewSDKWorker(cl *dynamodb.Client, st *State, w int) Worker {
	y := s.NewWorker(st, w).(*ycsbWorker)
	y.sdk = cl
	return y
}

func (s *Spec) sdkKey(i int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: string(appendPadded([]byte{'p'}, i/s.PartitionSize))},
		"sk": &types.AttributeValueMemberN{Value: strconv.Itoa(i % s.PartitionSize)},
	}
}

func sdkVersion(item map[string]types.AttributeValue) int64 {
	if n, ok := item["ver"].(*types.AttributeValueMemberN); ok {
		v, _ := strconv.ParseInt(n.Value, 10, 64)
		return v
	}
	return 0
}

func (y *ycsbWorker) consistent() *bool {
	if y.spec.Consistent > 0 && y.rng.Float64() < y.spec.Consistent {
		return aws.Bool(true)
	}
	return nil
}

func (y *ycsbWorker) sdkStep(op int) (string, error) {
	ctx := context.Background()
	n := y.keys()
	switch op {
	case 0:
		_, err := y.sdkRead(ctx, y.spec.Keys.Next(y.rng, n))
		return "GetItem", err
	case 1:
		i := y.spec.Keys.Next(y.rng, n)
		out, err := y.sdk.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &y.spec.Table, Key: y.spec.sdkKey(i),
			UpdateExpression: aws.String("SET v = :v ADD ver :one"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":one": &types.AttributeValueMemberN{Value: "1"},
				":v":   &types.AttributeValueMemberS{Value: payload[:y.spec.Sizes.Next(y.rng)]},
			},
			ReturnValues: types.ReturnValueUpdatedNew,
		})
		if err == nil {
			if v := sdkVersion(out.Attributes); v > 0 {
				y.st.Tracker.Ack(i, v, time.Now())
			}
		}
		return "UpdateItem", err
	case 2:
		i := y.spec.Records + int(y.st.inserted.Add(1)-1)
		return "PutItem", y.sdkPut(ctx, i, 1, -1)
	case 3:
		i := y.spec.Keys.Next(y.rng, n)
		_, err := y.sdk.Query(ctx, &dynamodb.QueryInput{
			TableName:              &y.spec.Table,
			KeyConditionExpression: aws.String("pk = :p AND sk >= :s"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":p": &types.AttributeValueMemberS{Value: string(appendPadded([]byte{'p'}, i/y.spec.PartitionSize))},
				":s": &types.AttributeValueMemberN{Value: strconv.Itoa(i % y.spec.PartitionSize)},
			},
			Limit:          aws.Int32(int32(1 + y.rng.IntN(y.spec.MaxScan))),
			ConsistentRead: y.consistent(),
		})
		return "Query", err
	case 4:
		i := y.spec.Keys.Next(y.rng, n)
		ver, err := y.sdkRead(ctx, i)
		if err == nil {
			err = y.sdkPut(ctx, i, ver+1, ver)
		}
		return "ReadModifyWrite", err
	default:
		seen := map[int]bool{}
		var keys []map[string]types.AttributeValue
		for tries := 0; len(keys) < y.spec.BatchSize && len(seen) < n && tries < 40*y.spec.BatchSize; tries++ {
			i := y.spec.Keys.Next(y.rng, n)
			if !seen[i] {
				seen[i] = true
				keys = append(keys, y.spec.sdkKey(i))
			}
		}
		want := y.snapshot(seen)
		sent := time.Now()
		out, err := y.sdk.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			y.spec.Table: {Keys: keys, ConsistentRead: y.consistent()},
		}})
		if err == nil {
			for _, item := range out.Responses[y.spec.Table] {
				pk, ok1 := item["pk"].(*types.AttributeValueMemberS)
				sk, ok2 := item["sk"].(*types.AttributeValueMemberN)
				if !ok1 || !ok2 {
					continue
				}
				part, err1 := strconv.Atoi(strings.TrimPrefix(pk.Value, "p"))
				s, err2 := strconv.Atoi(sk.Value)
				if err1 == nil && err2 == nil {
					y.checkVersion(want[part*y.spec.PartitionSize+s], sdkVersion(item), sent)
				}
			}
		}
		return "BatchGetItem", err
	}
}

func (y *ycsbWorker) sdkRead(ctx context.Context, i int) (int64, error) {
	want, ackAt := y.st.Tracker.Last(i)
	sent := time.Now()
	out, err := y.sdk.GetItem(ctx, &dynamodb.GetItemInput{TableName: &y.spec.Table, Key: y.spec.sdkKey(i), ConsistentRead: y.consistent()})
	if err != nil {
		return 0, err
	}
	ver := sdkVersion(out.Item)
	y.checkVersion(acked{want, ackAt}, ver, sent)
	return ver, nil
}

func (y *ycsbWorker) sdkPut(ctx context.Context, i int, ver, cond int64) error {
	item := y.spec.sdkKey(i)
	item["ver"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(ver, 10)}
	item["v"] = &types.AttributeValueMemberS{Value: payload[:y.spec.Sizes.Next(y.rng)]}
	in := &dynamodb.PutItemInput{TableName: &y.spec.Table, Item: item}
	switch {
	case cond == 0:
		in.ConditionExpression = aws.String("attribute_not_exists(ver)")
	case cond > 0:
		in.ConditionExpression = aws.String("ver = :old")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":old": &types.AttributeValueMemberN{Value: strconv.FormatInt(cond, 10)}}
	}
	if _, err := y.sdk.PutItem(ctx, in); err != nil {
		return err
	}
	y.st.Tracker.Ack(i, ver, time.Now())
	return nil
}

// sdkErrorType returns the error code of an SDK error.
func sdkErrorType(err error) (string, bool) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), true
	}
	return "", false
}
