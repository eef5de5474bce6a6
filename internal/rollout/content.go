package rollout

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// ContentDigest is a digest of what a revision makes clusters run: the spec
// without its rollout block, so that two revisions differing only in how
// they roll out have the same content. "" when the spec cannot be encoded.
func ContentDigest(spec hotplugv1.HotplugSpec) string {
	spec.Rollout = nil
	raw, err := json.Marshal(spec)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}
