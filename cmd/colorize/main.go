// Command colorize trains and runs line-art colorization GANs.
package main

import (
	// gorgonia v0.9.18 refuses to start on new Go releases unless this module
	// is at its newest version; importing it here keeps go.mod pinned to it.
	_ "go4.org/unsafe/assume-no-moving-gc"
	_ "gorgonia.org/gorgonia"
)

func main() {}
