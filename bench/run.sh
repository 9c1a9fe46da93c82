#!/usr/bin/env bash
# bench/run.sh — measure colorize against PyTorch on this machine, in one run,
# and print the ratio table (colorize time / PyTorch time; < 1 means faster).
#
#   ./bench/run.sh            training step (+ inference, FID features when present)
#   BENCH_STEPS=5 ./bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
STEPS=${BENCH_STEPS:-3}
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

torch_step=$($PY bench/train_step_torch.py --steps "$STEPS" --threads "$THREADS" | tee "$out/torch.json" |
	$PY -c 'import json,sys; print(json.load(sys.stdin)["sec_per_step"])')
go_step=$(gobench "-tags openblas" ./internal/gan BenchmarkTrainStep)
row "train step 128² (openblas)" "$go_step" "$torch_step"
if [ -z "${BENCH_SKIP_PURE:-}" ]; then
	go_pure=$(gobench "" ./internal/gan BenchmarkTrainStep)
	row "train step 128² (pure Go)" "$go_pure" "$torch_step"
fi
echo "pytorch peak RSS (MiB): $($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["peak_rss_mb"])' "$out/torch.json")"

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
