// Package arch holds tests of the code's structure: the declared layer
// order of hotplug's packages (no import runs upward) and the package map
// in AGENTS.md. It has no code of its own.
package arch
