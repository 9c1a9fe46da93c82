// Package serve is colorize's local web app: a page for painting color hints
// on a sketch and watching the result update, a view of training runs, and
// the HTTP API both use.
//
// # API
//
//	GET  /api/models                    checkpoints found under the runs folder
//	POST /api/colorize                  multipart sketch [hint] [points] [model] → image/png
//	GET  /api/runs                      runs, with their state and config summary
//	GET  /api/runs/{id}/metrics?since=N metrics.jsonl records of steps > N (&kind=train|val)
//	GET  /api/runs/{id}/samples/latest  the newest sample grid (image/png)
//
// Errors are JSON {"error": "..."}: 400 bad form or points, 401 missing
// token, 404 unknown model or run, 413 body over the upload limit or image
// over the pixel budget (read from the header, before decoding), 415 not an
// image, 503 with Retry-After when the queue is full. IDs are looked up
// among what the runs scan found, so no client string becomes a path.
//
// # Bounded resources
//
// A colorize request is admitted only while fewer than Workers+Queue are in
// the server, before its body is read; later ones get 503 at once. Its body
// is read whole (at most MaxUpload bytes), then Workers goroutines decode,
// colorize and encode one request at a time. Each worker takes a loaded model
// from a cache of at most Models (least recently used models are closed), and
// each model keeps at most MaxGraphs inference graphs. Memory is therefore
// bounded by (Workers+Queue)·MaxUpload, plus Workers decoded images of at most
// MaxPixels, plus Models·(weights + MaxGraphs graphs at MaxSide).
//
// The PNG a request returns is byte-identical to what `colorize infer`
// writes for the same sketch, hints, model and --max-side: both decode with
// imageio, colorize with infer.Colorizer and encode with atomicfile.EncodePNG (what colorize infer writes).
package serve
