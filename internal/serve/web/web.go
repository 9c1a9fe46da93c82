// Package web holds the page of `colorize serve`: plain HTML, one
// stylesheet and JavaScript modules, embedded in the binary. It loads
// nothing from elsewhere and needs no build step; it talks to the server
// only through the documented /api/ endpoints.
package web

import "embed"

// Files are the page's files, served at the site's root.
//
//go:embed index.html app.css *.js
var Files embed.FS
