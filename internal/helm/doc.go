// Package helm is a thin, concurrency-safe wrapper around the Helm v4 SDK
// (helm.sh/helm/v4/pkg/action) that installs, upgrades, rolls back, lists and
// uninstalls releases in-process, using Helm's Secret storage driver so that
// releases made by the helm CLI are found and adopted.
//
// It only performs what it is told: it never decides whether a release should
// change. Operations on one release are serialized within a Client;
// operations on different releases run concurrently.
package helm
