// Package compare reruns the paper's experiment: the same model trained per
// seed once per arm — plain L1, the compensated L1, the compensated L1 with
// its weights held constant in the gradient — from identical initial
// weights, data order, augmentation, hints and dropout (all are pure
// functions of the seed), then reports the validation curves, Table 1's rows
// with the seed-to-seed spread, paired per-image differences against the
// first arm with bootstrap intervals and effect sizes, and every measure
// along the hint axis.
//
// Layout of the output folder:
//
//	compare.yaml                             the resolved configuration (plans use it)
//	seed-1/l1/, seed-1/compensated_l1/, …   one training run folder per (seed, arm)
//	curves.png                               validation L1 against step
//	report.md, report.html                   the report (HTML self-contained)
//	results.json                             every number in the report
//
// A finished run (its final checkpoint exists) is reused; an unfinished one
// is resumed, so an interrupted compare continues where it stopped. Runs can
// also be spread over machines: Plan lists one command per run (Options.Only),
// and a later Compare with Options.Collect reports whatever has finished; a
// run whose folder is locked by a process elsewhere is reported as running,
// never trained twice.
package compare
