package report

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	"github.com/kubecube-io/hotplug/internal/heartbeat"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// resyncEvery is how many heartbeat intervals pass between pushes of an
// unchanged report: a read of the pivot's copy that writes only when
// someone else changed it.
const resyncEvery = 10

// callTimeout bounds one renewal or one push, so that a request the pivot
// never answers cannot stop the heartbeat.
const callTimeout = 30 * time.Second

// loop renews the heartbeat Lease at start and every interval, and pushes
// the report at start, when it changed, when a push failed (at the next
// interval) and every resyncEvery intervals (written only if it differs). When the Lease is unavailable every interval
// also bumps lastHeartbeat, the heartbeat of agents before Leases, so that
// the hub keeps seeing the cluster alive.
func (r *Reporter) loop(ctx context.Context) {
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	dirty, ticks := true, 0
	bump := !r.renew(ctx)
	// A new agent writes its first report even when it equals the stored
	// one: lastHeartbeat then says that this agent has reported (the demo's
	// convergence check waits for that after a restart).
	announce := true
	for {
		if dirty || bump {
			had := r.hasStatus() // before the push: a report arriving during it is pushed next round
			cctx, cancel := context.WithTimeout(ctx, callTimeout)
			err := r.push(cctx, bump || announce)
			cancel()
			if err != nil {
				r.log.Info("could not report to the pivot; will retry", "error", limits.Message(err.Error(), limits.MaxMessageBytes))
			} else {
				dirty = false
				announce = announce && !had
			}
		}
		bump = false
		select {
		case <-ctx.Done():
			return
		case <-r.pending:
			dirty = true
		case <-tick.C:
			ticks++
			bump = !r.renew(ctx)
			if ticks%resyncEvery == 0 {
				dirty = true
			}
		}
	}
}

// renew renews the Lease; it returns false when the Lease cannot be used
// and the heartbeat must go into the Cluster's status instead. An
// unreachable pivot returns true: a status write would fail as well.
func (r *Reporter) renew(ctx context.Context) bool {
	if r.beat == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	err := r.beat.Renew(ctx, time.Now())
	switch {
	case err == nil:
		if r.leaseless {
			r.log.Info("renewing the heartbeat Lease again")
		}
		r.leaseless = false
		return true
	case errors.Is(err, heartbeat.ErrNoLease):
		if !r.leaseless {
			r.log.Info("heartbeat Lease unavailable; writing the heartbeat into the Cluster's status", "error", limits.Message(err.Error(), limits.MaxMessageBytes))
		}
		r.leaseless = true
		return false
	default:
		r.log.Info("could not renew the heartbeat Lease; will retry", "error", limits.Message(err.Error(), limits.MaxMessageBytes))
		return true
	}
}

// sameReport tells whether two Cluster statuses carry the same report, as
// the API server stores them (times at second precision), apart from
// lastHeartbeat.
func sameReport(a, b clusterv1.ClusterStatus) bool {
	a.LastHeartbeat, b.LastHeartbeat = nil, nil
	return sameJSON(a, b)
}

// sameJSON compares a and b by their JSON encoding, which is what the API
// server stores: in-memory times carry nanoseconds that a stored copy has
// lost, so a deep comparison would see a change on every push.
func sameJSON(a, b any) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(x) == string(y)
}

// hasStatus tells whether the agent has computed a report yet.
func (r *Reporter) hasStatus() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status != nil
}
