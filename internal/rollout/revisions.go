// Package rollout holds the progressive rollout of `common` across the
// fleet. Revisions live in the hub's namespace on the pivot:
//
//   - history: the Secret `hotplug-common-r<N>` (type SecretType, label
//     RoleLabel=history, immutable) holds `common`'s spec at generation N;
//     the hub keeps the last few, the last complete revision and the
//     target. Secrets, because the spec carries Helm values and the
//     built-in `view` ClusterRole reads every ControllerRevision and
//     ConfigMap of a namespace but no Secret;
//   - assignment: the ControllerRevision `hotplug-common-for-<cluster>`
//     names the revision the cluster must run now (label
//     RoleLabel=assignment): its number, Secret and digests (a Ref), never
//     the content, so its size does not grow with env. Only the hub writes
//     it; a member may read exactly its own (RBAC by resource name), and the
//     revision Secrets through the Role ReaderRole that the hub keeps listing
//     exactly the retained ones; while the hub is down, no cluster changes
//     revision.
//
// Assignments written before (a full copy of the spec in the
// ControllerRevision's data) are still read (Assignment.Legacy) and the hub
// rewrites them.
//
// When `common`'s rollout strategy is Progressive, members mirror `common`
// from their assignment instead of from `common` itself, and the pivot's
// agent reads its own assignment the same way.
package rollout

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// DefaultNamespace is where the hub keeps the revisions unless told
// otherwise (the hub's --namespace, the agent's --rollout-namespace).
const DefaultNamespace = "kubecube-system"

// Labels on the revision objects.
const (
	// RoleLabel is RoleHistory or RoleAssignment.
	RoleLabel = "hotplug.kubecube.io/common-revision"
	// ClusterLabel names the cluster of an assignment.
	ClusterLabel   = "hotplug.kubecube.io/cluster"
	RoleHistory    = "history"
	RoleAssignment = "assignment"
)

// maxNameLen is a DNS subdomain's length limit.
const maxNameLen = 253

// HistoryName is the name of the history object of revision rev.
func HistoryName(rev int64) string { return historyPrefix + strconv.FormatInt(rev, 10) }

const historyPrefix = "hotplug-common-r"

// HistoryNumber is the revision whose history object is called name; false
// when name is no such name.
func HistoryNumber(name string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(name, historyPrefix), 10, 64)
	return n, err == nil && n > 0 && HistoryName(n) == name
}

// AssignmentName is the name of cluster's assignment; a name too long for
// the API is cut and suffixed with a digest so it stays unique.
func AssignmentName(cluster string) string {
	const prefix = "hotplug-common-for-"
	name := prefix + cluster
	if len(name) <= maxNameLen {
		return name
	}
	sum := sha256.Sum256([]byte(cluster))
	suffix := "-" + hex.EncodeToString(sum[:])[:16]
	return name[:maxNameLen-len(suffix)] + suffix
}

// Revision is one revision of `common`: its spec at one generation.
type Revision struct {
	Number int64
	Spec   hotplugv1.HotplugSpec
}

// Encode returns the ControllerRevision called name in namespace holding
// rev, with the given role label (and cluster label for an assignment):
// the format before revisions moved to Secrets, which Decode and
// DecodeAssignment still read.
func Encode(namespace, name, role, cluster string, rev Revision) (*appsv1.ControllerRevision, error) {
	raw, err := json.Marshal(rev.Spec)
	if err != nil {
		return nil, fmt.Errorf("encoding revision %d of common: %w", rev.Number, err)
	}
	labels := map[string]string{RoleLabel: role, "app.kubernetes.io/part-of": "hotplug"}
	if cluster != "" && len(cluster) <= 63 {
		labels[ClusterLabel] = cluster
	}
	return &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: labels},
		Data:       runtime.RawExtension{Raw: raw},
		Revision:   rev.Number,
	}, nil
}

// Decode reads the revision held by cr; an object that does not hold a
// Hotplug spec is an error naming it.
func Decode(cr *appsv1.ControllerRevision) (Revision, error) {
	var spec hotplugv1.HotplugSpec
	if len(cr.Data.Raw) == 0 {
		return Revision{}, fmt.Errorf("ControllerRevision %s/%s holds no spec of common", cr.Namespace, cr.Name)
	}
	if err := json.Unmarshal(cr.Data.Raw, &spec); err != nil {
		return Revision{}, fmt.Errorf("ControllerRevision %s/%s: decoding the spec of common: %w", cr.Namespace, cr.Name, err)
	}
	return Revision{Number: cr.Revision, Spec: spec}, nil
}

// Progressive reports whether common's spec asks for a progressive rollout.
func Progressive(common *hotplugv1.Hotplug) bool {
	return common != nil && common.Spec.Rollout != nil && common.Spec.Rollout.Strategy == hotplugv1.RolloutProgressive
}
