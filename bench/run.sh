#!/usr/bin/env bash
# bench/run.sh — measure colorize against PyTorch on this machine, in one run,
# and print the ratio table (colorize time / PyTorch time; < 1 means faster).
#
#   ./bench/run.sh            training step (+ inference, FID features when present)
#   BENCH_STEPS=5 BENCH_ROUNDS=3 ./bench/run.sh
#   BENCH_SKIP_PURE=1 ./bench/run.sh   skip the pure-Go training step
#   BENCH_PURE_STEPS=2                  steps of the pure-Go build (~13 s each)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
STEPS=${BENCH_STEPS:-5}
THREADS=${BENCH_THREADS:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

gobench() { # tags pkg bench -> seconds per op
	local tags=$1 pkg=$2 name=$3
	go test $tags -run '^$' -bench "^${name}\$" -benchtime "${STEPS}x" -count 1 "$pkg" \
		| tee -a "$out/go.txt" | awk -v n="$name" '$1 ~ n {print $3/1e9; exit}'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"
echo

printf '%-34s %12s %12s %8s\n' benchmark colorize_s pytorch_s ratio
row() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%-34s %12.3f %12.3f %8.2f\n", n, a, b, a / b }'; }
json() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
metric() { # file unit -> value of the benchmark metric with that unit
	awk -v u="$2" '/^Benchmark/ { for (i = 4; i <= NF; i++) if ($i == u) { print $(i-1); exit } }' "$1"
}

# Training step: ROUNDS interleaved rounds (PyTorch first in odd rounds,
# colorize first in even ones, so slow drifts of the machine's load cancel),
# each comparing per-step medians; the summary is the median round.
ROUNDS=${BENCH_ROUNDS:-3}
go test -tags openblas -c -o "$out/gan.test" ./internal/gan
ratios=()
for r in $(seq 1 "$ROUNDS"); do
	torch() { $PY bench/train_step_torch.py --steps "$STEPS" --threads "$THREADS" >"$out/torch$r.json"; }
	gorun() { "$out/gan.test" -test.run '^$' -test.bench '^BenchmarkTrainStep$' -test.benchtime "${STEPS}x" >"$out/go$r.txt"; }
	if ((r % 2)); then torch && gorun; else gorun && torch; fi
	tm=$(json "$out/torch$r.json" sec_per_step)
	gm=$(metric "$out/go$r.txt" s/step-median)
	row "train step 128², round $r (median)" "$gm" "$tm"
	row "train step 128², round $r (fastest)" "$(metric "$out/go$r.txt" s/step-min)" "$(json "$out/torch$r.json" min)"
	ratios+=("$(awk -v a="$gm" -v b="$tm" 'BEGIN { print a / b }')")
done
printf '%-34s %38s\n' "train step 128², median round" "$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }')"
echo "peak RSS (MiB), last round: colorize $(metric "$out/go$ROUNDS.txt" MiB-peak-rss), pytorch $(json "$out/torch$ROUNDS.json" peak_rss_mb)"
if [ -z "${BENCH_SKIP_PURE:-}" ]; then
	go test -run '^$' -bench '^BenchmarkTrainStep$' -benchtime "${BENCH_PURE_STEPS:-2}x" ./internal/gan >"$out/pure.txt"
	row "train step 128² (pure Go, median)" "$(metric "$out/pure.txt" s/step-median)" "$(json "$out/torch$ROUNDS.json" sec_per_step)"
fi

# (grep on captured output: with pipefail, grep -q closing the pipe early
# would fail the test.)
has() { case "$(go test -list "$2" "$1" 2>/dev/null)" in *"$2"*) return 0 ;; esac; return 1; }
if [ -f bench/infer_torch.py ] && has ./internal/unet BenchmarkInfer; then
	for side in 256 512; do
		t=$($PY bench/infer_torch.py --size "$side" --threads "$THREADS" | $PY -c 'import json,sys; print(json.load(sys.stdin)["sec"])')
		g=$(gobench "-tags openblas" ./internal/unet "BenchmarkInfer/${side}")
		row "infer ${side}² depth 8 (openblas)" "$g" "$t"
	done
fi
if [ -f bench/fid_features.py ] && has ./internal/fid BenchmarkFeatures; then
	t=$($PY bench/fid_features.py --threads "$THREADS" --images 16 --batch 8 | $PY -c 'import json,sys; print(json.load(sys.stdin)["sec_per_image"])')
	g=$(gobench "-tags openblas" ./internal/fid BenchmarkFeatures)
	row "FID features per image (openblas)" "$g" "$t"
fi

# ONNX Runtime (onnxruntime-node from scripts/ort-install) running the
# exported depth-8 generator, against colorize in the same benchmark run.
if [ -f "${COLORIZE_ORT_DIR:-.cache/ort}/node_modules/onnxruntime-node/package.json" ] && has ./internal/export BenchmarkONNXRuntime; then
	go test -tags openblas -run '^$' -bench '^BenchmarkONNXRuntime$' -benchtime "${STEPS}x" -count 1 ./internal/export >"$out/ort.txt"
	echo
	printf '%-34s %12s %12s %8s\n' benchmark colorize_s ort_s ratio
	for side in 256 512; do
		awk -v n="BenchmarkONNXRuntime/$side-" '$1 ~ n { for (i = 4; i <= NF; i++) v[$i] = $(i-1);
			printf "%-34s %12.3f %12.3f %8.2f\n", "infer '"$side"'² depth 8, ORT", v["s/infer-colorize"], v["s/infer-ort"], v["colorize/ort"] }' "$out/ort.txt"
	done
fi
