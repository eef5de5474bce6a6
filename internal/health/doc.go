// Package health judges whether a Helm release really runs, from the live
// objects of its manifest rather than from Helm's stored status.
//
// It has two halves. The pure half, Summarize, turns per-object health
// (kstatus results plus a pod's reason) into one Summary: Ready, Progressing
// or Failed with a bounded, deterministic message. The observing half,
// Checker, reads the manifest's objects from the API server, computes each
// one's kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status; no per-kind rules
// are written here) and, for a workload still in progress, the reason of its
// first troubled pod. Objects lists the objects of a manifest so that a
// watcher can watch exactly those.
package health
