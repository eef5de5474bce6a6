package helm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
)

// Retries of an install or upgrade whose manifest names a kind the REST
// mapper does not know: the kind's CRD may come from another chart
// installed at the same moment (a monitoring chart's ServiceMonitor used by
// its neighbours), or was created after the shared discovery cache was
// filled, which never refreshes on a miss by itself. Helm fails such an
// action while building the objects, before it creates anything or records
// a revision, so trying again is safe.
const (
	maxMappingRetries = 4
	mappingRetryBase  = time.Second
)

// isNoKindMatch tells whether err is Helm failing to map a manifest's kind.
func isNoKindMatch(err error) bool {
	if err == nil {
		return false
	}
	if meta.IsNoMatchError(err) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "no matches for kind") || strings.Contains(s, "resource mapping not found")
}

// withMappingRetry runs attempt and, while it fails with an unknown kind,
// forgets the cached discovery and REST mapping and runs it again after
// 1s, 2s, 4s, 8s (at most maxMappingRetries times, never past ctx). It
// returns the last error.
func (c *Client) withMappingRetry(ctx context.Context, what string, attempt func() error) error {
	delay := mappingRetryBase
	for i := 0; ; i++ {
		err := attempt()
		if !isNoKindMatch(err) || i == maxMappingRetries {
			return err
		}
		c.getter.invalidate()
		c.log.V(1).Info("kind not known to the API server yet; retrying after a discovery refresh", "action", what, "retry", i+1)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (%w)", err, ctx.Err())
		case <-time.After(delay):
		}
		delay *= 2
	}
}
