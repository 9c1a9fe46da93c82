#!/usr/bin/env bash
# scaling.sh: how the cost grows, colorize beside PyTorch in the same run.
# The training step at 64², 128², 256² (U-Net depth 6, 7, 8; ngf/ndf 64) and
# batches 1, 4, 16, then inference (depth 8, batch 1) at 256² to 2048²; each
# configuration runs colorize (OpenBLAS build) and then PyTorch, back to back.
# Prints a Markdown table. STEPS (default 3) timed steps per configuration,
# THREADS (default 2) PyTorch threads, PY the Python with torch.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-3}
THREADS=${THREADS:-2}
PY=${PY:-/usr/bin/python3}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go test -c -tags openblas -o "$bin/gan.test" ./internal/gan
go test -c -tags openblas -o "$bin/unet.test" ./internal/unet
field() { $PY -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
metric() { awk -v u="$1" '/^Benchmark/ { for (i = 4; i <= NF; i++) if ($i == u) { print $(i-1); exit } }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%Y-%m-%dT%H:%MZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| training step | colorize s/step (median) | PyTorch s/step | ratio | colorize peak RSS MiB | PyTorch peak RSS MiB |"
echo "|---|---|---|---|---|---|"
for cfg in 64:6 128:7 256:8; do
	side=${cfg%:*} depth=${cfg#*:}
	for n in 1 4 16; do
		g=$(cd internal/gan && "$bin/gan.test" -test.run '^$' -test.bench "^BenchmarkTrainStepGrid/size=${side}/batch=${n}\$" -test.benchtime "${STEPS}x")
		gs=$(echo "$g" | metric s/step-median) grss=$(echo "$g" | metric MiB-peak-rss)
		t=$($PY bench/train_step_torch.py --size "$side" --depth "$depth" --batch "$n" --steps "$STEPS" --threads "$THREADS")
		ts=$(echo "$t" | field sec_per_step) trss=$(echo "$t" | field peak_rss_mb)
		echo "| ${side}², depth ${depth}, batch ${n} | ${gs} | $(printf %.4f "$ts") | $(ratio "$gs" "$ts") | ${grss} | ${trss} |"
	done
done
echo
echo "| inference, depth 8, batch 1 | colorize s (median pass) | PyTorch s (median pass) | ratio | colorize peak RSS MiB | PyTorch peak RSS MiB |"
echo "|---|---|---|---|---|---|"
for side in 256 512 1024 2048; do
	g=$(cd internal/unet && "$bin/unet.test" -test.run '^$' -test.bench "^BenchmarkInfer/${side}\$" -test.benchtime "${STEPS}x")
	gs=$(echo "$g" | metric s/infer-median) grss=$(echo "$g" | metric MiB-peak-rss)
	t=$($PY bench/infer_torch.py --size "$side" --threads "$THREADS" --reps "$STEPS")
	ts=$(echo "$t" | field sec) trss=$(echo "$t" | field peak_rss_mb)
	echo "| ${side}² | $(printf %.3f "$gs") | $(printf %.3f "$ts") | $(ratio "$gs" "$ts") | ${grss} | $(printf %.1f "$trss") |"
done
