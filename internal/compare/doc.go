// Package compare reruns the paper's experiment: the same model trained per
// seed twice, with plain L1 and with the compensated L1, from identical
// initial weights, data order, augmentation, hints and dropout (all are pure
// functions of the seed), then reports the validation curves and Table 1's
// rows with the seed-to-seed spread.
//
// Layout of the output folder:
//
//	seed-1/l1/, seed-1/compensated_l1/, …   one training run folder each
//	curves.png                               validation L1 against step
//	report.md, report.html                   the report (HTML self-contained)
//	results.json                             every number in the report
//
// A finished run (its final checkpoint exists) is reused; an unfinished one
// is resumed, so an interrupted compare continues where it stopped.
package compare
