package devenv

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/fleet"
)

// convergePoll is how often the fleet is checked while converging.
const convergePoll = 500 * time.Millisecond

// Converged tells whether every named cluster reports through its agent
// that its components are where its configuration wants them (the fleet
// matrix has no problem and every cluster's hotplug phase is running) and
// every Hotplug on the pivot has been observed at its current generation.
// Only reports from agents heard since since count, so a reused state
// directory's old statuses do not pass for the new agents' work. The
// sentence says where things stand, for progress output.
func Converged(ctx context.Context, pivot client.Reader, clusters []string, since time.Time) (bool, string, error) {
	var hps hotplugv1.HotplugList
	if err := pivot.List(ctx, &hps); err != nil {
		return false, "", fmt.Errorf("listing Hotplugs: %w", err)
	}
	list, err := fleet.ListClusters(ctx, pivot)
	if err != nil {
		return false, "", err
	}
	rows := fleet.Matrix(list)
	var parts []string
	done := true
	for _, name := range clusters {
		total, ready, phase, seen := 0, 0, "", false
		for _, r := range rows {
			if r.Cluster != name {
				continue
			}
			seen, phase = true, r.HotplugPhase
			if r.LastHeartbeat == nil || r.LastHeartbeat.Before(since.Truncate(time.Second)) {
				// Heartbeats have second precision.
				continue
			}
			if r.Component != "" {
				total++
				if r.Ready {
					ready++
				}
			}
		}
		switch {
		case !seen:
			parts = append(parts, name+": not registered")
			done = false
		case total == 0:
			parts = append(parts, name+": waiting for its agent")
			done = false
		default:
			parts = append(parts, fmt.Sprintf("%s: %d/%d components ready", name, ready, total))
			done = done && ready == total && phase == hotplugv1.PhaseRunning
		}
	}
	if probs := fleet.Problems(rows); len(probs) > 0 {
		done = false
		parts = append(parts, probs[0])
	}
	for _, hp := range hps.Items {
		if hp.Status.ObservedGeneration != hp.Generation || hp.Status.Phase != hotplugv1.PhaseRunning {
			done = false
			parts = append(parts, fmt.Sprintf("Hotplug %s: %s", hp.Name, orDash(hp.Status.Phase)))
		}
	}
	return done, strings.Join(parts, "; "), nil
}

func orDash(s string) string {
	if s == "" {
		return "not yet reported"
	}
	return s
}

// waitConverged polls Converged until it holds, reporting each new
// sentence to progress.
func waitConverged(ctx context.Context, pivot client.Reader, clusters []string, timeout time.Duration, progress func(string)) error {
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("the fleet did not converge within %s", timeout))
	defer cancel()
	last, since := "", time.Now()
	for {
		ok, why, err := Converged(ctx, pivot, clusters, since)
		if err != nil {
			// The pivot is local and up; a failed read is transient.
			why = fmt.Sprintf("reading the pivot: %v; retrying", err)
		}
		if why != last && why != "" {
			last = why
			progress(why)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; last: %s", context.Cause(ctx), last)
		case <-time.After(convergePoll):
		}
	}
}

// clusterNames lists the pivot and members in start order.
func clusterNames(members int) []string {
	names := []string{PivotName}
	for i := 1; i <= members; i++ {
		names = append(names, MemberName(i))
	}
	return slices.Clip(names)
}
