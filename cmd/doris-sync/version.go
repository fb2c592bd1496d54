package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at build time:
//
//	go build -ldflags "-X main.version=v1.2.3 -X main.commit=$(git rev-parse HEAD)" ./cmd/doris-sync
var (
	version = ""
	commit  = ""
)

// buildVersion returns the version and commit: from -ldflags when given, else
// from the module and VCS information Go records in the binary.
func buildVersion() (ver, rev string, modified bool) {
	ver, rev = version, commit
	if info, ok := debug.ReadBuildInfo(); ok {
		if ver == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			ver = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true" && commit == ""
			}
		}
	}
	if ver == "" {
		ver = "dev"
	}
	if rev == "" {
		rev = "unknown"
	}
	return ver, rev, modified
}

// versionLine is the one-line form for --version.
func versionLine() string {
	ver, rev, modified := buildVersion()
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified {
		rev += "+modified"
	}
	return fmt.Sprintf("doris-sync %s (commit %s, %s %s/%s)", ver, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// versionText is the output of the version command.
func versionText() string {
	ver, rev, modified := buildVersion()
	if modified {
		rev += " (modified)"
	}
	return fmt.Sprintf("doris-sync %s\ncommit: %s\ngo: %s %s/%s\n", ver, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
