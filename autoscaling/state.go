package autoscaling

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// state is everything the service keeps: what the API registered and
// what the scaler did.
type state struct {
	Targets    []*target   `json:"targets"`
	Policies   []*policy   `json:"policies"`
	Activities []*activity `json:"activities"` // oldest first
}

// target is a registered scalable target.
type target struct {
	Namespace  string    `json:"namespace"`
	ResourceID string    `json:"resourceId"`
	Dimension  string    `json:"dimension"`
	Min        int64     `json:"min"`
	Max        int64     `json:"max"`
	RoleARN    string    `json:"roleArn"`
	ARN        string    `json:"arn"`
	Created    time.Time `json:"created"`
	SuspendIn  bool      `json:"suspendIn,omitempty"`
	SuspendOut bool      `json:"suspendOut,omitempty"`
	SuspendSch bool      `json:"suspendScheduled,omitempty"`
}

func (t *target) key() string { return t.Namespace + "\x00" + t.ResourceID + "\x00" + t.Dimension }

// policy is a target-tracking scaling policy.
type policy struct {
	Name       string    `json:"name"`
	Namespace  string    `json:"namespace"`
	ResourceID string    `json:"resourceId"`
	Dimension  string    `json:"dimension"`
	Type       string    `json:"type"`
	ARN        string    `json:"arn"`
	Created    time.Time `json:"created"`
	// TargetValue is the utilization to hold, in percent.
	TargetValue float64 `json:"targetValue"`
	Metric      string  `json:"metric"`
	// ScaleInCooldown and ScaleOutCooldown are in seconds (nil: not
	// given, 0 for DynamoDB).
	ScaleInCooldown  *int64  `json:"scaleInCooldown,omitempty"`
	ScaleOutCooldown *int64  `json:"scaleOutCooldown,omitempty"`
	DisableScaleIn   *bool   `json:"disableScaleIn,omitempty"`
	Alarms           []alarm `json:"alarms"`
}

func (p *policy) targetKey() string {
	return p.Namespace + "\x00" + p.ResourceID + "\x00" + p.Dimension
}

func (p *policy) scaleInDisabled() bool { return p.DisableScaleIn != nil && *p.DisableScaleIn }

// alarm is one of the CloudWatch alarms a target-tracking policy creates.
type alarm struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
}

// activity is one scaling activity.
type activity struct {
	ID            string    `json:"id"`
	Namespace     string    `json:"namespace"`
	ResourceID    string    `json:"resourceId"`
	Dimension     string    `json:"dimension"`
	Description   string    `json:"description"`
	Cause         string    `json:"cause"`
	StatusCode    string    `json:"statusCode"`
	StatusMessage string    `json:"statusMessage,omitempty"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
}

// maxActivities bounds the activities kept per scalable target (the
// service keeps six weeks of them; a local node keeps the newest).
const maxActivities = 200

// loadState reads the state file; a missing file is an empty state.
func loadState(path string) (state, error) {
	var st state
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("corrupt state file: %w", err)
	}
	return st, nil
}

// save writes the state atomically: a temporary file, synced, renamed
// over the old one, and the directory synced, so a crash leaves either
// the old state or the new one. Called with s.mu held.
func (s *Service) save() error {
	b, err := json.Marshal(&s.st)
	if err != nil {
		return err
	}
	path := filepath.Join(s.opts.Dir, stateFile)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("autoscaling: save state: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		var d *os.File
		if d, err = os.Open(s.opts.Dir); err == nil {
			err = d.Sync()
			d.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("autoscaling: save state: %w", err)
	}
	return nil
}

// findTarget returns the registered target of (namespace, id, dimension).
func (s *Service) findTarget(ns, id, dim string) *target {
	for _, t := range s.st.Targets {
		if t.Namespace == ns && t.ResourceID == id && t.Dimension == dim {
			return t
		}
	}
	return nil
}

// addActivity records an activity, dropping the target's oldest past
// maxActivities. Called with s.mu held.
func (s *Service) addActivity(a *activity) {
	s.st.Activities = append(s.st.Activities, a)
	n := 0
	for _, x := range s.st.Activities {
		if x.Namespace == a.Namespace && x.ResourceID == a.ResourceID && x.Dimension == a.Dimension {
			n++
		}
	}
	if n <= maxActivities {
		return
	}
	for i, x := range s.st.Activities {
		if x.Namespace == a.Namespace && x.ResourceID == a.ResourceID && x.Dimension == a.Dimension {
			s.st.Activities = append(s.st.Activities[:i:i], s.st.Activities[i+1:]...)
			return
		}
	}
}

// uuid returns a random version-4 UUID.
func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// targetID returns the 36-character id of a scalable target's ARN.
func targetID() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
