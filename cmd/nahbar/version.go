package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "dev"

// versionString names the release, the commit it was built from (when the
// build knows it) and the Go version, which is what a bug report needs.
func versionString() string {
	rev := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if len(s.Value) > 12 {
					rev = s.Value[:12]
				} else {
					rev = s.Value
				}
			case "vcs.modified":
				if s.Value == "true" && rev != "" {
					rev += "-dirty"
				}
			}
		}
	}
	if rev == "" {
		return fmt.Sprintf("nahbar %s (%s)", version, runtime.Version())
	}
	return fmt.Sprintf("nahbar %s (%s, %s)", version, rev, runtime.Version())
}
