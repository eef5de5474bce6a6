// Package helm is a thin, concurrency-safe wrapper around the Helm v4 SDK
// (helm.sh/helm/v4/pkg/action) that installs, upgrades, rolls back, lists and
// uninstalls releases in-process, using Helm's Secret storage driver so that
// releases made by the helm CLI are found and adopted.
//
// It only performs what it is told: it never decides whether a release should
// change. Operations on one release are serialized within a Client;
// operations on different releases run concurrently.
//
// Fields other controllers own are theirs. Upgrades, rollbacks (after a
// failed upgrade, and in Recover) and installs adopting existing objects
// apply server-side with conflicts forced, each object without the fields
// that respected managers (Options.Respect, the drift Detector's rule) own
// on the live object: an HPA keeps the replicas it set, and a field a person
// took with kubectl is taken back, as drift repair would. Stored manifests
// are not changed. Releases applied client-side (made by the Helm v3 CLI)
// stay client-side, unforced and unstripped.
package helm
