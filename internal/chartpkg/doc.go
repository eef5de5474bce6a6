// Package chartpkg loads Helm chart packages from a directory on disk and
// computes content digests of charts and their values.
//
// Loading is confined to the given directory: names that would escape it
// (absolute paths, "..", symlinks resolving outside) are refused.
package chartpkg
