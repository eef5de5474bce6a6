// Package crd embeds the generated CustomResourceDefinitions so that the
// binary (the local demo, the agent's self-install and the tests) installs
// exactly what is committed under config/crd/bases.
package crd

import "embed"

// Bases holds bases/*.yaml, one CRD per file.
//
//go:embed bases/*.yaml
var Bases embed.FS
