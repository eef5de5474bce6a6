// Package controlplane starts real local Kubernetes clusters for tests and
// the demo: one shared etcd, one kube-apiserver per cluster and, when asked,
// kube-controller-manager, kube-scheduler and kwok so that workloads really
// become Ready. Binaries come from bin/ (see `make controlplane`).
//
// Every child process is started with a parent-death signal from a thread
// that never exits, so a test that fails, panics or is interrupted leaves no
// process and no bound port behind.
package controlplane
