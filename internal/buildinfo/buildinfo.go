// Package buildinfo reports the version of the colorize binary.
package buildinfo

import "runtime/debug"

// Version is set at link time by the Makefile (-ldflags "-X ...Version=v1.2.3");
// otherwise it falls back to the module version or VCS revision Go recorded.
var Version = ""

// String returns the best version string available.
func String() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "(devel)"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel-" + rev
}
