// Package chartpkg loads Helm chart packages from a directory on disk and
// computes content digests of charts and their values.
//
// Loading is confined to the given directory: names that would escape it
// (absolute paths, "..", symlinks resolving outside) are refused.
//
// Loading is bounded: a package is scanned as a stream (decompressed bytes
// and entries across all nested subchart packages, path lengths, expanded
// YAML) against limits.Limits before Helm's loader, which gives every nested
// package a fresh allowance, sees it. A Loader caches the latest load of
// each package by its content, so an unchanged package is parsed once.
package chartpkg
