package rollout

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// maxMarker is the longest resume marker status.rollout.observedResume
// holds as it is; a longer one is held as its digest (the field's
// MaxLength is 80).
const maxMarker = 64

// resumeAsk is what the resume annotation asks of one decision.
type resumeAsk struct {
	// From is when resumed failures count their new deadline from; zero
	// when nothing is resumed.
	From time.Time
	// OnlyBefore resumes only failures older than From (a legacy RFC 3339
	// value); otherwise every failure is resumed.
	OnlyBefore bool
	// Observed and At are status.rollout.observedResume and resumedAt
	// after the decision.
	Observed string
	At       *metav1.Time
}

// markerKey is how a resume marker is kept in status: as it is, or as
// its digest when longer than maxMarker.
func markerKey(v string) string {
	if len(v) <= maxMarker {
		return v
	}
	sum := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(sum[:])[:32]
}

// decideResume reads the resume annotation's value against the previous
// status (nil: none) at now, by the hub's clock. The value is an opaque
// marker: a value the hub has not acted on yet (not prev's
// observedResume) resumes every failed cluster from now, once, so that
// neither the client's clock nor the marker's content matters. For
// compatibility, an RFC 3339 time seen while prev records no marker yet
// (written by an earlier CLI, possibly before the hub was upgraded) keeps
// its old meaning, failures before that time resume from it, except that
// a time after now counts as now: a client clock ahead can no longer
// stretch a deadline or resume failures that happen later.
func decideResume(value string, prev *hotplugv1.RolloutStatus, now time.Time) resumeAsk {
	var ask resumeAsk
	if prev != nil {
		ask.Observed, ask.At = prev.ObservedResume, prev.ResumedAt
	}
	if value == "" || markerKey(value) == ask.Observed {
		return ask
	}
	ask.From = now
	if t, err := time.Parse(time.RFC3339, value); err == nil && ask.Observed == "" && t.Before(now) {
		// Every failure so far precedes a time ahead of now: only a past
		// time leaves some out.
		ask.OnlyBefore, ask.From = true, t
	}
	at := metav1.NewTime(ask.From.Truncate(time.Second))
	ask.Observed, ask.At = markerKey(value), &at
	return ask
}

// Marker is the value `hotplug rollout resume` writes into
// RolloutResumedAtAnnotation: common's generation and the resourceVersion
// it was read at. The patch that writes it is conditional on that
// resourceVersion, so every resume writes a value never written before;
// the hub acts on it by its own clock (see decideResume).
func Marker(common *hotplugv1.Hotplug) string {
	return "g" + strconv.FormatInt(common.Generation, 10) + "-rv" + common.ResourceVersion
}
